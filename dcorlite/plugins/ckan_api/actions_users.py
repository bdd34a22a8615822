"""User actions: show, list, update, patch, create, delete, autocomplete.

As in CKAN, only sysadmins change ``sysadmin`` and ``state`` (from anyone else
the keys are ignored, so a client may send back what ``user_show`` gave it).
``user_delete`` disables an account (``state`` ``deleted``): it cannot log in,
its API tokens stop working, it leaves ``user_list``; its datasets and
memberships stay, and a sysadmin enables it again with ``user_patch``
``state=active``.
"""
from ... import authz, users, validation
from ...actions import Action
from ...dictization import user_dict
from ...errors import NotAuthorized
from ...models import User
from ...params import MAX_QUERY, boolean, identifier, natural, text
from .params import required

UPDATABLE = ("fullname", "about", "email")


def user_show(context, data):
    """Show a user; without ``id`` the caller. Only yourself unless sysadmin."""
    me = context["user"]
    if me is None:
        raise NotAuthorized()
    target = users.get_user(data["id"], include_deleted=me.sysadmin) if data.get("id") else me
    authz.require_sysadmin_or_self(me, target, f"see user {target.name}")
    return user_dict(target, private=True)


def user_list(context, data):
    """List users (sysadmins only; users have ``user_autocomplete``)."""
    me = context["user"]
    if me is None or not me.sysadmin:
        raise NotAuthorized()
    query = User.select().order_by(User.name)
    if not validation.as_bool(data.get("include_deleted", False), "include_deleted"):
        query = query.where(User.state == "active")
    if data.get("q"):
        q = validation.as_str(data["q"], "q")
        query = query.where(User.name.contains(q) | User.fullname.contains(q))
    if not validation.as_bool(data.get("all_fields", True), "all_fields"):
        return [u.name for u in query]
    return [user_dict(u) for u in query]


def user_autocomplete(context, data):
    """Users whose name or full name contains ``q`` (logged-in callers only)."""
    if context["user"] is None:
        raise NotAuthorized("User None not authorized to search users")
    q = validation.as_str(data.get("q", ""), "q")
    limit = validation.as_natural(data.get("limit"), "limit", default=20, maximum=1000)
    query = User.select().where(User.state == "active")
    if q:
        query = query.where(User.name.contains(q) | User.fullname.contains(q)
                            | User.email.contains(q))
    return [{"id": u.id, "name": u.name, "fullname": u.fullname}
            for u in query.order_by(User.name).limit(limit)]


def user_update(context, data):
    """Update ``fullname``, ``about``, ``email`` (and ``password``) of a user.

    Sysadmins also set ``sysadmin`` and ``state`` (``active`` enables a
    disabled account), except their own demotion or disabling. Read-only keys
    that clients send back from ``user_show`` are ignored.
    """
    me = context["user"]
    if me is None:
        raise NotAuthorized()
    target = users.get_user(required(data, "id", "name"), include_deleted=me.sysadmin)
    authz.require_sysadmin_or_self(me, target, f"edit user {target.name}")
    if me.sysadmin:
        _admin_fields(me, target, data)
    if "fullname" in data:
        target.fullname = validation.as_str(data["fullname"], "fullname", max_length=300)
    if "about" in data:
        target.about = validation.as_str(data["about"], "about", max_length=5000)
    if data.get("email"):
        target.email = users.clean_email(data["email"])
    if data.get("password"):
        users.set_password(target, data["password"])
    target.save()
    return user_dict(target, private=True)


def _admin_fields(me, target, data):
    sysadmin = (validation.as_bool(data["sysadmin"], "sysadmin")
                if data.get("sysadmin") is not None else None)
    state = users.clean_state(data["state"]) if data.get("state") else None
    authz.check_account_change(me, target, sysadmin, state)
    if sysadmin is not None:
        target.sysadmin = sysadmin
    if state is not None:
        target.state = state


def user_patch(context, data):
    """Change only the given keys of a user (the same rules as ``user_update``)."""
    return user_update(context, data)


def user_delete(context, data):
    """Disable a user (sysadmins only, not themselves): ``state`` becomes ``deleted``."""
    me = context["user"]
    authz.require_sysadmin(me, "delete users")
    target = users.get_user(required(data, "id"))
    authz.check_account_change(me, target, state="deleted")
    target.state = "deleted"
    target.save()
    return None


def user_create(context, data):
    """Create a user (sysadmins only: users do not register themselves)."""
    me = context["user"]
    if me is None or not me.sysadmin:
        raise NotAuthorized(f"User {me.name if me else None} not authorized to create users")
    user = users.create_user(
        required(data, "name"), required(data, "email"), data.get("password"),
        sysadmin=validation.as_bool(data.get("sysadmin", False), "sysadmin"),
        fullname=data.get("fullname", ""), about=data.get("about", ""))
    return user_dict(user, private=True)


_ACCOUNT = {"fullname": text(max_length=300), "about": text(max_length=5000),
            "email": text(max_length=300), "password": text(max_length=1000)}

_UPDATE = {"id": identifier("user id or name"), "name": text(max_length=200), **_ACCOUNT,
           "sysadmin": boolean("sysadmin rights (sysadmins only)"),
           "state": text("active or deleted (sysadmins only)", 20)}

ACTIONS = [
    Action("user_show", user_show, get=True, params={"id": identifier("user id or name")}),
    Action("user_list", user_list, get=True,
           params={"q": text("part of the name", MAX_QUERY), "all_fields": boolean(),
                   "include_deleted": boolean("also disabled accounts")}),
    Action("user_autocomplete", user_autocomplete, get=True,
           params={"q": text("part of the name or e-mail", MAX_QUERY),
                   "limit": natural("at most this many users")}),
    Action("user_update", user_update, params=_UPDATE),
    Action("user_patch", user_patch, params=_UPDATE),
    Action("user_delete", user_delete,
           params={"id": identifier("user id or name", required=True)}),
    Action("user_create", user_create,
           params={"name": text(max_length=100, required=True), "sysadmin": boolean(),
                   "with_apitoken": boolean(), **_ACCOUNT}),
]
