"""The hash chain: appending entries, verifying them, pruning old ones.

Every entry stores ``hash = SHA-256(canonical content + prev_hash)``, where
``prev_hash`` is the hash of the entry before it. Writers append under the
database's write lock (SQLite's ``BEGIN IMMEDIATE``; on PostgreSQL the anchor
row ``FOR UPDATE``), reading the chain's head inside that transaction, so
processes that flush at once still form one chain. All functions take the
peewee database explicitly: the background writer keeps its app's.
"""
import contextlib
import datetime
import hashlib
import json

import peewee as pw

from .model import GENESIS, AuditAnchor, AuditEntry

FIELDS = ("id", "at", "action", "actor", "token_id", "ip", "dataset_id", "resource_id")


@contextlib.contextmanager
def connected(db):
    """Use this thread's connection of ``db``, opening (and closing) one only if needed.

    peewee's ``connection_context`` closes the connection at its end, which
    would take a request's connection away, or fail inside a transaction.
    """
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        yield
    finally:
        if opened:
            db.close()


def canonical_json(value):
    """JSON with sorted keys and no spaces: the form that is hashed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _time_text(at):
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(values, prev_hash):
    """SHA-256 (hex) of an entry's content ``values`` (a dict of :data:`FIELDS` and details)."""
    content = {f: values[f] for f in FIELDS}
    content["at"] = _time_text(values["at"])
    content["details"] = json.loads(values["details"])
    return hashlib.sha256((canonical_json(content) + prev_hash).encode()).hexdigest()


def _locked_anchor(db):
    query = AuditAnchor.select().where(AuditAnchor.id == 1)
    if isinstance(db, pw.PostgresqlDatabase):
        query = query.for_update()
    return query.bind(db).get()


def _insert(db, rows):
    """One prepared INSERT for all ``rows``: peewee builds the SQL of a multi-row
    insert value by value, which cost four fifths of a flush."""
    fields = AuditEntry._meta.sorted_fields
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    sql = (f'INSERT INTO "{AuditEntry._meta.table_name}" ({columns}) '
           f'VALUES ({", ".join([db.param] * len(fields))})')
    cursor = db.cursor()
    cursor.executemany(sql, [tuple(f.db_value(row[f.name]) for f in fields) for row in rows])


def append(db, events):
    """Write ``events`` (dicts without id and hashes) as the next entries of the chain.

    :returns: the number written
    """
    if not events:
        return 0
    with connected(db), db.atomic():
        anchor = _locked_anchor(db)
        prev, next_id, rows = anchor.head_hash, anchor.head_id + 1, []
        for event in events:
            row = dict(event, id=next_id, prev_hash=prev)
            row["hash"] = prev = entry_hash(row, prev)
            rows.append(row)
            next_id += 1
        _insert(db, rows)
        (AuditAnchor.update(head_id=next_id - 1, head_hash=prev)
         .where(AuditAnchor.id == 1).bind(db).execute())
    return len(rows)


def verify(db):
    """Check every entry and link of the chain.

    :returns: ``(number of entries checked, None)`` or ``(checked, problem)``
        where ``problem`` names the first bad entry
    """
    with connected(db):
        anchor = AuditAnchor.select().where(AuditAnchor.id == 1).bind(db).get()
        expected, last_id, checked = anchor.pruned_hash, anchor.pruned_id, 0
        query = (AuditEntry.select().where(AuditEntry.id > anchor.pruned_id)
                 .order_by(AuditEntry.id).bind(db))
        for entry in query.iterator():
            values = {f: getattr(entry, f) for f in FIELDS}
            values["details"] = entry.details
            if entry.prev_hash != expected:
                return checked, (f"entry {entry.id}: its previous hash does not match "
                                 f"entry {last_id or 'the start of the trail'} (an entry "
                                 f"between them was removed, or entry {last_id} was changed)")
            if entry_hash(values, entry.prev_hash) != entry.hash:
                return checked, f"entry {entry.id} was changed (its hash does not match its content)"
            expected, last_id, checked = entry.hash, entry.id, checked + 1
        if (last_id, expected) != (anchor.head_id, anchor.head_hash):
            return checked, (f"entries after {last_id or 'the start'} are missing: the last "
                             f"entry written was {anchor.head_id}")
    return checked, None


def head(db):
    """``(id, hash)`` of the last entry written (to note down outside the server)."""
    with connected(db):
        anchor = AuditAnchor.select().where(AuditAnchor.id == 1).bind(db).get()
    return anchor.head_id, anchor.head_hash


def prune(db, days, now=None):
    """Remove the entries older than ``days`` days, keeping the chain verifiable.

    Only a prefix of the chain is removed (up to the first entry that is not
    old enough); the hash of its last entry becomes the anchor the first
    remaining entry is checked against.

    :returns: the number of entries removed
    """
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    cutoff = now - datetime.timedelta(days=days)
    with connected(db), db.atomic():
        anchor = _locked_anchor(db)
        young = (AuditEntry.select(pw.fn.MIN(AuditEntry.id))
                 .where((AuditEntry.at >= cutoff) & (AuditEntry.id > anchor.pruned_id))
                 .bind(db).scalar())
        last = anchor.head_id if young is None else young - 1
        if last <= anchor.pruned_id:
            return 0
        boundary = AuditEntry.select().where(AuditEntry.id == last).bind(db).get_or_none()
        pruned_hash = boundary.hash if boundary is not None else (
            anchor.head_hash if last == anchor.head_id else None)
        if pruned_hash is None:
            # the entry that would become the anchor is missing: leave the damage for verify
            return 0
        removed = (AuditEntry.delete().where(AuditEntry.id <= last).bind(db).execute())
        (AuditAnchor.update(pruned_id=last, pruned_hash=pruned_hash)
         .where(AuditAnchor.id == 1).bind(db).execute())
    return removed


__all__ = ["GENESIS", "append", "canonical_json", "entry_hash", "head", "prune", "verify"]
