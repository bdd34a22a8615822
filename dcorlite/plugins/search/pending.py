"""Marks of datasets whose index document must be rewritten.

A write action marks its dataset inside its own transaction (the
``dataset_written`` hook), so the mark commits or rolls back together with
the change, and a crash after the commit cannot lose it. Marks are numbered
in the order they are made; whoever indexes marks ``≤ n`` removes exactly
those afterwards, so marks made meanwhile stay for the next round.

Searches wait for the marks of write actions (``awaited``), not for those of
background jobs (new ``dc:`` metadata): a search must reflect what a client
wrote before it, but not hold every reader up while uploads are processed.
"""
import peewee as pw

from ...models import BaseModel, utcnow
from ...prepared import Prepared


class SearchPending(BaseModel):
    """One change of one dataset that the index does not hold yet."""

    seq = pw.AutoField()
    dataset_id = pw.CharField()
    marked = pw.DateTimeField(default=utcnow)
    awaited = pw.BooleanField(default=True)

    class Meta:
        table_name = "search_pending"


def mark(dataset_id, awaited=True):
    """Record that the document of ``dataset_id`` must be rewritten.

    :param awaited: searches wait until it is indexed (write actions); False
        for changes that may show a moment later (background jobs)
    """
    SearchPending.insert(dataset_id=dataset_id, awaited=awaited).execute()


_LATEST = Prepared(lambda: SearchPending.select(SearchPending.seq)
                   .order_by(SearchPending.seq.desc()).limit(1))
_LATEST_AWAITED = Prepared(lambda: SearchPending.select(SearchPending.seq)
                           .where(SearchPending.awaited == True)  # noqa: E712
                           .order_by(SearchPending.seq.desc()).limit(1))


def latest(awaited_only=False):
    """The number of the newest mark (of a write action), or None when none waits."""
    row = (_LATEST_AWAITED if awaited_only else _LATEST).first()
    return row.seq if row is not None else None


_OLDEST = Prepared(lambda: SearchPending.select(SearchPending.seq)
                   .order_by(SearchPending.seq).limit(1))


def oldest():
    """The number of the oldest mark left, or None when none waits."""
    row = _OLDEST.first()
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
