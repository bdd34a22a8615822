"""Marks of datasets whose index document must be rewritten.

A write action marks its dataset inside its own transaction (the
``dataset_written`` hook), so the mark commits or rolls back together with
the change, and a crash after the commit cannot lose it. Marks are numbered
in the order they are made; whoever indexes marks ``≤ n`` removes exactly
those afterwards, so marks made meanwhile stay for the next round.

Searches wait for the marks of write actions (``awaited``), not for those of
background jobs (new ``dc:`` metadata): a search must reflect what a client
wrote before it, but not hold every reader up while uploads are processed.
Nor does a search without ``include_drafts`` wait for changes of datasets that
are still drafts (``drafts_only``): it cannot see them, and an upload makes
several (create, attach each resource) before the one that publishes it.
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
    drafts_only = pw.BooleanField(default=False)

    class Meta:
        table_name = "search_pending"


def mark(dataset_id, awaited=True, drafts_only=False):
    """Record that the document of ``dataset_id`` must be rewritten.

    :param awaited: searches wait until it is indexed (write actions); False
        for changes that may show a moment later (background jobs)
    :param drafts_only: the dataset is a draft after the change (it never
        goes back to one), so only searches that include drafts can see it
    """
    SearchPending.insert(dataset_id=dataset_id, awaited=awaited,
                         drafts_only=drafts_only).execute()


def _newest(*conditions):
    def build():
        query = SearchPending.select(SearchPending.seq)
        return (query.where(*conditions) if conditions else query).order_by(
            SearchPending.seq.desc()).limit(1)
    return Prepared(build)


_LATEST = {  # (awaited_only, drafts): the query for the newest such mark
    (False, True): _newest(),
    (False, False): _newest(SearchPending.drafts_only == False),  # noqa: E712
    (True, True): _newest(SearchPending.awaited == True),  # noqa: E712
    (True, False): _newest(SearchPending.awaited == True,  # noqa: E712
                           SearchPending.drafts_only == False),  # noqa: E712
}


def latest(awaited_only=False, drafts=True):
    """The number of the newest mark, or None when none waits.

    :param awaited_only: only marks of write actions
    :param drafts: also marks of changes only drafts show (False: for a
        search without ``include_drafts``)
    """
    row = _LATEST[bool(awaited_only), bool(drafts)].first()
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
