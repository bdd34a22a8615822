"""The searches DCOR-Aid's database model sends (dcoraid.dbmodel)."""
import datetime

import pytest
from dcoraid.api import CKANAPI
from dcoraid.dbmodel.db_api import APIInterrogator

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def world(make_user, make_circle, make_collection, make_dataset):
    alice, bob = make_user("alice"), make_user("bob")
    circle_a = make_circle(alice, name="circle-a", members={bob: "member"})
    circle_b = make_circle(bob, name="circle-b")
    make_collection(bob, name="coll-b", members={alice: "member"})
    own = make_dataset(alice, circle_a, title="Alice DCOR-Aid data 111", private=True)
    bobs = make_dataset(bob, circle_b, title="Bob private 333", private=True)
    bobs_shared = make_dataset(bob, circle_b, title="Bob shared 444", private=True,
                               groups=[{"name": "coll-b"}])
    draft = make_dataset(alice, circle_a, title="Alice draft 555", active=False)
    return dict(alice=alice, bob=bob, own=own, bobs=bobs, bobs_shared=bobs_shared,
                draft=draft)


def test_owned_and_shared_searches(live_server, world):
    api = CKANAPI(live_server, api_key=world["alice"].token, ssl_verify=False)
    ai = APIInterrogator(api)
    assert [d["id"] for d in ai.get_datasets_user_owned()] == [world["own"].id]
    shared = [d["id"] for d in ai.get_datasets_user_shared()]
    assert shared == [world["bobs_shared"].id]
    assert world["bobs"].id not in shared


def test_free_text_is_punctuation_insensitive(live_server, world):
    api = CKANAPI(live_server, api_key=world["alice"].token, ssl_verify=False)
    ai = APIInterrogator(api)
    hits = ai.search_dataset_via_api("dcoraid")
    assert [d["id"] for d in hits] == [world["own"].id]
    assert len(ai.search_dataset_via_api("cliauwenlc_should_never_exist")) == 0


def test_time_filter_and_drafts(live_server, world):
    api = CKANAPI(live_server, api_key=world["alice"].token, ssl_verify=False)
    since = (datetime.datetime.now(datetime.timezone.utc)
             - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H\\:%M\\:%SZ")
    result = api.get("package_search", q="*:*", include_private=True,
                     fq=f"(organization:circle-a AND metadata_modified:[{since} TO NOW])")
    assert [d["id"] for d in result["results"]] == [world["own"].id]
    future = "2999-01-01T00\\:00\\:00Z"
    result = api.get("package_search", q="*:*", include_private=True,
                     fq=f"(organization:circle-a AND metadata_modified:[{future} TO NOW])")
    assert result["count"] == 0
    drafts = api.get("package_search", q="*:*", include_drafts=True, include_private=True,
                     fq=f"creator_user_id:{world['alice'].id} AND state:draft", rows=1000)
    assert [d["id"] for d in drafts["results"]] == [world["draft"].id]


def test_paging_count_is_consistent(live_server, make_user, make_circle, make_dataset):
    owner = make_user("pager")
    circle = make_circle(owner, name="paged")
    ids = {make_dataset(owner, circle, title=f"Paged {i}").id for i in range(5)}
    api = CKANAPI(live_server, api_key=owner.token, ssl_verify=False)
    seen = []
    for start in (0, 2, 4):
        page = api.get("package_search", q="*:*", fq="organization:paged", rows=2,
                       start=start, sort="metadata_created desc")
        assert page["count"] == 5
        seen += [d["id"] for d in page["results"]]
    assert len(seen) == 5 and set(seen) == ids
