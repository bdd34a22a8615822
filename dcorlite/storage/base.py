"""The storage interface every backend implements.

Objects are addressed by keys that dcorlite builds itself from uuids
(:func:`resource_key`, :func:`upload_key`); a user-supplied name never
becomes part of a key.
"""
import abc
import io
import json
import concurrent.futures
import dataclasses
import hashlib
import re

CHUNK_SIZE = 1024 * 1024

_KEY_RE = re.compile(r"^[a-z_]+(/[0-9a-z_-]+)*(\.[a-z0-9]+)?$")
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def check_key(key):
    """Return ``key`` if it is a well-formed storage key.

    :raises ValueError: for anything else (``..``, absolute paths, odd characters)
    """
    if not isinstance(key, str) or not _KEY_RE.match(key) or ".." in key:
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def _check_uuid(value):
    if not isinstance(value, str) or not _UUID_RE.match(value):
        raise ValueError(f"not a resource id: {value!r}")
    return value


#: the kinds of stored file kept per resource: its original, and what jobs derive from it
RESOURCE_ARTIFACTS = ("resource", "condensed", "condensed_meta", "preview", "kernel")


def resource_key(resource_id, artifact="resource"):
    """Key of a resource's file (``artifact="resource"``) or a derived artifact."""
    rid = _check_uuid(resource_id)
    return f"{artifact}/{rid[:3]}/{rid[3:6]}/{rid[6:]}"


def resource_id_of(key):
    """The resource id in a key made by :func:`resource_key`, or None for any other key."""
    parts = key.split("/")
    if len(parts) != 4:
        return None
    rid = "".join(parts[1:]).split(".", 1)[0]
    return rid if _UUID_RE.match(rid) else None


def upload_key(upload_id):
    """Key of an upload that is not attached to a dataset yet."""
    return f"uploads/{_check_uuid(upload_id)}"


@dataclasses.dataclass
class WriteResult:
    """What :meth:`Storage.write_stream` wrote."""

    size: int
    md5: str
    sha256: str = ""


