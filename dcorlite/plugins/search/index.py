"""The Whoosh index on disk: open, update, rebuild, check.

Layout of ``SEARCH_INDEX_DIR`` (default ``<instance>/search_index``)::

    CURRENT            name of the live index folder (replaced atomically)
    index-<hex>/       a Whoosh index (segments, TOC, WRITELOCK)

A rebuild writes a fresh ``index-<hex>`` and then replaces ``CURRENT``, so a
crash during a rebuild leaves the old index in place, and a damaged index is
repaired by a rebuild without touching the damaged files first. One writer at
a time: writers take the Whoosh ``WRITELOCK`` of the live folder (an ``flock``,
released by the kernel if the process dies); a rebuild holds the old folder's
lock until the swap, so updates made meanwhile wait and then go to the new
index. Readers keep one searcher per thread and refresh it after commits.
"""
import dataclasses
import logging
import os
import shutil
import threading
import uuid

from whoosh import index as windex, sorting
from whoosh.filedb.filestore import FileStorage

from ...models import Dataset, Group
from ...search import SearchResult
from . import schema, whoosh_query

logger = logging.getLogger(__name__)

POINTER = "CURRENT"


class IndexUnavailable(Exception):
    """The index does not exist yet or cannot be read."""


@dataclasses.dataclass
class CheckReport:
    """Differences between the index and the database."""

    missing: list = dataclasses.field(default_factory=list)    # in the DB, not indexed
    extra: list = dataclasses.field(default_factory=list)      # indexed, not in the DB
    outdated: list = dataclasses.field(default_factory=list)   # indexed from older data
    error: str = ""                                            # index unreadable

    @property
    def consistent(self):
        return not (self.missing or self.extra or self.outdated or self.error)


class SearchIndex:
    """The dataset index of one app (``app.extensions["dcorlite"]["search_index"]``)."""

    def __init__(self, base_dir, writer_timeout=60.0):
        self.base_dir = base_dir
        self.writer_timeout = writer_timeout
        self._local = threading.local()

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
            return windex.open_dir(path)
        except Exception as exc:
            raise IndexUnavailable(f"cannot open search index {path}: {exc!r}") from exc

    def searcher(self):
        """This thread's searcher on the live index, refreshed to the latest commit.

        :raises IndexUnavailable: no index, or it cannot be opened
        """
        path = self.current_dir()
        cached = getattr(self._local, "searcher", None)
        if cached is not None and self._local.path == path:
            try:
                fresh = cached.refresh()
            except Exception as exc:
                self.close_searcher()
                raise IndexUnavailable(f"cannot read search index {path}: {exc!r}") from exc
            # the new searcher reuses the old one's unchanged segment readers,
            # so the old one is dropped, not closed
            self._local.searcher = fresh
            return fresh
        self.close_searcher()
        ix = self._open(path)
        try:
            searcher = ix.searcher()
        except Exception as exc:
            raise IndexUnavailable(f"cannot read search index {path}: {exc!r}") from exc
        self._local.searcher, self._local.path = searcher, path
        return searcher

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
        windex.create_in(path, schema.make_schema())
        self._swap(path)

    def _writer(self):
        """A writer on the live index; waits for the lock, follows a swap made meanwhile."""
        for _ in range(3):
            path = self.current_dir()
            writer = self._open(path).writer(timeout=self.writer_timeout)
            if self.current_dir() == path:
                return writer
            writer.cancel()  # a rebuild swapped the index while we waited
        raise IndexUnavailable("search index changed repeatedly while waiting to write")

    def update(self, dataset_ids):
        """Index the current state of ``dataset_ids`` (remove those no longer in the DB).

        Documents that are already up to date are not written again, so the
        several events of one change cost one commit at most.
        """
        if not self.exists():
            # nothing to keep up to date: `search reindex` will index everything
            logger.info("no search index yet; not indexing %s", ", ".join(dataset_ids))
            return
        docs = {}
        for dataset_id in dataset_ids:
            dataset = Dataset.get_or_none(Dataset.id == dataset_id)
            docs[dataset_id] = None if dataset is None else schema.document(dataset)
        stale = self._stale(docs)
        if not stale:
            return
        writer = self._writer()
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

    def rebuild(self, progress=None):
        """Build a new index of every dataset in a fresh folder and make it live.

        :param progress: called with the number of datasets done after each one
        :returns: number of datasets indexed
        """
        old = self.current_dir()
        lock = None
        if old is not None and os.path.isdir(old):
            lock = FileStorage(old).lock("WRITELOCK")
            lock.acquire(blocking=True)
        try:
            path = self._new_dir()
            ix = windex.create_in(path, schema.make_schema())
            writer = ix.writer()
            count = 0
            try:
                for dataset in Dataset.select().order_by(Dataset.created, Dataset.id):
                    writer.add_document(**schema.document(dataset))
                    count += 1
                    if progress:
                        progress(1)
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
        return count

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
        for dataset in Dataset.select().order_by(Dataset.created, Dataset.id):
            stored = indexed.pop(dataset.id, None)
            if stored is None:
                report.missing.append(dataset.id)
            elif (stored.get("metadata_modified") != dataset.modified
                  or stored.get("fingerprint") != schema.fingerprint(
                      schema.dataset_facts(dataset))):
                report.outdated.append(dataset.id)
        report.extra = sorted(indexed)
        return report


_SORT_FIELDS = {"metadata_modified": "metadata_modified", "metadata_created": "metadata_created",
                "name": "name", "title": "title_string", "title_string": "title_string"}
_MULTI_VALUED = {"groups", "tags", "res_format"}


def _sort_facet(sort):
    facets = []
    for field, direction in sort:
        if field == "score":
            facets.append(sorting.ScoreFacet())
        else:
            facets.append(sorting.FieldFacet(_SORT_FIELDS[field], reverse=direction == "desc"))
    facets += [sorting.FieldFacet("metadata_modified", reverse=True), sorting.FieldFacet("id")]
    return sorting.MultiFacet(facets)


def search(search_index, query, user):
    """Answer a :class:`dcorlite.search.SearchQuery` from the index.

    :raises SearchError: the query cannot be translated (before the index is read)
    :raises IndexUnavailable: the index is missing or cannot be read
    """
    wanted = whoosh_query.translate_all(query.q, query.fq)
    allowed = whoosh_query.permission_filter(user, query.include_private,
                                             query.include_drafts)
    facet_fields = {name: whoosh_query.facet_field(name) for name in query.facet_fields}
    groupedby = {name: sorting.FieldFacet(field, allow_overlap=(
                     field in _MULTI_VALUED or field.startswith("m_")), maptype=sorting.Count)
                 for name, field in facet_fields.items()}
    try:
        searcher = search_index.searcher()
        results = searcher.search(wanted, filter=allowed, limit=max(1, query.start + query.rows),
                                  sortedby=_sort_facet(query.sort),
                                  groupedby=groupedby or None)
        count = len(results)
        ids = [hit["id"] for hit in results[query.start:query.start + query.rows]]
        facets = {name: {key: n for key, n in results.groups(name).items()
                         if key not in (None, "")}
                  for name in facet_fields}
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
