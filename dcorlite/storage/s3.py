"""S3 object storage (``STORAGE_URL = "s3:"``), with one bucket per circle.

Buckets are named by ``S3_BUCKET_TEMPLATE`` (default ``circle-{circle_id}``)
and made on demand. Keys are dcorlite's own keys, unchanged
(``resource/012/3ab/cd-…``).

Which bucket holds a key:

* a key with a resource id (:func:`~dcorlite.storage.base.resource_key`, a
  key below ``quarantine/<stamp>/`` that ends in one, ``uploads/<id>``) is in
  the bucket of the resource's circle. A resource never changes its circle,
  so the circle is looked up once (the Resource's dataset, else the Upload
  row) and kept in a bounded LRU cache. A resource id without a row
  (an orphan, a purged dataset's files) is searched in the buckets of this
  instance, and written to the instance bucket if it is nowhere;
* every other key (none today) is in the *instance bucket*, the template with
  ``circle_id="instance"``; a circle id is a uuid, so it cannot collide.

:meth:`S3Storage.list_keys` walks every bucket whose name the template
matches with a uuid or ``instance``, so buckets of other instances on the same
endpoint (another template) are never seen.

Uploads go straight to S3: :meth:`S3Storage.staging_key` is the resource's
final key, so attaching an upload moves nothing. :meth:`write_stream` writes
whole objects (a multipart upload in parts of :data:`PART_SIZE`, constant
memory); writes at an ``offset`` (dcorlite's own part endpoint, whose URLs
are never handed out when this backend signs upload URLs) are refused.
S3 has no rename: :meth:`move` copies and deletes.
"""
import functools
import json
import math
import re
import threading
import time
import urllib.parse
from collections import OrderedDict

from .. import hookimpl
from ..errors import StartupError
from .base import Storage, check_key, hash_stream, resource_id_of, resource_key

#: bytes per part of the multipart uploads this backend makes itself (S3: 5 MiB … 5 GiB)
PART_SIZE = 16 * 2 ** 20
#: resource id → bucket entries kept
BUCKET_CACHE_SIZE = 65536
#: presigned GET URLs kept for reuse while they are on the same time grid
URL_CACHE_SIZE = 4096
#: the grid of presigned GET expiries, as a fraction of the lifetime asked for
URL_GRID = 0.2
INSTANCE = "instance"
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@hookimpl
def config_defaults():
    """S3 settings (see docs/configuration.md)."""
    return {
        "S3_ENDPOINT_URL": "",                    # empty: AWS
        "S3_BUCKET_TEMPLATE": "circle-{circle_id}",
        "S3_REGION": "",                          # empty: boto3's, else us-east-1
        "S3_ACCESS_KEY_ID": "",                   # empty: boto3's chain (AWS_* variables…)
        "S3_SECRET_ACCESS_KEY": "",
    }


@hookimpl
def register_storage_backends():
    """Serve ``s3:`` storage URLs from an S3 endpoint."""
    return {"s3": S3Storage}


class _LRU:
    """A small thread-safe LRU mapping."""

    def __init__(self, size):
        self.size, self._data, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key, value):
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


