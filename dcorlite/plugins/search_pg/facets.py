"""Counts per value of list and ``dc:``/``sp:`` facets, from values each process keeps.

Counting in SQL joins every match with its values: a match-all search at
10,000 datasets with five such facets joins 70,000 rows of
``search_pg_value``, about 100 ms however it is planned. So each process
keeps, per faceted key, the values of every dataset in numpy arrays and
counts the matches' values there (a millisecond). The values follow the
documents: the counter ``search_pg_documents`` (raised in every transaction
that writes a document, see ``migrations/0003_documents_counter.py``) tells
whether any changed; if one did, the fingerprints tell which, and only
their values are read again.

The search transaction reads the counter, the fingerprints, the values and
the matches in one snapshot (``REPEATABLE READ``, see :func:`snapshot`), so
the counts are those of the matches it returns, and a search after a write
counts the write. Inside another transaction (which may hold writes that
roll back) nothing is kept: a fresh :class:`FacetValues` counts once.
"""
import threading

import cachetools
import numpy as np

from ...db import database

COUNTER = "search_pg_documents"  # made by migrations/0003_documents_counter.py
#: faceted keys whose values a process keeps (the least recently counted are dropped)
MAX_KEYS = 64
#: above this many changed documents, and this share of them, values are read again whole
REREAD_COUNT = 1000
REREAD_SHARE = 0.25


def snapshot():
    """A read-only transaction in which every statement sees the same committed state."""
    return database.atomic("REPEATABLE READ, READ ONLY")


class _KeyValues:
    """The values of one key: per dataset as text, and as arrays for counting."""

    def __init__(self, by_dataset):
        self.by_dataset = by_dataset  # dataset id → [value text, …]
        self._arrays = None

    def changed(self):
        """Forget the arrays (made again at the next count)."""
        self._arrays = None

    def arrays(self, slots):
        """``(slot per occurrence, value number per occurrence, value texts)``."""
        if self._arrays is None:
            names, numbers, rows, terms = [], {}, [], []
            for dataset_id, values in self.by_dataset.items():
                slot = slots.setdefault(dataset_id, len(slots))
                for value in values:
                    number = numbers.get(value)
                    if number is None:
                        number = numbers[value] = len(names)
                        names.append(value)
                    rows.append(slot)
                    terms.append(number)
            self._arrays = (np.array(rows, dtype=np.int64), np.array(terms, dtype=np.int64),
                            names)
        return self._arrays


class FacetValues:
    """The faceted values of every dataset, as of the last snapshot that counted."""

    def __init__(self):
        self._lock = threading.Lock()
        self._database = None
        self._forget()

    def _forget(self):
        self._counter = None
        self._fingerprints = {}
        self._slots = {}  # dataset id → position in the masks (never reused)
        self._keys = cachetools.LRUCache(MAX_KEYS)

    def counts(self, keys, hit_ids):
        """``{key: {value text: datasets}}`` of the datasets ``hit_ids`` (in the snapshot)."""
        with self._lock:
            self._follow()
            found = {key: self._key(key) for key in keys}
            arrays = {key: values.arrays(self._slots) for key, values in found.items()}
            mask = np.zeros(len(self._slots) + 1, dtype=bool)  # the last: not kept
            slots, missing = self._slots, len(self._slots)
            mask[[slots.get(i, missing) for i in hit_ids]] = True
        result = {}
        for key, (rows, terms, names) in arrays.items():
            numbers = np.bincount(terms[mask[rows]], minlength=len(names))
            result[key] = {names[n]: int(c) for n, c in enumerate(numbers) if c}
        return result

    def _follow(self):
        """Bring the kept values up to the snapshot's documents."""
        if database.obj is not self._database:  # rebound (tests, another instance)
            self._forget()
            self._database = database.obj
        counter = database.execute_sql("SELECT value FROM change_counter WHERE name = %s",
                                       (COUNTER,)).fetchone()[0]
        if counter == self._counter:
            return
        fingerprints = dict(database.execute_sql(
            "SELECT dataset_id, fingerprint FROM search_pg_document").fetchall())
        changed = [d for d, f in fingerprints.items() if self._fingerprints.get(d) != f]
        gone = [d for d in self._fingerprints if d not in fingerprints]
        if len(changed) > max(REREAD_COUNT, REREAD_SHARE * len(fingerprints)):
            self._keys.clear()
        elif changed or gone:
            self._reread(changed, gone)
        self._fingerprints, self._counter = fingerprints, counter

    def _reread(self, changed, gone):
        keys = list(self._keys)
        for values in self._keys.values():
            for dataset_id in changed + gone:
                values.by_dataset.pop(dataset_id, None)
            values.changed()
        if not keys:
            return
        for first in range(0, len(changed), REREAD_COUNT):
            rows = database.execute_sql(
                "SELECT key, dataset_id, value #>> '{}' FROM search_pg_value "
                "WHERE key = ANY(%s) AND dataset_id = ANY(%s)",
                (keys, changed[first:first + REREAD_COUNT]))
            for key, dataset_id, value in rows:
                self._keys[key].by_dataset.setdefault(dataset_id, []).append(value)

    def _key(self, key):
        values = self._keys.get(key)
        if values is None:
            by_dataset = {}
            rows = database.execute_sql(
                "SELECT dataset_id, value #>> '{}' FROM search_pg_value WHERE key = %s",
                (key,))
            for dataset_id, value in rows:
                by_dataset.setdefault(dataset_id, []).append(value)
            values = self._keys[key] = _KeyValues(by_dataset)
        return values
