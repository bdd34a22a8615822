"""Administration by sysadmins: users (list, create, reset a password, sysadmin
rights, disable/enable, issue an encrypted access token), circles (all of them,
a new one), the background jobs that are not done, and the status sections
plugins answer (``admin_status``).

The user pages call ``user_list``, ``user_create``, ``user_patch`` and
``user_delete``, which allow only sysadmins (everyone else gets the 403 page).
"""
import os

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .... import authz, host, tls
from ....actions import call_action
from ....errors import DcorliteError, NotAuthorized
from ....jobs import problems
from ..forms import (AccessTokenForm, AccountChangeForm, JobRerunForm, NewCircleForm,
                     NewUserForm, PasswordResetForm)
from .common import error_text, require_user

#: problem rows shown on the jobs page
JOB_ROWS = 500

#: account changes of the users page: the ``user_patch`` keys each sets
CHANGES = {"grant": {"sysadmin": True}, "revoke": {"sysadmin": False},
           "enable": {"state": "active"}}

bp = Blueprint("admin", __name__, url_prefix="/admin")


def own_pages(app):
    """``(endpoint, title)`` of the web UI's administration pages.

    The access-token and deletion-request pages are listed when the actions
    behind them are there (plugins ``tokens`` and ``privacy``).
    """
    actions = app.extensions["dcorlite"]["actions"]
    pages = [("web.admin.users", _l("Users"), None),
             ("web.admin.access_token", _l("Encrypted access token"), "dcor_access_create"),
             ("web.admin.circles", _l("All circles"), None),
             ("web.privacy.deletion_requests", _l("Deletion requests"),
              "dataset_deletion_request_list"),
             ("web.admin.jobs", _l("Background jobs that are not done"), None),
             ("web.admin.status", _l("Status"), None)]
    return [(endpoint, title) for endpoint, title, needs in pages
            if needs is None or needs in actions]


@bp.route("")
def index():
    """Links to every page for sysadmins, the web UI's and those plugins add."""
    _require_sysadmin()
    return render_template("web/admin/index.html", pages=host.collect(
        "admin_pages", app=current_app._get_current_object()))


def _users(user):
    try:
        return call_action("user_list", user, {"all_fields": True, "include_deleted": True})
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
            flash(_("The account %(name)s was created.", name=form.name.data.strip()), "info")
            return redirect(url_for(".users"))
    elif form.is_submitted():
        status = 400
    return render_template("web/admin/users.html", users=listed, form=form,
                           reset_form=PasswordResetForm(), me=user), status


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
        flash(_("The password was changed."), "info")
    return redirect(url_for(".users"))


@bp.route("/users/account", methods=["POST"])
def change_account():
    """Grant or remove sysadmin rights, disable or enable an account."""
    user = require_user()
    _users(user)
    form = AccountChangeForm()
    if not form.validate_on_submit() or form.change.data not in (*CHANGES, "disable"):
        abort(400)
    try:
        if form.change.data == "disable":
            call_action("user_delete", user, {"id": form.user_id.data})
        else:
            call_action("user_patch", user, {"id": form.user_id.data,
                                              **CHANGES[form.change.data]})
    except DcorliteError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("The account was changed."), "info")
    return redirect(url_for(".users"))


@bp.route("/access-token", methods=["GET", "POST"])
def access_token():
    """Issue a ``.dcor-access`` file (``dcor_access_create``): a new token and the certificate.

    The answer shows the generated password once and offers the file as a
    download link; neither is kept, and the page is not cached.
    """
    user = require_user()
    accounts = [u for u in _users(user) if u["state"] != "deleted"]
    form, issued, status = AccessTokenForm(), None, 200
    form.user.choices = [(u["name"], f"{u['display_name']} ({u['name']})") for u in accounts]
    if request.method == "GET" and request.args.get("user"):
        form.user.data = request.args["user"]
    if form.validate_on_submit():
        try:
            issued = call_action("dcor_access_create", user, {
                "user": form.user.data, "expires": form.expires.data,
                "password": form.password.data or None})
        except DcorliteError as exc:
            flash(error_text(exc), "error")
            status = exc.status
    elif form.is_submitted():
        status = 400
    page = render_template("web/admin/access_token.html", form=form, issued=issued,
                           certificate=_certificate_known())
    return page, status, {"Cache-Control": "no-store"}


def _certificate_known():
    return os.path.isfile(tls.cert_path(current_app._get_current_object()))


def _require_sysadmin():
    user = require_user()
    try:
        authz.require_sysadmin(user, "administer the site")
    except NotAuthorized:
        abort(403)
    return user


@bp.route("/jobs")
def jobs():
    """The background jobs that are not done, with a re-run button each."""
    _require_sysadmin()
    rows = problems.job_states(problems=True, limit=JOB_ROWS)
    return render_template("web/admin/jobs.html", rows=rows, counts=problems.problem_counts(),
                           shown=JOB_ROWS, form=JobRerunForm())


@bp.route("/jobs/rerun", methods=["POST"])
def rerun_job():
    """Queue the jobs of one resource again (the same as ``dcorlite jobs rerun``)."""
    _require_sysadmin()
    form = JobRerunForm()
    if not form.validate_on_submit():
        abort(400)
    if problems.rerun(current_app._get_current_object(), form.resource_id.data):
        flash(_("The jobs of the resource were queued again."), "info")
    else:
        flash(_("There is no such resource."), "error")
    return redirect(url_for(".jobs"))


@bp.route("/circles", methods=["GET", "POST"])
def circles():
    """Every circle (with all its datasets counted, private ones too) and a form for a new one."""
    user = _require_sysadmin()
    form, status = NewCircleForm(), 200
    if form.validate_on_submit():
        name = form.name.data.strip()
        try:
            call_action("organization_create", user, {
                "name": name, "title": (form.title.data or "").strip(),
                "description": form.description.data or ""})
        except DcorliteError as exc:
            flash(error_text(exc), "error")
            status = exc.status
        else:
            flash(_("The circle %(name)s was created.", name=name), "info")
            return redirect(url_for(".circles"))
    elif form.is_submitted():
        status = 400
    listed = call_action("organization_list", user, {"all_fields": True, "sort": "name"})
    return render_template("web/admin/circles.html", circles=listed, form=form), status


@bp.route("/status")
def status():
    """What the plugins report through ``admin_status``: jobs, search index, fixity…"""
    _require_sysadmin()
    sections = host.collect("admin_status", app=current_app._get_current_object())
    return render_template("web/admin/status.html", sections=sections)
