"""The ``fixity`` check of ``dcorlite inspect``: mismatches, files overdue for a check."""
import datetime

from ...inspection import FAIL, WARN, Finding, ok
from ...models import Resource, utcnow
from . import check
from .model import FixityRecord


def overdue(days, now=None):
    """``(overdue, never checked)`` lists of keys.

    A file is overdue when its last check (or, never checked, its resource's
    creation) is more than ``days`` days ago.
    """
    limit = (now or utcnow()) - datetime.timedelta(days=days)
    last = dict(FixityRecord.select(FixityRecord.key, FixityRecord.checked_at).tuples())
    created = dict(Resource.select(Resource.id, Resource.created).tuples())
    late, never = [], []
    for key, rid, _, _ in check.candidates():
        if key not in last:
            never.append(key)
        when = last.get(key) or created.get(rid)
        if when is not None and when < limit:
            late.append(key)
    return late, never


def check_fixity(app):
    """FAIL for files whose last check found a mismatch; WARN for files overdue."""
    days = app.config["FIXITY_DAYS"]
    bad = check.problems()
    late, never = overdue(days)
    if bad:
        return Finding(FAIL, f"{len(bad)} file(s) failed their last fixity check "
                             "(restore them from a backup)",
                       [f"{r.artifact} of resource {r.resource_id} ({r.key}), checked "
                        f"{r.checked_at:%Y-%m-%d %H:%M} UTC: {r.problem}" for r in bad])
    if late:
        return Finding(WARN, f"{len(late)} file(s) not verified for more than "
                             f"FIXITY_DAYS ({days} days), {len(never)} never; run "
                             "'dcorlite fixity check'", late)
    return ok(f"no mismatch; every file verified within {days} days"
              + (f" ({len(never)} new, not checked yet)" if never else ""))
