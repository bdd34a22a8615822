"""Circle (organization) and collection (group) actions."""
from ... import authz, datasets, groups, users, validation
from ...actions import Action
from ...authz import get_group, require_login, require_role, role_in
from ...dictization import group_dict, member_users
from ...errors import NotAuthorized, NotFound, ValidationError
from ...models import Dataset, DatasetGroup, Group, Membership
from ...params import MAX_QUERY, boolean, identifier, natural, text
from .params import flag, required


def _package_count(group, user):
    if group.is_organization:
        query = Dataset.select().where(Dataset.owner_org == group)
    else:
        query = (Dataset.select().join(DatasetGroup, on=(DatasetGroup.dataset == Dataset.id))
                 .where(DatasetGroup.group == group))
    cond = authz.visible_datasets_condition(user, include_private=True, include_drafts=False)
    return query.where(cond).count()


def _show(is_organization):
    def show(context, data):
        """Show a circle/collection; ``include_users`` needs membership."""
        group = get_group(required(data, "id", "name"), is_organization)
        user = context["user"]
        result = group_dict(group, package_count=_package_count(group, user),
                            num_followers=0, extras=[], tags=[], groups=[])
        if flag(data, "include_users"):
            if role_in(user, group) is None:
                raise NotAuthorized(f"User {user.name if user else None} not authorized "
                                    f"to read the members of {group.name}")
            result["users"] = member_users(group)
        return result
    return show


def _list(is_organization):
    def list_groups(context, data):
        """List all circles/collections (names, or dicts with ``all_fields``)."""
        query = Group.select().where((Group.is_organization == is_organization)
                                     & (Group.state == "active"))
        sort = validation.as_str(data.get("sort", "title"), "sort") or "title"
        field, _, direction = sort.partition(" ")
        if field not in ("name", "title") or direction not in ("", "asc", "desc"):
            raise ValidationError({"sort": [f"Cannot sort by field '{sort}'"]})
        order = getattr(Group, field)
        query = query.order_by(order.desc() if direction == "desc" else order, Group.name)
        if data.get("q"):
            q = validation.as_str(data["q"], "q")
            query = query.where(Group.name.contains(q) | Group.title.contains(q))
        limit = validation.as_natural(data.get("limit"), "limit")
        offset = validation.as_natural(data.get("offset"), "offset", default=0)
        if limit is not None:
            query = query.limit(limit)
        query = query.offset(offset)
        if not flag(data, "all_fields"):
            return [g.name for g in query]
        user = context["user"]
        return [group_dict(g, package_count=_package_count(g, user), num_followers=0)
                for g in query]
    return list_groups


def _create(is_organization):
    def create(context, data):
        """Create a circle/collection; the caller becomes its admin."""
        user = context["user"]
        kind = "organizations" if is_organization else "groups"
        require_login(user, f"create {kind}")
        group = groups.create_group(required(data, "name"), is_organization, creator=user,
                                    title=data.get("title", ""),
                                    description=data.get("description", ""))
        return group_dict(group, package_count=0, users=member_users(group))
    return create


def organization_list_for_user(context, data):
    """Circles where the caller (or ``id``) has ``permission`` (default ``manage_group``)."""
    user = context["user"]
    if data.get("id"):
        target = users.get_user(data["id"])
        authz.require_sysadmin_or_self(user, target, "list circles of other users")
        user = target
    permission = validation.as_str(data.get("permission", "manage_group"), "permission")
    result = []
    for circle in authz.circles_for_user(user, permission):
        result.append(group_dict(circle, capacity=role_in(user, circle)))
    return result


def group_list_authz(context, data):
    """Collections the caller may add datasets to."""
    return [group_dict(g) for g in authz.collections_user_can_add_to(context["user"])]