class Storage(abc.ABC):
    """Where files live. Selected by the scheme of ``STORAGE_URL``."""

    def __init__(self, url, app=None):
        self.url = url

    @abc.abstractmethod
    def write_stream(self, key, stream, offset=0, length=None, sha256=None):
        """Write ``stream`` into object ``key`` at ``offset`` in constant memory.

        MD5 and SHA-256 are computed over the written bytes while streaming.

        :param length: bytes to read; fewer bytes in the stream is an error
        :param sha256: a hashlib SHA-256 object to continue (e.g. over earlier
            parts of a file) instead of starting a new one
        :returns: :class:`WriteResult`
        :raises IOError: if the stream ends before ``length`` bytes
        """

    @abc.abstractmethod
    def open_range(self, key, start=0, length=None):
        """Return a binary file object positioned at ``start``.

        The caller reads at most ``length`` bytes and closes it.
        """

    @abc.abstractmethod
    def exists(self, key):
        """Return True if object ``key`` exists."""

    @abc.abstractmethod
    def size(self, key):
        """Return the size of object ``key`` in bytes."""

    @abc.abstractmethod
    def delete(self, key):
        """Delete object ``key``; a missing object is not an error."""

    @abc.abstractmethod
    def move(self, src, dst):
        """Atomically rename object ``src`` to ``dst``."""

    @abc.abstractmethod
    def modified(self, key):
        """Return when object ``key`` was last written (a POSIX timestamp), None if missing."""

    @abc.abstractmethod
    def list_keys(self, prefix):
        """Yield ``(key, modified_timestamp)`` for objects below ``prefix``."""

    def list_objects(self, prefix):
        """Yield ``(key, size, modified_timestamp)`` for objects below ``prefix``.

        Backends whose listing gives sizes override this (no request per object).
        """
        for key, modified in self.list_keys(prefix):
            yield key, self.size(key), modified

    def put_file(self, key, path):
        """Store the local file ``path`` as ``key``; readers never see a partial object.

        :returns: :class:`WriteResult`
        """
        partial = f"{key}.part"
        try:
            with open(path, "rb") as fh:
                result = self.write_stream(partial, fh)
            self.move(partial, key)
        except BaseException:
            self.delete(partial)
            raise
        return result

    def read_json(self, key):
        """Return the JSON document stored as ``key``, or None if there is none."""
        if not self.exists(key):
            return None
        with self.open_range(key) as fh:
            return json.load(fh)

    def write_json(self, key, data):
        """Store ``data`` as a JSON document under ``key`` (replacing it atomically)."""
        body = json.dumps(data, allow_nan=False).encode()
        partial = f"{key}.part"
        self.write_stream(partial, io.BytesIO(body))
        self.move(partial, key)

    def local_path(self, key):
        """Return a file system path of ``key`` if the backend has one, else None."""
        return None

    def object_url(self, key):
        """The stable URL of object ``key`` (DCOR's ``s3_url``), or None.

        Readable without credentials only where the object is public.
        Backends without URLs of their own (local disk) return None; dcorlite
        then names its own file route.
        """
        return None

    def signed_url(self, key, expires_in, filename=None):
        """Return a URL that serves ``key`` without further authorization.

        :param filename: the name a browser saves it as (``Content-Disposition``)

        Backends that cannot sign (local disk) return None; dcorlite then signs
        its own download route instead.
        """
        return None

    def staging_key(self, upload_id):
        """The key an upload is written to before it is attached to a dataset.

        Backends that take uploads straight from clients give the resource's
        final key, so that attaching moves nothing.
        """
        return upload_key(upload_id)

    def upload_urls(self, key, file_size, num_parts, expires_in):
        """Return presigned upload URLs, or None to use dcorlite's own endpoints.

        :returns: ``{"upload_urls": [...], "complete_url": str or None}``
        """
        return None

    def direct_upload_etag(self, key, file_size):
        """The ETag of a client's upload to a URL of :meth:`upload_urls`, or None.

        None if nothing with ``file_size`` bytes is at ``key``, and always for
        backends without such URLs (dcorlite's own endpoints mark an upload
        complete themselves).
        """
        return None

    def abort_direct_upload(self, upload_id):
        """Discard what a client uploaded unfinished through :meth:`upload_urls` URLs."""

    def abort_stray_direct_uploads(self, known_ids, before):
        """Discard unfinished uploads through :meth:`upload_urls` URLs of no upload row.

        :param known_ids: the ids of the uploads that exist
        :param before: only those begun before this time (seconds since the epoch)
        :returns: how many were discarded
        """
        return 0

    def settle(self, keys):
        """Put objects written before the database named their owners where they belong.

        A restore writes the files before it loads the database; backends that
        file objects by their resource's circle (S3) move them there now.
        Local disk keeps every object in one place, so there is nothing to do.
        """

    def unsettled_keys(self):
        """Keys that :meth:`settle` would still move (after a restore it did not finish)."""
        return []

    def upload_activity(self, upload_id):
        """When bytes of upload ``upload_id`` last arrived in storage (POSIX time), or None."""
        return self.modified(self.staging_key(upload_id))


def hash_stream(stream, length=None, sha256=None, sink=None):
    """Read ``stream`` in chunks, feed MD5 and SHA-256, write to ``sink``.

    SHA-256 runs in a helper thread while this thread computes MD5 and
    writes (hashlib releases the GIL), which roughly doubles the throughput
    on two cores.

    :param sha256: continue this SHA-256 object instead of a new one

    :returns: :class:`WriteResult`
    :raises IOError: if ``length`` is given and the stream ends early
    """
    md5 = hashlib.md5()
    sha = sha256 if sha256 is not None else hashlib.sha256()
    size = 0
    pending = None
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dcorlite-hash") as pool:
        while length is None or size < length:
            want = CHUNK_SIZE if length is None else min(CHUNK_SIZE, length - size)
            chunk = stream.read(want)
            if not chunk:
                break
            if pending is not None:
                pending.result()
            pending = pool.submit(sha.update, chunk)
            md5.update(chunk)
            if sink is not None:
                sink.write(chunk)
            size += len(chunk)
        if pending is not None:
            pending.result()
    if length is not None and size != length:
        raise IOError(f"stream ended after {size} of {length} bytes")
    return WriteResult(size=size, md5=md5.hexdigest(), sha256=sha.hexdigest())
