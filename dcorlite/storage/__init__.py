"""Storage behind one interface; the backend is picked by ``STORAGE_URL``."""
from flask import current_app

from ..errors import StartupError
from .base import Storage, WriteResult, check_key, resource_key, upload_key  # noqa: F401


def make_storage(app, backends):
    """Instantiate the backend for ``app.config["STORAGE_URL"]``.

    :param backends: ``{scheme: class}`` collected from ``register_storage_backends``
    :raises StartupError: for a scheme no plugin serves
    """
    url = app.config["STORAGE_URL"]
    scheme = url.split(":", 1)[0]
    if scheme not in backends:
        raise StartupError(f"no storage backend for STORAGE_URL scheme '{scheme}'")
    return backends[scheme](url, app)


def get_storage(app=None):
    """Return the storage of the current (or given) app."""
    app = app or current_app
    return app.extensions["dcorlite"]["storage"]
