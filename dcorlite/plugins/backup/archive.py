"""Writing a backup: database snapshot, instance files and stored files, encrypted.

An archive ``<name>.dcbk`` is a tar stream inside :mod:`.crypto`'s format:
``backup.json`` (what it is and which archives a restore needs),
``database.sqlite`` or ``database.pgdump``, ``instance/…`` (secret key,
config.py, certs), ``files/<storage key>`` for the files it carries, and
``manifest.json`` last: every stored file of the instance with its size,
SHA-256 and the archive that holds it.

Next to each archive a plaintext ``<name>.json`` keeps that manifest (storage
keys and digests only) so that the next backup can leave out what earlier
ones hold. Files are immutable; a key whose size or time changed is carried
again.
"""
import concurrent.futures
import datetime
import hashlib
import io
import json
import os
import tarfile
import tempfile
import time

from ... import __version__, tls
from ...storage import RESOURCE_ARTIFACTS, get_storage
from . import crypto, snapshot

SUFFIX = ".dcbk"
#: storage prefixes of stored files and derived artifacts (``uploads/`` in
#: progress are left out: a client resumes or repeats them)
FILE_PREFIXES = RESOURCE_ARTIFACTS
COPY_BUFFER = 4 * 1024 * 1024


def backup_dir(app, override=None):
    """The folder backups are written to (``BACKUP_DIR`` or ``<instance>/backups``)."""
    folder = override or app.config.get("BACKUP_DIR") or os.path.join(app.instance_path,
                                                                       "backups")
    os.makedirs(folder, exist_ok=True)
    return folder


def list_backups(folder):
    """The sidecars (dicts) of the complete backups in ``folder``, oldest first."""
    found = []
    for name in os.listdir(folder):
        if name.endswith(".json") and os.path.exists(
                os.path.join(folder, name[:-5] + SUFFIX)):
            with open(os.path.join(folder, name)) as fh:
                found.append(json.load(fh))
    return sorted(found, key=lambda b: b["created"])


def stored_files(storage):
    """``{key: (size, mtime)}`` of the files to back up."""
    files = {}
    for prefix in FILE_PREFIXES:
        for key, mtime in storage.list_keys(prefix):
            if not key.endswith(".part"):
                files[key] = (storage.size(key), int(mtime))
    return files


def instance_files(app):
    """``{member name: local path}`` of what the instance needs besides the database."""
    wanted = {"instance/secret_key": os.path.join(app.instance_path, "secret_key"),
              "instance/config.py": os.path.join(app.instance_path, "config.py")}
    certs = tls.certs_dir(app)
    if os.path.isdir(certs):
        for name in sorted(os.listdir(certs)):
            wanted[f"instance/certs/{name}"] = os.path.join(certs, name)
    return {member: path for member, path in wanted.items() if os.path.isfile(path)}


class _Hashing:
    """A read-only file object that feeds SHA-256 with what passes through.

    The digest is computed in ``pool`` while the caller encrypts (hashlib
    releases the interpreter lock); call :meth:`hexdigest` at the end.
    """

    def __init__(self, fh, pool):
        self._fh = fh
        self._pool = pool
        self._sha256 = hashlib.sha256()
        self._pending = None

    def read(self, size=-1):
        data = self._fh.read(size)
        if self._pending is not None:
            self._pending.result()
        self._pending = self._pool.submit(self._sha256.update, data)
        return data

    def hexdigest(self):
        """The SHA-256 of everything read."""
        if self._pending is not None:
            self._pending.result()
        return self._sha256.hexdigest()


class _TarWriter:
    """Writes a tar stream (PAX headers) with few, large writes.

    tarfile's stream mode copies every byte into a buffer of its own first;
    here file reads go to ``out`` as they are.
    """

    def __init__(self, out):
        self._out = out

    def addfile(self, info, fh):
        """Write ``info``'s header and ``info.size`` bytes read from ``fh``."""
        self._out.write(info.tobuf(tarfile.PAX_FORMAT))
        left = info.size
        while left:
            data = fh.read(min(COPY_BUFFER, left))
            if not data:
                raise IOError(f"{info.name} ended after {info.size - left} bytes")
            self._out.write(data)
            left -= len(data)
        if info.size % tarfile.BLOCKSIZE:
            self._out.write(b"\0" * (tarfile.BLOCKSIZE - info.size % tarfile.BLOCKSIZE))

    def close(self):
        """The end-of-archive marker."""
        self._out.write(b"\0" * (2 * tarfile.BLOCKSIZE))


