"""Counts per value of list and ``dc:``/``sp:`` facets, from values each process keeps.

Counting in SQL joins every match with its values: a match-all search at
10,000 datasets with five such facets joins 70,000 rows of
``search_pg_value``, about 100 ms however it is planned. So each process
keeps, per faceted key, the values of every document in numpy arrays of
document numbers (``migrations/0004_numbers.py``) and counts the
matches' values there (a millisecond). The values follow the documents: the
counter ``search_pg_documents`` (raised in every transaction that writes a
document, see ``migrations/0003_documents_counter.py``) tells whether any
changed; if one did, the fingerprints tell which, and only their values are
read again.

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
    """The values of one key: per occurrence, a document number and a value number."""

    def __init__(self):
        self.names = []  # value number → value text (values no document has any more stay)
        self._value_numbers = {}  # value text → value number
        self._arrays = (_EMPTY, _EMPTY)
        self._added = []

    def add(self, value, documents):
        """The documents numbered ``documents`` (an array) have ``value``."""
        number = self._value_numbers.setdefault(value, len(self.names))
        if number == len(self.names):
            self.names.append(value)
        self._added.append((documents, np.full(len(documents), number, dtype=np.int64)))

    def remove(self, documents):
        """Forget every value of the documents numbered ``documents``."""
        rows, terms = self.arrays()
        kept = ~np.isin(rows, documents)
        self._arrays = (rows[kept], terms[kept])

    def arrays(self):
        """``(document number per occurrence, value number per occurrence)``."""
        if self._added:
            rows, terms = self._arrays
            self._arrays = (np.concatenate([rows] + [part[0] for part in self._added]),
                            np.concatenate([terms] + [part[1] for part in self._added]))
            self._added = []
        return self._arrays


_EMPTY = np.zeros(0, dtype=np.int64)


def _integers(text):
    """The integers of ``text``, comma-separated (as ``string_agg`` joins them), as an array.

    A text of numbers is parsed many times faster than psycopg2 parses an array of them.
    """
    return np.fromstring(text, dtype=np.int64, sep=",") if text else _EMPTY


def _load(keys, documents=None):
    """``[(key, value text, document numbers)]`` of ``keys`` (of ``documents`` only)."""
    where = "key = ANY(%s)" + (" AND document_number = ANY(%s)" if documents is not None
                                else "")
    params = (list(keys),) + ((documents.tolist(),) if documents is not None else ())
    rows = database.execute_sql(
        "SELECT key, value #>> '{}', string_agg(document_number::text, ',') "
        "FROM search_pg_value "
        f"WHERE {where} GROUP BY key, value", params).fetchall()
    return [(key, value, _integers(found)) for key, value, found in rows]


class FacetValues:
    """The faceted values of every document, as of the last snapshot that counted."""

    def __init__(self):
        self._lock = threading.Lock()
        self._database = None
        self._forget()

    def _forget(self):
        self._counter = None
        # per document number: 64 bits of its fingerprint (16 hex digits); whether it exists
        self._fingerprints, self._exists = np.zeros(0, dtype="U16"), np.zeros(0, dtype=bool)
        self._document_numbers = {}  # dataset id → its document's number
        self._keys = cachetools.LRUCache(MAX_KEYS)

    def key_count(self):
        """How many faceted keys' values are kept."""
        return len(self._keys)

    def counts(self, keys, hit_ids):
        """``{key: {value text: datasets}}`` of the datasets ``hit_ids`` (in the snapshot)."""
        with self._lock:
            self._follow()
            kept = {key: (values.arrays(), values.names)
                    for key, values in self._values_of(keys).items()}
            mask = np.zeros(len(self._exists), dtype=bool)
            hits = [n for n in map(self._document_numbers.get, hit_ids) if n is not None]
        mask[hits] = True
        result = {}
        for key, ((rows, terms), names) in kept.items():
            found = np.bincount(terms[mask[rows]], minlength=len(names))
            result[key] = {names[n]: int(found[n]) for n in np.flatnonzero(found)}
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
        # 64 bits of each fingerprint tell a change; "number bits id …" in one text costs a
        # fraction of a row per document
        joined = database.execute_sql(
            "SELECT string_agg(number || ' ' || left(fingerprint, 16) || ' ' || dataset_id, ' ')"
            " FROM search_pg_document").fetchone()[0]
        words = joined.split(" ") if joined else []
        documents, ids = np.array(words[0::3], dtype=np.int64), words[2::3]
        size = max(len(self._exists), int(documents.max()) + 1 if len(documents) else 0)
        fingerprints, exists = np.zeros(size, dtype="U16"), np.zeros(size, dtype=bool)
        fingerprints[documents], exists[documents] = words[1::3], True
        before = np.zeros(size, dtype=bool)
        before[:len(self._exists)] = self._exists
        previous = np.zeros(size, dtype="U16")
        previous[:len(self._fingerprints)] = self._fingerprints
        changed = np.flatnonzero(exists & (~before | (fingerprints != previous)))
        gone = np.flatnonzero(before & ~exists)
        if len(changed) > max(REREAD_COUNT, REREAD_SHARE * len(documents)):
            self._keys.clear()
        elif len(changed) or len(gone):
            self._reread(changed, gone)
        self._fingerprints, self._exists, self._counter = fingerprints, exists, counter
        self._document_numbers = dict(zip(ids, documents.tolist()))

    def _reread(self, changed, gone):
        """Read the values of the documents numbered ``changed`` again; forget ``gone``'s."""
        outdated = np.concatenate([changed, gone])
        for values in self._keys.values():
            values.remove(outdated)
        if not self._keys:
            return
        for first in range(0, len(changed), REREAD_COUNT):
            for key, value, found in _load(self._keys, changed[first:first + REREAD_COUNT]):
                self._keys[key].add(value, found)

    def _values_of(self, keys):
        """The :class:`_KeyValues` of ``keys``, those not kept yet read now (and kept)."""
        found = {key: self._keys.get(key) for key in keys}
        missing = [key for key, values in found.items() if values is None]
        for key in missing:
            found[key] = _KeyValues()
        for key, value, documents in _load(missing) if missing else ():
            found[key].add(value, documents)
        for key in missing:
            self._keys[key] = found[key]
        return found
