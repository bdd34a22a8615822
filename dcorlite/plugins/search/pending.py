"""Marks of datasets whose index document must be rewritten.

A write action marks its dataset inside its own transaction (the
``dataset_written`` hook), so the mark commits or rolls back together with
the change, and a crash after the commit cannot lose it. Marks are numbered
in the order they are made; whoever indexes marks ``≤ n`` removes exactly
those afterwards, so marks made meanwhile stay for the next round.
"""
import peewee as pw

from ...models import BaseModel, utcnow
from ...prepared import Prepared


class SearchPending(BaseModel):
    """One change of one dataset that the index does not hold yet."""

    seq = pw.AutoField()
    dataset_id = pw.CharField()
    marked = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "search_pending"


def mark(dataset_id):
    """Record that the document of ``dataset_id`` must be rewritten."""
    SearchPending.insert(dataset_id=dataset_id).execute()


_LATEST = Prepared(lambda: SearchPending.select(SearchPending.seq)
                   .order_by(SearchPending.seq.desc()).limit(1))


def latest():
    """The number of the newest mark, or None when nothing waits (one index lookup)."""
    row = _LATEST.first()
    return row.seq if row is not None else None


def waiting_through(seq):
    """True if a mark numbered ``≤ seq`` is still there."""
    return SearchPending.select().where(SearchPending.seq <= seq).exists()


def datasets_through(seq):
    """The ids of the datasets marked by marks ``≤ seq``."""
    query = (SearchPending.select(SearchPending.dataset_id).distinct()
             .where(SearchPending.seq <= seq))
    return [row.dataset_id for row in query]


def forget_through(seq):
    """Remove the marks ``≤ seq`` (their datasets are indexed now)."""
    SearchPending.delete().where(SearchPending.seq <= seq).execute()
