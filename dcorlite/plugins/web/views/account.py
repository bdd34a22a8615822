"""Logging in and out, the profile and the API tokens of the logged-in user."""
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from ....actions import call_action
from ....errors import DcorliteError
from ....models import User
from ....users import verify_password
from .. import auth
from .common import error_text, require_user
from ..forms import ConfirmForm, LoginForm, RevokeForm, TokenForm

bp = Blueprint("account", __name__, url_prefix="/user")

# compared against when the name is unknown, so that both answers take as long
_DUMMY_HASH = generate_password_hash("not a password of anyone")


def _safe_next(target):
    """Only paths on this site (no scheme, no host) are followed after login."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not (target or "").startswith("/") \
            or target.startswith("//") or "\\" in target:
        return url_for("web.home.home")
    return target


def _throttle():
    return current_app.extensions["dcorlite"]["web_throttle"]


def _check_login(name, password):
    """The active user with this name and password, or None."""
    user = User.get_or_none((User.name == name) & (User.state == "active"))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if verify_password(user, password) else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; failures are counted per account and per address."""
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        name, ip = form.name.data.strip(), request.remote_addr
        if _throttle().blocked(name, ip):
            flash(_("Too many failed logins. Please wait a few minutes and try again."),
                  "error")
            status = 429
        else:
            user = _check_login(name, form.password.data)
            if user is not None:
                _throttle().succeeded(name)
                auth.log_in(user)
                return redirect(_safe_next(form.next.data))
            _throttle().failed(name, ip)
            flash(_("Wrong user name or password."), "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("web/account/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session (a POST with CSRF token, so no other site can log you out)."""
    if ConfirmForm().validate_on_submit():
        auth.log_out()
        flash(_("You are logged out."), "info")
    return redirect(url_for("web.home.home"))


@bp.route("")
def profile():
    """The logged-in user's account, circles and collections."""
    user = require_user()
    me = call_action("user_show", user, {})
    circles = call_action("organization_list_for_user", user, {"permission": "read"})
    return render_template("web/account/profile.html", me=me, circles=circles)


@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    """List the user's API tokens; create one (its text is shown once, on this answer)."""
    user = require_user()
    form, new_token, status = TokenForm(), None, 200
    if form.validate_on_submit():
        try:
            new_token = call_action("api_token_create", user,
                                    {"user": user.id, "name": form.name.data.strip()})["token"]
        except DcorliteError as exc:
            flash(error_text(exc), "error")
            status = exc.status
    elif request.method == "POST":
        status = 400
    listed = call_action("api_token_list", user, {"user_id": user.id})
    response = render_template("web/account/tokens.html", form=form, tokens=listed,
                               new_token=new_token, revoke_form=RevokeForm())
    return response, status, {"Cache-Control": "no-store"}


@bp.route("/tokens/revoke", methods=["POST"])
def revoke_token():
    """Revoke one of the user's tokens (``api_token_revoke``'s rules)."""
    user = require_user()
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        call_action("api_token_revoke", user, {"jti": form.token_id.data})
    except DcorliteError as exc:
        abort(exc.status)
    flash(_("The token was revoked."), "info")
    return redirect(url_for(".tokens"))
