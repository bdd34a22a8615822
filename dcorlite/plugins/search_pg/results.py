"""Search results kept per process while nothing they depend on has changed.

A result depends on the dataset rows (every write bumps the row's revision,
and the search documents are written in the same transaction), on who may
read what (users, memberships, collaborators) and on circle and collection
names. Each has a change counter that the database raises in the writing
transaction (:mod:`dcorlite.changes`), so a result stored under the counter
values read before it was computed is current while they stay the same:
in any process, on any host, and a search right after a write reads the
raised counter and computes afresh. Identical searches are common (the
facets of the dataset list, DCOR-Aid's circle browsers); under a stream of
writes the cache simply misses.
"""
import dataclasses

from ... import changes

GROUPS_COUNTER = "search_pg_groups"  # made by migrations/0002_groups_counter.py


class ResultCache:
    """:class:`dcorlite.search.SearchResult` by query and caller, for the current counters."""

    def __init__(self, maxsize):
        self._cache = changes.CounterCache(changes.DATASETS, maxsize) if maxsize else None

    def size(self):
        """How many results are kept."""
        return self._cache.size() if self._cache is not None else 0

    def get(self, query, user, compute):
        """The result of ``query`` for ``user``: kept, or ``compute()`` (then kept)."""
        if self._cache is None:
            return compute()
        key = (changes.current(changes.ACCESS), changes.current(GROUPS_COUNTER),
               user.id if user is not None else None, repr(query))
        found = self._cache.get(key, compute)
        # callers may change what they get; the kept result stays as it was
        return dataclasses.replace(found, ids=list(found.ids),
                                   facets={k: dict(v) for k, v in found.facets.items()})
