"""Re-reading stored files and comparing their SHA-256 with what it should be.

Originals are compared with ``Resource.sha256`` (computed while they were
uploaded). Condensed copies have no digest of their own: the first check
records one, and a copy rewritten since (a newer time) is recorded anew.
"""
import hashlib
import logging
import math
import time

from ...models import Resource, utcnow
from ...storage import get_storage, resource_key
from .model import FixityRecord

logger = logging.getLogger(__name__)
ARTIFACTS = ("resource", "condensed")
READ_SIZE = 4 * 1024 * 1024


def candidates():
    """``[(key, resource id, artifact, expected SHA-256 or "")]`` of every stored file to check."""
    storage = get_storage()
    found = []
    for rid, sha in Resource.select(Resource.id, Resource.sha256).tuples():
        for artifact in ARTIFACTS:
            key = resource_key(rid, artifact)
            if storage.exists(key):
                found.append((key, rid, artifact, sha if artifact == "resource" else ""))
    return found


def batch_size(total, interval, days):
    """Files per batch so that each of ``total`` is checked every ``days`` days."""
    return max(1, math.ceil(total * interval / (days * 86400))) if total else 0


def select_due(everything, limit=None):
    """The candidates never checked first, then the longest unchecked; at most ``limit``."""
    last = dict(FixityRecord.select(FixityRecord.key, FixityRecord.checked_at).tuples())
    ordered = sorted(everything, key=lambda c: (c[0] in last, last.get(c[0]) or 0))
    return ordered if limit is None else ordered[:limit]


def check_one(key, resource_id, artifact, expected):
    """Hash ``key`` and record the result; log a mismatch.

    :returns: the :class:`FixityRecord`
    """
    storage = get_storage()
    record = FixityRecord.get_or_none(FixityRecord.key == key)
    mtime = storage.modified(key) or 0.0
    sha = hashlib.sha256()
    size = 0
    try:
        with storage.open_range(key) as fh:
            while chunk := fh.read(READ_SIZE):
                sha.update(chunk)
                size += len(chunk)
        digest, problem = sha.hexdigest(), ""
    except OSError as exc:
        digest, problem = "", f"unreadable: {exc}"
    if not expected:
        rewritten = record is None or mtime > record.mtime
        if rewritten and not problem:
            expected = digest
        elif record is not None:
            expected = record.expected_sha256
    if not problem and expected and digest != expected:
        problem = f"SHA-256 {digest} differs from the expected {expected}"
    values = {"resource_id": resource_id, "artifact": artifact, "expected_sha256": expected,
              "size": size, "mtime": mtime, "checked_at": utcnow(), "ok": not problem,
              "problem": problem}
    if problem:
        logger.error("fixity: %s of resource %s: %s", artifact, resource_id, problem)
    (FixityRecord.insert(key=key, **values)
     .on_conflict(conflict_target=[FixityRecord.key], update=values).execute())
    return FixityRecord.get(FixityRecord.key == key)


def run_check(limit=None):
    """Check ``limit`` due files (all with None); return the records made.

    Records of files that no longer exist (purged resources) are removed.
    """
    everything = candidates()
    keys = {c[0] for c in everything}
    stale = [k for (k,) in FixityRecord.select(FixityRecord.key).tuples() if k not in keys]
    if stale:
        FixityRecord.delete().where(FixityRecord.key.in_(stale)).execute()
    return [check_one(*c) for c in select_due(everything, limit)]


def run_batch(app):
    """One paced batch (``FIXITY_DAYS``, ``FIXITY_INTERVAL``); returns the records made."""
    total = len(candidates())
    limit = batch_size(total, app.config["FIXITY_INTERVAL"], app.config["FIXITY_DAYS"])
    started = time.perf_counter()
    records = run_check(limit)
    bad = sum(not r.ok for r in records)
    logger.info("fixity: checked %d of %d files in %.1f s, %d mismatched",
                len(records), total, time.perf_counter() - started, bad)
    return records


def problems():
    """The records whose last check failed, oldest first."""
    return list(FixityRecord.select().where(~FixityRecord.ok)
                .order_by(FixityRecord.checked_at))


def summary():
    """``(files checked, mismatches, time of the latest check or None)``."""
    newest = (FixityRecord.select(FixityRecord.checked_at)
              .order_by(FixityRecord.checked_at.desc()).first())
    bad = FixityRecord.select().where(~FixityRecord.ok).count()
    return FixityRecord.select().count(), bad, newest.checked_at if newest else None
