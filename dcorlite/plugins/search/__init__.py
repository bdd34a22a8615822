"""Built-in plugin ``search``: a Whoosh index answering ``package_search``.

Changes reach the index only through the background task
``search.index_dataset(dataset_id)``, queued by the event hooks below, never
inside the request that made the change. While the index is missing or
damaged, ``search_datasets`` returns None and the SQL search of ``ckan_api``
answers; ``dcorlite search check`` reports it and ``dcorlite search reindex``
repairs it.
"""
import logging
import os

from flask import current_app

from ... import hookimpl
from ...jobs.runner import own_connection
from ...models import Dataset
from . import commands, index

logger = logging.getLogger(__name__)

TASK_NAME = "search.index_dataset"


@hookimpl
def config_defaults():
    """Search index settings (see docs/configuration.md)."""
    return {
        "SEARCH_INDEX_DIR": None,      # default: <instance>/search_index
        "SEARCH_WRITER_TIMEOUT": 60,   # seconds to wait for the index's write lock
    }


def search_index(app=None):
    """The :class:`index.SearchIndex` of ``app`` (default: the current app)."""
    return (app or current_app).extensions["dcorlite"]["search_index"]


@hookimpl
def app_ready(app):
    """Set up the index of this app and register the indexing task on its huey."""
    base = app.config["SEARCH_INDEX_DIR"] or os.path.join(app.instance_path, "search_index")
    the_index = index.SearchIndex(base, float(app.config["SEARCH_WRITER_TIMEOUT"]))
    app.extensions["dcorlite"]["search_index"] = the_index
    huey = app.extensions["dcorlite"]["huey"]

    @huey.task(name=TASK_NAME, retries=3, retry_delay=5)
    def index_dataset(dataset_id):
        with app.app_context(), own_connection():
            the_index.update([dataset_id])

    app.extensions["dcorlite"]["search_task"] = index_dataset
    if not the_index.exists():
        # A new instance starts with an empty index; an existing one with
        # datasets keeps using the SQL search until `dcorlite search reindex`.
        with app.app_context(), own_connection():
            empty = not Dataset.select().exists()
        if empty:
            the_index.create_empty()
        else:
            logger.warning("no search index in %s: run 'dcorlite search reindex'", base)


def _enqueue(dataset_id):
    """Queue the re-indexing of ``dataset_id``; cheap, so it may run inside requests."""
    current_app.extensions["dcorlite"]["search_task"](dataset_id)


@hookimpl
def search_datasets(query, user):
    """Answer from the index; None (SQL fallback) while it is missing or damaged."""
    try:
        return index.search(search_index(), query, user)
    except index.IndexUnavailable as exc:
        logger.error("search index unavailable, searching the database instead: %s", exc)
        return None


@hookimpl
def dataset_changed(dataset, changes):
    """Re-index after any change (fields, state, groups, collaborators, resources)."""
    _enqueue(dataset.id)


@hookimpl
def dataset_activated(dataset):
    """Re-index: the dataset became visible to searches without include_drafts."""
    _enqueue(dataset.id)


@hookimpl
def dataset_deleted(dataset, purged):
    """A deleted dataset keeps its document (state ``deleted``); a purged one loses it."""
    _enqueue(dataset.id)


@hookimpl
def resource_created(resource):
    """Re-index: resource names and formats are searchable."""
    _enqueue(resource.dataset_id)


@hookimpl
def resource_processed(resource, job, error):
    """Jobs add ``dc:`` metadata and formats to resources."""
    if error is None:
        _enqueue(resource.dataset_id)


@hookimpl
def register_commands(cli):
    """``dcorlite search reindex|check``."""
    cli.add_command(commands.search_group)
