"""The job ``uploads.sha256``: the SHA-256 of a file that was uploaded straight to storage.

Files that pass through dcorlite are hashed while they are written; a file
a client put into S3 itself is read back once, streaming, before any other
job of its resource runs (DCOR-Aid's upload verification waits for it where
the ETag does not settle it).
"""
from ...db import database
from ...jobs import forced
from ...models import Resource
from ...revisions import bump
from ...storage import get_storage, resource_key
from ...storage.base import hash_stream

SHA256_JOB = "uploads.sha256"


def lacks_sha256(resource):
    """True for resources whose file was not hashed on its way in."""
    return not resource.sha256


def ensure_sha256(resource_id):
    """Store the SHA-256 of the resource's file, unless it is known."""
    resource = Resource.get_by_id(resource_id)
    if resource.sha256 and not forced():
        return
    with get_storage().open_range(resource_key(resource_id)) as fh:
        sha256 = hash_stream(fh).sha256
    with database.atomic():
        Resource.update(sha256=sha256).where(Resource.id == resource_id).execute()
        bump(resource.dataset_id)
