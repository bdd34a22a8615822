"""Administration by sysadmins: users (list, create, reset a password).

The pages call ``user_list``, ``user_create`` and ``user_update``, which allow
only sysadmins (everyone else gets the 403 page).
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for

from ....actions import call_action
from ....errors import DcorliteError, NotAuthorized
from ..forms import NewUserForm, PasswordResetForm
from .common import error_text, require_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _users(user):
    try:
        return call_action("user_list", user, {"all_fields": True})
    except NotAuthorized:
        abort(403)


@bp.route("/users", methods=["GET", "POST"])
def users():
    """All active users and the form that makes a new one."""
    user = require_user()
    listed = _users(user)
    form, status = NewUserForm(), 200
    if form.validate_on_submit():
        try:
            call_action("user_create", user, {
                "name": form.name.data.strip(), "email": form.email.data.strip(),
                "fullname": (form.fullname.data or "").strip(), "password": form.password.data,
                "sysadmin": form.sysadmin.data})
        except DcorliteError as exc:
            flash(error_text(exc), "error")
            status = exc.status
        else:
            flash(f"The account {form.name.data.strip()} was created.", "info")
            return redirect(url_for(".users"))
    elif form.is_submitted():
        status = 400
    return render_template("web/admin/users.html", users=listed, form=form,
                           reset_form=PasswordResetForm()), status


@bp.route("/users/password", methods=["POST"])
def reset_password():
    """Give a user a new password (their sessions end with it)."""
    user = require_user()
    _users(user)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        call_action("user_update", user, {"id": form.user_id.data,
                                           "password": form.password.data})
    except NotAuthorized:
        abort(403)
    except DcorliteError as exc:
        flash(error_text(exc), "error")
    else:
        flash("The password was changed.", "info")
    return redirect(url_for(".users"))