class _Body:
    """An S3 response body as a plain readable file (no seek: waitress must not try)."""

    def __init__(self, body):
        self._body = body

    def read(self, size=-1):
        return self._body.read(None if size is None or size < 0 else size)

    def close(self):
        self._body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_client(config):
    """A boto3 S3 client from the app's ``S3_*`` settings (path-style addressing)."""
    import boto3
    from botocore.config import Config
    options = {"endpoint_url": config["S3_ENDPOINT_URL"] or None,
               "region_name": config["S3_REGION"] or None}
    if config["S3_ACCESS_KEY_ID"]:
        options.update(aws_access_key_id=config["S3_ACCESS_KEY_ID"],
                       aws_secret_access_key=config["S3_SECRET_ACCESS_KEY"])
    session = boto3.session.Session()
    if options["region_name"] is None and session.region_name is None:
        options["region_name"] = "us-east-1"
    return session.client("s3", config=Config(
        signature_version="s3v4", s3={"addressing_style": "path"},
        retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5,
        max_pool_connections=32,
        # presigned URLs must not demand checksums DCOR-Aid does not send
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required"), **options)


class S3Storage(Storage):
    """Objects in S3 buckets, one per circle (see the module docstring)."""

    def __init__(self, url, app=None):
        super().__init__(url, app)
        from botocore.exceptions import BotoCoreError, ClientError
        self._errors = (BotoCoreError, ClientError)
        cfg = app.config
        self.template = cfg["S3_BUCKET_TEMPLATE"]
        if self.template.count("{circle_id}") != 1:
            raise StartupError("S3_BUCKET_TEMPLATE must contain '{circle_id}' once, not "
                               f"{self.template!r}")
        head, tail = (re.escape(p) for p in self.template.split("{circle_id}"))
        self._bucket_re = re.compile(f"^{head}({_UUID}|{INSTANCE}){tail}$")
        self.client = make_client(cfg)
        self.endpoint = self.client.meta.endpoint_url.rstrip("/")
        self._check_connection()
        self._buckets = _LRU(BUCKET_CACHE_SIZE)
        self._made = set()
        self._urls = _LRU(URL_CACHE_SIZE)

    def _check_connection(self):
        """Fail at start-up, not at the first upload, if the endpoint or credentials are bad."""
        try:
            self.client.list_buckets()
        except self._errors as exc:
            raise StartupError(f"S3 storage at {self.endpoint} is not usable: {exc} "
                               "(check S3_ENDPOINT_URL and the credentials)") from None

    # -- where a key lives -----------------------------------------------------

    def bucket_name(self, circle_id):
        """The bucket of circle ``circle_id`` (``"instance"``: the instance bucket)."""
        return self.template.format(circle_id=circle_id)

    def _own_buckets(self):
        names = [b["Name"] for b in self.client.list_buckets().get("Buckets", [])]
        return [name for name in names if self._bucket_re.match(name)]

    @staticmethod
    def _resource_id(key):
        parts = check_key(key).split("/")
        if len(parts) == 2 and parts[0] == "uploads":
            return parts[1] if re.fullmatch(_UUID, parts[1]) else None
        return resource_id_of("/".join(parts[-4:])) if len(parts) >= 4 else None

    def _bucket(self, key, for_writing=False):
        rid = self._resource_id(key)
        if rid is None:
            bucket = self.bucket_name(INSTANCE)
        else:
            bucket = self._buckets.get(rid)
            if bucket is None:
                bucket = self._lookup(rid, key)
                if bucket is None:
                    return self.bucket_name(INSTANCE) if for_writing else None
                self._buckets.put(rid, bucket)
        if for_writing:
            self._require_bucket(bucket)
        return bucket

    def _lookup_row(self, rid):
        """The bucket the database names for resource (or upload) ``rid``, or None."""
        from ..models import Dataset, Resource, Upload
        circle = (Resource.select(Dataset.owner_org).join(Dataset)
                  .where(Resource.id == rid).scalar())
        if circle is None:
            circle = Upload.select(Upload.organization).where(Upload.id == rid).scalar()
        return None if circle is None else self.bucket_name(circle)

    def _lookup(self, rid, key):
        bucket = self._lookup_row(rid)
        if bucket is not None:
            return bucket
        for bucket in self._own_buckets():  # no row (any more): wherever it is stored
            if self._head(bucket, key) is not None:
                return bucket
        return None

    def _require_bucket(self, bucket):
        if bucket in self._made:
            return
        try:
            self.client.head_bucket(Bucket=bucket)
        except self._errors:
            try:
                self.client.create_bucket(Bucket=bucket)
            except self.client.exceptions.BucketAlreadyOwnedByYou:
                pass
        self._made.add(bucket)

    def _head(self, bucket, key):
        try:
            return self.client.head_object(Bucket=bucket, Key=key)
        except self._errors as exc:
            if _status(exc) in (403, 404):  # 403: a bucket that is not ours
                return None
            raise

    def _head_key(self, key):
        bucket = self._bucket(key)
        return None if bucket is None else self._head(bucket, key)

    # -- the storage interface -------------------------------------------------

    def staging_key(self, upload_id):
        """Uploads land at the resource's final key: attaching moves nothing."""
        return resource_key(upload_id)

    def write_stream(self, key, stream, offset=0, length=None, sha256=None):
        if offset:
            raise ValueError("S3 storage writes whole objects only: parts of uploads go to "
                             "presigned S3 URLs, not through dcorlite")
        bucket = self._bucket(key, for_writing=True)
        sink = _MultipartSink(self.client, bucket, key)
        try:
            result = hash_stream(stream, length, sha256, sink=sink)
            sink.finish()
        except BaseException:
            sink.abort()
            raise
        return result

    def put_file(self, key, path):
        """S3 PUTs are atomic already: readers never see a partial object."""
        with open(path, "rb") as fh:
            return self.write_stream(key, fh)

    def write_json(self, key, data):
        body = json.dumps(data, allow_nan=False).encode()
        self.client.put_object(Bucket=self._bucket(key, for_writing=True), Key=key, Body=body)

    def open_range(self, key, start=0, length=None):
        bucket = self._bucket(key)
        if bucket is None:
            raise FileNotFoundError(key)
        options = {}
        if start or length is not None:
            end = "" if length is None else start + max(length, 1) - 1
            options["Range"] = f"bytes={start}-{end}"
        try:
            answer = self.client.get_object(Bucket=bucket, Key=key, **options)
        except self._errors as exc:
            if _status(exc) in (403, 404):
                raise FileNotFoundError(key) from None
            raise
        return _Body(answer["Body"])

    def exists(self, key):
        return self._head_key(key) is not None

    def size(self, key):
        head = self._head_key(key)
        if head is None:
            raise FileNotFoundError(key)
        return head["ContentLength"]

    def modified(self, key):
        head = self._head_key(key)
        return None if head is None else head["LastModified"].timestamp()

    def delete(self, key):
        bucket = self._bucket(key)
        if bucket is None:
            return
        try:
            self.client.delete_object(Bucket=bucket, Key=key)
        except self._errors as exc:
            if _status(exc) not in (403, 404):  # a bucket that was never made
                raise

    def move(self, src, dst):
        """Copy ``src`` to ``dst``, then delete ``src`` (S3 cannot rename)."""
        source = self._bucket(src)
        if source is None or self._head(source, src) is None:
            raise FileNotFoundError(src)
        self.client.copy({"Bucket": source, "Key": src},
                         self._bucket(dst, for_writing=True), dst)
        self.client.delete_object(Bucket=source, Key=src)

    def settle(self, keys):
        """Move objects from the instance bucket to their circle's, now that rows name it.

        A restore writes the files before the database exists, so each landed in
        the instance bucket; afterwards the resource (or upload) rows say which
        circle's bucket they belong in.
        """
        fallback = self.bucket_name(INSTANCE)
        for key in keys:
            rid = self._resource_id(key)
            bucket = self._lookup_row(rid) if rid is not None else None
            if bucket is None or bucket == fallback or self._head(fallback, key) is None:
                continue
            self._require_bucket(bucket)
            self.client.copy({"Bucket": fallback, "Key": key}, bucket, key)
            self.client.delete_object(Bucket=fallback, Key=key)
            self._buckets.put(rid, bucket)

    def unsettled_keys(self):
        """Keys in the instance bucket whose resource (or upload) row names a circle."""
        fallback = self.bucket_name(INSTANCE)
        if fallback not in self._own_buckets():
            return []
        found = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=fallback):
            for item in page.get("Contents", []):
                rid = self._resource_id(item["Key"])
                if rid is not None and self._lookup_row(rid) not in (None, fallback):
                    found.append(item["Key"])
        return found

    def list_keys(self, prefix):
        for key, _, modified in self.list_objects(prefix):
            yield key, modified

    def list_objects(self, prefix):
        prefix = check_key(prefix).rstrip("/") + "/"
        paginator = self.client.get_paginator("list_objects_v2")
        for bucket in self._own_buckets():
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    rid = self._resource_id(item["Key"])
                    if rid is not None:
                        self._buckets.put(rid, bucket)
                    yield item["Key"], item["Size"], item["LastModified"].timestamp()

    def bucket_policy(self, bucket):
        """The bucket's policy as a dict, or None (no policy, or no such bucket)."""
        try:
            return json.loads(self.client.get_bucket_policy(Bucket=bucket)["Policy"])
        except self._errors as exc:
            if _status(exc) == 404:
                return None
            raise

    def set_bucket_policy(self, bucket, policy):
        """Write ``policy`` (a dict) as the bucket's policy; None removes it."""
        if policy is None:
            self.client.delete_bucket_policy(Bucket=bucket)
        else:
            self.client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    # -- URLs ------------------------------------------------------------------

    def object_url(self, key):
        """``{endpoint}/{bucket}/{key}`` (path style), as DCOR's ``s3_url``."""
        bucket = self._bucket(key)
        return None if bucket is None else f"{self.endpoint}/{bucket}/{key}"

    def signed_url(self, key, expires_in, filename=None):
        """A presigned GET, the same one for a while so that clients can cache it.

        The expiry is put on a grid of ``URL_GRID * expires_in``: every URL is
        valid for at least ``expires_in`` and at most 20 % longer.
        """
        grid = max(1, int(expires_in * URL_GRID))
        slot = math.floor(time.time() / grid)
        cached = self._urls.get((key, filename, expires_in, slot))
        if cached is not None:
            return cached
        bucket = self._bucket(key)
        if bucket is None:
            return None
        params = {"Bucket": bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        lifetime = (slot + 1) * grid + expires_in - int(time.time())
        url = self.client.generate_presigned_url("get_object", Params=params,
                                                 ExpiresIn=lifetime)
        self._urls.put((key, filename, expires_in, slot), url)
        return url

    def upload_urls(self, key, file_size, num_parts, expires_in):
        """Presigned PUT URL(s) and, for several parts, the ``CompleteMultipartUpload`` POST."""
        bucket = self._bucket(key, for_writing=True)
        sign = functools.partial(self.client.generate_presigned_url, ExpiresIn=expires_in)
        target = {"Bucket": bucket, "Key": key}
        if num_parts == 1:
            return {"upload_urls": [sign("put_object", Params=target)], "complete_url": None}
        upload_id = self.client.create_multipart_upload(**target)["UploadId"]
        target["UploadId"] = upload_id
        urls = [sign("upload_part", Params=dict(target, PartNumber=n))
                for n in range(1, num_parts + 1)]
        complete = sign("complete_multipart_upload", Params=target, HttpMethod="POST")
        return {"upload_urls": urls, "complete_url": complete}

    def direct_upload_etag(self, key, file_size):
        """The ETag of the object a client uploaded to ``key``, if it has ``file_size`` bytes."""
        head = self._head_key(key)
        if head is None or head["ContentLength"] != file_size:
            return None
        return head["ETag"].strip('"')

    def _multipart_uploads(self, upload_id):
        """``(bucket, key, S3 upload id)`` of the unfinished multipart uploads to a staging key."""
        key = self.staging_key(upload_id)
        bucket = self._bucket(key)
        if bucket is None:
            return []
        try:
            found = self.client.list_multipart_uploads(Bucket=bucket, Prefix=key)
        except self._errors as exc:
            if _status(exc) in (403, 404):
                return []
            raise
        return [(bucket, key, item["UploadId"]) for item in found.get("Uploads", [])
                if item["Key"] == key]

    def abort_direct_upload(self, upload_id):
        """Abort the unfinished multipart uploads of ``upload_id`` (their parts are deleted)."""
        for bucket, key, s3_upload in self._multipart_uploads(upload_id):
            self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=s3_upload)

    def abort_stray_direct_uploads(self, known_ids, before):
        """Abort the multipart uploads to resource keys of no upload, begun before ``before``.

        What is left when an upload row went without its multipart upload
        (a failed abort, a database restored from before the upload); S3
        keeps the parts of an unfinished upload, unseen, until it is aborted.
        """
        aborted = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for bucket in self._own_buckets():
            for page in paginator.paginate(Bucket=bucket, Prefix="resource/"):
                for item in page.get("Uploads", []):
                    rid = resource_id_of(item["Key"])
                    if (rid is None or rid in known_ids
                            or item["Initiated"].timestamp() >= before):
                        continue
                    self.client.abort_multipart_upload(Bucket=bucket, Key=item["Key"],
                                                       UploadId=item["UploadId"])
                    aborted += 1
        return aborted

    def upload_activity(self, upload_id):
        """The newest of the object's time and those of the parts of unfinished uploads."""
        times = [self.modified(self.staging_key(upload_id))]
        for bucket, key, s3_upload in self._multipart_uploads(upload_id):
            parts = self.client.list_parts(Bucket=bucket, Key=key, UploadId=s3_upload)
            times += [part["LastModified"].timestamp() for part in parts.get("Parts", [])]
        found = [t for t in times if t is not None]
        return max(found) if found else None


def content_disposition(filename):
    """``attachment; filename="…"`` with an RFC 5987 ``filename*`` for non-ASCII names."""
    plain = filename.encode("ascii", "replace").decode().replace('"', "'").replace("\\", "_")
    if plain == filename:
        return f'attachment; filename="{plain}"'
    return (f'attachment; filename="{plain}"; '
            f"filename*=UTF-8''{urllib.parse.quote(filename, safe='')}")


def _status(exc):
    return getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")


class _MultipartSink:
    """A file-like sink that uploads what it gets in parts; one PUT for small objects."""

    def __init__(self, client, bucket, key):
        self.client, self.bucket, self.key = client, bucket, key
        self.buffer = bytearray()
        self.upload_id = None
        self.parts = []

    def write(self, chunk):
        """Take ``chunk``; upload a part once :data:`PART_SIZE` bytes are buffered."""
        self.buffer += chunk
        if len(self.buffer) >= PART_SIZE:
            self._upload_part()

    def _upload_part(self):
        if self.upload_id is None:
            self.upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key)["UploadId"]
        number = len(self.parts) + 1
        answer = self.client.upload_part(Bucket=self.bucket, Key=self.key, PartNumber=number,
                                         UploadId=self.upload_id, Body=bytes(self.buffer))
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self.buffer.clear()

    def finish(self):
        """Store the object (PUT, or the last part and ``CompleteMultipartUpload``)."""
        if self.upload_id is None:
            self.client.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer))
            return
        if self.buffer:
            self._upload_part()
        self.client.complete_multipart_upload(Bucket=self.bucket, Key=self.key,
                                              UploadId=self.upload_id,
                                              MultipartUpload={"Parts": self.parts})

    def abort(self):
        """Drop the parts uploaded so far."""
        if self.upload_id is not None:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key,
                                                   UploadId=self.upload_id)
            except Exception:  # the error that made us abort is the one to report
                pass
