"""Helpers shared by the page views: reading through actions, error texts, login."""
from flask import abort, redirect, request, url_for

from ....actions import call_action
from ....app import current_user
from ....errors import DcorliteError, NotAuthorized, NotFound


def error_text(exc):
    """A one-line text of a :class:`DcorliteError` (ValidationError's dict included)."""
    message = getattr(exc, "message", "") or str(exc)
    if isinstance(message, dict):
        return "; ".join(f"{key}: {' '.join(map(str, value)) if isinstance(value, list) else value}"
                         for key, value in message.items())
    return str(message)


def read(action, data):
    """Call a reading action as the current user; unknown *or unreadable* is a 404 page.

    A private dataset is not revealed by a 403, as with the download routes.
    """
    try:
        return call_action(action, current_user(), data)
    except (NotFound, NotAuthorized):
        abort(404)


def require_user():
    """The logged-in user; anonymous visitors are sent to the login page."""
    user = current_user()
    if user is None:
        abort(redirect(url_for("web.account.login", next=request.full_path.rstrip("?"))))
    return user


__all__ = ["DcorliteError", "error_text", "read", "require_user"]
