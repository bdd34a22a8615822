"""A dataset's revision: a number that grows with every committed change its dict shows.

Dataset dicts (``package_show``, search results) are cached by ``(id,
revision)``: a reader that has read the dataset's row knows at once whether
a cached dict is current, in any process, with no messages between them.
Every write that changes what a dataset dict shows calls :func:`mark_written`
(or :func:`mark_processed`, for job results) inside its transaction.
"""
from . import host
from .models import Dataset


def bump(dataset_id):
    """Increase the revision of the dataset ``dataset_id`` (inside the write transaction)."""
    Dataset.update(revision=Dataset.revision + 1).where(Dataset.id == dataset_id).execute()


def mark_processed(dataset_id):
    """Record, inside the transaction of a background job, that its results changed the dataset.

    Bumps the revision and calls the ``dataset_written`` hook with
    ``background=True``: derived data (search documents) follows, but
    searches need not wait for it as they wait for a client's writes.
    """
    bump(dataset_id)
    host.call("dataset_written", dataset_id=dataset_id, background=True)


def mark_written(dataset):
    """Record, inside the write transaction, that ``dataset`` changed.

    Bumps its revision and calls the ``dataset_written`` hook. The object's
    own revision becomes unknown (None), so that a dict made of it after the
    write is built fresh rather than taken from the cache.
    """
    bump(dataset.id)
    dataset.revision = None
    host.call("dataset_written", dataset_id=dataset.id, background=False)
