"""The job ``dc_view.preview`` and the route that serves its JPEG."""
import os

from flask import Blueprint, Response, g, request

from ... import authz, host
from ...dcfiles import open_dc_file
from ...errors import NotFound
from ...jobs import forced
from ...jobs.scratch import scratch_dir
from ...jobs.waiting import wait_for_job
from ...serving import ranged_response, unfinished_job_response
from ...storage import get_storage, resource_key

bp = Blueprint("dc_view", __name__)

PREVIEW_JOB = "dc_view.preview"


def ensure_preview(resource_id):
    """Render the preview JPEG of a DC resource (skipped if it exists)."""
    from .plot import render_preview  # imports dclab and matplotlib: only when needed
    storage = get_storage()
    key = resource_key(resource_id, "preview")
    if storage.exists(key) and not forced():
        return
    with scratch_dir() as work:
        out = os.path.join(work, "preview.jpg")
        with open_dc_file(resource_id) as path:
            render_preview(path, out)
        storage.put_file(key, out)


@bp.route("/dataset/<dataset_id>/resource/<uuid:resource_id>/preview.jpg",
          methods=["GET", "HEAD"])
def preview_jpg(dataset_id, resource_id):
    """The preview image (same rules as downloads); while it is being made, wait for it.

    404 for resources that have none, 409 if rendering failed, 503 with
    ``Retry-After`` if it is not ready within ``JOBS_WAIT_SECONDS``.
    """
    try:
        resource = authz.get_dataset_resource_or_404(dataset_id, resource_id, g.get("user"))
    except NotFound:
        return Response("Preview not found\n", status=404, mimetype="text/plain")
    unfinished = unfinished_job_response(
        wait_for_job(resource, PREVIEW_JOB), "Preview")
    if unfinished is not None:
        return unfinished
    storage = get_storage()
    key = resource_key(resource.id, "preview")
    if not storage.exists(key):
        return Response("Preview not found\n", status=404, mimetype="text/plain")
    etag = f"preview-{resource.id}-{storage.size(key)}"
    if request.method == "GET":
        host.notify("activity", action="download", dataset_id=resource.dataset_id,
                    resource_id=resource.id, details={"artifact": "preview"})
    return ranged_response(storage, key, storage.size(key), etag, mimetype="image/jpeg")
