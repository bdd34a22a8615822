"""Login sessions: Flask-Login, the session's user, and secure session cookies.

A session authenticates GET/HEAD requests everywhere (pages, downloads,
condensed copies, previews, plot data) and other methods only on the web
pages, whose forms all carry a CSRF token: an action API call that changes
data needs an API token, so no other site can make a logged-in browser
change data through the API.
"""
import hashlib

from flask import current_app, request as current_request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from ...models import User

SAFE_METHODS = ("GET", "HEAD")


class SessionUser(UserMixin):
    """Flask-Login's view of a :class:`dcorlite.models.User`."""

    def __init__(self, user):
        self.user = user

    def get_id(self):
        """The user id and a fingerprint of the password hash.

        Changing the password (or disabling the account) ends every session.
        """
        return f"{self.user.id}:{_fingerprint(self.user)}"


def _fingerprint(user):
    return hashlib.sha256(f"{user.password_hash}\x00{user.state}".encode()).hexdigest()[:16]


def load_user(session_id):
    """The :class:`SessionUser` of a session's user id, or None if it no longer holds."""
    user_id, _, fingerprint = str(session_id).partition(":")
    user = User.get_or_none(User.id == user_id)
    if user is None or user.state != "active" or fingerprint != _fingerprint(user):
        return None
    return SessionUser(user)


def make_login_manager(app):
    """Set up Flask-Login for ``app``."""
    manager = LoginManager(app)
    manager.user_loader(load_user)
    manager.login_view = "web.account.login"
    manager.session_protection = "basic"
    return manager


def session_user(request):
    """The active user of the request's session, or None (see the module's note on methods)."""
    if request.method not in SAFE_METHODS and "web" not in request.blueprints:
        return None
    # no session cookie, no session user: API clients and dclab skip Flask-Login's work
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return None
    if not current_user.is_authenticated:
        return None
    return current_user.user


def log_in(user):
    """Start a session for ``user`` (a new session id: no fixation)."""
    session.clear()
    login_user(SessionUser(user))


def log_out():
    """End the session."""
    logout_user()
    session.clear()


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, marked ``Secure`` whenever served over HTTPS."""

    def open_session(self, app, request):
        """A new empty session when the request has no session cookie (API clients).

        Same result as Flask's, without building the signing serializer on
        every API request.
        """
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        """For a session that is and stays empty (API requests), only ``Vary: Cookie``.

        Flask's own method does the same for it, after working out every cookie
        option first.
        """
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return None
        return super().save_session(app, session, response)

    def get_cookie_secure(self, app):
        """``Secure`` if configured, if the request came over HTTPS or the site URL is HTTPS."""
        site = app.config.get("SITE_URL") or ""
        return bool(app.config["SESSION_COOKIE_SECURE"] or site.startswith("https:")
                    or (current_request and current_request.is_secure))
