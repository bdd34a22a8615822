"""Built-in plugin ``search_pg``: ``package_search`` from PostgreSQL full-text search.

With ``SEARCH_BACKEND=postgresql`` every transaction that changes a dataset
also writes its search document (``dataset_written``, see :mod:`.documents`),
so a search sees every write that returned before it, from any process on
any host, with no index folder and no indexer thread. Searches run as SQL on
the documents (:mod:`.searching`). With ``SEARCH_BACKEND=whoosh`` it does
nothing; its migration creates its tables on PostgreSQL, nothing on SQLite.

Documents made before a switch to this backend may be missing or stale:
until ``dcorlite search reindex`` has rewritten them, this plugin returns
None and the SQL search of ``ckan_api`` answers.
"""
import logging
import os
import threading
import time

from flask import current_app

from ... import hookimpl
from ...db import own_connection
from ...search import backend
from . import documents, facets, results, searching

logger = logging.getLogger(__name__)

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")
#: seconds between looks at whether stale documents have been rebuilt
RECHECK_SECONDS = 30


def _active(app=None):
    """True if this plugin is the search backend (``SEARCH_BACKEND=postgresql``)."""
    return backend(app) == "postgresql"


class _Freshness:
    """Whether every dataset has a current document, looked at again while not."""

    def __init__(self):
        self._current = False
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def current(self):
        """True once a look found every document current (then for good: writes keep them)."""
        if self._current:
            return True
        with self._lock:
            if not self._current and time.monotonic() - self._checked >= RECHECK_SECONDS:
                self.look()
        return self._current

    def look(self):
        """Look now; log a warning if documents are stale."""
        self._checked = time.monotonic()
        self._current = not documents.stale_exists()
        if not self._current:
            logger.warning("search documents missing or stale, searching with SQL: "
                           "run 'dcorlite search reindex'")

    def set_current(self):
        """All documents were just rewritten."""
        self._current = True


def _freshness(app=None):
    return (app or current_app).extensions["dcorlite"]["search_pg_freshness"]


@hookimpl
def config_defaults():
    """Settings of the PostgreSQL search backend (see docs/configuration.md)."""
    return {"SEARCH_PG_RESULTS_CACHE": 1024}   # search results kept per process (0: none)


def _results(app=None):
    return (app or current_app).extensions["dcorlite"]["search_pg_results"]


def _kept_facets(app=None):
    return (app or current_app).extensions["dcorlite"]["search_pg_facets"]


@hookimpl
def register_migrations():
    """Tables ``search_pg_document``, ``search_pg_value``; counters ``search_pg_groups``,
    ``search_pg_documents``.

    PostgreSQL only: on SQLite the migrations are recorded and make nothing.
    """
    return ("search_pg", MIGRATIONS)


@hookimpl
def app_ready(app):
    """Look whether the documents are current (after a switch of backend they may not be)."""
    if not _active(app):
        return
    freshness = app.extensions["dcorlite"]["search_pg_freshness"] = _Freshness()
    app.extensions["dcorlite"]["search_pg_results"] = results.ResultCache(
        int(app.config["SEARCH_PG_RESULTS_CACHE"]))
    app.extensions["dcorlite"]["search_pg_facets"] = facets.FacetValues()
    with app.app_context(), own_connection():
        freshness.look()


@hookimpl
def search_datasets(query, user):
    """Answer from the documents; None (SQL search) while they are stale."""
    if not _active() or not _freshness().current():
        return None
    kept = _kept_facets()
    return _results().get(query, user, lambda: searching.search(query, user, kept))


@hookimpl
def dataset_written(dataset_id, background):
    """Write the dataset's document in the writing transaction (also for job results)."""
    if _active():
        documents.write(dataset_id)


@hookimpl
def search_rebuild(app, progress, processes):
    """``dcorlite search reindex``: rewrite every document (``processes`` does not apply)."""
    if not _active(app):
        return None
    count = documents.rebuild(progress)
    _freshness(app).set_current()
    return count


@hookimpl
def admin_status(app):
    """Whether the documents answer searches, how many there are, what this process keeps."""
    if not _active(app):
        return None
    from flask_babel import gettext as _
    from .models import SearchDocument
    stale = documents.stale_count()
    rows = [(_("Answers searches"), _("yes") if not stale else _(
                "no: %(n)d datasets without a current document (run 'dcorlite search "
                "reindex')", n=stale)),
            (_("Documents"), SearchDocument.select().count()),
            (_("Facet keys kept by this process"), _kept_facets(app).key_count()),
            (_("Results kept by this process"), _results(app).size())]
    return [{"title": _("Search (PostgreSQL)"), "rows": rows}]


@hookimpl
def search_check(app):
    """``dcorlite search check``: every document compared with the one made now."""
    if not _active(app):
        return None
    return documents.check()
