"""The searches of DCOR-Aid (``dcoraid`` library, live server) answered by the index.

The same scenarios as ``tests/clients/test_dcoraid_search.py``, which runs
them against whichever search answers; here the SQL fallback is switched off.
"""
import pytest

from tests.clients import test_dcoraid_search as scenarios
from tests.clients.test_dcoraid_search import world  # noqa: F401  (fixture)

pytestmark = pytest.mark.sqlite_only


def test_owned_and_shared_searches(index_only, live_server, world):  # noqa: F811
    scenarios.test_owned_and_shared_searches(live_server, world)


def test_free_text_is_punctuation_insensitive(index_only, live_server, world):  # noqa: F811
    scenarios.test_free_text_is_punctuation_insensitive(live_server, world)


def test_time_filter_and_drafts(index_only, live_server, world):  # noqa: F811
    scenarios.test_time_filter_and_drafts(live_server, world)


def test_paging_count_is_consistent(index_only, live_server, make_user, make_circle,
                                    make_dataset):
    scenarios.test_paging_count_is_consistent(live_server, make_user, make_circle,
                                              make_dataset)
