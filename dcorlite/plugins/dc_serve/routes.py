"""Download routes: ``/dataset/<id>/resource/<rid>/download/<name>``.

Authorization is the API token header or a login session; a resource the
caller may not see is reported as missing (404), never as forbidden.
"""
from flask import Blueprint, Response, g

from ... import authz
from ...errors import NotAuthorized, NotFound
from ...serving import ranged_response
from ...storage import get_storage, resource_key

bp = Blueprint("dc_serve", __name__)


def _not_found(text="Resource not found"):
    return Response(text + "\n", status=404, mimetype="text/plain")


def _readable_resource(dataset_id, resource_id):
    try:
        dataset = authz.get_dataset_or_404(dataset_id, g.get("user"))
        resource = authz.get_resource(str(resource_id), g.get("user"))
    except (NotFound, NotAuthorized):
        return None
    if resource.dataset_id != dataset.id:
        return None
    return resource


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
    return ranged_response(storage, key, resource.size, resource.etag or resource.sha256,
                           download_name=resource.name, mimetype="application/octet-stream")
