"""API tokens: ``<id>.<secret>``, only a SHA-256 digest of the secret is stored.

Tokens consist of ``[0-9A-Za-z._-]`` and are 60 characters long, so DCOR-Aid
treats them as revocable tokens (not as 36-character legacy keys).
"""
import hashlib
import hmac
import secrets

import peewee as pw

from ...models import ApiToken, User, utcnow
from ...prepared import Prepared
from ... import changes, validation
from .expiry import ApiTokenExpiry


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def _token_id():
    """A random token id that starts with a letter or digit.

    A token starting with ``-`` would be read as an option by command line
    tools such as ``dcoraid-upload-task SERVER TOKEN``.
    """
    while True:
        token_id = secrets.token_urlsafe(12)
        if token_id[0].isalnum():
            return token_id


def create_token(user, name, lifetime=None):
    """Create a token for ``user`` labelled ``name`` and return its text (shown once).

    :param lifetime: a :class:`datetime.timedelta` after which the token stops
        working, or None (it works until it is revoked)
    """
    name = validation.as_str(name, "name", max_length=validation.TOKEN_NAME_MAX)
    if not name:
        raise validation.missing("name")
    token_id = _token_id()
    secret = secrets.token_urlsafe(32)
    with ApiToken._meta.database.atomic():
        token = ApiToken.create(id=token_id, user=user, name=name, secret_hash=_digest(secret))
        if lifetime is not None:
            ApiTokenExpiry.create(token=token, expires_at=utcnow() + lifetime)
    return f"{token_id}.{secret}"


_TOKEN_WITH_USER = Prepared(lambda token_id: ApiToken.select(
    ApiToken, User, ApiTokenExpiry.expires_at).join(User).switch(ApiToken)
    .join(ApiTokenExpiry, pw.JOIN.LEFT_OUTER).where(ApiToken.id == token_id))


def expires_at(token):
    """When ``token`` (as found by :func:`find_token`) stops working, or None."""
    # the joined row of the LEFT OUTER JOIN; its expires_at is None for no row
    joined = getattr(token, "apitokenexpiry", None)
    return joined.expires_at if joined is not None else None


def find_token(text):
    """Return the :class:`ApiToken` for token ``text``, or None if unknown/revoked."""
    if not isinstance(text, str) or text.count(".") != 1:
        return None
    token_id, secret = text.strip().split(".")
    token = _TOKEN_WITH_USER.first(token_id)
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(secret)):
        return None
    deadline = expires_at(token)
    if deadline is not None and deadline <= utcnow():
        return None
    return token


#: the token digest → user entries of recent requests, current while no access change happened
_ENTRIES = changes.CounterCache(changes.ACCESS, maxsize=4096)


class _Entry:
    """What a request needs of a valid token: its user's row, expiry and last access."""

    __slots__ = ("token_id", "user_data", "expires_at", "last_access")

    def __init__(self, token):
        self.token_id = token.id
        self.user_data = dict(token.user.__data__)
        self.expires_at = expires_at(token)
        self.last_access = token.last_access

    def user(self):
        """A fresh :class:`User` of the row (requests may change theirs)."""
        return User.from_row_values(self.user_data)


def user_for_token(text):
    """Return the active user owning token ``text`` (and note the access), or None."""
    if not isinstance(text, str):  # find_token checks the rest of the form
        return None
    entry = _ENTRIES.get(_digest(text.strip()), lambda: _load_entry(text))
    if entry is None or entry.user_data["state"] != "active":
        return None
    now = utcnow()
    if entry.expires_at is not None and entry.expires_at <= now:
        return None
    # Write at most once a minute per token; every request would otherwise write.
    if entry.last_access is None or (now - entry.last_access).total_seconds() > 60:
        entry.last_access = now
        ApiToken.update(last_access=now).where(ApiToken.id == entry.token_id).execute()
    return entry.user()


def _load_entry(text):
    token = find_token(text)
    return _Entry(token) if token is not None else None


def token_dict(token):
    """The ``api_token_list`` entry of ``token`` (never the secret)."""
    return {"id": token.id, "name": token.name, "user_id": token.user_id,
            "created_at": token.created_at.isoformat(),
            "last_access": token.last_access.isoformat() if token.last_access else None}


def revoke(token_id):
    """Delete the token with this id; return True if there was one."""
    return ApiToken.delete().where(ApiToken.id == token_id).execute() > 0
