"""Configuration: defaults, plugin defaults, instance file, environment.

The layers, last wins: :data:`DEFAULTS` → ``config_defaults()`` hooks →
``<instance>/config.py`` → ``DCORLITE_*`` environment variables → the mapping
passed to :func:`dcorlite.app.create_app`.
"""
import os
import secrets

from flask import Config

#: Core settings; every key is documented in ``docs/configuration.md``.
DEFAULTS = {
    # SECRET_KEY signs sessions and upload/download URLs; when unset it is
    # generated once and kept in <instance>/secret_key.
    "SECRET_KEY": None,
    "DATABASE_URL": None,           # default: sqlite:///<instance>/dcorlite.sqlite
    "STORAGE_URL": None,            # default: file:<instance>/storage
    "SITE_URL": None,               # default: taken from the request
    "SITE_TITLE": "dcorlite",
    "LICENSES": "standard",         # "standard" (Creative Commons) or "medical"
    "ALLOW_PUBLIC_DATASETS": True,
    "SUPPLEMENTS_DIR": None,        # default: the shipped supplement schema
    "SUPPLEMENTS_MEDICAL": False,   # add the clinic section "medical"
    "DISABLED_PLUGINS": [],
    "LOAD_ENTRY_POINTS": True,
    "TRACE_PLUGINS": False,
}


def early_config(instance_path, overrides=None):
    """The configuration layers that exist before plugins are loaded.

    Which plugins load (``DISABLED_PLUGINS``, ``LOAD_ENTRY_POINTS``) is itself
    configuration, so the core defaults, the instance file, the environment and
    ``overrides`` are read once before the plugin manager is built.
    """
    config = Config(instance_path, DEFAULTS)
    config.from_pyfile("config.py", silent=True)
    config.from_prefixed_env("DCORLITE")
    config.update(overrides or {})
    config["DISABLED_PLUGINS"] = name_list(config["DISABLED_PLUGINS"])
    return config


def name_list(value):
    """Accept a list of names or a comma-separated string (``"a, b"``)."""
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    return list(value or [])


def load_config(app, plugin_defaults, overrides=None):
    """Fill ``app.config`` from all layers and resolve instance paths.

    :param app: the Flask app (its ``instance_path`` must be set)
    :param plugin_defaults: list of dicts returned by ``config_defaults()``
    :param overrides: mapping applied last (tests)
    """
    app.config.update(DEFAULTS)
    for defaults in plugin_defaults:
        app.config.update(defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("DCORLITE")
    app.config.update(overrides or {})
    app.config["DISABLED_PLUGINS"] = name_list(app.config["DISABLED_PLUGINS"])
    _resolve_paths(app)


def _resolve_paths(app):
    inst = app.instance_path
    os.makedirs(inst, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(inst, "dcorlite.sqlite")
    if not app.config["STORAGE_URL"]:
        app.config["STORAGE_URL"] = "file:" + os.path.join(inst, "storage")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(inst)


def _instance_secret(instance_path):
    """Return the secret kept in the instance folder, creating it once."""
    path = os.path.join(instance_path, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    with open(path) as fh:
        return fh.read().strip()
