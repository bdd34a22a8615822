"""Creating, changing, deleting and purging datasets.

Checks of permissions live in :mod:`dcorlite.authz`, DCOR rules in
:mod:`dcorlite.rules`, field validation in :mod:`dcorlite.validation`; this
module applies them in order and writes the result.
"""
import secrets

import peewee as pw
from flask import current_app
from slugify import slugify

from . import authz, host, rules, schemas, validation
from .db import database, lock_rows
from .errors import NotAuthorized, ValidationError
from .models import Dataset, DatasetGroup, Group, Resource, Tag, utcnow
from .revisions import mark_written

TEXT_FIELDS = {
    "title": lambda v: validation.as_str(v, "title", max_length=500),
    "notes": lambda v: validation.as_str(v, "notes", max_length=100000),
    "authors": validation.authors,
    "doi": validation.doi,
    "references": validation.references,
}


def unique_name(title):
    """Return an unused dataset name made from ``title``.

    A random suffix is inserted before a trailing number only when the plain
    slug is taken, so ``"Cells 42"`` becomes ``cells-42`` or ``cells-3fa-42``.
    """
    base = slugify(title or "", max_length=80, separator="-") or "dataset"
    base = base if len(base) >= 2 else f"dataset-{base}"
    name = base
    while Dataset.select().where(Dataset.name == name).exists():
        head, sep, tail = base.rpartition("-")
        suffix = secrets.token_hex(3)
        name = f"{head}-{suffix}-{tail}" if sep and tail.isdigit() else f"{base}-{suffix}"
    return name


def clean_fields(data, user, dataset=None):
    """Validate the editable dataset fields present in ``data``.

    :returns: ``{field: clean value}`` for every field given
    """
    clean = {}
    for field, check in TEXT_FIELDS.items():
        if field in data:
            clean[field] = check(data[field])
    if "license_id" in data:
        ids = [lic["id"] for lic in schemas.licenses()]
        clean["license_id"] = validation.license_id(data["license_id"], ids, user.sysadmin)
    if "private" in data:
        clean["private"] = validation.as_bool(data["private"], "private")
    if "state" in data and data["state"] not in (None, ""):
        clean["state"] = validation.as_str(data["state"], "state")
        if clean["state"] not in ("draft", "active"):
            raise ValidationError({"state": [f"Invalid state '{clean['state']}'"]})
    if "tags" in data or "tag_string" in data:
        clean["tags"] = validation.tags(data.get("tags", data.get("tag_string")))
    if "groups" in data:
        clean["groups"] = _collections_from(data["groups"])
    return clean


