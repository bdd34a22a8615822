"""dcorlite: a small, self-contained repository for deformability cytometry data.

Only the public plugin API is exported here: plugins import ``hookimpl`` and
``create_app`` from ``dcorlite`` and the public core modules (``models``,
``authz``, ``actions``, ``errors``, ``storage``, ``jobs``).
"""
import pluggy

__version__ = "0.1.0"

#: Marker for plugin hook implementations (``@hookimpl def register_actions(app): ...``).
hookimpl = pluggy.HookimplMarker("dcorlite")


def create_app(*args, **kwargs):
    """Build a dcorlite Flask application (see :func:`dcorlite.app.create_app`)."""
    from .app import create_app as _create_app
    return _create_app(*args, **kwargs)


__all__ = ["hookimpl", "create_app", "__version__"]
