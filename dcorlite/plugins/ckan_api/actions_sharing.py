"""Dataset collaborators: sharing one dataset with individual users."""
from ... import authz, datasets, users, validation
from ...actions import Action
from ...dictization import isoformat
from ...errors import NotAuthorized, NotFound
from ...models import Collaborator
from ...params import identifier, text
from .params import required

CAPACITIES = ("editor", "member")


def _collab_dict(c):
    return {"package_id": c.dataset_id, "user_id": c.user_id, "capacity": c.capacity,
            "modified": isoformat(c.modified)}


def _managed_dataset(context, data):
    user = context["user"]
    authz.require_login(user, "manage collaborators")
    dataset = authz.get_dataset(required(data, "id"), user)
    if not authz.can_manage_collaborators(user, dataset):
        raise NotAuthorized(f"User {user.name} not authorized to manage collaborators "
                            f"of {dataset.id}")
    return dataset


def package_collaborator_list(context, data):
    """Users a dataset is shared with."""
    dataset = _managed_dataset(context, data)
    query = Collaborator.select().where(Collaborator.dataset == dataset)
    if data.get("capacity"):
        query = query.where(Collaborator.capacity == data["capacity"])
    return [_collab_dict(c) for c in query]


def package_collaborator_create(context, data):
    """Share a dataset with a user as ``member`` (read) or ``editor``."""
    dataset = _managed_dataset(context, data)
    target = users.get_user(required(data, "user_id"))
    capacity = validation.capacity(data.get("capacity") or "member", CAPACITIES)
    return _collab_dict(datasets.share(dataset, target, capacity))


def package_collaborator_delete(context, data):
    """Stop sharing a dataset with a user."""
    dataset = _managed_dataset(context, data)
    target = users.get_user(required(data, "user_id"))
    if not datasets.unshare(dataset, target):
        raise NotFound(f"User {target.name} is not a collaborator on this dataset.")


def package_collaborator_list_for_user(context, data):
    """Datasets shared with a user (yourself unless sysadmin)."""
    me = context["user"]
    authz.require_login(me, "list collaborations")
    target = users.get_user(data["id"]) if data.get("id") else me
    authz.require_sysadmin_or_self(me, target, "list collaborations of other users")
    query = Collaborator.select().where(Collaborator.user == target)
    return [{"package_id": c.dataset_id, "capacity": c.capacity,
             "modified": isoformat(c.modified)} for c in query]


_DATASET = identifier("dataset id or name", required=True)
_USER = identifier("user id or name", required=True)
_CAPACITY = text("member or editor", 20)

ACTIONS = [
    Action("package_collaborator_list", package_collaborator_list, get=True,
           params={"id": _DATASET, "capacity": _CAPACITY}),
    Action("package_collaborator_create", package_collaborator_create,
           params={"id": _DATASET, "user_id": _USER, "capacity": _CAPACITY}),
    Action("package_collaborator_delete", package_collaborator_delete,
           params={"id": _DATASET, "user_id": _USER}),
    Action("package_collaborator_list_for_user", package_collaborator_list_for_user,
           get=True, params={"id": identifier("user id or name"), "capacity": _CAPACITY}),
]
