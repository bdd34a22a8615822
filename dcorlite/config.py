"""Configuration: defaults, plugin defaults, instance file, environment.

The layers, last wins: :data:`DEFAULTS` → ``config_defaults()`` hooks →
``<instance>/config.py`` → ``DCORLITE_*`` environment variables → the mapping
passed to :func:`dcorlite.app.create_app`.
"""
import os

from flask import Config

from .errors import StartupError

#: Core settings; every key is documented in ``docs/configuration.md``.
DEFAULTS = {
    # SECRET_KEY signs sessions and upload/download URLs; when unset it is
    # generated once and kept in the database (dcorlite.identity), for every host.
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
    "DATASET_CACHE_SIZE": 2000,     # dataset dicts kept per process (0: none)
    # What answers package_search: "whoosh" (plugin search, an index folder on
    # this host) or "postgresql" (plugin search_pg, in the database; any number
    # of hosts). See docs/architecture.md, "Choosing the search backend".
    "SEARCH_BACKEND": "whoosh",
    # Octal umask of everything the instance creates: 077 gives files 0600 and
    # folders 0700, since the data may be patients'.
    "UMASK": "077",
    # Behind a reverse proxy (see docs/deployment.md).
    "PROXY_COUNT": 0,               # proxies whose X-Forwarded-* headers are trusted
    "X_ACCEL_REDIRECT": False,      # nginx sends file bytes (X-Accel-Redirect)
    "CERTS_DIR": None,              # default: <instance>/certs
    # After SIGTERM, requests in progress (and jobs) get this long to finish.
    "SHUTDOWN_DRAIN_SECONDS": 30,
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
    mask = apply_umask(app.config["UMASK"])
    _resolve_paths(app)
    restrict_instance(app.instance_path, mask)


def apply_umask(value):
    """Make ``value`` (octal text such as ``"077"``) this process's umask; return it.

    :raises StartupError: for anything but an octal number up to 777
    """
    try:
        mask = int(str(value), 8)
    except ValueError:
        mask = -1
    if not 0 <= mask <= 0o777:
        raise StartupError(f"UMASK must be an octal number such as 077, not {value!r}")
    os.umask(mask)
    return mask


def restrict_instance(instance_path, mask):
    """Take away what ``mask`` forbids from the instance folder and the files in it.

    New files get their modes from the umask; this also narrows the database
    files and folders of instances made before, or with another ``UMASK``.
    """
    for path in [instance_path] + [os.path.join(instance_path, name)
                                   for name in os.listdir(instance_path)]:
        try:
            mode = os.stat(path, follow_symlinks=False).st_mode & 0o777
            if mode & mask and not os.path.islink(path):
                os.chmod(path, mode & ~mask)
        except (FileNotFoundError, PermissionError):  # gone meanwhile, or not ours
            continue


def _resolve_paths(app):
    inst = app.instance_path
    os.makedirs(inst, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(inst, "dcorlite.sqlite")
    if not app.config["STORAGE_URL"]:
        app.config["STORAGE_URL"] = "file:" + os.path.join(inst, "storage")
