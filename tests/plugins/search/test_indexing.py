"""Index updates: marked in the writing transaction, indexed soon after, seen by every search."""
import threading

import pytest

from dcorlite.db import own_connection
from dcorlite.models import Dataset
from dcorlite.plugins.search import pending, search_index, search_indexer
from tests.fixtures.app import index_pending


def test_a_write_marks_its_dataset_in_the_same_transaction(app, api, make_user,
                                                          make_circle):
    """The mark commits with the change: a crash after the commit cannot lose it."""
    owner = make_user("owner")
    make_circle(owner, name="lab")
    status, body = api("package_create", owner, title="Marked", authors="A",
                       license_id="CC0-1.0", owner_org="lab")
    assert status == 200, body
    dataset_id = body["result"]["id"]
    assert dataset_id in pending.datasets_through(pending.latest())
    status, body = api("package_create", owner, title="Refused", authors="A",
                       license_id="no-such-license", owner_org="lab")
    assert status == 409  # a write that fails leaves no mark
    assert Dataset.select().count() == 1
    assert set(pending.datasets_through(pending.latest())) == {dataset_id}


def test_every_kind_of_change_is_marked_and_then_indexed(app, api, make_user, make_circle):
    """Sharing, collections and deletion change documents too; indexing clears the marks."""
    owner, reader = make_user("owner"), make_user("reader")
    make_circle(owner, name="lab")
    status, body = api("package_create", owner, title="Shared", authors="A",
                       license_id="CC0-1.0", owner_org="lab")
    dataset_id = body["result"]["id"]
    index_pending(app)
    assert pending.latest() is None
    assert search_index(app).check().consistent
    api("package_collaborator_create", owner, id=dataset_id, user_id=reader.id,
        capacity="member")
    assert pending.latest() is not None
    assert search_index(app).check().outdated == [dataset_id]
    index_pending(app)
    assert search_index(app).check().consistent
    api("package_delete", owner, id=dataset_id)
    assert search_index(app).check().outdated == [dataset_id]
    index_pending(app)
    assert search_index(app).check().consistent and pending.latest() is None


def test_a_search_right_after_a_write_sees_it(app, api, make_user, make_circle):
    """No waiting: the search indexes what is marked before it reads the index."""
    owner = make_user("owner")
    make_circle(owner, name="lab")
    for n in range(3):
        status, body = api("package_create", owner, title=f"Fresh {n} zebrafish",
                           authors="A", license_id="CC0-1.0", owner_org="lab")
        assert status == 200
        status, found = api("package_search", owner, method="GET", q="zebrafish",
                            include_drafts="true", include_private="true")
        assert status == 200
        assert found["result"]["count"] == n + 1


def test_a_search_without_drafts_leaves_draft_changes_and_waits_for_published_ones(
        app, api, make_user, make_circle, make_dataset):
    """Changes only drafts show do not hold up searches that cannot see drafts."""
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    published = make_dataset(owner, circle, title="Published zebrafish")
    search_indexer(app).stop()  # no background rounds: only searches index from here on
    index_pending(app)
    status, body = api("package_create", owner, title="Draft zebrafish", authors="A",
                       license_id="CC0-1.0", owner_org="lab")
    assert status == 200, body
    draft_id = body["result"]["id"]
    status, found = api("package_search", owner, method="GET", q="zebrafish",
                        include_private="true")
    assert [d["id"] for d in found["result"]["results"]] == [published.id]
    assert draft_id in pending.datasets_through(pending.latest())  # left for later
    second = make_dataset(owner, circle, title="Published medaka")
    status, found = api("package_search", owner, method="GET", q="medaka",
                        include_private="true")
    assert [d["id"] for d in found["result"]["results"]] == [second.id]
    assert pending.latest() is None  # that round took the draft's mark along
    status, body = api("package_patch", owner, id=draft_id, title="Draft medaka")
    assert status == 200, body
    status, found = api("package_search", owner, method="GET", q="medaka",
                        include_private="true", include_drafts="true")
    assert {d["id"] for d in found["result"]["results"]} == {second.id, draft_id}


def test_the_background_indexer_catches_up_without_a_search(app, api, make_user,
                                                            make_circle):
    """The indexer thread writes marked changes moments later, by itself."""
    owner = make_user("owner")
    make_circle(owner, name="lab")
    api("package_create", owner, title="Background", authors="A", license_id="CC0-1.0",
        owner_org="lab")
    indexer = search_indexer(app)
    # wait for the thread, not for a fixed time: it ends its round by releasing
    # the round lock, and a mark-free table is what it leaves behind
    thread = indexer._thread
    assert thread is not None
    for _ in range(400):
        if pending.latest() is None:
            break
        thread.join(0.05)
    assert pending.latest() is None
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
    index_pending(app)  # the marks find nothing left to write
    assert the_index.check().consistent


def test_the_first_search_of_a_new_instance_and_the_next_after_a_change(
        index_only, app, api, make_user, make_circle):
    """An empty index has no generation number; the index answers before and after a write."""
    owner = make_user("owner")
    make_circle(owner, name="lab")
    status, body = api("package_search", owner, method="GET", q="*:*", include_drafts="true")
    assert status == 200 and body["result"]["count"] == 0
    api("package_create", owner, title="First", authors="A", license_id="CC0-1.0",
        owner_org="lab")
    status, body = api("package_search", owner, method="GET", q="*:*", include_drafts="true",
                       include_private="true")
    assert status == 200 and body["result"]["count"] == 1


def test_a_searcher_whose_refresh_fails_is_opened_anew(index_only, app, api, make_user,
                                                      make_circle, monkeypatch):
    """Whoosh can fail to refresh a searcher while a writer merges segments away."""
    from whoosh.reading import ReaderClosed
    owner = make_user("owner")
    make_circle(owner, name="lab")
    api("package_create", owner, title="Merged", authors="A", license_id="CC0-1.0",
        owner_org="lab")
    the_index = search_index(app)
    broken = the_index.searcher()

    def refresh():
        raise ReaderClosed("Reader already closed")
    monkeypatch.setattr(broken, "refresh", refresh)
    status, body = api("package_search", owner, method="GET", q="merged",
                       include_drafts="true", include_private="true")
    assert status == 200 and body["result"]["count"] == 1  # the index answered
    assert the_index.searcher() is not broken
