"""Circles and collections: creation and membership."""
import peewee as pw

from . import host, validation
from .db import database
from .errors import ValidationError
from .models import Group, Membership


def create_group(name, is_organization, creator=None, title="", description=""):
    """Create a circle or collection; ``creator`` becomes its admin.

    :raises ValidationError: invalid name, or the name is taken by any
        circle or collection ("Group name already exists in database")
    """
    name = validation.name(name)
    title = validation.as_str(title, "title", max_length=500)
    description = validation.as_str(description, "description", max_length=10000)
    if Group.select().where(Group.name == name).exists():
        raise ValidationError({"name": ["Group name already exists in database"]})
    try:
        with database.atomic():
            group = Group.create(name=name, title=title, description=description,
                                 is_organization=is_organization)
            if creator is not None:
                Membership.create(group=group, user=creator, role="admin")
    except pw.IntegrityError:
        raise ValidationError({"name": ["Group name already exists in database"]}) from None
    return group


def set_member(group, user, role):
    """Give ``user`` the ``role`` in ``group`` (insert or update)."""
    role = validation.capacity(role, ("admin", "editor", "member"), field="role")
    with database.atomic():
        membership = Membership.get_or_none(group=group, user=user)
        if membership is None:
            membership = Membership.create(group=group, user=user, role=role)
        else:
            membership.role = role
            membership.save()
    _shared(group, user, role)
    return membership


def _shared(group, user, role):
    """An audit entry: ``user`` now has ``role`` in ``group`` (None: no longer a member)."""
    host.notify("activity", action="share", dataset_id=None, resource_id=None,
                details={"circle" if group.is_organization else "collection": group.name,
                         "member": user.name, "role": role})


def remove_member(group, user):
    """Remove ``user`` from ``group`` (no error if not a member)."""
    removed = Membership.delete().where((Membership.group == group)
                                        & (Membership.user == user)).execute()
    if removed:
        _shared(group, user, None)
