"""The ``audit_list`` action: the trail for sysadmins, filtered and paged."""
from ... import authz, validation
from ...actions import Action
from ...params import identifier, natural, text
from . import listing, record

#: most entries one call returns
MAX_LIMIT = 1000


def audit_list(context, data):
    """Entries (newest first) matching ``since``/``until`` (dates), ``dataset_id``, ``user``, ``action``.

    Returns ``{"count", "offset", "limit", "results"}``. Sysadmins only.
    """
    authz.require_sysadmin(context["user"], "read the audit trail")
    record.writer().flush()  # this process's queued entries are seen at once
    limit = min(validation.as_natural(data.get("limit"), "limit", default=100), MAX_LIMIT)
    offset = validation.as_natural(data.get("offset"), "offset", default=0)
    query = listing.select(since=listing.parse_day(data.get("since"), "since"),
                           until=listing.parse_day(data.get("until"), "until", end=True),
                           dataset_id=data.get("dataset_id"), user=data.get("user"),
                           action=data.get("action"))
    page = query.order_by(listing.AuditEntry.id.desc()).offset(offset).limit(limit)
    return {"count": query.count(), "offset": offset, "limit": limit,
            "results": [listing.entry_dict(e) for e in page]}


ACTIONS = [Action("audit_list", audit_list, get=True, params={
    "since": text("first day, e.g. 2026-01-01", 40),
    "until": text("last day (included)", 40),
    "dataset_id": identifier("dataset id"),
    "user": identifier("user name"),
    "action": text("read, download, basin, change, share, delete, purge", 40),
    "limit": natural(f"entries per page (at most {MAX_LIMIT})"),
    "offset": natural()})]
