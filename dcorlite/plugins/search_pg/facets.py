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
    """The values of one key: the datasets of each value, and arrays for counting."""

    def __init__(self):
        self.datasets = {}  # value text → {dataset id, …}
        self._arrays = None

    def add(self, value, dataset_ids):
        """``dataset_ids`` have ``value``."""
        self.datasets.setdefault(value, set()).update(dataset_ids)
        self._arrays = None

    def remove(self, dataset_ids):
        """Forget every value of ``dataset_ids``."""
        for value in list(self.datasets):
            found = self.datasets[value]
            found.difference_update(dataset_ids)
            if not found:
                del self.datasets[value]
        self._arrays = None

    def arrays(self, slots):
        """``(slot per occurrence, value number per occurrence, value texts)``."""
        if self._arrays is None:
            names, rows, terms = list(self.datasets), [], []
            for number, value in enumerate(names):
                found = self.datasets[value]
                try:
                    rows.extend([slots[dataset_id] for dataset_id in found])
                except KeyError:  # never seen: every document's dataset has a slot
                    for dataset_id in found.difference(slots):
                        slots[dataset_id] = len(slots)
                    rows.extend([slots[dataset_id] for dataset_id in found])
                terms.append(np.full(len(found), number, dtype=np.int64))
            self._arrays = (np.array(rows, dtype=np.int64),
                            np.concatenate(terms) if terms else np.zeros(0, np.int64), names)
        return self._arrays


def _load(keys, dataset_ids=None):
    """``[(key, value text, [dataset id, …])]`` of ``keys`` (of ``dataset_ids`` only).

    One row per value: ids are uuids, joined by spaces in the database, which
    is ten times faster than a row per dataset and value.
    """
    where = "key = ANY(%s)" + (" AND dataset_id = ANY(%s)" if dataset_ids is not None else "")
    params = (list(keys),) + ((list(dataset_ids),) if dataset_ids is not None else ())
    rows = database.execute_sql(
        "SELECT key, value #>> '{}', string_agg(dataset_id, ' ') FROM search_pg_value "
        f"WHERE {where} GROUP BY key, value", params).fetchall()
    return [(key, value, ids.split(" ")) for key, value, ids in rows]


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

    def key_count(self):
        """How many faceted keys' values are kept."""
        return len(self._keys)

    def counts(self, keys, hit_ids):
        """``{key: {value text: datasets}}`` of the datasets ``hit_ids`` (in the snapshot)."""
        with self._lock:
            self._follow()
            arrays = {key: values.arrays(self._slots)
                      for key, values in self._values_of(keys).items()}
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
        # 64 bits of each fingerprint tell a change; one text of "id:bits id:bits …"
        # (uuids and hex digits) costs a fraction of a row per document
        joined = database.execute_sql(
            "SELECT string_agg(dataset_id || ':' || left(fingerprint, 16), ' ') "
            "FROM search_pg_document").fetchone()[0]
        fingerprints = dict(pair.split(":") for pair in joined.split(" ")) if joined else {}
        for dataset_id in fingerprints.keys() - self._slots.keys():
            self._slots[dataset_id] = len(self._slots)
        changed = [d for d, f in fingerprints.items() if self._fingerprints.get(d) != f]
        gone = [d for d in self._fingerprints if d not in fingerprints]
        if len(changed) > max(REREAD_COUNT, REREAD_SHARE * len(fingerprints)):
            self._keys.clear()
        elif changed or gone:
            self._reread(changed, gone)
        self._fingerprints, self._counter = fingerprints, counter

    def _reread(self, changed, gone):
        outdated = set(changed) | set(gone)
        for values in self._keys.values():
            values.remove(outdated)
        if not self._keys:
            return
        for first in range(0, len(changed), REREAD_COUNT):
            for key, value, ids in _load(self._keys, changed[first:first + REREAD_COUNT]):
                self._keys[key].add(value, ids)

    def _values_of(self, keys):
        """The :class:`_KeyValues` of ``keys``, those not kept yet read now (and kept)."""
        found = {key: self._keys.get(key) for key in keys}
        missing = [key for key, values in found.items() if values is None]
        for key in missing:
            found[key] = _KeyValues()
        for key, value, ids in _load(missing) if missing else ():
            found[key].add(value, ids)
        for key in missing:
            self._keys[key] = found[key]
        return found
