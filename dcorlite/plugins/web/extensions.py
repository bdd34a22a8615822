"""Wiring the web UI into the app: sessions, CSRF, template helpers, error pages."""
from flask import g
from flask_babel import Babel, refresh as refresh_locale
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException, InternalServerError

from . import auth, errors, filters, i18n, ratelimit


def init_app(app):
    """Install what the pages need on ``app`` (called by ``app_ready``)."""
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = auth.SessionInterface()
    auth.make_login_manager(app)
    csrf = CSRFProtect()
    csrf.init_app(app)
    # only the pages' forms are checked here; the API authenticates by token
    for name, blueprint in app.blueprints.items():
        if name != "web" and not name.startswith("web."):
            csrf.exempt(blueprint)
    app.extensions["dcorlite"]["web_throttle"] = ratelimit.LoginThrottle(
        app.config["WEB_LOGIN_MAX_FAILURES_ACCOUNT"], app.config["WEB_LOGIN_MAX_FAILURES_IP"],
        app.config["WEB_LOGIN_WINDOW_SECONDS"])
    # first of all before_request functions: per-request caches start empty even when
    # requests share an app context (the tests push one around many requests)
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_caches)
    Babel(app, locale_selector=i18n.locale_for_request,
          default_translation_directories=str(i18n.TRANSLATIONS))
    i18n.install_template_gettext(app)
    filters.register(app)
    errors.register(app, HTTPException, InternalServerError)


def _fresh_request_caches():
    if not vars(g._get_current_object()):
        return  # a new app context, as every served request has: nothing to forget
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    g.pop("_page_translations", None)
    refresh_locale()  # Flask-Babel keeps the locale in g; each request chooses its own
