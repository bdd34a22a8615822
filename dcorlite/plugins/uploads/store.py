"""Receiving upload parts into storage and finishing uploads.

Parts are written straight to their offset in one staged object, so completing
a multipart upload copies nothing. SHA-256 is computed while parts arrive in
order; otherwise it is computed once when the upload is completed.
"""
import datetime
import hashlib
import logging
import threading
import time

from ...db import database, lock_rows
from ...models import Upload, utcnow
from ...storage import upload_key
from ...storage.base import hash_stream
from . import parts as P

logger = logging.getLogger(__name__)

_locks_guard = threading.Lock()
_locks = {}
#: upload id → (next part number, running sha256) while parts come in order
_running = {}


class UploadError(Exception):
    """An upload request that S3 would refuse; ``code`` is the S3 error code."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _lock(upload_id):
    with _locks_guard:
        return _locks.setdefault(upload_id, threading.Lock())


def receive_part(storage, upload, number, stream, length):
    """Write part ``number`` of ``upload`` from ``stream`` and return its MD5.

    :raises UploadError: wrong part number or length, upload already complete
    """
    if upload.complete:
        raise UploadError("InvalidRequest", "This upload is already complete", 409)
    if not 1 <= number <= upload.num_parts:
        raise UploadError("InvalidArgument", f"Part number must be 1..{upload.num_parts}")
    offset, expected = P.part_span(upload.file_size, upload.num_parts, number)
    if length != expected:
        raise UploadError("InvalidArgument",
                          f"Part {number} must have {expected} bytes, not {length}")
    state = _running.get(upload.id)
    if number == 1:
        state = (1, hashlib.sha256())
    in_order = state is not None and state[0] == number
    sha = state[1].copy() if in_order else None
    result = storage.write_stream(upload_key(upload.id), stream, offset=offset,
                                  length=length, sha256=sha)
    with _lock(upload.id):
        if in_order:
            _running[upload.id] = (number + 1, sha)
        elif state is not None and number < state[0]:
            _running.pop(upload.id, None)  # an earlier part changed: hash again at the end
        with database.atomic():
            fresh = lock_rows(Upload.select().where(Upload.id == upload.id))[0]
            fresh.parts = dict(fresh.parts or {}, **{str(number): result.md5})
            if upload.num_parts == 1:
                fresh.etag, fresh.sha256, fresh.complete = result.md5, result.sha256, True
            fresh.save()
    if upload.num_parts == 1:
        _running.pop(upload.id, None)
    return result.md5


def complete(storage, upload, part_list):
    """Finish a multipart upload from ``[(number, etag), …]`` and return its ETag.

    :raises UploadError: missing or mismatching parts
    """
    if upload.complete:
        return upload.etag
    stored = upload.parts or {}
    numbers = [n for n, _ in part_list]
    if numbers != list(range(1, upload.num_parts + 1)):
        raise UploadError("InvalidPartOrder",
                          f"Expected parts 1..{upload.num_parts} in order, got {numbers}")
    for number, etag in part_list:
        if stored.get(str(number)) != etag.strip('"').lower():
            raise UploadError("InvalidPart", f"Part {number} was not uploaded or its "
                                             "ETag does not match")
    etag = P.multipart_etag([stored[str(n)] for n in numbers])
    state = _running.pop(upload.id, None)
    if state is not None and state[0] == upload.num_parts + 1:
        sha256 = state[1].hexdigest()
    else:
        with storage.open_range(upload_key(upload.id)) as fh:
            sha256 = hash_stream(fh).sha256
    with database.atomic():
        Upload.update(etag=etag, sha256=sha256, complete=True).where(
            Upload.id == upload.id).execute()
    return etag


def cleanup_stale(storage, max_age_hours):
    """Delete uploads never attached within ``max_age_hours``, and stray files.

    :returns: number of uploads removed
    """
    removed = 0
    cutoff = utcnow() - datetime.timedelta(hours=max_age_hours)
    stale = Upload.select().where(Upload.created < cutoff)
    for upload in stale:
        storage.delete(upload_key(upload.id))
        upload.delete_instance()
        _running.pop(upload.id, None)
        removed += 1
    known = {u.id for u in Upload.select(Upload.id)}
    for key, mtime in list(storage.list_keys("uploads")):
        upload_id = key.rsplit("/", 1)[-1]
        if upload_id not in known and mtime < time.time() - max_age_hours * 3600:
            storage.delete(key)
            removed += 1
    return removed


_last_sweep = [0.0]
SWEEP_INTERVAL = 3600


def sweep_in_background(app):
    """Start :func:`cleanup_stale` in a thread if the last sweep is an hour old."""
    with _locks_guard:
        if time.time() - _last_sweep[0] < SWEEP_INTERVAL:
            return
        _last_sweep[0] = time.time()

    def run():
        from ...storage import get_storage
        try:
            with app.app_context(), database.connection_context():
                removed = cleanup_stale(get_storage(app), app.config["UPLOADS_STALE_HOURS"])
            if removed:
                logger.info("removed %d stale uploads", removed)
        except Exception:
            logger.exception("cleaning up stale uploads failed")

    threading.Thread(target=run, name="dcorlite-upload-sweep", daemon=True).start()
