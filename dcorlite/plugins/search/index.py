"""The Whoosh index on disk: open, update, rebuild, check.

Layout of ``SEARCH_INDEX_DIR`` (default ``<instance>/search_index``)::

    CURRENT            name of the live index folder (replaced atomically)
    index-<hex>/       a Whoosh index (segments, TOC, WRITELOCK) and LAYOUT,
                       the version of :mod:`.schema` it was built with

A rebuild writes a fresh ``index-<hex>`` and then replaces ``CURRENT``, so a
crash during a rebuild leaves the old index in place, and a damaged index is
repaired by a rebuild without touching the damaged files first. One writer at
a time: writers take the Whoosh ``WRITELOCK`` of the live folder (an ``flock``,
released by the kernel if the process dies); a rebuild holds the old folder's
lock until the swap, so updates made meanwhile wait and then go to the new
index. Readers keep one searcher per thread and refresh it after commits.
"""
import logging
import os
import shutil
import threading
import uuid

import numpy as np
from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage

from ...loading import chunks
from ...models import Dataset, Group
from ...search import CheckReport, SearchResult
from . import docsets as dsets, schema, whoosh_query

logger = logging.getLogger(__name__)

POINTER = "CURRENT"
LAYOUT_FILE = "LAYOUT"


#: times an index is opened before a missing segment file counts as damage
OPEN_ATTEMPTS = 5


class IndexUnavailable(Exception):
    """The index does not exist yet or cannot be read."""


def _retried(action, problem):
    """``action()``, tried again while a segment file is missing.

    A writer in another process may commit and remove the segments of the
    generation just read; the next attempt reads the new generation.

    :raises IndexUnavailable: ``problem`` and the cause, for any other error or
        when the file is still missing after :data:`OPEN_ATTEMPTS` attempts
    """
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return action()
        except FileNotFoundError as exc:
            if attempt == OPEN_ATTEMPTS - 1:
                raise IndexUnavailable(f"{problem}: {exc!r}") from exc
        except Exception as exc:
            raise IndexUnavailable(f"{problem}: {exc!r}") from exc


