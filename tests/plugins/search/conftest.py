"""Fixtures of the search index tests."""
import pytest

from dcorlite.plugins.ckan_api import search_sql
from dcorlite.plugins.search import index, search_index
from dcorlite.plugins.search_pg import searching
from dcorlite.plugins.search_pg.results import ResultCache


@pytest.fixture
def index_only(monkeypatch):
    """Make the SQL fallback fail, so that every answer must come from the index."""
    def refuse(query, user):
        raise AssertionError("the SQL fallback answered a search")
    monkeypatch.setattr(search_sql, "search", refuse)


@pytest.fixture
def switch_off_backend(app, monkeypatch, search_backend):
    """``switch_off_backend()``: from then on the configured backend leaves searches to SQL."""
    def switch_off():
        if search_backend == "postgresql":
            monkeypatch.setattr(searching, "search", lambda *args: None)
            monkeypatch.setitem(app.extensions["dcorlite"], "search_pg_results",
                                ResultCache(0))  # nor answer from results kept before
            return

        def unavailable(*args):
            raise index.IndexUnavailable("switched off by the test")
        monkeypatch.setattr(index, "search", unavailable)
    return switch_off


@pytest.fixture
def backend_search(app, search_backend):
    """``backend_search(query, user)``: the configured backend's own answer (no fallback)."""
    if search_backend == "postgresql":
        kept = app.extensions["dcorlite"]["search_pg_facets"]
        return lambda query, user: searching.search(query, user, kept)
    return lambda query, user: index.search(search_index(), query, user)


@pytest.fixture
def rebuild(app):
    """``rebuild()``: what ``dcorlite search reindex`` does, for the configured backend."""
    return lambda: app.extensions["dcorlite"]["pm"].hook.search_rebuild(
        app=app, progress=None, processes=1)


@pytest.fixture(params=["index", "sql"])
def backend(request, monkeypatch):
    """Run the test once answered by the index, once by the SQL search (index unavailable)."""
    if request.param == "index":
        request.getfixturevalue("index_only")
        yield
        return
    calls = []
    original = search_sql.search
    request.getfixturevalue("switch_off_backend")()
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
