"""Jinja filters and globals the templates use (registered once on the app)."""
import datetime

from flask import current_app, g

from . import assets, rendering

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def filesize(value):
    """``1234567`` → ``"1.2 MB"`` (decimal units, as file managers show them)."""
    if value is None:
        return "–"
    size = float(value)
    for unit in _UNITS:
        if size < 1000 or unit == _UNITS[-1]:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000


def date(value, with_time=False):
    """ISO text or datetime → ``2026-12-01`` (or ``2026-12-01 13:45 UTC``)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC" if with_time else "%Y-%m-%d")


def _context():
    return {"current_user": g.get("user"), "site_title": current_app.config["SITE_TITLE"]}


def register(app):
    """Add the filters, ``asset_url`` and the user/site context to ``app``'s templates."""
    app.jinja_env.filters.update(filesize=filesize, date=date, markdown=rendering.markdown)
    app.jinja_env.globals.update(asset_url=assets.asset_url)
    app.context_processor(_context)
