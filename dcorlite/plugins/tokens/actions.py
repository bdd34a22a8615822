"""``api_token_create``, ``api_token_list``, ``api_token_revoke``, ``dcor_access_create``."""
from flask import current_app

from ... import users, validation
from ...actions import Action
from ...authz import require_sysadmin, require_sysadmin_or_self
from ...errors import NotAuthorized, ValidationError
from ...models import ApiToken
from ...params import identifier, text
from . import access_file, expiry, logic


def _required(data, key, *aliases):
    for k in (key,) + aliases:
        if data.get(k):
            return data[k]
    raise ValidationError({key: ["Missing value"]})


def api_token_create(context, data):
    """Create a named token for ``user`` (yourself unless sysadmin)."""
    user_key = _required(data, "user")
    name = _required(data, "name")
    target = users.get_user(user_key)
    require_sysadmin_or_self(context["user"], target, "create API tokens")
    return {"token": logic.create_token(target, name)}


def api_token_list(context, data):
    """The tokens of ``user_id`` (yourself unless sysadmin), without secrets."""
    target = users.get_user(_required(data, "user_id", "user"))
    require_sysadmin_or_self(context["user"], target, "list API tokens")
    query = ApiToken.select().where(ApiToken.user == target).order_by(ApiToken.created_at)
    return [logic.token_dict(t) for t in query]


def api_token_revoke(context, data):
    """Revoke a token given as ``token`` (its text) or ``jti`` (its id)."""
    me = context["user"]
    if me is None:
        raise NotAuthorized()
    if data.get("jti"):
        token = ApiToken.get_or_none(ApiToken.id == data["jti"])
    elif data.get("token"):
        token = logic.find_token(data["token"])
    else:
        raise ValidationError({"token": ["Missing value"]})
    if token is None:
        if me.sysadmin:
            return None
        raise NotAuthorized()
    if token.user_id != me.id and not me.sysadmin:
        raise NotAuthorized()
    logic.revoke(token.id)
    return None


def dcor_access_create(context, data):
    """A new token of ``user`` in a ``.dcor-access`` file (sysadmins only).

    The file (base64 in ``content``) holds the token and the server's
    certificate, encrypted with ``password``; without one, a strong password
    is generated and returned once in ``password``.
    """
    require_sysadmin(context["user"], "issue access tokens")
    target = users.get_user(_required(data, "user"))
    try:
        lifetime = expiry.parse_lifetime(data.get("expires") or "90d")
    except ValueError as exc:
        raise ValidationError({"expires": [str(exc)]}) from None
    password = data.get("password")
    issued = access_file.issue(current_app._get_current_object(), target, lifetime,
                               password if password else None,
                               data.get("name") or "dcor-access")
    return access_file.as_result(issued)


ACTIONS = [
    Action("api_token_create", api_token_create,
           params={"user": identifier("user id or name", required=True),
                   "name": text("label of the token", validation.TOKEN_NAME_MAX,
                                required=True)}),
    Action("api_token_list", api_token_list, get=True,
           params={"user_id": identifier("user id or name"), "user": text(max_length=200)}),
    Action("api_token_revoke", api_token_revoke,
           params={"token": text("the token's text", 1000), "jti": identifier("the token's id")}),
    Action("dcor_access_create", dcor_access_create,
           params={"user": identifier("user id or name", required=True),
                   "password": text("password of the file (default: generated)", 200),
                   "expires": text("lifetime of the token: 90d, 12h, 4w or never", 20),
                   "name": text("label of the token", validation.TOKEN_NAME_MAX)}),
]
