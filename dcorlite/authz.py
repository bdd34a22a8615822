"""Who may read and change what. The only permission code in dcorlite.

Rules (DCOR semantics on top of CKAN's roles):

* sysadmins may do everything;
* circle roles: ``member`` reads private datasets of the circle, ``editor``
  and ``admin`` also create and edit them, ``admin`` manages members;
* collection roles: any member reads the private datasets in the collection,
  ``editor``/``admin`` add and remove datasets, ``admin`` manages members;
* dataset collaborators read the dataset; ``editor`` collaborators edit it;
* drafts and deleted datasets are visible only to those who may edit them
  (and to their creator).

Objects the caller may not read are reported as missing (404); objects they
may read but not change give 403.
"""
from . import changes
from .errors import NotAuthorized, NotFound
from .models import Collaborator, Dataset, DatasetGroup, Group, Membership, Resource
from .prepared import Prepared

WRITE_ROLES = ("admin", "editor")
ROLES = ("admin", "editor", "member")


_MEMBERSHIP = Prepared(lambda group_id, user_id: Membership.select().where(
    (Membership.group == group_id) & (Membership.user == user_id)))
_COLLABORATOR = Prepared(lambda dataset_id, user_id: Collaborator.select().where(
    (Collaborator.dataset == dataset_id) & (Collaborator.user == user_id)))

#: ``("role"|"capacity", object id, user id)`` → role, or ``""`` for none; see dcorlite.changes
_ROLES = changes.CounterCache(changes.ACCESS, maxsize=65536)


def _cached_role(column, object_id, user_id, query):
    def load():
        row = query.first(object_id, user_id)
        return getattr(row, column) if row else ""
    return _ROLES.get((column, object_id, user_id), load) or None


def role_in(user, group):
    """Return the role of ``user`` in ``group`` (``"admin"`` for sysadmins) or None."""
    if user is None:
        return None
    if user.sysadmin:
        return "admin"
    group_id = group if isinstance(group, str) else group.id
    return _cached_role("role", group_id, user.id, _MEMBERSHIP)


def _collaboration(user, dataset):
    if user is None:
        return None
    dataset_id = dataset if isinstance(dataset, str) else dataset.id
    return _cached_role("capacity", dataset_id, user.id, _COLLABORATOR)


def can_edit_dataset(user, dataset):
    """May ``user`` change ``dataset`` (metadata, resources, state)?"""
    if user is None:
        return False
    if user.sysadmin or role_in(user, dataset.owner_org_id) in WRITE_ROLES:
        return True
    return _collaboration(user, dataset) == "editor"


def can_read_dataset(user, dataset):
    """May ``user`` see ``dataset`` at all?"""
    if user is not None and user.sysadmin:
        return True
    if dataset.state == "active" and not dataset.private:
        return True
    if user is None:
        return False
    if dataset.state != "active":
        return dataset.creator_id == user.id or can_edit_dataset(user, dataset)
    if role_in(user, dataset.owner_org_id) is not None:
        return True
    if _collaboration(user, dataset) is not None:
        return True
    in_my_collections = (DatasetGroup.select()
                         .join(Membership, on=(Membership.group == DatasetGroup.group))
                         .where((DatasetGroup.dataset == dataset)
                                & (Membership.user == user)))
    return in_my_collections.exists()


def visible_datasets_condition(user, include_private, include_drafts):
    """Return a peewee condition on :class:`Dataset` selecting what ``user`` may list.

    The same rules as :func:`can_read_dataset`, expressed for a query, so that
    search results and counts never include datasets the user may not read.
    """
    states = ["active"] + (["draft"] if include_drafts else [])
    cond = Dataset.state.in_(states)
    if user is not None and user.sysadmin:
        return cond if include_private else cond & (Dataset.private == False)  # noqa: E712
    public = (Dataset.state == "active") & (Dataset.private == False)  # noqa: E712
    if user is None:
        return public
    my_circles = Membership.select(Membership.group).where(Membership.user == user)
    my_write_circles = my_circles.where(Membership.role.in_(WRITE_ROLES))
    collab = Collaborator.select(Collaborator.dataset).where(Collaborator.user == user)
    collab_edit = collab.where(Collaborator.capacity == "editor")
    in_collections = (DatasetGroup.select(DatasetGroup.dataset)
                      .where(DatasetGroup.group.in_(my_circles)))
    readable_active = (Dataset.owner_org.in_(my_circles) | Dataset.id.in_(collab)
                       | Dataset.id.in_(in_collections))
    editable = (Dataset.owner_org.in_(my_write_circles) | Dataset.id.in_(collab_edit)
                | (Dataset.creator == user))
    visible = public
    if include_private:
        visible |= (Dataset.state == "active") & readable_active
    if include_drafts:
        draft = (Dataset.state == "draft") & editable
        visible |= draft if include_private else draft & (Dataset.private == False)  # noqa: E712
    return cond & visible


