"""Fixtures of the search index tests."""
import pytest

from dcorlite.plugins.ckan_api import search_sql
from dcorlite.plugins.search import index


@pytest.fixture
def index_only(monkeypatch):
    """Make the SQL fallback fail, so that every answer must come from the index."""
    def refuse(query, user):
        raise AssertionError("the SQL fallback answered a search")
    monkeypatch.setattr(search_sql, "search", refuse)


@pytest.fixture(params=["index", "sql"])
def backend(request, monkeypatch):
    """Run the test once answered by the index, once by the SQL search (index unavailable)."""
    if request.param == "index":
        request.getfixturevalue("index_only")
        yield
        return
    calls = []
    original = search_sql.search

    def unavailable(*args):
        raise index.IndexUnavailable("switched off by the test")
    monkeypatch.setattr(index, "search", unavailable)
    monkeypatch.setattr(search_sql, "search",
                        lambda query, user: calls.append(query) or original(query, user))
    yield
    assert calls, "the SQL search never answered"


@pytest.fixture
def search(api):
    """``search(user, **params)`` → the ``package_search`` result (asserts 200)."""
    def call(user=None, **params):
        status, body = api("package_search", user, method="GET", **params)
        assert status == 200, body
        return body["result"]
    return call
