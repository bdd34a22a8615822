"""Jinja filters and globals the templates use (registered once on the app)."""
import datetime

from flask import current_app, g
from flask_babel import format_date, format_decimal, format_time, get_locale, lazy_gettext as _l

from . import assets, rendering

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")

#: roles in circles, collections and shared datasets, as the pages name them
ROLE_NAMES = {"member": _l("member"), "editor": _l("editor"),
              "admin": _l("admin")}


def filesize(value):
    """``1234567`` → ``"1.2 MB"`` (decimal units, as file managers show them; ``1,2 MB`` in German)."""
    if value is None:
        return "–"
    size = float(value)
    for unit in _UNITS:
        if size < 1000 or unit == _UNITS[-1]:
            pattern = "0" if unit == "B" else "0.0"
            return f"{format_decimal(round(size, 1), format=pattern)} {unit}"
        size /= 1000


def number(value):
    """``12345`` → ``"12,345"`` (``"12.345"`` in German)."""
    return format_decimal(value or 0)


def date(value, with_time=False):
    """ISO text or datetime (UTC) → the date in the page's language, with the time on request.

    ``2 Dec 2026`` → English ``Dec 2, 2026`` / German ``02.12.2026``; with the time
    ``Dec 2, 2026 1:45 PM UTC`` / ``02.12.2026 13:45 UTC``.
    """
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    text = format_date(value, "medium")
    if with_time:
        text += " " + format_time(value, "short") + " UTC"
    return text


def _context():
    return {"current_user": g.get("user"), "site_title": current_app.config["SITE_TITLE"],
            "current_locale": str(get_locale() or "en").replace("_", "-"),
            "role_names": ROLE_NAMES}


def register(app):
    """Add the filters, ``asset_url`` and the user/site context to ``app``'s templates."""
    app.jinja_env.filters.update(filesize=filesize, date=date, number=number,
                                 markdown=rendering.markdown)
    app.jinja_env.globals.update(asset_url=assets.asset_url)
    app.context_processor(_context)
