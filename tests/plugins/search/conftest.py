"""Fixtures of the search index tests."""
import pytest

from dcorlite.plugins.ckan_api import search_sql


@pytest.fixture
def index_only(monkeypatch):
    """Make the SQL fallback fail, so that every answer must come from the index."""
    def refuse(query, user):
        raise AssertionError("the SQL fallback answered a search")
    monkeypatch.setattr(search_sql, "search", refuse)


@pytest.fixture
def search(api):
    """``search(user, **params)`` → the ``package_search`` result (asserts 200)."""
    def call(user=None, **params):
        status, body = api("package_search", user, method="GET", **params)
        assert status == 200, body
        return body["result"]
    return call
