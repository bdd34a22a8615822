"""The action registry shared by the CKAN API and the web UI.

Every ``/api/3/action/<name>`` call and every web form that changes data goes
through :func:`call_action`, so both run the same checks.
"""
import dataclasses
from typing import Callable

from flask import current_app

from .errors import NotFound


@dataclasses.dataclass
class Action:
    """One CKAN-style action.

    :param name: the action name, e.g. ``"package_show"``
    :param func: ``func(context, data_dict)``; ``context`` has ``user`` (a
        :class:`dcorlite.models.User` or None) and ``app``
    :param get: side-effect free, so it may be called with GET
    """

    name: str
    func: Callable
    get: bool = False


def registry(app=None):
    """Return the ``{name: Action}`` mapping of the app."""
    app = app or current_app
    return app.extensions["dcorlite"]["actions"]


def get_action(name, app=None):
    """Return the action called ``name``.

    :raises NotFound: if no plugin provides it
    """
    try:
        return registry(app)[name]
    except KeyError:
        raise NotFound(f"Action name not known: {name}") from None


def call_action(name, user, data_dict, app=None, **context):
    """Run action ``name`` as ``user`` with ``data_dict`` and return its result."""
    app = app or current_app
    ctx = {"user": user, "app": app, **context}
    return get_action(name, app).func(ctx, data_dict)
