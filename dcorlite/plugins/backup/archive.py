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
import datetime
import hashlib
import json
import os
import tarfile
import tempfile
import time

from ... import __version__, tls
from ...storage import get_storage
from . import crypto, snapshot

SUFFIX = ".dcbk"
#: storage prefixes of stored files and derived artifacts (``uploads/`` in
#: progress are left out: a client resumes or repeats them)
FILE_PREFIXES = ("resource", "condensed", "condensed_meta", "preview", "kernel")
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
    """A read-only file object that feeds SHA-256 with what passes through."""

    def __init__(self, fh):
        self._fh = fh
        self.sha256 = hashlib.sha256()

    def read(self, size=-1):
        data = self._fh.read(size)
        self.sha256.update(data)
        return data


def _add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, _BytesReader(data))


class _BytesReader:
    def __init__(self, data):
        self._data, self._pos = data, 0

    def read(self, size=-1):
        end = len(self._data) if size is None or size < 0 else self._pos + size
        piece = self._data[self._pos:end]
        self._pos += len(piece)
        return piece


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
            with tarfile.open(fileobj=writer, mode="w|", bufsize=COPY_BUFFER,
                              copybufsize=COPY_BUFFER) as tar:
                _add_bytes(tar, "backup.json", json.dumps(info).encode())
                _add_path(tar, f"database.{'sqlite' if db_kind == 'sqlite' else 'pgdump'}",
                          db_path)
                for member, local in instance_files(app).items():
                    _add_path(tar, member, local)
                for key in carried:
                    files[key] = _add_stored(tar, storage, key, current[key], name)
                _add_bytes(tar, "manifest.json", json.dumps(files).encode())
            writer.close()
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(path + ".part", path)
    info["files"] = files
    info["bytes_carried"] = sum(files[k]["size"] for k in carried)
    _write_json(os.path.join(folder, name + ".json"), info)
    return info, prune(folder, keep)


def _add_stored(tar, storage, key, size_mtime, archive):
    """Put stored file ``key`` into ``tar``; return its manifest entry."""
    size, mtime = size_mtime
    member = tarfile.TarInfo(f"files/{key}")
    member.size, member.mtime, member.mode = size, mtime, 0o600
    with storage.open_range(key) as fh:
        hashing = _Hashing(fh)
        tar.addfile(member, hashing)
    return {"size": size, "mtime": mtime, "sha256": hashing.sha256.hexdigest(),
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
