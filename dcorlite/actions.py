"""The action registry shared by the CKAN API and the web UI.

Every ``/api/3/action/<name>`` call and every web form that changes data goes
through :func:`call_action`, so both run the same checks.
"""
import dataclasses
from typing import Callable

from flask import current_app

from .errors import NotFound
from .params import check_params


@dataclasses.dataclass
class Action:
    """One CKAN-style action.

    :param name: the action name, e.g. ``"package_show"``
    :param func: ``func(context, data_dict)``; ``context`` has ``user`` (a
        :class:`dcorlite.models.User` or None) and ``app``
    :param get: side-effect free, so it may be called with GET
    :param params: ``{name: dcorlite.params.Param}``: the parameters it reads;
        their kinds are checked before ``func`` runs, and they describe the
        action in ``/api/3/openapi.json``
    :param open_params: it also takes parameters it does not declare
        (``package_revise``'s ``update__…`` keys, ``sp:`` keys)
    """

    name: str
    func: Callable
    get: bool = False
    params: dict = dataclasses.field(default_factory=dict)
    open_params: bool = False


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
    """Run action ``name`` as ``user`` with ``data_dict`` and return its result.

    :raises ValidationError: a parameter of the wrong kind (before the action runs)
    """
    app = app or current_app
    ctx = {"user": user, "app": app, **context}
    action = get_action(name, app)
    return action.func(ctx, check_params(action.params, data_dict))
