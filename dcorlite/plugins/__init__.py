"""The plugin manager: built-in plugins, entry points, test plugins."""
import importlib
import sys

import pluggy

from .. import hookspecs

#: dcorlite's own features, registered like any third-party plugin.
BUILTIN_PLUGINS = (
    "dcorlite.storage.local",
    "dcorlite.storage.s3",
    "dcorlite.storage.s3_public",
    "dcorlite.storage.plugin",
    "dcorlite.jobs.plugin",
    "dcorlite.inspection.plugin",
    "dcorlite.plugins.ckan_api",
    "dcorlite.plugins.tokens",
    "dcorlite.plugins.dc_schemas",
    "dcorlite.plugins.uploads",
    "dcorlite.plugins.dc_serve",
    "dcorlite.plugins.dc_view",
    "dcorlite.plugins.search",
    "dcorlite.plugins.search_pg",
    "dcorlite.plugins.web",
    "dcorlite.plugins.deploy",
    "dcorlite.plugins.backup",
    "dcorlite.plugins.fixity",
    "dcorlite.plugins.privacy",
    "dcorlite.plugins.audit",
)

ENTRY_POINT_GROUP = "dcorlite.plugins"


def get_plugin_manager(config, extra=()):
    """Build the plugin manager of one app.

    :param config: mapping with ``DISABLED_PLUGINS``, ``LOAD_ENTRY_POINTS`` and
        ``TRACE_PLUGINS``
    :param extra: plugin objects registered last (tests)
    :raises pluggy.PluginValidationError: for a hookimpl without a spec
    """
    pm = pluggy.PluginManager("dcorlite")
    pm.add_hookspecs(hookspecs)
    for name in config.get("DISABLED_PLUGINS", ()):
        pm.set_blocked(name)
    for path in BUILTIN_PLUGINS:
        name = _builtin_name(path)
        if not pm.is_blocked(name):
            pm.register(importlib.import_module(path), name=name)
    if config.get("LOAD_ENTRY_POINTS", True):
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    if config.get("TRACE_PLUGINS"):
        pm.add_hookcall_monitoring(_trace_before, _trace_after)
    return pm


def _builtin_name(path):
    """``dcorlite.plugins.uploads`` → ``uploads``; ``dcorlite.jobs.plugin`` → ``jobs``."""
    parts = path.split(".")
    return parts[-2] if parts[-1] == "plugin" else parts[-1]


def _trace_before(hook_name, hook_impls, kwargs):
    print(f"dcorlite hook {hook_name}({', '.join(kwargs)}) -> "
          f"{[i.plugin_name for i in hook_impls]}", file=sys.stderr)


def _trace_after(outcome, hook_name, hook_impls, kwargs):
    print(f"dcorlite hook {hook_name} returned {outcome.get_result()!r}",
          file=sys.stderr)
