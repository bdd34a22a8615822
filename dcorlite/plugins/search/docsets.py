"""Whoosh queries evaluated as sets of documents, with the sets cached per index generation.

Whoosh matches, filters, sorts and groups one document at a time in Python,
which costs tens of milliseconds once a query touches thousands of datasets
(``q=*:*`` with a permission filter touches all of them). The index's
postings and columns do not change until the next commit, so this module
reads each term's postings once per commit into a numpy boolean array over
the document numbers and answers ``And``/``Or``/``Not``, filters, counts,
facets and column sorts with vectorised operations on those arrays.

Relevance is Whoosh's BM25F formula (``whoosh.scoring.bm25``) applied to
whole arrays of term frequencies and field lengths, so ranking by relevance
does not visit matches one by one either.
"""
import threading

import numpy as np
from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F, bm25

#: bytes of arrays one cache may hold before it starts over
CACHE_BYTES = 64 * 2**20
_BM25 = BM25F()


class DocSets:
    """Document arrays of one index generation, shared by all threads.

    Whoosh readers are not thread-safe, so every method takes the calling
    thread's searcher (of this generation) and reads through it; only the
    resulting immutable arrays are shared.
    """

    def __init__(self, key, size):
        self.key = key          # (index folder, generation)
        self.size = size        # document numbers run from 0 to size - 1
        self._arrays = {}
        self._bytes = 0
        self._lock = threading.Lock()

    # -- single arrays -------------------------------------------------------------

    def _cached(self, key, make):
        found = self._arrays.get(key)
        if found is None:
            found = make()
            found.flags.writeable = False
            with self._lock:
                if self._bytes + found.nbytes > CACHE_BYTES:
                    self._arrays.clear()
                    self._bytes = 0
                self._arrays[key] = found
                self._bytes += found.nbytes
        return found

    def everything(self, searcher):
        """Every live (not deleted) document."""
        return self._cached(("all",), lambda: self._from_ids(searcher.reader().all_doc_ids()))

    def term(self, searcher, field, text):
        """The documents holding ``text`` (str or bytes) in ``field``."""
        text = self._bytes_of(searcher, field, text)

        def make():
            matcher = self._matcher(searcher, field, text)
            return self._from_ids(matcher.all_ids() if matcher is not None else ())
        return self._cached(("term", field, text), make)

    @staticmethod
    def _bytes_of(searcher, field, text):
        return searcher.schema[field].to_bytes(text) if isinstance(text, str) else text

    @staticmethod
    def _matcher(searcher, field, btext):
        """The postings of a term, or None if it is not indexed."""
        try:
            return searcher.reader().postings(field, btext)
        except TermNotFound:
            return None

    def _from_ids(self, ids):
        mask = np.zeros(self.size, dtype=bool)
        mask[np.fromiter(ids, dtype=np.int64)] = True
        return mask

    def nothing(self):
        """No document."""
        return np.zeros(self.size, dtype=bool)

    def warm(self, searcher, fields, columns):
        """Build now the arrays of every term of ``fields`` and the ranks of ``columns``."""
        self.everything(searcher)
        for field in fields:
            for btext in searcher.reader().lexicon(field):
                self.term(searcher, field, btext)
        for column in columns:
            self.ranks(searcher, column)

    # -- queries -------------------------------------------------------------------

    def match(self, searcher, query):
        """The documents matching the Whoosh ``query``, as a boolean array."""
        if isinstance(query, wq.Every) and not query.fieldname:
            return self.everything(searcher)
        if query is wq.NullQuery:
            return self.nothing()
        if isinstance(query, wq.Term):
            return self.term(searcher, query.fieldname, query.text)
        if isinstance(query, wq.And):
            result = self.everything(searcher)
            for child in query.subqueries:
                result = result & self.match(searcher, child)
            return result
        if isinstance(query, wq.Or):
            result = self.nothing()
            for child in query.subqueries:
                result = result | self.match(searcher, child)
            return result
        if isinstance(query, wq.Not):
            return self.everything(searcher) & ~self.match(searcher, query.query)
        if isinstance(query, wq.NumericRange):  # also DateRange: ranges of trie terms
            return self.match(searcher, query.simplify(searcher.reader()))
        if isinstance(query, wq.MultiTerm):     # Wildcard, Prefix, TermRange
            result = self.nothing()
            for field, btext in query.expanded_terms(searcher.reader()):
                result = result | self.term(searcher, field, btext)
            return result
        # phrases need positions: Whoosh's own matcher, not cached
        return self._from_ids(searcher.docs_for_query(query))

    # -- relevance -----------------------------------------------------------------

    def relevance(self, searcher, query, fields):
        """Per document, the BM25F relevance of ``query``'s words in ``fields`` (0 elsewhere).

        As in Whoosh, the parts of an ``And`` or ``Or`` that match add up; a
        phrase scores as its words, a wildcard as 1; negations and filters
        on other fields add nothing.
        """
        if isinstance(query, wq.Term) and query.fieldname in fields:
            return self._term_relevance(searcher, query.fieldname, query.text)
        if isinstance(query, (wq.And, wq.Or)):
            total = np.zeros(self.size)
            for child in query.subqueries:
                part = self.relevance(searcher, child, fields)
                total += part * self.match(searcher, child) if isinstance(query, wq.Or) else part
            return total
        if isinstance(query, wq.Phrase) and query.fieldname in fields:
            words = sum(self._term_relevance(searcher, query.fieldname, w) for w in query.words)
            return words * self.match(searcher, query)
        if isinstance(query, wq.MultiTerm) and query.field() in fields:
            return self.match(searcher, query).astype(float)
        return np.zeros(self.size)

    def _term_relevance(self, searcher, field, text):
        btext = self._bytes_of(searcher, field, text)

        def make():
            ids, frequencies = [], []
            matcher = self._matcher(searcher, field, btext)
            while matcher is not None and matcher.is_active():
                ids.append(matcher.id())
                frequencies.append(matcher.weight())
                matcher.next()
            scores = np.zeros(self.size)
            if not ids:  # also keeps Whoosh's idf from taking log(0) on an empty index
                return scores
            ids = np.asarray(ids, dtype=np.int64)
            scores[ids] = bm25(searcher.idf(field, btext), np.asarray(frequencies, dtype=float),
                               self.lengths(searcher, field)[ids],
                               searcher.avg_field_length(field) or 1, _BM25.B, _BM25.K1)
            return scores
        return self._cached(("relevance", field, btext), make)

    def lengths(self, searcher, field):
        """Per document, its length in ``field`` as Whoosh's scorer reads it."""
        reader = searcher.reader()
        return self._cached(("lengths", field), lambda: np.array(
            [reader.doc_field_length(n, field, 0) for n in range(self.size)], dtype=float))

    # -- columns -------------------------------------------------------------------

    def ranks(self, searcher, field):
        """Per document, the rank of its value of the sortable ``field`` (equal values, equal rank)."""
        def make():
            values = np.array(list(searcher.reader().column_reader(field, translate=False)),
                              dtype=object)
            return np.unique(values, return_inverse=True)[1].astype(np.int64)
        return self._cached(("ranks", field), make)

    def first(self, searcher, matches, order, count, relevance=None):
        """Document numbers of the first ``count`` matches, by relevance and ``order``.

        :param matches: boolean array of the matching documents
        :param order: ``[(field, descending)]``, most significant first (after relevance)
        :param relevance: optional per-document scores, ranked first (highest first)
        """
        docnums = np.flatnonzero(matches)
        if count <= 0 or not len(docnums):
            return []
        keys = [-self.ranks(searcher, field)[docnums] if descending
                else self.ranks(searcher, field)[docnums] for field, descending in order]
        if relevance is not None:
            keys.insert(0, -relevance[docnums])
        sorted_positions = np.lexsort(keys[::-1])  # lexsort: last key most significant
        return docnums[sorted_positions[:count]].tolist()


class DocSetCache:
    """The :class:`DocSets` of the newest index generation seen (one per index)."""

    def __init__(self):
        self._current = None
        self._lock = threading.Lock()

    def for_searcher(self, searcher, path):
        """The :class:`DocSets` matching ``searcher`` (a new, uncached one for an old generation)."""
        reader = searcher.reader()
        # an index without segments has an EmptyReader, whose generation is None
        generation = reader.generation()
        key = (path, -1 if generation is None else generation)
        with self._lock:
            current = self._current
            if current is not None and current.key == key:
                return current
            fresh = DocSets(key, reader.doc_count_all())
            if current is None or current.key[0] != path or current.key[1] < key[1]:
                self._current = fresh
            return fresh
