"""Dataset dicts are cached by revision: every write shows at once, in every process.

``package_show`` and search pages take dataset dicts from a per-process cache
keyed by ``(id, revision)``. A client that has just written must never get
the dict from before, whichever write it was and whichever process answers.
"""
import io

import pytest

from dcorlite import create_app
from dcorlite.app import stop_app
from dcorlite.jobs.queue import drain
from dcorlite.models import Dataset


@pytest.fixture
def shown(api):
    """``shown(user, dataset_id)`` → the ``package_show`` result (asserting 200)."""
    def show(user, dataset_id):
        status, body = api("package_show", user, method="GET", id=dataset_id)
        assert status == 200, body
        return body["result"]
    return show


def test_every_kind_of_write_is_in_the_next_package_show(
        app, api, shown, make_user, make_circle, make_collection, make_dataset, client):
    """Each write, preceded by a show that fills the cache, is visible in the show after it."""
    owner = make_user()
    circle = make_circle(owner)
    collection = make_collection(owner)
    draft = make_dataset(owner, circle, active=False, title="Before")
    did = draft.id

    def write(name, **data):
        shown(owner, did)  # the cache holds the dict from before
        status, body = api(name, owner, **data)
        assert status == 200, (name, body)
        return shown(owner, did)

    assert write("package_patch", id=did, title="After")["title"] == "After"
    assert write("package_patch", id=did, tags=[{"name": "blood"}])["num_tags"] == 1
    assert write("member_create", id=collection.name, object=did, object_type="package",
                 capacity="member")["groups"][0]["name"] == collection.name
    assert write("member_delete", id=collection.name, object=did,
                 object_type="package")["groups"] == []
    uploaded = client.post("/api/3/action/package_revise", headers={"Authorization": owner.token},
                           data={"match__id": did, "update__resources__extend": '[{"name": "a.txt"}]',
                                 "update__resources__-1__upload": (io.BytesIO(b"x" * 10), "a.txt")})
    assert uploaded.status_code == 200, uploaded.get_json()
    resources = shown(owner, did)["resources"]
    assert [r["name"] for r in resources] == ["a.txt"]
    revised = write("package_revise", match__id=did,
                    **{f"update__resources__{resources[0]['id']}": {"sp:chip:channel width": 30.0}})
    assert revised["resources"][0]["sp:chip:channel width"] == 30.0
    assert write("package_delete", id=did)["state"] == "deleted"


def test_job_metadata_is_in_the_next_package_show(app, shown, make_user, make_circle,
                                                  make_dataset):
    """The ``dc:`` metadata a job writes replaces the cached dict without any request."""
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner))
    before = shown(owner, dataset.id)["resources"][0]
    assert not any(key.startswith("dc:") for key in before)
    assert drain(app) >= 1
    after = shown(owner, dataset.id)["resources"][0]
    assert after["dc:experiment:event count"] > 0 and after["format"] in ("RT-DC", "RT-FDC")


def test_a_write_through_another_process_is_seen(app, app_config, tmp_path, shown, make_user,
                                                 make_circle, make_dataset):
    """Two apps on one instance (as ``serve --processes``): one caches, the other writes."""
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner), active=False, title="Old title")
    assert shown(owner, dataset.id)["title"] == "Old title"
    other = create_app(app_config, instance_path=str(tmp_path / "instance"))
    try:
        with other.app_context():
            response = other.test_client().post(
                "/api/3/action/package_patch", json={"id": dataset.id, "title": "New title"},
                headers={"Authorization": owner.token})
            assert response.status_code == 200, response.get_json()
    finally:
        stop_app(other)
    assert shown(owner, dataset.id)["title"] == "New title"


def test_search_pages_show_the_written_state(app, api, shown, make_user, make_circle,
                                             make_dataset):
    """A search result built from cached dicts has the change the search came after."""
    owner = make_user()
    circle = make_circle(owner)
    dataset = make_dataset(owner, circle, active=False, title="Searchable draft")
    query = {"q": "*:*", "fq": f"organization:{circle.name}", "include_private": True,
             "include_drafts": True}
    status, body = api("package_search", owner, **query)
    assert [d["title"] for d in body["result"]["results"]] == ["Searchable draft"]
    assert api("package_patch", owner, id=dataset.id, notes="Now with notes")[0] == 200
    status, body = api("package_search", owner, **query)
    assert status == 200 and [d["notes"] for d in body["result"]["results"]] == ["Now with notes"]


def test_revision_grows_with_writes_only(app, api, shown, make_user, make_circle, make_dataset):
    """Reads leave the revision alone; each write increases it."""
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner), active=False)

    def revision():
        return Dataset.get_by_id(dataset.id).revision
    first = revision()
    shown(owner, dataset.id)
    assert revision() == first
    api("package_patch", owner, id=dataset.id, title="Changed")
    assert revision() > first


def test_the_cache_can_be_turned_off(app, app_config, tmp_path, make_user, make_circle,
                                     make_dataset):
    """``DATASET_CACHE_SIZE = 0``: every show builds the dict, and it is current."""
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner), active=False, title="One")
    uncached = create_app(dict(app_config, DATASET_CACHE_SIZE=0),
                          instance_path=str(tmp_path / "instance"))
    try:
        with uncached.app_context():
            client = uncached.test_client()
            headers = {"Authorization": owner.token}

            def title():
                return client.get("/api/3/action/package_show", query_string={"id": dataset.id},
                                  headers=headers).get_json()["result"]["title"]
            assert title() == "One"
            assert client.post("/api/3/action/package_patch", json={"id": dataset.id,
                                                                    "title": "Two"},
                               headers=headers).status_code == 200
            assert title() == "Two"
            assert uncached.extensions["dcorlite"]["dataset_dicts"][0] is None
    finally:
        stop_app(uncached)


def test_the_cache_keeps_one_revision_per_dataset(app, api, shown, make_user, make_circle,
                                                  make_dataset):
    """A write makes the dict of the revision before it dead: it leaves the cache."""
    owner = make_user()
    circle = make_circle(owner)
    datasets = [make_dataset(owner, circle, active=False, title=f"Draft {i}") for i in range(3)]
    for n in range(5):
        for ds in datasets:
            shown(owner, ds.id)
            assert api("package_patch", owner, id=ds.id, notes=f"edit {n}")[0] == 200
    for ds in datasets:
        shown(owner, ds.id)
    cache = app.extensions["dcorlite"]["dataset_dicts"][0]
    assert sorted(key[0] for key in cache) == sorted(ds.id for ds in datasets)
    for ds in datasets:
        revision = Dataset.get_by_id(ds.id).revision
        assert [key[1] for key in cache if key[0] == ds.id] == [revision]


def test_eviction_forgets_the_revision_note_too():
    from dcorlite.dictization import DatasetDicts
    small = DatasetDicts(2)
    for i in range(4):
        small.store((f"d{i}", 1, "http://x"), {"id": f"d{i}"})
    assert sorted(k[0] for k in small) == ["d2", "d3"]
    small.store(("d3", 2, "http://x"), {"id": "d3", "new": True})
    assert sorted(small) == [("d2", 1, "http://x"), ("d3", 2, "http://x")]
    assert small._latest == {("d2", "http://x"): ("d2", 1, "http://x"),
                             ("d3", "http://x"): ("d3", 2, "http://x")}
