"""A process that leaves the index to another one (``SEARCH_WRITES_INDEX = False``).

``serve --processes N`` runs its server processes like that: their searches
wait until the supervising process has indexed the changes they must see,
and they still find what was written just before them.
"""
import logging
import threading

import pytest

from dcorlite import create_app
from dcorlite.app import stop_app
from dcorlite.plugins.search import pending


@pytest.fixture
def reader_app(app, app_config, tmp_path):
    """A second app on the same instance that does not write the search index."""
    def make(**config):
        made = create_app(dict(app_config, SEARCH_WRITES_INDEX=False, **config),
                          instance_path=str(tmp_path / "instance"))
        made_apps.append(made)
        return made
    made_apps = []
    yield make
    for made in made_apps:
        stop_app(made)


def create(client, user, circle, title):
    response = client.post("/api/3/action/package_create", headers={"Authorization": user.token},
                           json={"title": title, "authors": "A", "license_id": "CC0-1.0",
                                 "owner_org": circle.id, "private": True})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["result"]["id"]


def search(client, user, circle):
    response = client.get("/api/3/action/package_search", headers={"Authorization": user.token},
                          query_string={"q": "*:*", "fq": f"organization:{circle.name}",
                                        "include_private": "true", "include_drafts": "true"})
    assert response.status_code == 200, response.get_json()
    return [d["id"] for d in response.get_json()["result"]["results"]]


def test_search_waits_for_the_indexing_process_and_finds_the_write(
        app, reader_app, make_user, make_circle, caplog):
    """The reader's search blocks while its write is unindexed, then answers from the index."""
    owner = make_user()
    circle = make_circle(owner)
    reader = reader_app()
    with reader.app_context():
        client = reader.test_client()
        dataset_id = create(client, owner, circle, "Written by the reader")
        assert pending.latest(awaited_only=True) is not None  # marked, not indexed
        found = []
        searching = threading.Thread(target=lambda: found.append(search(client, owner, circle)))
        with caplog.at_level(logging.ERROR, logger="dcorlite.plugins.search"):
            searching.start()
            searching.join(0.5)
            assert searching.is_alive(), "the search answered before the change was indexed"
            stop = threading.Event()
            writer = threading.Thread(
                target=app.extensions["dcorlite"]["search_indexer"].index_for_others,
                args=(stop,))
            writer.start()
            try:
                searching.join(30)
            finally:
                stop.set()
                writer.join()
    assert found == [[dataset_id]]
    assert not [r for r in caplog.records if "searching the database" in r.getMessage()]
    with app.app_context():
        assert pending.oldest() is None


def test_without_the_indexing_process_a_search_answers_from_the_database(
        reader_app, make_user, make_circle, caplog):
    """If nobody indexes within ``SEARCH_CATCH_UP_TIMEOUT``, the database answers: still current."""
    owner = make_user()
    circle = make_circle(owner)
    reader = reader_app(SEARCH_CATCH_UP_TIMEOUT=0.2)
    with reader.app_context(), caplog.at_level(logging.ERROR, logger="dcorlite.plugins.search"):
        client = reader.test_client()
        dataset_id = create(client, owner, circle, "Nobody indexes this")
        assert search(client, owner, circle) == [dataset_id]
    assert any("searching the database" in r.getMessage() for r in caplog.records)


def test_many_waiting_searches_all_see_the_write(app, reader_app, make_user, make_circle):
    """Searches waiting together (one of them polls for all) each find the new dataset."""
    owner = make_user()
    circle = make_circle(owner)
    reader = reader_app()
    stop = threading.Event()
    writer = threading.Thread(
        target=app.extensions["dcorlite"]["search_indexer"].index_for_others, args=(stop,))
    writer.start()
    try:
        with reader.app_context():
            dataset_id = create(reader.test_client(), owner, circle, "Seen by all")
        results = []

        def one_search():
            with reader.app_context():
                results.append(search(reader.test_client(), owner, circle))
        threads = [threading.Thread(target=one_search) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        stop.set()
        writer.join()
    assert results == [[dataset_id]] * 8
