"""Index updates: queued by events, run by the queue, one writer at a time."""
import threading

import pytest

from dcorlite.jobs.queue import drain
from dcorlite.jobs.runner import own_connection
from dcorlite.plugins.search import TASK_NAME, search_index
from tests.fixtures.app import index_pending


def _queued(app):
    huey = app.extensions["dcorlite"]["huey"]
    return [(task.name, task.args) for task in huey.pending()]


def test_changes_are_indexed_by_the_queue_not_the_request(app, api, make_user,
                                                          make_circle):
    owner = make_user("owner")
    make_circle(owner, name="lab")
    status, body = api("package_create", owner, title="Queued", authors="A",
                       license_id="CC0-1.0", owner_org="lab")
    assert status == 200, body
    dataset_id = body["result"]["id"]
    assert (TASK_NAME, (dataset_id,)) in _queued(app)
    assert search_index(app).check().missing == [dataset_id]  # not yet indexed
    index_pending(app)
    assert search_index(app).check().consistent
    # sharing, collections and deletion are events too
    reader = make_user("reader")
    api("package_collaborator_create", owner, id=dataset_id, user_id=reader.id,
        capacity="member")
    assert (TASK_NAME, (dataset_id,)) in _queued(app)
    assert search_index(app).check().outdated == [dataset_id]
    api("package_delete", owner, id=dataset_id)
    assert drain(app) == 1  # the queued huey task itself bring the index up to date
    assert search_index(app).check().consistent


@pytest.mark.sqlite_only
def test_concurrent_updates_wait_for_the_lock(app, make_user, make_circle, make_dataset):
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    ids = [make_dataset(owner, circle, active=False, title=f"Parallel {i}").id
           for i in range(6)]
    the_index, errors = search_index(app), []

    def update(dataset_id):
        try:
            with app.app_context(), own_connection():
                the_index.update([dataset_id])
        except Exception as exc:  # reported below; a thread cannot fail the test
            errors.append(exc)
    threads = [threading.Thread(target=update, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert the_index.check().consistent
    index_pending(app)  # the queued tasks find nothing left to write
    assert the_index.check().consistent
