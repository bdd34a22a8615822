"""Copying an instance's stored files to another storage, verified and resumable.

``dcorlite storage migrate SOURCE TARGET`` copies every object of the kinds a
resource keeps (:data:`RESOURCE_ARTIFACTS`: originals and what jobs made from
them) from the instance's storage to another one. Each object is streamed
once from the source into the target while its SHA-256 is computed, then read
back from the target and hashed again; an original must also have the
SHA-256 its resource records. Only then is it written to the journal, an
append-only file in ``<instance>/storage-migrate/`` (one per target), with the
size and time the source object had. A run that is interrupted (killed, a
network cut) starts again where it stopped: objects in the journal whose
source is unchanged are not copied again, and what was half-written is
written anew.

The instance switches to the target (``STORAGE_URL`` in ``<instance>/config.py``)
only when a final listing of the source finds every object journaled and
unchanged, i.e. nothing was added or rewritten meanwhile. Uploads in
progress are not copied: their clients resume or repeat them, as after a
backup.
"""
import dataclasses
import hashlib
import json
import os

from ..models import Resource
from .base import RESOURCE_ARTIFACTS, hash_stream, resource_id_of

JOURNAL_DIR = "storage-migrate"


@dataclasses.dataclass
class Report:
    """What a run did: ``copied`` and ``skipped`` keys, and ``failed`` ``{key: reason}``."""

    copied: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)
    failed: dict = dataclasses.field(default_factory=dict)
    complete: bool = False


class Journal:
    """The verified copies to one target, one JSON line each, kept across runs."""

    def __init__(self, instance_path, target_url):
        name = hashlib.sha256(target_url.encode()).hexdigest()[:16]
        folder = os.path.join(instance_path, JOURNAL_DIR)
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, f"{name}.jsonl")
        self.entries = self._load()

    def _load(self):
        entries = {}
        try:
            with open(self.path) as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                    except ValueError:  # the torn last line of a killed run
                        continue
                    entries[entry["key"]] = entry
        except FileNotFoundError:
            pass
        return entries

    def is_current(self, key, size, modified):
        """Whether ``key`` was copied and verified while the source had this size and time."""
        entry = self.entries.get(key)
        return entry is not None and entry["size"] == size and entry["modified"] == modified

    def record(self, key, size, modified, sha256):
        """Note a verified copy; on disk before this returns."""
        entry = {"key": key, "size": size, "modified": modified, "sha256": sha256}
        with open(self.path, "a") as fh:
            fh.write(json.dumps(entry) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.entries[key] = entry


def source_objects(storage):
    """``[(key, size, modified)]`` of the objects to copy (finished ones, no ``.part``)."""
    found = []
    for artifact in RESOURCE_ARTIFACTS:
        for key, size, modified in storage.list_objects(artifact):
            if not key.endswith(".part"):
                found.append((key, size, modified))
    return sorted(found)


def _recorded_sha256(key):
    """The SHA-256 the database has for an original file, or None for other objects."""
    if not key.startswith("resource/"):
        return None
    resource = Resource.get_or_none(Resource.id == resource_id_of(key))
    return resource.sha256 if resource is not None and resource.sha256 else None


def copy_verified(source, target, key, size):
    """Copy ``key``, read it back from ``target``; return its SHA-256.

    :raises ValueError: if the copy differs from the source or from the
        resource's recorded SHA-256
    """
    with source.open_range(key) as fh:
        written = target.write_stream(key, fh)
    with target.open_range(key) as fh:
        stored = hash_stream(fh)
    if written.size != size or stored.size != size:
        raise ValueError(f"{size} bytes in the source, {written.size} sent, "
                         f"{stored.size} stored")
    if stored.sha256 != written.sha256:
        raise ValueError("the stored copy differs from what was sent")
    recorded = _recorded_sha256(key)
    if recorded is not None and recorded != stored.sha256:
        raise ValueError(f"SHA-256 {stored.sha256} differs from the resource's {recorded}")
    return stored.sha256


def migrate(source, target, journal, progress=None):
    """Copy what the journal lacks; return a :class:`Report` (``complete`` if all is copied).

    :param progress: called with ``(key, done, total)`` after each object
    """
    report = Report()
    objects = source_objects(source)
    for done, (key, size, modified) in enumerate(objects, 1):
        if journal.is_current(key, size, modified):
            report.skipped.append(key)
        else:
            try:
                journal.record(key, size, modified, copy_verified(source, target, key, size))
                report.copied.append(key)
            except (OSError, ValueError) as exc:
                report.failed[key] = str(exc) or type(exc).__name__
        if progress is not None:
            progress(key, done, len(objects))
    report.complete = not report.failed and all(
        journal.is_current(key, size, modified)
        for key, size, modified in source_objects(source))
    return report
