"""Reading the trail: filters, pages and the CSV export (shared by the CLI, API and page)."""
import csv
import datetime
import json

from ...errors import ValidationError
from .model import AuditEntry

COLUMNS = ("id", "at", "action", "actor", "token_id", "ip", "dataset_id", "resource_id",
           "details", "hash")


def parse_day(text, field, end=False):
    """``2026-01-01`` (or an ISO time) as a naive UTC datetime; a day's end with ``end``.

    :raises ValidationError: for anything else
    """
    if text in (None, ""):
        return None
    try:
        value = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError({field: ["Use a date such as 2026-01-31"]}) from None
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    if end and len(str(text)) == 10:
        value += datetime.timedelta(days=1)
    return value


def select(since=None, until=None, dataset_id=None, user=None, action=None):
    """Entries matching the filters, oldest first; ``until`` is exclusive (a day: its end)."""
    query = AuditEntry.select().order_by(AuditEntry.id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if dataset_id:
        query = query.where(AuditEntry.dataset_id == dataset_id)
    if user:
        query = query.where(AuditEntry.actor == user)
    if action:
        query = query.where(AuditEntry.action == action)
    return query


def entry_dict(entry):
    """An entry as JSON values (``at`` in ISO 8601 UTC, ``details`` a dict)."""
    return {"id": entry.id, "at": entry.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "action": entry.action, "actor": entry.actor, "token_id": entry.token_id,
            "ip": entry.ip, "dataset_id": entry.dataset_id, "resource_id": entry.resource_id,
            "details": json.loads(entry.details), "hash": entry.hash}


def write_csv(query, fh):
    """Write the entries of ``query`` as CSV (header :data:`COLUMNS`) to the text file ``fh``.

    :returns: the number of entries written
    """
    lines = csv_lines(query)
    fh.write(next(lines))
    count = 0
    for count, line in enumerate(lines, 1):
        fh.write(line)
    return count


def csv_lines(query):
    """The CSV of ``query`` as an iterator of lines (for a streamed response)."""
    import io
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(COLUMNS)
    yield buffer.getvalue()
    for entry in query.iterator():
        buffer.seek(0)
        buffer.truncate()
        out.writerow(["" if v is None else v for v in
                      (entry.id, entry_dict(entry)["at"], entry.action, entry.actor,
                       entry.token_id, entry.ip, entry.dataset_id, entry.resource_id,
                       entry.details, entry.hash)])
        yield buffer.getvalue()
