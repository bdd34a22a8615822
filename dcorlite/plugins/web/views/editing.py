"""Editing a dataset within DCOR's rules (``package_patch``)."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .... import authz
from ....actions import call_action
from ....errors import DcorliteError
from .. import editing
from ..forms import EditForm
from .common import error_text, read, require_user

bp = Blueprint("editing", __name__)


@bp.route("/dataset/<dataset_id>/edit", methods=["GET", "POST"])
def edit(dataset_id):
    """The edit form: text while a draft, a less restrictive license, private → public."""
    user = require_user()
    pkg = read("package_show", {"id": dataset_id})
    dataset = authz.get_dataset(pkg["id"], user)
    if not authz.can_edit_dataset(user, dataset):
        abort(403)
    options = editing.edit_options(dataset, user, call_action("license_list", user, {}),
                                   current_app.config["ALLOW_PUBLIC_DATASETS"])
    form = EditForm(data={"title": pkg["title"], "notes": pkg["notes"],
                          "license_id": pkg["license_id"]})
    form.license_id.choices = options["licenses"]
    status = 200
    if form.validate_on_submit():
        changes = {}
        if options["text"]:
            changes.update(title=form.title.data, notes=form.notes.data)
        if form.license_id.data != pkg["license_id"]:
            changes["license_id"] = form.license_id.data
        if options["make_public"] and form.make_public.data:
            changes["private"] = False
        try:
            call_action("package_patch", user, dict(changes, id=pkg["id"]))
        except DcorliteError as exc:
            flash(error_text(exc), "error")
            status = exc.status
        else:
            flash(_("The dataset was saved."), "info")
            return redirect(url_for("web.datasets.show", dataset_id=pkg["name"]))
    elif form.is_submitted():
        status = 400
    return render_template("web/datasets/edit.html", pkg=pkg, form=form, options=options), status
