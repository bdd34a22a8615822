"""The resource page and the plot data endpoint."""
import json

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from flask_babel import gettext as _

from .... import authz
from ....actions import call_action
from ....dcfiles import is_dc_resource
from ....dictization import site_url
from ....errors import DcorliteError, NotFound
from ....jobs.waiting import wait_for_job
from ....serving import unfinished_job_response
from ....storage import resource_key
from .. import dcinfo, imagesize, plotdata
from ..forms import StatementForm
from .common import read
from .datasets import processing_states

bp = Blueprint("resources", __name__)

CONDENSE_JOB = "dc_serve.condense"
DEFAULT_AXES = ("area_um", "deform")


def _dcserv(resource_id, query):
    """A ``dcserv`` answer, or None while the resource is processed (or if that failed)."""
    try:
        return call_action("dcserv", g.get("user"), {"id": resource_id, "query": query,
                                                     "version": "2"})
    except DcorliteError:
        return None


@bp.route("/dataset/<dataset_id>/resource/<uuid:resource_id>")
def show(dataset_id, resource_id):
    """Downloads, checksums, preview, DC info, supplements, logs, tables, plot."""
    pkg = read("package_show", {"id": dataset_id})
    resource = next((r for r in pkg["resources"] if r["id"] == str(resource_id)), None)
    if resource is None:
        abort(404)
    is_dc = resource["name"].lower().endswith((".rtdc", ".dc")) or \
        resource.get("mimetype") in ("RT-DC", "DC")
    metadata = _dcserv(resource["id"], "metadata") if is_dc else None
    user = g.get("user")
    return render_template(
        "web/resources/show.html", pkg=pkg, resource=resource, is_dc=is_dc,
        state=processing_states([resource["id"]]).get(resource["id"]),
        dc_sections=dcinfo.dc_sections(metadata or {}),
        sp_sections=dcinfo.sp_sections(resource, call_action(
            "resource_schema_supplements", g.get("user"), {})),
        logs=(_dcserv(resource["id"], "logs") or {}) if is_dc else {},
        tables=(_dcserv(resource["id"], "tables") or {}) if is_dc else {},
        host=site_url(), default_axes=DEFAULT_AXES, plot_texts=plot_texts(),
        statement_form=StatementForm(),
        may_edit=authz.can_edit_dataset(user, authz.get_dataset(pkg["id"], user)),
        preview_size=imagesize.stored_jpeg_size(resource_key(resource["id"], "preview"))
        if is_dc else None)


def plot_texts():
    """The texts plot.js shows, in the page's language (``{key: text}``)."""
    return {"loading": _("Loading…"), "failed": _("The data could not be loaded."),
            "not_yet": _("The plot is not available yet."),
            "unavailable": _("The plot is not available."),
            "no_features": _("This file has no scalar features."),
            # {count}, {total}, {x}, {y} are filled in by the script
            "count": _("{count} of {total} events"),
            "scatter_label": _("Scatter plot of {x} against {y}"),
            "histogram_label": _("Histogram of {x}"), "events": _("Events")}


def _json(payload, status=200):
    return Response(json.dumps(payload, allow_nan=False), status=status,
                    mimetype="application/json", headers={"Cache-Control": "private, max-age=300"})


@bp.route("/dataset/<dataset_id>/resource/<uuid:resource_id>/plot.json")
def plot_data(dataset_id, resource_id):
    """Scalar features for the plot, from the condensed copy.

    Without ``x``: the feature names and labels. With ``x`` (and ``y``): their
    values at up to ``max`` events (``WEB_PLOT_MAX_POINTS``), the same sample
    for every request. Same permission check and waiting as the condensed route.
    """
    try:
        resource = authz.get_dataset_resource_or_404(dataset_id, resource_id, g.get("user"))
    except NotFound:
        return _json({"error": _("Resource not found")}, 404)
    if not is_dc_resource(resource):
        return _json({"error": _("Not DC data")}, 404)
    outcome = wait_for_job(resource, CONDENSE_JOB)
    unfinished = unfinished_job_response(outcome, "Condensed copy")
    if unfinished is not None:
        return unfinished
    limit = current_app.config["WEB_PLOT_MAX_POINTS"]
    try:
        max_points = min(max(int(request.args.get("max", limit)), 1), limit)
    except ValueError:
        return _json({"error": _("max must be a number")}, 400)
    wanted = [name for name in (request.args.get("x"), request.args.get("y")) if name]
    with plotdata.condensed_file(resource.id) as h5:
        names = plotdata.scalar_features(h5)
        if not wanted:
            return _json({"features": plotdata.feature_info(names)})
        unknown = [name for name in wanted if name not in names]
        if unknown:
            return _json({"error": _("Unknown feature: %(name)s", name=unknown[0])}, 400)
        total, values = plotdata.feature_values(h5, wanted, max_points)
    labels = plotdata.feature_info(wanted)
    return _json({"total": total, "count": len(values[wanted[0]]["values"]),
                  "features": {name: dict(values[name], label=labels[name]) for name in wanted}})
