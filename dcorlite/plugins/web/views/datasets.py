"""Dataset search, the dataset page, citation exports and the whole-dataset ZIP."""
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from .... import authz, host
from ....actions import call_action, registry
from ....app import current_user
from ....dictization import site_url
from ....errors import DcorliteError, NotFound
from ....models import JobState
from .. import archive, citation
from ..forms import StatementForm
from ..searching import FACETS, SORTS, SearchPage
from .common import error_text, read

bp = Blueprint("datasets", __name__)


@bp.route("/dataset")
def search():
    """Free text, facet links, sort and pages, answered by ``package_search``."""
    page = SearchPage(request.args)
    user = current_user()
    error, status = None, 200
    try:
        result = call_action("package_search", user, page.action_data(user))
    except DcorliteError as exc:
        result = {"count": 0, "results": [], "search_facets": {}}
        error, status = error_text(exc), 400
    return render_template("web/datasets/search.html", page=page, result=result,
                           facets=FACETS, sorts=SORTS, error=error), status


def short_url(pkg):
    """The citable URL ``<site>/<dataset id>``."""
    return f"{site_url()}/{pkg['id']}"


_RANK = {"error": 0, "running": 1, "pending": 2, "done": 3}


def processing_states(resource_ids):
    """``{resource id: "error" | "running" | "pending" | "done"}``: the least finished job.

    Resources without jobs (files that are not DC data) are missing.
    """
    states = {}
    for row in JobState.select(JobState.resource, JobState.state).where(
            JobState.resource.in_(resource_ids)):
        rid, state = row.resource_id, row.state
        if rid not in states or _RANK.get(state, 0) < _RANK.get(states[rid], 0):
            states[rid] = state
    return states


@bp.route("/dataset/<dataset_id>")
def show(dataset_id):
    """Everything about one dataset: metadata, resources, citation, exports."""
    pkg = read("package_show", {"id": dataset_id})
    resources = pkg["resources"]
    user = current_user()
    dataset = authz.get_dataset(pkg["id"], user)
    repository = current_app.config["SITE_TITLE"]
    url = short_url(pkg)
    return render_template(
        "web/datasets/show.html", pkg=pkg, resources=resources,
        states=processing_states([r["id"] for r in resources]),
        total_size=sum(r.get("size") or 0 for r in resources),
        citation=citation.citation_text(pkg, repository, url), short_url=url,
        formats=citation.FORMATS, authors=citation.authors(pkg),
        may_share=authz.can_manage_collaborators(user, dataset),
        may_edit=authz.can_edit_dataset(user, dataset), statement_form=StatementForm(),
        may_request_deletion="dataset_deletion_request_create" in registry(),
        jsonld=citation.schema_org(pkg, repository, url, lambda r: r["url"]))


@bp.route("/<uuid:dataset_id>")
def short(dataset_id):
    """The short citation URL ``/<dataset id>`` leads to the dataset page."""
    pkg = read("package_show", {"id": str(dataset_id)})
    return redirect(url_for(".show", dataset_id=pkg["name"]), 302)


@bp.route("/dataset/<dataset_id>/export/<fmt>")
def export(dataset_id, fmt):
    """The dataset's citation as BibTeX, RIS, CSL-JSON or DataCite JSON (a file to save)."""
    if fmt not in citation.FORMATS:
        abort(404)
    pkg = read("package_show", {"id": dataset_id})
    suffix, mimetype = citation.FORMATS[fmt]
    text = citation.EXPORTERS[fmt](pkg, current_app.config["SITE_TITLE"], short_url(pkg))
    return Response(text, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{pkg["name"]}.{suffix}"'})


@bp.route("/dataset/<dataset_id>/download.zip", methods=["GET", "HEAD"])
def download_zip(dataset_id):
    """All files of the dataset in one ZIP (same permission check as single downloads)."""
    try:
        dataset = authz.get_dataset_or_404(dataset_id, current_user())
    except NotFound:
        abort(404)
    pkg = call_action("package_show", current_user(), {"id": dataset.id})
    stream = archive.dataset_zip(pkg)
    if request.method == "GET":
        host.notify("activity", action="download", dataset_id=dataset.id, resource_id=None,
                    details={"artifact": "zip"})
    return Response(stream, mimetype="application/zip", headers={
        "Content-Length": str(len(stream)),
        "Content-Disposition": f'attachment; filename="{pkg["name"]}.zip"'})
