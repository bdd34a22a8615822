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
    _note_activity(upload.id)
    state = _running.get(upload.id)
    if number == 1:
        state = (1, hashlib.sha256())
    in_order = state is not None and state[0] == number
    sha = state[1].copy() if in_order else None
    result = storage.write_stream(storage.staging_key(upload.id), stream, offset=offset,
                                  length=length, sha256=sha)
    with _lock(upload.id):
        if in_order:
            _running[upload.id] = (number + 1, sha)
        elif state is not None and number < state[0]:
            _running.pop(upload.id, None)  # an earlier part changed: hash again at the end
        with database.atomic():
            fresh = lock_rows(Upload.select().where(Upload.id == upload.id))[0]
            fresh.parts = dict(fresh.parts or {}, **{str(number): result.md5})
            fresh.last_activity = utcnow()
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
        with storage.open_range(storage.staging_key(upload.id)) as fh:
            sha256 = hash_stream(fh).sha256
    with database.atomic():
        Upload.update(etag=etag, sha256=sha256, complete=True).where(
            Upload.id == upload.id).execute()
    return etag


def _note_activity(upload_id):
    Upload.update(last_activity=utcnow()).where(Upload.id == upload_id).execute()


def _last_activity(storage, upload):
    """When ``upload`` last received bytes: a part began or ended, or its file was written."""
    times = [upload.created, upload.last_activity]
    modified = storage.upload_activity(upload.id)
    if modified is not None:
        times.append(datetime.datetime.fromtimestamp(modified, datetime.timezone.utc)
                     .replace(tzinfo=None))
    return max(t for t in times if t is not None)


def _finished(storage, upload):
    """Whether all bytes of ``upload`` arrived (through dcorlite, or straight to storage)."""
    return upload.complete or storage.direct_upload_etag(
        storage.staging_key(upload.id), upload.file_size) is not None


def find_stale(storage, max_age_hours, idle_minutes, active_minutes, now=None):
    """The unattached uploads that are old or abandoned, and stray staged files.

    An upload is stale when it was made more than ``max_age_hours`` ago, or
    when it is incomplete and received no bytes for ``idle_minutes`` (its
    client was cut off: DCOR-Aid starts a cut-off file again with a new
    upload). One that received bytes in the last ``active_minutes`` never is.

    :param now: the time to judge by (naive UTC; default: now)
    :returns: ``(uploads, stray keys)``: :class:`Upload` rows, and staged
        files without a row older than the same limits
    """
    now = now or utcnow()
    old = now - datetime.timedelta(hours=max_age_hours)
    idle = now - datetime.timedelta(minutes=idle_minutes)
    active = now - datetime.timedelta(minutes=active_minutes)
    uploads = []
    for upload in Upload.select().where(Upload.created < max(old, idle)):
        last = _last_activity(storage, upload)
        abandoned = last < idle and not _finished(storage, upload)
        if last < active and (upload.created < old or abandoned):
            uploads.append(upload)
    known = {u.id for u in Upload.select(Upload.id)}
    cutoff = _stray_cutoff(now, max_age_hours, active_minutes)
    strays = [key for key, mtime in list(storage.list_keys("uploads"))
              if key.rsplit("/", 1)[-1] not in known and mtime < cutoff]
    return uploads, strays


def _stray_cutoff(now, max_age_hours, active_minutes):
    """Seconds since the epoch before which what belongs to no upload row is stray."""
    limit = min(now - datetime.timedelta(hours=max_age_hours),
                now - datetime.timedelta(minutes=active_minutes))
    return (limit - datetime.datetime(1970, 1, 1)).total_seconds()


def cleanup_stale(storage, max_age_hours, idle_minutes, active_minutes, now=None):
    """Delete what :func:`find_stale` finds: stale uploads with their files, stray files;
    abort unfinished uploads straight to storage that belong to no upload row.

    :returns: number of uploads (stray files, stray unfinished uploads) removed
    """
    now = now or utcnow()
    uploads, strays = find_stale(storage, max_age_hours, idle_minutes, active_minutes, now)
    for upload in uploads:
        storage.abort_direct_upload(upload.id)
        storage.delete(storage.staging_key(upload.id))
        upload.delete_instance()
        _running.pop(upload.id, None)
    for key in strays:
        storage.delete(key)
    known = {u.id for u in Upload.select(Upload.id)}
    return len(uploads) + len(strays) + storage.abort_stray_direct_uploads(
        known, _stray_cutoff(now, max_age_hours, active_minutes))


_last_sweep = [0.0]
SWEEP_INTERVAL = 600


def sweep_in_background(app):
    """Start :func:`cleanup_stale` in a thread if the last sweep is ``SWEEP_INTERVAL`` s old."""
    with _locks_guard:
        if time.time() - _last_sweep[0] < SWEEP_INTERVAL:
            return
        _last_sweep[0] = time.time()

    def run():
        from ...storage import get_storage
        try:
            with app.app_context(), database.connection_context():
                removed = cleanup_stale(get_storage(app), **cleanup_settings(app))
            if removed:
                logger.info("removed %d stale uploads", removed)
        except Exception:
            logger.exception("cleaning up stale uploads failed")

    threading.Thread(target=run, name="dcorlite-upload-sweep", daemon=True).start()


def cleanup_settings(app, max_age_hours=None):
    """The keyword arguments of :func:`cleanup_stale` from the app's settings."""
    cfg = app.config
    return {"max_age_hours": cfg["UPLOADS_STALE_HOURS"] if max_age_hours is None
            else max_age_hours,
            "idle_minutes": cfg["UPLOADS_IDLE_MINUTES"],
            "active_minutes": cfg["UPLOADS_ACTIVE_MINUTES"]}
