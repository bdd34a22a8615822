"""Reading backups back: verify an archive, restore a chain into an empty instance."""
import dataclasses
import hashlib
import json
import os
import shutil
import tarfile
import tempfile

from ... import tls
from ...models import Dataset, User
from ...storage import check_key, get_storage
from . import archive, crypto, snapshot


class RestoreError(Exception):
    """A backup that cannot be verified or restored; the message is one line."""


@dataclasses.dataclass
class Contents:
    """What one archive holds, as read (and authenticated) from it."""

    info: dict = None
    manifest: dict = None
    files: dict = dataclasses.field(default_factory=dict)  # key -> sha256 read
    database: str = None     # local path of the extracted snapshot
    instance: dict = dataclasses.field(default_factory=dict)  # member -> local path


def read_archive(path, private_key, on_file=None, workdir=None):
    """Decrypt and read ``path`` from start to end.

    :param on_file: ``on_file(key, fileobj)`` → SHA-256 hex for each carried file
        (default: hash and discard)
    :param workdir: folder for the database snapshot and the instance files
        (default: they are not kept)
    :raises RestoreError: if the archive is altered, truncated, or the key is wrong
    """
    contents = Contents()
    on_file = on_file or _hash_only
    try:
        with open(path, "rb") as source:
            reader = crypto.DecryptingReader(source, private_key)
            with tarfile.open(fileobj=reader, mode="r|", bufsize=archive.COPY_BUFFER) as tar:
                for member in tar:
                    _read_member(tar, member, contents, on_file, workdir)
            reader.drain()
            if not reader.finished:
                raise RestoreError(f"{path}: the archive is truncated")
    except crypto.BackupCryptoError as exc:
        raise RestoreError(f"{path}: {exc}") from None
    except (tarfile.TarError, json.JSONDecodeError, ValueError) as exc:
        raise RestoreError(f"{path}: not a dcorlite backup ({exc})") from None
    if contents.info is None or contents.manifest is None:
        raise RestoreError(f"{path}: the archive lacks backup.json or manifest.json")
    name = contents.info["name"]
    for key, entry in contents.manifest.items():
        if entry["archive"] == name and contents.files.get(key) != entry["sha256"]:
            raise RestoreError(f"{path}: file {key} is missing or its SHA-256 differs")
    return contents


def _read_member(tar, member, contents, on_file, workdir):
    name = member.name
    if not member.isfile():
        raise RestoreError(f"unexpected archive member {name!r}")
    fh = tar.extractfile(member)
    if name in ("backup.json", "manifest.json"):
        data = json.loads(fh.read())
        if name == "backup.json":
            contents.info = data
        else:
            contents.manifest = data
    elif name.startswith("files/"):
        key = check_key(name[len("files/"):])
        contents.files[key] = on_file(key, fh)
    elif name.startswith("database.") or name.startswith("instance/"):
        if workdir is None:
            _hash_only(name, fh)
            return
        target = os.path.join(workdir, name.replace("/", "__"))
        with open(target, "wb") as out:
            shutil.copyfileobj(fh, out, archive.COPY_BUFFER)
        if name.startswith("database."):
            contents.database = target
        else:
            contents.instance[name] = target
    else:
        raise RestoreError(f"unexpected archive member {name!r}")


def _hash_only(key, fh):
    sha = hashlib.sha256()
    while True:
        chunk = fh.read(archive.COPY_BUFFER)
        if not chunk:
            return sha.hexdigest()
        sha.update(chunk)


def chain(path, contents):
    """The paths of the other archives a restore of ``path`` needs (next to it).

    :raises RestoreError: if one is missing
    """
    folder = os.path.dirname(os.path.abspath(path))
    paths = []
    for name in contents.info["needs"]:
        if name == contents.info["name"]:
            continue
        other = os.path.join(folder, name + archive.SUFFIX)
        if not os.path.isfile(other):
            raise RestoreError(f"{path} needs the earlier backup {other}, which is missing")
        paths.append(other)
    return paths


def check_empty(app):
    """:raises RestoreError: if the instance has users, datasets or stored files"""
    users, datasets = User.select().count(), Dataset.select().count()
    files = len(archive.stored_files(get_storage(app)))
    if users or datasets or files:
        raise RestoreError(
            f"the instance at {app.instance_path} is not empty ({users} users, {datasets} "
            f"datasets, {files} stored files); restore only into a new instance")


def restore(app, path, private_key):
    """Restore the backup ``path`` (and the earlier archives it needs) into ``app``.

    Everything is read and checked first; the database goes in last, so a
    failed restore leaves the instance empty.

    :returns: the archive's ``backup.json`` with ``files`` (count) added
    :raises RestoreError: for a non-empty instance or a damaged backup
    """
    check_empty(app)
    storage = get_storage(app)
    written = []

    def store(key, fh):
        written.append(key)
        return storage.write_stream(key, fh).sha256

    try:
        with tempfile.TemporaryDirectory(dir=app.instance_path) as work:
            newest = read_archive(path, private_key, on_file=store, workdir=work)
            for other in chain(path, newest):
                name = os.path.basename(other)[:-len(archive.SUFFIX)]
                wanted = {k for k, e in newest.manifest.items() if e["archive"] == name}

                def store_wanted(key, fh, wanted=wanted):
                    return store(key, fh) if key in wanted else _hash_only(key, fh)
                older = read_archive(other, private_key, on_file=store_wanted)
                for key in wanted:
                    if older.files.get(key) != newest.manifest[key]["sha256"]:
                        raise RestoreError(f"{other}: file {key} is missing or differs")
            if newest.database is None:
                raise RestoreError(f"{path}: the archive holds no database")
            _restore_instance_files(app, newest.instance)
            from ...db import dispose
            dispose()
            snapshot.load(app.config["DATABASE_URL"], newest.database)
    except BaseException:
        for key in written:
            storage.delete(key)
        raise
    # the files were written before the database named their circles (S3: their buckets)
    try:
        storage.settle(written)
    except Exception as exc:
        raise RestoreError(f"the backup is restored, but moving its files to their circles' "
                           f"storage failed ({exc}): run 'dcorlite storage settle'") from exc
    return dict(newest.info, files=len(newest.manifest))


def _restore_instance_files(app, extracted):
    """Secret key and certificates replace the new instance's; config.py never does."""
    for member, local in extracted.items():
        rel = member[len("instance/"):]
        if rel.startswith("certs/"):
            folder = tls.certs_dir(app)
            os.makedirs(folder, exist_ok=True)
            target = os.path.join(folder, os.path.basename(rel))
        elif rel in ("secret_key", "config.py"):
            target = os.path.join(app.instance_path, rel)
            if rel == "config.py" and os.path.exists(target):
                target += ".restored"
        else:
            raise RestoreError(f"unexpected archive member {member!r}")
        shutil.copyfile(local, target)
        os.chmod(target, 0o600)


def reindex(app):
    """Rebuild the search index from the restored database, if search is on.

    :returns: the number of datasets indexed, or None without the search plugin
    """
    indexer = app.extensions["dcorlite"].get("search_indexer")
    if indexer is None:
        return None
    return indexer.rebuild(processes=1)