def get_dataset(id_or_name, user, need="read"):
    """Return the dataset with id or name ``id_or_name`` if ``user`` may ``need`` it.

    :param need: ``"read"`` or ``"edit"``
    :raises NotFound: if it does not exist (or has been purged)
    :raises NotAuthorized: if the user may not read it (API semantics:
        CKAN answers 403 for a private dataset) or may read but not edit it
    """
    dataset = Dataset.by_id_or_name(id_or_name)
    if dataset is None:
        raise NotFound()
    if not can_read_dataset(user, dataset):
        raise NotAuthorized(f"User {user.name if user else ''} not authorized "
                            f"to read package {dataset.id}")
    if need == "edit" and not can_edit_dataset(user, dataset):
        raise NotAuthorized(f"User {user.name if user else ''} not authorized "
                            f"to edit package {dataset.id}")
    return dataset


def get_dataset_or_404(id_or_name, user):
    """Like :func:`get_dataset` with ``need="read"``, but hide existence (404).

    Used by the download routes, where a 403 would reveal that a private
    dataset exists.

    :raises NotFound: if it does not exist or the user may not read it
    """
    try:
        return get_dataset(id_or_name, user)
    except NotAuthorized:
        raise NotFound() from None


def get_dataset_resource_or_404(dataset_id, resource_id, user):
    """The resource ``resource_id`` of dataset ``dataset_id`` (id or name) if readable.

    Used by the file routes (downloads, condensed copy, preview).

    :raises NotFound: unknown, not in that dataset, or not readable by ``user``
    """
    dataset = get_dataset_or_404(dataset_id, user)
    resource = Resource.by_id(resource_id)
    if resource is None or resource.dataset_id != dataset.id:
        raise NotFound("Resource was not found.")
    return resource


def get_resource(resource_id, user):
    """Return the resource with ``resource_id`` if ``user`` may read its dataset.

    :raises NotFound: unknown resource
    :raises NotAuthorized: the user may not read the dataset
    """
    resource = Resource.by_id(resource_id)
    if resource is None:
        raise NotFound("Resource was not found.")
    get_dataset(resource.dataset_id, user)
    return resource


def get_group(id_or_name, is_organization):
    """Return the active circle or collection with this id or name.

    :raises NotFound: if there is none of that kind
    """
    group = Group.get_or_none(((Group.id == id_or_name) | (Group.name == id_or_name))
                              & (Group.is_organization == is_organization)
                              & (Group.state == "active"))
    if group is None:
        raise NotFound("Group was not found." if not is_organization
                       else "Organization was not found.")
    return group


def require_login(user, what):
    """:raises NotAuthorized: if ``user`` is anonymous."""
    if user is None:
        raise NotAuthorized(f"User None not authorized to {what}")


def require_role(user, group, roles, what):
    """:raises NotAuthorized: unless ``user`` has one of ``roles`` in ``group``."""
    if role_in(user, group) not in roles:
        raise NotAuthorized(f"User {user.name if user else None} not authorized to {what}")


def require_sysadmin(user, what):
    """:raises NotAuthorized: unless ``user`` is a sysadmin."""
    if user is None or not user.sysadmin:
        raise NotAuthorized(f"User {user.name if user else None} not authorized to {what}")


def require_sysadmin_or_self(user, target, what):
    """:raises NotAuthorized: unless ``user`` is ``target`` or a sysadmin."""
    if user is None or not (user.sysadmin or user.id == target.id):
        raise NotAuthorized(f"User {user.name if user else None} not authorized to {what}")


def check_account_change(user, target, sysadmin=None, state=None):
    """May sysadmin ``user`` set ``target``'s sysadmin flag and state to these values?

    A sysadmin cannot take their own sysadmin rights away or disable their own
    account: the site could be left without one, and the mistake could not be
    undone from the web.

    :raises NotAuthorized: ``user`` is not a sysadmin, or ``target`` is ``user``
        and the change would demote or disable them
    """
    require_sysadmin(user, f"change the account of {target.name}")
    if target.id == user.id and (sysadmin is False or state not in (None, "active")):
        raise NotAuthorized("You cannot remove your own sysadmin rights or disable your "
                            "own account; ask another sysadmin")


def can_manage_collaborators(user, dataset):
    """May ``user`` share ``dataset`` with other users? (its editors may)"""
    return can_edit_dataset(user, dataset)


def circles_for_user(user, permission):
    """Circles where ``user`` has ``permission`` (``read``, ``create_dataset``, ``manage_group``)."""
    query = Group.select().where((Group.is_organization == True)  # noqa: E712
                                 & (Group.state == "active"))
    if user is None:
        return []
    if user.sysadmin:
        return list(query.order_by(Group.title, Group.name))
    roles = {"read": ROLES, "create_dataset": WRITE_ROLES,
             "update_dataset": WRITE_ROLES, "manage_group": ("admin",),
             "admin": ("admin",), "membership": ("admin",)}.get(permission, ("admin",))
    query = (query.join(Membership, on=(Membership.group == Group.id))
             .where((Membership.user == user) & Membership.role.in_(roles)))
    return list(query.order_by(Group.title, Group.name))


def collections_user_can_add_to(user):
    """Collections where ``user`` may add datasets (editor/admin; all for sysadmins)."""
    query = Group.select().where((Group.is_organization == False)  # noqa: E712
                                 & (Group.state == "active"))
    if user is None:
        return []
    if not user.sysadmin:
        query = (query.join(Membership, on=(Membership.group == Group.id))
                 .where((Membership.user == user) & Membership.role.in_(WRITE_ROLES)))
    return list(query.order_by(Group.title, Group.name))