class SearchIndex:
    """The dataset index of one app (``app.extensions["dcorlite"]["search_index"]``)."""

    def __init__(self, base_dir, writer_timeout=60.0):
        self.base_dir = base_dir
        self.writer_timeout = writer_timeout
        self._local = threading.local()
        self._docsets = dsets.DocSetCache()

    # -- locating and opening ------------------------------------------------------

    def current_dir(self):
        """Folder of the live index, or None if there is none yet."""
        try:
            with open(os.path.join(self.base_dir, POINTER)) as fh:
                name = fh.read().strip()
        except FileNotFoundError:
            return None
        return os.path.join(self.base_dir, name) if name else None

    def exists(self):
        return self.current_dir() is not None

    def _open(self, path):
        if path is None:
            raise IndexUnavailable("no search index yet (run 'dcorlite search reindex')")
        try:
            with open(os.path.join(path, LAYOUT_FILE)) as fh:
                layout = fh.read().strip()
        except OSError:
            layout = "1"  # the first release wrote no LAYOUT file
        if layout != schema.LAYOUT:
            raise IndexUnavailable(f"search index {path} has layout {layout}, this version "
                                   f"reads layout {schema.LAYOUT} "
                                   "(run 'dcorlite search reindex')")
        return _retried(lambda: windex.open_dir(path), f"cannot open search index {path}")

    @staticmethod
    def _create(path):
        """A new empty index in ``path``, marked with this version's layout."""
        ix = windex.create_in(path, schema.make_schema())
        with open(os.path.join(path, LAYOUT_FILE), "w") as fh:
            fh.write(schema.LAYOUT + "\n")
        return ix

    def searcher(self):
        """This thread's searcher on the live index, refreshed to the latest commit.

        :raises IndexUnavailable: no index, or it cannot be opened
        """
        path = self.current_dir()
        cached = getattr(self._local, "searcher", None)
        if cached is not None and self._local.path == path:
            try:
                fresh = cached.refresh()
            except Exception:
                # When a writer merges segments away while a refresh opens them,
                # Whoosh retries and closes the old readers twice (ReaderClosed);
                # a searcher opened anew reads the segments that are there now.
                fresh = None
            if fresh is not None:
                # refresh() closed the readers it did not reuse: the old searcher
                # is dropped, not closed again
                self._local.searcher = fresh
                return fresh
            self._local.searcher = None
        self.close_searcher()
        ix = self._open(path)
        searcher = _retried(ix.searcher, f"cannot read search index {path}")
        self._local.searcher, self._local.path = searcher, path
        return searcher

    def searcher_and_docsets(self):
        """This thread's fresh searcher and the :class:`DocSets` of its index generation."""
        searcher = self.searcher()
        return searcher, self._docsets.for_searcher(searcher, self._local.path)

    def close_searcher(self):
        """Close this thread's searcher (if any)."""
        cached = getattr(self._local, "searcher", None)
        if cached is not None:
            try:
                cached.close()
            except Exception:  # a damaged index may fail to close; nothing to keep
                pass
        self._local.searcher = self._local.path = None

    # -- writing -----------------------------------------------------------------

    def create_empty(self):
        """Create an empty live index (for a new instance without datasets)."""
        path = self._new_dir()
        self._create(path)
        self._swap(path)

    def _writer(self, timeout=None):
        """A writer on the live index; waits for the lock, follows a swap made meanwhile."""
        for _ in range(3):
            path = self.current_dir()
            writer = self._open(path).writer(
                timeout=self.writer_timeout if timeout is None else timeout)
            if self.current_dir() == path:
                return writer
            writer.cancel()  # a rebuild swapped the index while we waited
        raise IndexUnavailable("search index changed repeatedly while waiting to write")

    def update(self, dataset_ids, timeout=None):
        """Index the current state of ``dataset_ids`` (remove those no longer in the DB).

        Documents that are already up to date are not written again. The new
        generation is not warmed here (see :meth:`warm`): searches waiting for
        this commit should not wait for that as well.

        :param timeout: seconds to wait for the write lock (default ``writer_timeout``)
        :returns: True if a new generation was committed
        :raises IndexUnavailable: the index cannot be opened
        :raises whoosh.index.LockError: the lock was not free in time
        """
        if not self.exists():
            # nothing to keep up to date: `search reindex` will index everything
            logger.info("no search index yet; not indexing %s", ", ".join(dataset_ids))
            return
        docs = dict.fromkeys(dataset_ids)
        found = Dataset.select().where(Dataset.id.in_(list(docs)))
        docs.update((doc["id"], doc) for doc in schema.documents(found))
        stale = self._stale(docs)
        if not stale:
            return
        writer = self._writer(timeout)
        try:
            for dataset_id in stale:
                if docs[dataset_id] is None:
                    writer.delete_by_term("id", dataset_id)
                else:
                    writer.update_document(**docs[dataset_id])
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return True

    def _stale(self, docs):
        """The ids in ``docs`` whose indexed document differs (all if unreadable)."""
        try:
            searcher = self.searcher()
            indexed = {i: searcher.document(id=i) for i in docs}
        except Exception:
            self.close_searcher()
            return list(docs)
        return [i for i, doc in docs.items()
                if (doc is None) != (indexed[i] is None)
                or (doc is not None and indexed[i]["fingerprint"] != doc["fingerprint"])]

    def rebuild(self, progress=None, processes=1):
        """Build a new index of every dataset in a fresh folder and make it live.

        :param progress: called with the number of datasets done after each batch
        :param processes: Whoosh writer processes (more than 1: one segment each)
        :returns: number of datasets indexed
        """
        old = self.current_dir()
        lock = None
        if old is not None and os.path.isdir(old):
            lock = FileStorage(old).lock("WRITELOCK")
            lock.acquire(blocking=True)
        try:
            path = self._new_dir()
            ix = self._create(path)
            writer = (ix.writer(procs=processes, multisegment=True) if processes > 1
                      else ix.writer())
            count = 0
            try:
                for batch in chunks(Dataset.select().order_by(Dataset.created, Dataset.id)):
                    for doc in schema.documents(batch):
                        writer.add_document(**doc)
                    count += len(batch)
                    if progress:
                        progress(len(batch))
            except BaseException:
                writer.cancel()
                shutil.rmtree(path, ignore_errors=True)
                raise
            writer.commit()
            self._swap(path)
        finally:
            if lock is not None:
                lock.release()
        self.close_searcher()
        self.warm()
        return count

    def warm(self):
        """Fill the document-set cache of the live generation, so that searches need not.

        Called after a commit by ``reindex`` and by the indexing thread of a
        process that also searches: the permission filter's and the facet
        fields' terms and the sort columns are then ready when the next
        search arrives.
        """
        try:
            searcher, docsets = self.searcher_and_docsets()
            docsets.warm(searcher, _WARM_FIELDS, _WARM_COLUMNS)
        except Exception as exc:  # only an optimisation; searches report a broken index
            logger.warning("could not warm the search cache: %r", exc)

    @staticmethod
    def default_processes():
        """Writer processes for a rebuild: one per CPU, at most 4."""
        return max(1, min(4, os.cpu_count() or 1))

    def _new_dir(self):
        os.makedirs(self.base_dir, exist_ok=True)
        path = os.path.join(self.base_dir, f"index-{uuid.uuid4().hex}")
        os.makedirs(path)
        return path

    def _swap(self, path):
        """Make ``path`` the live index (atomic rename) and remove older folders."""
        tmp = os.path.join(self.base_dir, f"{POINTER}.{uuid.uuid4().hex}")
        with open(tmp, "w") as fh:
            fh.write(os.path.basename(path) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, os.path.join(self.base_dir, POINTER))
        for name in os.listdir(self.base_dir):
            full = os.path.join(self.base_dir, name)
            if name.startswith("index-") and full != path:
                shutil.rmtree(full, ignore_errors=True)

    # -- checking ----------------------------------------------------------------

    def check(self):
        """Compare the index with the database; never raises for a damaged index."""
        report = CheckReport()
        try:
            searcher = self.searcher()
            indexed = {fields["id"]: fields for fields in searcher.all_stored_fields()}
        except Exception as exc:  # missing or damaged index: report, do not crash
            self.close_searcher()
            report.error = str(exc)
            return report
        for batch in chunks(Dataset.select().order_by(Dataset.created, Dataset.id)):
            for dataset, facts in schema.all_facts(batch):
                stored = indexed.pop(dataset.id, None)
                if stored is None:
                    report.missing.append(dataset.id)
                elif (stored.get("metadata_modified") != dataset.modified
                      or stored.get("fingerprint") != schema.fingerprint(facts)):
                    report.outdated.append(dataset.id)
        report.extra = sorted(indexed)
        return report


