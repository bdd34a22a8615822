"""Calling plugin hooks: collect results, take the first answer, call, notify.

All hook calls go through these helpers so that duplicate names are caught at
start-up and one failing listener cannot break a request.
"""
import logging

from flask import current_app

from .errors import StartupError

logger = logging.getLogger(__name__)


def plugin_manager(app=None):
    """Return the app's :class:`pluggy.PluginManager`."""
    app = app or current_app
    return app.extensions["dcorlite"]["pm"]


def collect(hook_name, *, unique_by=None, single=False, **kwargs):
    """Call ``hook_name`` on every plugin and flatten the returned lists.

    :param single: each plugin returns one item (e.g. a tuple), not a list
    :param unique_by: attribute (or ``"key"`` for dict results) whose value
        must be unique across plugins, e.g. ``"name"`` for actions
    :param kwargs: the hook's arguments; ``app`` also selects the plugin manager
    :raises StartupError: when two plugins return the same name
    """
    pm = plugin_manager(kwargs.get("app"))
    hook = getattr(pm.hook, hook_name)
    items, owners = [], {}
    for impl in reversed(hook.get_hookimpls()):
        result = impl.function(**{k: kwargs[k] for k in impl.argnames if k in kwargs})
        if result is None:
            continue
        if single:
            result = [result]
        elif isinstance(result, dict):
            result = list(result.items())
        elif not isinstance(result, (list, tuple)):
            result = [result]
        for item in result:
            if unique_by:
                name = item[0] if unique_by == "key" else getattr(item, unique_by)
                if name in owners:
                    raise StartupError(
                        f"{hook_name}: '{name}' is provided by both "
                        f"'{owners[name]}' and '{impl.plugin_name}'")
                owners[name] = impl.plugin_name
            items.append(item)
    return items


def first(hook_name, *, app=None, **kwargs):
    """Call a ``firstresult`` hook and return its answer (or None)."""
    return getattr(plugin_manager(app).hook, hook_name)(**kwargs)


def call(hook_name, *, app=None, **kwargs):
    """Call every implementation of ``hook_name``; the first exception propagates.

    For hooks that run inside a transaction, where a failure must roll the
    change back instead of being logged and skipped.
    """
    getattr(plugin_manager(app).hook, hook_name)(**kwargs)


def notify(hook_name, *, app=None, **kwargs):
    """Tell every plugin about an event; log and skip a failing listener."""
    hook = getattr(plugin_manager(app).hook, hook_name)
    for impl in hook.get_hookimpls():
        try:
            impl.function(**{k: kwargs[k] for k in impl.argnames})
        except Exception:
            logger.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
