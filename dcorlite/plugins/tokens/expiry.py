"""Token expiry (table ``api_token_expiry``, owned by this plugin)."""
import datetime
import os
import re

import peewee as pw

from ...models import ApiToken, BaseModel

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


class ApiTokenExpiry(BaseModel):
    """The moment a token stops working; a token without a row never expires."""

    token = pw.ForeignKeyField(ApiToken, primary_key=True, backref="expiry_rows",
                               on_delete="CASCADE")
    expires_at = pw.DateTimeField()

    class Meta:
        table_name = "api_token_expiry"


def parse_lifetime(text):
    """``"90d"``, ``"12h"``, ``"4w"`` → :class:`datetime.timedelta`; ``"never"`` → None.

    :raises ValueError: for anything else
    """
    text = str(text).strip().lower()
    if text == "never":
        return None
    match = re.fullmatch(r"([1-9][0-9]{0,5})([hdw])", text)
    if match is None:
        raise ValueError(f"not a lifetime: {text!r} (e.g. 90d, 12h, 4w or never)")
    return datetime.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