def _member_create_or_delete(delete):
    def member_action(context, data):
        """Add (or remove) a dataset to (from) a collection."""
        user = context["user"]
        object_type = required(data, "object_type")
        group_key = required(data, "id")
        object_key = required(data, "object")
        if not delete:
            required(data, "capacity")
        group = Group.get_or_none(((Group.id == group_key) | (Group.name == group_key))
                                  & (Group.state == "active"))
        if group is None:
            raise NotFound("Group was not found.")
        if object_type == "package":
            if group.is_organization:
                raise ValidationError({"object_type": [
                    "Datasets belong to one circle; use collections to group them"]})
            dataset = authz.get_dataset(object_key, user)
            require_role(user, group, authz.WRITE_ROLES, f"edit group {group.name}")
            datasets.set_in_collection(dataset, group, member=not delete)
            if delete:
                return None
            return {"id": f"{group.id}:{dataset.id}", "table_name": "package",
                    "table_id": dataset.id, "capacity": data["capacity"],
                    "group_id": group.id, "state": "active"}
        if object_type == "user":
            target = users.get_user(object_key)
            return _set_membership(user, group, target, None if delete else data["capacity"])
        raise ValidationError({"object_type": [f"Unsupported object_type '{object_type}'"]})
    return member_action


def _set_membership(user, group, target, role):
    require_role(user, group, ("admin",), f"manage members of {group.name}")
    if role is None:
        groups.remove_member(group, target)
        return None
    if target.id == getattr(user, "id", None) and role != "admin" and not user.sysadmin:
        raise NotAuthorized("Administrators cannot revoke their own admin status")
    membership = groups.set_member(group, target, role)
    return {"id": str(membership.id), "table_name": "user", "table_id": target.id,
            "capacity": membership.role, "group_id": group.id, "state": "active"}


def _group_member(is_organization, delete):
    def group_member(context, data):
        """Give a user a role in a circle/collection (or remove them)."""
        group = get_group(required(data, "id"), is_organization)
        target = users.get_user(required(data, "username", "user_id"))
        role = None if delete else (data.get("role") or "member")
        return _set_membership(context["user"], group, target, role)
    return group_member


def member_list(context, data):
    """Members of a circle/collection as ``[id, type, capacity]`` triples."""
    key = required(data, "id")
    group = Group.get_or_none((Group.id == key) | (Group.name == key))
    if group is None:
        raise NotFound("Group was not found.")
    if role_in(context["user"], group) is None:
        raise NotAuthorized()
    return [[m.user_id, "user", m.role]
            for m in Membership.select().where(Membership.group == group)]


_ID = identifier("id or name")
_SHOW = {"id": _ID, "name": _ID, "include_users": boolean("list the members"),
         "include_datasets": boolean()}
_LIST = {"q": text("part of the name or title", MAX_QUERY),
         "sort": text("name or title, asc or desc", 100),
         "limit": natural(), "offset": natural(), "all_fields": boolean("dicts, not names")}
_CREATE = {"name": text(max_length=100, required=True), "title": text(max_length=500),
           "description": text(max_length=10000)}
_MEMBER = {"id": identifier("collection id or name", required=True),
           "object": identifier("dataset or user id or name", required=True),
           "object_type": text("package or user", 20, required=True),
           "capacity": text("role", 20)}
_GROUP_MEMBER = {"id": identifier("id or name", required=True),
                 "username": identifier("user id or name"), "user_id": _ID,
                 "role": text("admin, editor or member", 20)}

ACTIONS = [
    Action("organization_show", _show(True), get=True, params=_SHOW),
    Action("group_show", _show(False), get=True, params=_SHOW),
    Action("organization_list", _list(True), get=True, params=_LIST),
    Action("group_list", _list(False), get=True, params=_LIST),
    Action("organization_create", _create(True), params=_CREATE),
    Action("group_create", _create(False), params=_CREATE),
    Action("organization_list_for_user", organization_list_for_user, get=True,
           params={"id": _ID, "permission": text("e.g. create_dataset", 100)}),
    Action("group_list_authz", group_list_authz, get=True),
    Action("member_create", _member_create_or_delete(False), params=_MEMBER),
    Action("member_delete", _member_create_or_delete(True), params=_MEMBER),
    Action("member_list", member_list, get=True,
           params={"id": identifier("id or name", required=True),
                   "object_type": text(max_length=20), "capacity": text(max_length=20)}),
    Action("organization_member_create", _group_member(True, False), params=_GROUP_MEMBER),
    Action("organization_member_delete", _group_member(True, True), params=_GROUP_MEMBER),
    Action("group_member_create", _group_member(False, False), params=_GROUP_MEMBER),
    Action("group_member_delete", _group_member(False, True), params=_GROUP_MEMBER),
]
