"""Stored files against resource rows: files of no resource, resources without their file.

A file of no resource is moved into ``quarantine/<time>/`` of the storage by
``--fix``, never deleted. A resource whose original is missing is only
reported: what to do about it (restore from a backup, purge) is a person's
decision.
"""
import datetime

from ..models import Resource, Upload
from ..storage import RESOURCE_ARTIFACTS, get_storage, resource_id_of, resource_key
from . import FAIL, WARN, Finding, ok

QUARANTINE = "quarantine"


def _has_owner(resource_id):
    # An attach moves the staged file first and commits the Resource row with the
    # deletion of its Upload row: asking for the Upload first cannot miss both.
    if Upload.get_or_none(Upload.id == resource_id) is not None:
        return True
    return Resource.by_id(resource_id) is not None


def orphaned_files(storage):
    """Keys of stored resource files (and derived files) whose resource does not exist."""
    found = []
    for artifact in RESOURCE_ARTIFACTS:
        for key, _ in storage.list_keys(artifact):
            if key.endswith(".part"):
                continue  # being written
            rid = resource_id_of(key)
            if rid is None or not _has_owner(rid):
                found.append(key)
    return sorted(found)


def quarantine(storage, keys, now=None):
    """Move ``keys`` below ``quarantine/<UTC time>/``; return the folder key used."""
    stamp = (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y%m%d-%H%M%S")
    folder = f"{QUARANTINE}/{stamp}"
    for key in keys:
        rid = resource_id_of(key)
        if rid is not None and _has_owner(rid):
            continue  # attached meanwhile
        storage.move(key, f"{folder}/{key}")
    return folder


def check_orphaned_files(app):
    """WARN for stored files that belong to no resource; fixable (quarantine)."""
    storage = get_storage(app)
    keys = orphaned_files(storage)
    if not keys:
        return ok("every stored file belongs to a resource")
    return Finding(WARN, f"{len(keys)} stored file(s) belong to no resource", keys,
                   fix=lambda: f"moved {len(keys)} file(s) to {quarantine(storage, keys)}",
                   fix_text=f"move {len(keys)} file(s) into the storage's {QUARANTINE}/ "
                            "folder (nothing is deleted)")


def missing_files(storage):
    """``[(resource id, name, dataset id)]`` of resources whose original file is missing."""
    rows = Resource.select(Resource.id, Resource.name, Resource.dataset).tuples()
    return [(rid, name, ds) for rid, name, ds in rows if not storage.exists(resource_key(rid))]


def check_missing_files(app):
    """FAIL for resource rows whose file is not in storage (reported, never changed)."""
    missing = missing_files(get_storage(app))
    if not missing:
        return ok("every resource has its file")
    return Finding(FAIL, f"{len(missing)} resource(s) without their file (restore them "
                         "from a backup)",
                   [f"resource {rid} '{name}' of dataset {ds}" for rid, name, ds in missing])
