"""Download routes: ``/dataset/<id>/resource/<rid>/download/<name>``.

Authorization is the API token header or a login session; a resource the
caller may not see is reported as missing (404), never as forbidden.
Storage that signs URLs of its own (S3) is sent to with a redirect (302) to
a presigned URL; otherwise dcorlite streams the bytes.
"""
from flask import Blueprint, Response, current_app, g, redirect, request

from ... import authz, host, signing
from ...errors import NotFound
from ...jobs.waiting import wait_for_job
from ...models import Dataset, Resource
from ...serving import ranged_response, unfinished_job_response
from ...storage import get_storage, resource_key
from . import basins, kernel

bp = Blueprint("dc_serve", __name__)


def _not_found(text="Resource not found"):
    return Response(text + "\n", status=404, mimetype="text/plain")


def _readable_resource(dataset_id, resource_id):
    try:
        return authz.get_dataset_resource_or_404(dataset_id, resource_id, g.get("user"))
    except NotFound:
        return None


@bp.route("/dataset/<dataset_id>/resource/<uuid:resource_id>/download",
          methods=["GET", "HEAD"])
@bp.route("/dataset/<dataset_id>/resource/<uuid:resource_id>/download/<path:filename>",
          methods=["GET", "HEAD"])
def download(dataset_id, resource_id, filename=None):
    """Stream the original file, with ``Range`` support."""
    resource = _readable_resource(dataset_id, resource_id)
    if resource is None:
        return _not_found()
    storage = get_storage()
    key = resource_key(resource.id)
    if not storage.exists(key):
        return _not_found("Resource file not available")
    downloaded(resource, "resource")
    return _send(storage, key, resource.size, resource.etag or resource.sha256,
                 download_name=resource.name, mimetype="application/octet-stream")


@bp.route("/dataset/<dataset_id>/resource/<uuid:resource_id>/condensed.rtdc",
          methods=["GET", "HEAD"])
def condensed(dataset_id, resource_id):
    """Stream the condensed copy; while it is being made, wait for it (first in the queue).

    404 for files that have none, 409 if making it failed, 503 with
    ``Retry-After`` if it is not ready within ``JOBS_WAIT_SECONDS``.
    """
    resource = _readable_resource(dataset_id, resource_id)
    if resource is None:
        return _not_found()
    outcome = wait_for_job(resource, kernel.CONDENSE_JOB)
    unfinished = unfinished_job_response(outcome, "Condensed copy")
    if unfinished is not None:
        return unfinished
    meta = kernel.load(resource.id)[1]
    if meta is None:
        return _not_found("Condensed resource not found")
    storage = get_storage()
    key = resource_key(resource.id, "condensed")
    stem = resource.name.rsplit(".", 1)[0]
    downloaded(resource, "condensed")
    return _send(storage, key, None, meta["etag"], download_name=f"{stem}_condensed.rtdc")


def downloaded(resource, artifact, action="download", actor=None):
    """Tell the audit trail that ``artifact`` of ``resource`` is being sent (GET only).

    :param actor: the user a signed basin URL was issued to (no token comes with it)
    """
    if request.method != "GET":
        return
    details = {"artifact": artifact}
    if actor:
        details["actor"] = actor
    host.notify("activity", action=action, dataset_id=resource.dataset_id,
                resource_id=resource.id, details=details)


def _forbidden():
    return Response("Forbidden\n", status=403, mimetype="text/plain")


@bp.route("/files/<uuid:resource_id>/<any(resource, condensed):artifact>",
          methods=["GET", "HEAD"])
def basin_file(resource_id, artifact):
    """Bytes of an original or condensed file for dclab's HTTP basins.

    Authorized by a valid signature (private data) or by the dataset being
    public; no token is needed or read.
    """
    resource = Resource.file_facts(resource_id)
    if resource is None:
        return _not_found()
    path = basins.file_path(resource.id, artifact)
    signed = signing.verify("basin", "GET", path, request.args)
    if not signed and not basins.is_public(Dataset.by_id_or_name(resource.dataset_id)):
        return _forbidden()
    storage = get_storage()
    key = resource_key(resource.id, artifact)
    actor = request.args.get("user") if signed else None
    if artifact == "condensed":
        meta = kernel.load(resource.id)[1]
        if meta is None or not storage.exists(key):
            return _not_found("Condensed resource not found")
        downloaded(resource, artifact, "basin", actor)
        return _send(storage, key, None, meta["etag"])
    if not storage.exists(key):
        return _not_found()
    downloaded(resource, artifact, "basin", actor)
    return _send(storage, key, resource.size, resource.etag or resource.sha256)


def _send(storage, key, size, etag, download_name=None, mimetype=None):
    """A redirect to the storage's presigned URL of ``key``, else its bytes from here.

    :param size: the object's size if known (None: ask the storage)
    """
    url = storage.signed_url(key, current_app.config["DC_SERVE_URL_EXPIRY"],
                             filename=download_name)
    if url is not None:
        return redirect(url, 302)
    size = storage.size(key) if size is None else size
    return ranged_response(storage, key, size, etag, download_name=download_name,
                           mimetype=mimetype)
