"""Built-in plugin ``search``: a Whoosh index answering ``package_search``.

Every write action marks its dataset inside its own transaction
(``dataset_written``); the indexer of this process writes the marked
datasets' documents moments later, and every search first makes sure the
marks made before it are indexed (:mod:`.indexer`), so a search always
reflects the writes that returned before it. While the index is missing or
damaged, ``search_datasets`` returns None and the SQL search of ``ckan_api``
answers; ``dcorlite search check`` reports it and ``dcorlite search reindex``
repairs it.

With ``SEARCH_BACKEND=postgresql`` this plugin does nothing: no index
folder, no indexer thread, no marks (the plugin ``search_pg`` answers).
"""
import logging
import os
import threading

from flask import current_app

from ... import hookimpl
from ...db import own_connection
from ...models import Dataset
from ...search import backend
from . import index, indexer, pending

logger = logging.getLogger(__name__)

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


@hookimpl
def config_defaults():
    """Search index settings (see docs/configuration.md)."""
    return {
        "SEARCH_INDEX_DIR": None,          # default: <instance>/search_index
        "SEARCH_WRITER_TIMEOUT": 60,       # seconds to wait for the index's write lock
        "SEARCH_CATCH_UP_TIMEOUT": 10,     # seconds a search waits for pending changes
        "SEARCH_WRITES_INDEX": True,       # False: another process of the instance indexes
    }


@hookimpl
def register_migrations():
    """The ``search_pending`` table of marked datasets."""
    return ("search", MIGRATIONS)


def search_index(app=None):
    """The :class:`index.SearchIndex` of ``app`` (default: the current app)."""
    return (app or current_app).extensions["dcorlite"]["search_index"]


def search_indexer(app=None):
    """The :class:`indexer.Indexer` of ``app`` (default: the current app)."""
    return (app or current_app).extensions["dcorlite"]["search_indexer"]


def _active(app=None):
    """True if this plugin is the search backend (``SEARCH_BACKEND=whoosh``)."""
    return backend(app) == "whoosh"


@hookimpl
def app_ready(app):
    """Set up the index of this app; index what a crash may have left marked."""
    if not _active(app):
        return
    base = app.config["SEARCH_INDEX_DIR"] or os.path.join(app.instance_path, "search_index")
    the_index = index.SearchIndex(base, float(app.config["SEARCH_WRITER_TIMEOUT"]))
    app.extensions["dcorlite"]["search_index"] = the_index
    app.extensions["dcorlite"]["search_indexer"] = indexer.Indexer(
        app, the_index, float(app.config["SEARCH_CATCH_UP_TIMEOUT"]),
        writes=bool(app.config["SEARCH_WRITES_INDEX"]))
    with app.app_context(), own_connection():
        if not the_index.exists():
            # A new instance starts with an empty index; an existing one with
            # datasets keeps using the SQL search until `dcorlite search reindex`.
            if not Dataset.select().exists():
                the_index.create_empty()
            else:
                logger.warning("no search index in %s: run 'dcorlite search reindex'", base)
        left_over = pending.latest() is not None
    if left_over:
        app.extensions["dcorlite"]["search_indexer"].wake()


@hookimpl
def app_stopping(app):
    """End the indexer thread after its current round."""
    if not _active(app):
        return
    app.extensions["dcorlite"]["search_indexer"].stop()


@hookimpl
def supervise(app, stop):
    """Write the index here, for all server and worker processes of ``serve --processes``."""
    if not _active(app):
        return None
    the_indexer = app.extensions["dcorlite"]["search_indexer"]
    threading.Thread(target=the_indexer.index_for_others, args=(stop,), daemon=True,
                     name="dcorlite-search-indexer").start()
    return {"SEARCH_WRITES_INDEX": False}


@hookimpl
def search_datasets(query, user):
    """Answer from the index; None (SQL fallback) while it is missing, damaged or behind."""
    if not _active():
        return None
    try:
        search_indexer().catch_up_for_search(include_drafts=query.include_drafts)
    except Exception as exc:  # the database has the changes the index lacks
        logger.error("search index is behind, searching the database instead: %r", exc)
        return None
    try:
        return index.search(search_index(), query, user)
    except index.IndexUnavailable as exc:
        logger.error("search index unavailable, searching the database instead: %s", exc)
        return None


@hookimpl
def dataset_written(dataset_id, background):
    """Mark the dataset in the writing transaction: the mark commits with the change.

    Searches wait for the marks of a client's writes, not for those of
    background jobs (see :mod:`.pending`).
    """
    if not _active():
        return
    state = Dataset.select(Dataset.state).where(Dataset.id == dataset_id).scalar()
    pending.mark(dataset_id, awaited=not background, drafts_only=state == "draft")


def _wake():
    if _active():
        search_indexer().wake()


@hookimpl
def dataset_changed(dataset, changes):
    """Index soon after any change (fields, state, groups, collaborators, resources)."""
    _wake()


@hookimpl
def dataset_deleted(dataset, purged):
    """A deleted dataset keeps its document (state ``deleted``); a purged one loses it."""
    _wake()


@hookimpl
def resource_created(resource):
    """Resource names and formats are searchable."""
    _wake()


@hookimpl
def resource_processed(resource, job, error):
    """Jobs add ``dc:`` metadata and formats to resources (marked in their transaction)."""
    if error is None:
        _wake()


@hookimpl
def search_rebuild(app, progress, processes):
    """``dcorlite search reindex``: a new index in a fresh folder, then swapped in."""
    if not _active(app):
        return None
    return search_indexer(app).rebuild(
        progress=progress, processes=processes or search_index(app).default_processes())


@hookimpl
def search_check(app):
    """``dcorlite search check``: index what is marked, then compare with the database."""
    if not _active(app):
        return None
    try:  # what a search would do first: index the changes marked so far
        search_indexer(app).catch_up()
    except Exception as exc:
        logger.warning("could not index the marked changes: %s", exc)
    return search_index(app).check()


@hookimpl
def admin_status(app):
    """Documents, waiting changes, last commit and whether the index answers searches."""
    if not _active(app):
        return None
    from .status import status_section
    return [status_section(search_index(app))]
