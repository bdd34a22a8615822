"""Patient-data care on the pages: confirming scan hits, deletion requests and their approval.

Each form calls the action behind it (``resource_privacy_confirm``,
``dataset_deletion_request_create``, ``_list``, ``_approve``), which checks the
permission; without the ``privacy`` plugin these routes answer 404.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ....actions import call_action, get_action
from ....errors import DcorliteError, NotAuthorized, NotFound
from ..forms import ApproveDeletionForm, StatementForm
from .common import error_text, require_user

bp = Blueprint("privacy", __name__)


def _act(user, name, data):
    """Call ``name``; a 403 is the 403 page, other errors a flashed message (False)."""
    try:
        get_action(name)
    except DcorliteError:
        abort(404)
    try:
        return call_action(name, user, data)
    except NotAuthorized:
        abort(403)
    except NotFound:
        abort(404)
    except DcorliteError as exc:
        flash(error_text(exc), "error")
        return False


@bp.route("/dataset/<dataset_id>/resource/<uuid:resource_id>/privacy-confirm",
          methods=["POST"])
def confirm(dataset_id, resource_id):
    """An editor confirms that a resource's scan hits are no patient data."""
    user = require_user()
    form = StatementForm()
    if not form.validate_on_submit():
        abort(400)
    if _act(user, "resource_privacy_confirm",
            {"id": str(resource_id), "statement": form.statement.data}) is not False:
        flash(_("The review of the scan hits was recorded."), "info")
    return redirect(url_for("web.resources.show", dataset_id=dataset_id,
                            resource_id=resource_id))


@bp.route("/dataset/<dataset_id>/deletion-request", methods=["POST"])
def request_deletion(dataset_id):
    """An editor asks the administrators to remove the dataset for good."""
    user = require_user()
    form = StatementForm()
    if not form.validate_on_submit():
        abort(400)
    if _act(user, "dataset_deletion_request_create",
            {"id": dataset_id, "statement": form.statement.data}) is not False:
        flash(_("Your deletion request was sent to the administrators."), "info")
    return redirect(url_for("web.datasets.show", dataset_id=dataset_id))


@bp.route("/admin/deletion-requests", methods=["GET", "POST"])
def deletion_requests():
    """Sysadmins: every deletion request, and approval (which purges) with a reason."""
    user = require_user()
    form = ApproveDeletionForm()
    if form.is_submitted():
        if not form.validate_on_submit():
            abort(400)
        done = _act(user, "dataset_deletion_request_approve",
                    {"id": form.dataset_id.data, "reason": form.reason.data})
        if done is not False:
            flash(_("The dataset was purged; the request is kept as approved."), "info")
        return redirect(url_for(".deletion_requests"))
    return render_template("web/admin/deletion_requests.html",
                           requests=_act(user, "dataset_deletion_request_list", {}))
