"""Details where CKAN and DCOR clients expect exactly what DCOR does."""
import pytest
import requests

from dcorlite.models import Resource


@pytest.fixture
def owner(make_user, make_circle):
    user = make_user("owner")
    make_circle(user, name="circ")
    return user


@pytest.fixture
def draft(api, owner):
    status, body = api("package_create", owner, title="Draft", authors="A",
                       license_id="CC0-1.0", owner_org="circ")
    assert status == 200, body
    return body["result"]["id"]


def test_package_revise_filter_is_refused_and_removes_nothing(api, owner, draft,
                                                             make_resource):
    """CKAN's ``filter`` deletes resources; DCOR never deletes them, so it is an error."""
    from dcorlite.models import Dataset
    make_resource(owner, Dataset.get_by_id(draft), b"kept", name="kept.txt")
    status, body = api("package_revise", owner, match={"id": draft},
                       filter=["-resources__0"])
    assert status == 403 and "Resources cannot be removed" in body["error"]["message"]
    status, body = api("package_revise", owner, match={"id": draft}, filter=["-notes"])
    assert status == 409 and "filter" in body["error"]
    assert Resource.select().where(Resource.dataset == draft).count() == 1
    status, body = api("package_revise", owner, match={"id": draft}, filter=[],
                       update={"notes": "empty filter is no filter"})
    assert status == 200, body


def test_duplicate_resource_name_has_ckans_error_shape(api, owner, draft, make_resource):
    """One dict per resource position; the clash is at the position of the new resource."""
    from dcorlite.models import Dataset
    dataset = Dataset.get_by_id(draft)
    make_resource(owner, dataset, b"first", name="a.txt")
    make_resource(owner, dataset, b"second", name="b.txt")
    status, body = api("resource_upload_s3_urls", owner, organization_id="circ", file_size=5)
    assert status == 200
    upload = body["result"]
    put = _put(upload["upload_urls"][0], b"third")
    assert put.status_code == 200
    status, body = api("package_revise", owner, match={"id": draft},
                       update__resources__extend=[{"id": upload["resource_id"],
                                                   "name": "a.txt"}])
    assert status == 409
    error = body["error"]
    assert error["__type"] == "Validation Error"
    assert error["resources"][:2] == [{}, {}]
    assert error["resources"][2]["name"] == ["Resource with name 'a.txt' already exists "
                                             "in this dataset"]
    assert len(error["resources"]) == 3


def _put(url, content):
    from flask import current_app
    client = current_app.test_client()
    path = url.split("://", 1)[1].split("/", 1)[1]
    return client.put("/" + path, data=content)


def test_facet_limit_minus_one_means_all(api, owner, make_circle, make_dataset):
    circle = make_circle(owner, name="facets")
    for n in range(4):
        make_dataset(owner, circle, active=False, title=f"Tagged {n}", tags=f"tag{n}")
    for limit, expected in (("-1", 4), ("2", 2), ("0", 0)):
        status, body = api("package_search", owner, method="GET", q="*:*",
                           include_drafts="true", include_private="true",
                           **{"facet.field": '["tags"]', "facet.limit": limit})
        assert status == 200, body
        assert len(body["result"]["search_facets"]["tags"]["items"]) == expected


def test_resources_carry_s3_available_and_a_stable_s3_url(app, live_server, owner,
                                                          make_dataset, make_circle):
    """The URL is stable; it serves the file without a token only once the dataset is public."""
    circle = make_circle(owner, name="s3url")
    private = make_dataset(owner, circle, private=True)
    public = make_dataset(owner, circle, private=False)
    urls = {}
    for dataset in (private, public):
        shown = requests.get(f"{live_server}/api/3/action/package_show",
                             params={"id": dataset.id},
                             headers={"Authorization": owner.token}).json()["result"]
        resource = shown["resources"][0]
        assert resource["s3_available"] is True
        assert resource["s3_url"] == f"{live_server}/files/{resource['id']}/resource"
        urls[dataset.id] = resource
    assert requests.get(urls[private.id]["s3_url"]).status_code == 403
    answer = requests.get(urls[public.id]["s3_url"])
    assert answer.status_code == 200
    assert len(answer.content) == urls[public.id]["size"]


@pytest.mark.sqlite_only
def test_outdated_dcoraid_is_turned_away(app, live_server, owner):
    """With a minimum version set, the real DCOR-Aid raises its APIOutdatedError."""
    import dcoraid
    from dcoraid.api import CKANAPI, APIOutdatedError
    app.config["CKAN_API_MIN_DCORAID_VERSION"] = "999.0"
    with pytest.raises(APIOutdatedError, match="outdated"):
        CKANAPI(live_server, api_key=owner.token, ssl_verify=False).get("user_show")
    app.config["CKAN_API_MIN_DCORAID_VERSION"] = dcoraid.__version__
    assert CKANAPI(live_server, api_key=owner.token,
                   ssl_verify=False).get("user_show")["name"] == "owner"
    app.config["CKAN_API_MIN_DCORAID_VERSION"] = None
    other = requests.get(f"{live_server}/api/3/action/status_show",
                         headers={"User-Agent": "DCOR-Aid/0.1.0"})
    assert other.status_code == 200  # off by default
