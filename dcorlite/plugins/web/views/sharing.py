"""A dataset's collaborators: who it is shared with, sharing and unsharing.

Offered to those ``authz.can_manage_collaborators`` allows; the page calls
the ``package_collaborator_*`` actions, so the API's rules apply unchanged.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ....actions import call_action
from ....errors import DcorliteError, NotFound
from ....models import User
from ..forms import ShareForm, UnshareForm
from .common import error_text, read, require_user

bp = Blueprint("sharing", __name__)


def _collaborators(user, dataset_id):
    """``package_collaborator_list`` with the names of the users it lists."""
    rows = call_action("package_collaborator_list", user, {"id": dataset_id})
    names = {u.id: u for u in User.select().where(User.id.in_([r["user_id"] for r in rows]))}
    people = [dict(row, name=names[row["user_id"]].name,
                   display_name=names[row["user_id"]].display_name)
              for row in rows if row["user_id"] in names]
    return sorted(people, key=lambda p: p["display_name"].lower())


@bp.route("/dataset/<dataset_id>/collaborators", methods=["GET", "POST"])
def collaborators(dataset_id):
    """The collaborators of a dataset and the form to add one."""
    user = require_user()
    pkg = read("package_show", {"id": dataset_id})
    try:
        people = _collaborators(user, pkg["id"])
    except DcorliteError as exc:
        abort(exc.status)
    form, status = ShareForm(), 200
    if form.validate_on_submit():
        try:
            call_action("package_collaborator_create", user, {
                "id": pkg["id"], "user_id": form.user.data.strip(),
                "capacity": form.capacity.data})
        except NotFound:
            flash(_("There is no user “%(name)s”.", name=form.user.data.strip()), "error")
            status = 404
        except DcorliteError as exc:
            flash(error_text(exc), "error")
            status = exc.status
        else:
            flash(_("Shared with %(name)s.", name=form.user.data.strip()), "info")
            return redirect(url_for(".collaborators", dataset_id=pkg["name"]))
    elif form.is_submitted():
        status = 400
    return render_template("web/datasets/collaborators.html", pkg=pkg, people=people,
                           form=form), status


@bp.route("/dataset/<dataset_id>/collaborators/remove", methods=["POST"])
def remove_collaborator(dataset_id):
    """Stop sharing the dataset with one user."""
    user = require_user()
    pkg = read("package_show", {"id": dataset_id})
    form = UnshareForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        call_action("package_collaborator_delete", user,
                    {"id": pkg["id"], "user_id": form.user_id.data})
    except DcorliteError as exc:
        abort(exc.status)
    flash(_("No longer shared with that user."), "info")
    return redirect(url_for(".collaborators", dataset_id=pkg["name"]))
