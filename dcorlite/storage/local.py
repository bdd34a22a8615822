"""Local-disk storage (``STORAGE_URL = "file:/path"``)."""
import functools
import os

from .. import hookimpl
from .base import Storage, check_key, hash_stream


class LocalStorage(Storage):
    """Objects are files below one root directory."""

    def __init__(self, url, app=None):
        super().__init__(url, app)
        root = url.split(":", 1)[1]
        if root.startswith("//"):
            root = root[2:]
        self.root = os.path.abspath(root)
        os.makedirs(self.root, exist_ok=True)
        # a ranged read asks twice per request (exists, then open); checking takes longer
        # than the read
        self._paths = functools.lru_cache(maxsize=4096)(self._checked_path)

    def path(self, key):
        """Return the file path of ``key`` (always inside the root)."""
        return self._paths(key)

    def _checked_path(self, key):
        path = os.path.join(self.root, *check_key(key).split("/"))
        if os.path.commonpath([self.root, path]) != self.root:
            raise ValueError(f"invalid storage key: {key!r}")
        return path

    def local_path(self, key):
        return self.path(key)

    def write_stream(self, key, stream, offset=0, length=None, sha256=None):
        path = self.path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o640)
        with os.fdopen(fd, "wb") as fh:
            fh.seek(offset)
            result = hash_stream(stream, length, sha256, sink=fh)
            if offset == 0 and length is None:
                fh.truncate()
        return result

    def open_range(self, key, start=0, length=None):
        fh = open(self.path(key), "rb")
        fh.seek(start)
        return fh

    def exists(self, key):
        return os.path.isfile(self.path(key))

    def size(self, key):
        return os.path.getsize(self.path(key))

    def modified(self, key):
        try:
            return os.path.getmtime(self.path(key))
        except FileNotFoundError:
            return None

    def delete(self, key):
        try:
            os.remove(self.path(key))
        except FileNotFoundError:
            pass

    def move(self, src, dst):
        dst_path = self.path(dst)
        os.makedirs(os.path.dirname(dst_path), exist_ok=True)
        os.replace(self.path(src), dst_path)

    def list_keys(self, prefix):
        for key, _, modified in self.list_objects(prefix):
            yield key, modified

    def list_objects(self, prefix):
        base = self.path(prefix)
        for dirpath, _, filenames in os.walk(base):
            for name in filenames:
                full = os.path.join(dirpath, name)
                try:
                    stat = os.stat(full)
                except FileNotFoundError:  # deleted since the folder was read
                    continue
                rel = os.path.relpath(full, self.root).replace(os.sep, "/")
                yield rel, stat.st_size, stat.st_mtime


@hookimpl
def register_storage_backends():
    """Serve ``file:`` storage URLs from the local disk."""
    return {"file": LocalStorage}