def _add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _add_path(tar, name, path):
    info = tarfile.TarInfo(name)
    info.size = os.path.getsize(path)
    info.mtime = int(os.path.getmtime(path))
    info.mode = 0o600
    with open(path, "rb") as fh:
        tar.addfile(info, fh)


def create_backup(app, recipient, folder, keep, full=False):
    """Write one encrypted backup into ``folder`` and prune to the last ``keep``.

    A backup is full when asked, when there is no earlier one, or when the
    chain since the last full backup has ``keep`` members already, which
    bounds both the archives a restore reads and those :func:`prune` keeps.

    :param recipient: an X25519 public key (:func:`crypto.load_public_key`)
    :returns: ``(sidecar dict, names of the pruned backups)``
    """
    storage = get_storage(app)
    os.makedirs(folder, exist_ok=True)
    earlier = list_backups(folder)
    previous = earlier[-1] if earlier else None
    full = full or previous is None or previous["chain_length"] >= keep
    now = datetime.datetime.now(datetime.timezone.utc)
    name = "dcorlite-" + now.strftime("%Y%m%dT%H%M%S.%fZ")
    known = {} if full else previous["files"]
    db_url = app.config["DATABASE_URL"]
    db_kind = snapshot.kind(db_url)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        db_path = os.path.join(tmp, "database")
        snapshot.dump(db_url, db_path)
        # files are listed after the snapshot: all the rows it holds have theirs
        current = stored_files(storage)
        files, carried = {}, []
        for key, (size, mtime) in sorted(current.items()):
            entry = known.get(key)
            if entry and entry["size"] == size and entry["mtime"] == mtime:
                files[key] = entry
            else:
                carried.append(key)
        info = {"name": name, "created": now.isoformat(), "full": full,
                "chain_length": 1 if full else previous["chain_length"] + 1,
                "database": db_kind, "dcorlite": __version__,
                "needs": sorted({e["archive"] for e in files.values()} | {name}),
                "carried": len(carried)}
        path = os.path.join(folder, name + SUFFIX)
        with open(path + ".part", "wb") as sink:
            writer = crypto.EncryptingWriter(sink, recipient)
            tar = _TarWriter(writer)
            _add_bytes(tar, "backup.json", json.dumps(info).encode())
            _add_path(tar, f"database.{'sqlite' if db_kind == 'sqlite' else 'pgdump'}",
                      db_path)
            for member, local in instance_files(app).items():
                _add_path(tar, member, local)
            with concurrent.futures.ThreadPoolExecutor(1, "dcorlite-backup-hash") as pool:
                for key in carried:
                    files[key] = _add_stored(tar, storage, key, current[key], name, pool)
            _add_bytes(tar, "manifest.json", json.dumps(files).encode())
            tar.close()
            writer.close()
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(path + ".part", path)
    info["files"] = files
    info["bytes_carried"] = sum(files[k]["size"] for k in carried)
    _write_json(os.path.join(folder, name + ".json"), info)
    return info, prune(folder, keep)


def _add_stored(tar, storage, key, size_mtime, archive, pool):
    """Put stored file ``key`` into ``tar``; return its manifest entry."""
    size, mtime = size_mtime
    member = tarfile.TarInfo(f"files/{key}")
    member.size, member.mtime, member.mode = size, mtime, 0o600
    with storage.open_range(key) as fh:
        hashing = _Hashing(fh, pool)
        tar.addfile(member, hashing)
    return {"size": size, "mtime": mtime, "sha256": hashing.hexdigest(),
            "archive": archive}


def _write_json(path, data):
    with open(path + ".part", "w") as fh:
        json.dump(data, fh)
    os.replace(path + ".part", path)


def prune(folder, keep):
    """Remove all backups but the last ``keep`` and the earlier archives they need.

    So each of the last ``keep`` backups stays restorable; as a chain is at
    most ``keep`` long, fewer than ``2 * keep`` archives are ever kept.

    :returns: the names of the removed backups
    """
    backups = list_backups(folder)
    kept = set()
    for b in backups[-keep:]:
        kept |= set(b["needs"]) | {b["name"]}
    removed = []
    for b in backups:
        if b["name"] not in kept:
            for suffix in (SUFFIX, ".json"):
                try:
                    os.remove(os.path.join(folder, b["name"] + suffix))
                except FileNotFoundError:
                    pass
            removed.append(b["name"])
    return removed
