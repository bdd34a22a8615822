"""``resource_upload_s3_urls``: signed upload URLs for a new resource."""
import uuid

from flask import current_app

from ... import authz, signing, validation
from ...actions import Action
from ...dictization import site_url
from ...errors import ValidationError
from ...models import Upload
from ...params import Param, identifier
from ...storage import get_storage
from . import parts as P
from . import store


def _file_size(value):
    try:
        size = int(float(value))
    except (TypeError, ValueError, OverflowError):  # OverflowError: infinite, 10**400
        raise ValidationError({"file_size": ["Must be a number of bytes"]}) from None
    if size <= 0:
        raise ValidationError({"file_size": ["Empty files cannot be uploaded"]})
    maximum = current_app.config["UPLOADS_MAX_SIZE"]
    if size > maximum:
        raise ValidationError({"file_size": [f"Files larger than {maximum} bytes are "
                                             "not accepted by this server"]})
    return size


def resource_upload_s3_urls(context, data):
    """Reserve a resource id and return signed URLs to upload its file.

    ``organization_id`` is the circle of the dataset, ``file_size`` the size in
    bytes. One PUT URL per part of at most ``UPLOADS_PART_SIZE`` bytes; with
    more than one part a ``complete_url`` takes the S3
    ``CompleteMultipartUpload`` document.
    """
    user = context["user"]
    if data.get("organization_id") in (None, ""):
        raise validation.missing("organization_id")
    if data.get("file_size") in (None, ""):
        raise validation.missing("file_size")
    authz.require_login(user, "upload files")
    circle = authz.get_group(validation.as_str(data["organization_id"], "organization_id"),
                             is_organization=True)
    authz.require_role(user, circle, authz.WRITE_ROLES, f"upload to circle {circle.name}")
    size = _file_size(data["file_size"])
    cfg = current_app.config
    n = P.num_parts(size, cfg["UPLOADS_PART_SIZE"])
    if n > 10000:
        raise ValidationError({"file_size": ["File needs more than 10000 parts"]})
    upload = Upload(id=str(uuid.uuid4()), user=user, organization=circle,
                    file_size=size, num_parts=n)
    upload.save(force_insert=True)
    store.sweep_in_background(current_app._get_current_object())
    expiry = cfg["UPLOADS_URL_EXPIRY"]
    storage = get_storage()
    presigned = storage.upload_urls(storage.staging_key(upload.id), size, n, expiry)
    if presigned is not None:
        return dict(presigned, resource_id=upload.id)
    path = f"/uploads/{upload.id}"
    base = site_url() + path
    if n == 1:
        urls = [f"{base}?{signing.sign('upload', 'PUT', path, {}, expiry)}"]
        complete_url = None
    else:
        urls = [f"{base}?{signing.sign('upload', 'PUT', path, {'partNumber': k}, expiry)}"
                for k in range(1, n + 1)]
        complete_url = f"{base}?{signing.sign('upload', 'POST', path, {}, expiry)}"
    return {"upload_urls": urls, "complete_url": complete_url, "resource_id": upload.id}


ACTIONS = [Action("resource_upload_s3_urls", resource_upload_s3_urls, get=True, params={
    "organization_id": identifier("circle id or name", required=True),
    "file_size": Param("number", required=True, description="bytes")})]