_SORT_FIELDS = {"metadata_modified": "metadata_modified", "metadata_created": "metadata_created",
                "name": "name", "title": "title_string", "title_string": "title_string"}
#: after the requested sort, results are ordered by these (as the SQL search does)
_TIE_BREAKS = [("metadata_modified", True), ("id", False)]
#: terms and columns that searches use most, read right after a commit (see ``warm``)
_WARM_FIELDS = ("state", "private", *whoosh_query.FACETS.values())
_WARM_COLUMNS = (*sorted(set(_SORT_FIELDS.values())), "id")
#: the fields whose words make a document relevant
_TEXT_FIELDS = ("text", "text_norm")


def _column_order(sort):
    """``sort`` as ``[(column, descending)]`` after relevance (which comes first if at all)."""
    first_field = sort[0][0] if sort else "score"
    rest = sort[1:] if first_field == "score" else sort
    return [(_SORT_FIELDS[field], direction == "desc")
            for field, direction in rest if field != "score"] + _TIE_BREAKS


def _by_relevance(sort, text_query):
    """Whether the order starts with relevance and the query has words that score.

    A query of filters alone gives every match the same relevance, so the
    order is that of the columns.
    """
    return ((not sort or sort[0][0] == "score")
            and any(field in _TEXT_FIELDS for field, _ in text_query.iter_all_terms()))


def count_terms(docsets, searcher, matches, field, prefix):
    """``{value: n}``: how many matching documents hold each term of ``field``.

    Only terms starting with ``prefix`` are counted, and the prefix is removed
    from the values.
    """
    counts = {}
    cut = len(prefix.encode())
    for btext in searcher.reader().expand_prefix(field, prefix):
        n = int(np.count_nonzero(matches & docsets.term(searcher, field, btext)))
        if n:
            counts[btext[cut:].decode()] = n
    return counts


def search(search_index, query, user):
    """Answer a :class:`dcorlite.search.SearchQuery` from the index.

    Matching, permission filtering, counting, facets, relevance and sorting
    work on the cached document arrays of :mod:`.docsets`.

    :raises SearchError: the query cannot be translated (before the index is read)
    :raises IndexUnavailable: the index is missing or cannot be read
    """
    wanted_q, wanted_fq = whoosh_query.translate(query.q), whoosh_query.translate(query.fq)
    allowed = whoosh_query.permission_filter(user, query.include_private,
                                             query.include_drafts)
    facet_terms = {name: whoosh_query.facet_terms(name) for name in query.facet_fields}
    end = query.start + query.rows
    try:
        searcher, docsets = search_index.searcher_and_docsets()
        matches = (docsets.match(searcher, allowed) & docsets.match(searcher, wanted_q)
                   & docsets.match(searcher, wanted_fq))
        count = int(np.count_nonzero(matches))
        relevance = (docsets.relevance(searcher, wanted_q, _TEXT_FIELDS)
                     if _by_relevance(query.sort, wanted_q) else None)
        docnums = docsets.first(searcher, matches, _column_order(query.sort), end,
                                relevance)[query.start:]
        ids = [searcher.stored_fields(docnum)["id"] for docnum in docnums]
        facets = {name: count_terms(docsets, searcher, matches, field, prefix)
                  for name, (field, prefix) in facet_terms.items()}
    except IndexUnavailable:
        raise
    except Exception as exc:  # a damaged index shows itself only while reading
        search_index.close_searcher()
        raise IndexUnavailable(f"cannot search index: {exc!r}") from exc
    for name in ("organization", "groups"):
        if name in facets and facets[name]:
            names = {g.id: g.name for g in Group.select(Group.id, Group.name)
                     .where(Group.id.in_(list(facets[name])))}
            facets[name] = {names[gid]: n for gid, n in facets[name].items() if gid in names}
    return SearchResult(count=count, ids=ids, facets=facets)