def _collections_from(value):
    """Resolve ``[{"id"|"name": …}]`` to collection objects (404 if unknown)."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationError({"groups": ["Must be a list of {'name': ...} dicts"]})
    found = []
    for item in value:
        key = item.get("id") or item.get("name") if isinstance(item, dict) else item
        if not isinstance(key, str) or not key:
            raise ValidationError({"groups": ["Each group needs an id or a name"]})
        group = authz.get_group(key, is_organization=False)
        if group not in found:
            found.append(group)
    return found


def create_dataset(user, data):
    """Create a draft dataset owned by a circle where ``user`` may create datasets.

    :raises NotAuthorized: anonymous, no rights in the circle, ``id`` set by a
        non-sysadmin, public dataset where they are disabled
    :raises ValidationError: missing ``authors``/``license_id``/``owner_org``
    """
    authz.require_login(user, "create packages")
    if data.get("id") and not user.sysadmin:
        raise NotAuthorized("The input field id was not expected.")
    owner = data.get("owner_org")
    if not owner:
        raise ValidationError({"owner_org": ["An organization must be provided"]})
    try:
        circle = authz.get_group(validation.as_str(owner, "owner_org"), is_organization=True)
    except Exception:
        raise ValidationError({"owner_org": ["Organization does not exist"]}) from None
    authz.require_role(user, circle, authz.WRITE_ROLES, "add dataset to this organization")
    allow_public = current_app.config["ALLOW_PUBLIC_DATASETS"]
    data = dict(data)
    data.setdefault("private", not allow_public)
    clean = clean_fields(data, user)
    for field in ("authors", "license_id"):
        if field not in clean:
            raise (validation.missing(field) if field == "authors" else ValidationError(
                {"license_id": ["Please choose a license_id"]}))
    if not allow_public and clean["private"] is False:
        raise NotAuthorized("Public datasets are not allowed on this server")
    if clean.get("state", "draft") != "draft" and not user.sysadmin:
        raise ValidationError({"state": ["Datasets must be created as drafts"]})
    for group in clean.get("groups", []):
        authz.require_role(user, group, authz.WRITE_ROLES, f"add datasets to {group.name}")
    fields = {k: v for k, v in clean.items() if k not in ("tags", "groups")}
    fields.setdefault("title", "")
    fields.setdefault("state", "draft")
    chosen = validation.name(data["name"]) if user.sysadmin and data.get("name") else None
    if data.get("id"):
        fields["id"] = validation.as_uuid(data["id"])
    for _ in range(NAME_ATTEMPTS):
        try:
            dataset = _insert_dataset(chosen or unique_name(fields["title"]), circle, user,
                                      fields, clean)
            break
        except pw.IntegrityError:
            # Another request took the name between our check and our insert
            # (PostgreSQL); a generated name is made again, a chosen one is taken.
            if chosen or "id" in fields:
                raise ValidationError({"name": ["That URL is already in use."]}) from None
    else:
        raise ValidationError({"name": ["Could not find an unused name for this title"]})
    host.notify("dataset_changed", dataset=dataset, changes={"state": (None, dataset.state)})
    host.notify("activity", action="change", dataset_id=dataset.id, resource_id=None,
                details={"created": True, "private": dataset.private, "actor": user.name})
    return dataset


#: how often a generated dataset name is made again when a concurrent request took it
NAME_ATTEMPTS = 5


def _insert_dataset(name, circle, user, fields, clean):
    with database.atomic():
        if Dataset.select().where(Dataset.name == name).exists():
            raise pw.IntegrityError(f"dataset name {name} exists")
        dataset = Dataset.create(name=name, owner_org=circle, creator=user, **fields)
        _set_tags(dataset, clean.get("tags", []))
        _set_collections(dataset, clean.get("groups", []))
        mark_written(dataset)
    return dataset


def update_dataset(user, dataset, data, dc_problems=None):
    """Apply the fields given in ``data`` to ``dataset`` under DCOR's rules.

    :param dc_problems: callable(resource) → list of sanity-check problems,
        needed when ``data`` activates the dataset
    :returns: ``{field: (old, new)}`` of what changed
    :raises NotAuthorized: forbidden changes (frozen active dataset, license,
        public→private, owner change)
    :raises ValidationError: invalid values, activation without valid DC data
    """
    clean = clean_fields(data, user, dataset)
    if "owner_org" in data and data["owner_org"] not in (dataset.owner_org_id,
                                                         dataset.owner_org.name):
        raise NotAuthorized("Changing the circle of a dataset is not allowed")
    if "name" in data and data["name"] not in (dataset.name, dataset.id):
        raise NotAuthorized("The name of a dataset cannot be changed")
    changes = _diff(dataset, clean)
    rules.check_dataset_changes(dataset, {k: v[1] for k, v in changes.items()},
                                user.sysadmin, current_app.config["ALLOW_PUBLIC_DATASETS"])
    if "groups" in changes:
        old_ids = {g.id for g in changes["groups"][0]}
        for group in changes["groups"][1]:
            if group.id not in old_ids:
                authz.require_role(user, group, authz.WRITE_ROLES,
                                   f"add datasets to {group.name}")
    activating = changes.get("state", (None, None))[1] == "active"
    if activating:
        members = list(Resource.select().where(Resource.dataset == dataset)
                       .order_by(Resource.position))
        rules.check_activation(members, dc_problems)
        host.call("dataset_activating", dataset=dataset, resources=members)
    if not changes:
        return {}
    with database.atomic():
        lock_rows(Dataset.select(Dataset.id).where(Dataset.id == dataset.id))
        columns = [field for field in changes if field not in ("tags", "groups")]
        for field in columns:
            setattr(dataset, field, changes[field][1])
        dataset.modified = utcnow()
        dataset.save(only=[getattr(Dataset, f) for f in columns] + [Dataset.modified])
        if "tags" in changes:
            _set_tags(dataset, changes["tags"][1])
        if "groups" in changes:
            _set_collections(dataset, changes["groups"][1])
        mark_written(dataset)
    host.notify("dataset_changed", dataset=dataset, changes=changes)
    if activating:
        host.notify("dataset_activated", dataset=dataset)
    host.notify("activity", action="change", dataset_id=dataset.id, resource_id=None,
                details=dict(_change_details(changes), actor=user.name))
    return changes


def _change_details(changes):
    """What the audit trail keeps of a change: the fields, and new state and visibility.

    Values of text fields are left out: titles and notes may name patients.
    """
    details = {"fields": sorted(changes)}
    for field in ("state", "private"):
        if field in changes:
            details[field] = changes[field][1]
    return details


def _diff(dataset, clean):
    changes = {}
    for field, new in clean.items():
        if field == "tags":
            old = [t.name for t in Tag.select().where(Tag.dataset == dataset).order_by(Tag.name)]
        elif field == "groups":
            old = current_collections(dataset)
            if {g.id for g in old} == {g.id for g in new}:
                continue
        else:
            old = getattr(dataset, field)
        if old != new:
            changes[field] = (old, new)
    return changes


def current_collections(dataset):
    """The collections ``dataset`` belongs to."""
    return list(Group.select().join(DatasetGroup, on=(DatasetGroup.group == Group.id))
                .where(DatasetGroup.dataset == dataset))


def _set_tags(dataset, names):
    Tag.delete().where(Tag.dataset == dataset).execute()
    for name in names:
        Tag.create(dataset=dataset, name=name)


def _set_collections(dataset, groups):
    DatasetGroup.delete().where(DatasetGroup.dataset == dataset).execute()
    for group in groups:
        DatasetGroup.create(dataset=dataset, group=group)


def set_in_collection(dataset, collection, member):
    """Add ``dataset`` to ``collection`` (``member=True``) or remove it.

    Permission checks are the caller's (see :mod:`dcorlite.authz`).
    """
    link = (DatasetGroup.dataset == dataset) & (DatasetGroup.group == collection)
    with database.atomic():
        old = sorted(g.name for g in current_collections(dataset))
        if member:
            DatasetGroup.get_or_create(dataset=dataset, group=collection)
        else:
            DatasetGroup.delete().where(link).execute()
        new = sorted(g.name for g in current_collections(dataset))
        if old != new:
            mark_written(dataset)
    if old != new:
        host.notify("dataset_changed", dataset=dataset, changes={"groups": (old, new)})
        host.notify("activity", action="share", dataset_id=dataset.id, resource_id=None,
                    details={"collection": collection.name, "member": bool(member)})


def share(dataset, user, capacity):
    """Share ``dataset`` with ``user`` as collaborator (``member`` or ``editor``)."""
    from .models import Collaborator
    with database.atomic():
        collab, created = Collaborator.get_or_create(
            dataset=dataset, user=user, defaults={"capacity": capacity})
        old = None if created else collab.capacity
        if not created and collab.capacity != capacity:
            collab.capacity, collab.modified = capacity, utcnow()
            collab.save()
        if old != capacity:
            mark_written(dataset)
    if old != capacity:
        host.notify("dataset_changed", dataset=dataset,
                    changes={"collaborators": ((user.id, old), (user.id, capacity))})
        host.notify("activity", action="share", dataset_id=dataset.id, resource_id=None,
                    details={"collaborator": user.name, "capacity": capacity})
    return collab


def unshare(dataset, user):
    """Stop sharing ``dataset`` with ``user``; returns False if it was not shared."""
    from .models import Collaborator
    with database.atomic():
        deleted = Collaborator.delete().where((Collaborator.dataset == dataset)
                                              & (Collaborator.user == user)).execute()
        if deleted:
            mark_written(dataset)
    if deleted:
        host.notify("dataset_changed", dataset=dataset,
                    changes={"collaborators": ((user.id, "shared"), (user.id, None))})
        host.notify("activity", action="share", dataset_id=dataset.id, resource_id=None,
                    details={"collaborator": user.name, "capacity": None})
    return bool(deleted)


def delete_dataset(user, dataset):
    """Mark a draft as deleted (users cannot delete active datasets)."""
    if not user.sysadmin:
        rules.check_can_delete(dataset)
    with database.atomic():
        dataset.state = "deleted"
        dataset.modified = utcnow()
        dataset.save(only=[Dataset.state, Dataset.modified])
        DatasetGroup.delete().where(DatasetGroup.dataset == dataset).execute()
        mark_written(dataset)
    host.notify("dataset_deleted", dataset=dataset, purged=False)
    host.notify("activity", action="delete", dataset_id=dataset.id, resource_id=None,
                details={"actor": user.name})


def purge_dataset(user, dataset, storage):
    """Remove a deleted dataset, its resources and their files for good."""
    if not user.sysadmin:
        rules.check_can_purge(dataset)
    from .storage import RESOURCE_ARTIFACTS, resource_key
    resource_ids = [r.id for r in Resource.select(Resource.id).where(Resource.dataset == dataset)]
    with database.atomic():
        dataset.delete_instance(recursive=True)
        mark_written(dataset)
    for rid in resource_ids:
        for artifact in RESOURCE_ARTIFACTS:
            storage.delete(resource_key(rid, artifact))
    host.notify("dataset_deleted", dataset=dataset, purged=True)
    host.notify("activity", action="purge", dataset_id=dataset.id, resource_id=None,
                details={"resources": resource_ids, "actor": user.name})
