"""The application factory."""
import logging
import os
import re
import types

from flask import Flask, g, request
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

from . import host
from .config import early_config, load_config
from .db import database, init_db, is_postgresql, migrate
from .identity import instance_secret
from .jobs.ordering import order_jobs
from .jobs.queue import make_huey
from .plugins import get_plugin_manager
from .search import check_backend
from .storage import make_storage

logger = logging.getLogger(__name__)


def create_app(config=None, *, instance_path=None, plugins=()):
    """Build a dcorlite app.

    :param config: mapping applied after all other configuration layers
    :param instance_path: the instance folder (default ``$DCORLITE_INSTANCE``
        or ``./instance``)
    :param plugins: extra plugin objects to register (tests)
    """
    instance_path = os.path.abspath(
        instance_path or os.environ.get("DCORLITE_INSTANCE") or "instance")
    app = DcorliteFlask("dcorlite", instance_path=instance_path, instance_relative_config=True)
    pm = _configure_plugins(app, config, plugins)
    load_config(app, host.collect("config_defaults", app=app, single=True), config)
    _configure_database(app)
    _configure_storage(app)
    _configure_actions(app)
    _configure_jobs(app)
    _configure_blueprints(app)
    _configure_identity(app)
    _configure_proxy(app)
    pm.hook.app_ready(app=app)
    return app


class DcorliteFlask(Flask):
    """Flask, deciding once per function whether it is a coroutine function.

    Flask asks for every before-request function, view and teardown function of
    every request; inspecting each takes as long as a small view itself.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions = {}

    def ensure_sync(self, func):
        """``func`` itself, or a synchronous wrapper of a coroutine function (remembered)."""
        if type(func) is not types.FunctionType:  # bound methods are made anew each time
            return super().ensure_sync(func)
        try:
            return self._sync_functions[func]
        except KeyError:
            return self._sync_functions.setdefault(func, super().ensure_sync(func))


def _configure_plugins(app, config, plugins):
    pm = get_plugin_manager(early_config(app.instance_path, config), extra=plugins)
    app.extensions["dcorlite"] = {"pm": pm}
    return pm


def _configure_database(app):
    init_db(app)
    check_backend(app.config, is_postgresql())
    migrate(host.collect("register_migrations", app=app, single=True))
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret(app)


def _configure_storage(app):
    backends = dict(host.collect("register_storage_backends", app=app, unique_by="key"))
    app.extensions["dcorlite"]["storage"] = make_storage(app, backends)


def _configure_actions(app):
    actions = host.collect("register_actions", app=app, unique_by="name")
    app.extensions["dcorlite"]["actions"] = {a.name: a for a in actions}


def _configure_jobs(app):
    jobs = host.collect("register_jobs", app=app, unique_by="name")
    app.extensions["dcorlite"]["jobs"] = order_jobs(jobs)
    make_huey(app)


def _configure_blueprints(app):
    for blueprint in host.collect("register_blueprints", app=app):
        app.register_blueprint(blueprint)


def _configure_identity(app):
    @app.before_request
    def _identify():
        if not valid_host(request.host):
            # every URL built from the request would fail (e.g. a port beyond 65535)
            raise BadRequest("Invalid Host header")
        g.user = host.first("authenticate_request", request=request)


def _configure_proxy(app):
    """Trust ``X-Forwarded-Proto/Host/Port/Prefix/For`` from ``PROXY_COUNT`` proxies."""
    count = int(app.config["PROXY_COUNT"] or 0)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_port=count, x_prefix=count)


_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:([0-9]{1,5}))?$")


def valid_host(value):
    """True for a Host header of a name or address and an optional port 0–65535."""
    match = _HOST.match(value or "")
    return bool(match) and (match.group(3) is None or int(match.group(3)) <= 65535)


def stop_app(app):
    """End the app's background work (see the ``app_stopping`` hook); safe to call twice."""
    state = app.extensions["dcorlite"]
    if state.get("stopped"):
        return
    state["stopped"] = True
    state["pm"].hook.app_stopping(app=app)


def current_user():
    """The user making the current request, or None for anonymous."""
    return g.get("user")


__all__ = ["create_app", "current_user", "database", "stop_app"]
