"""The generic ckanapi client (POSTs to the unversioned /api/action/<name>)."""
import ckanapi
import pytest

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def populated(make_user, make_circle, make_dataset):
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    public = make_dataset(owner, circle, title="Public cells 1")
    private = make_dataset(owner, circle, title="Private cells 2", private=True)
    return owner, public, private


def test_read_actions(live_server, populated):
    owner, public, private = populated
    anon = ckanapi.RemoteCKAN(live_server)
    assert anon.action.status_show()["ckan_version"] >= "2.10.1"
    shown = anon.action.package_show(id=public.name)
    assert shown["id"] == public.id and shown["organization"]["name"] == "lab"
    assert anon.action.resource_show(id=shown["resources"][0]["id"])["package_id"] == public.id
    assert [d["id"] for d in anon.action.package_search(q="*:*")["results"]] == [public.id]
    assert anon.action.organization_show(id="lab")["name"] == "lab"
    assert anon.action.organization_list() == ["lab"]
    assert "CC0-1.0" in [lic["id"] for lic in anon.action.license_list()]
    assert anon.action.package_list() == [public.name]
    mine = ckanapi.RemoteCKAN(live_server, apikey=owner.token)
    found = mine.action.package_search(q="cells", include_private=True, rows=10)
    assert {d["id"] for d in found["results"]} == {public.id, private.id}
    assert [t["name"] for t in mine.action.api_token_list(user_id="owner")] == ["test"]


def test_errors_map_to_ckanapi_exceptions(live_server, populated):
    owner, public, private = populated
    anon = ckanapi.RemoteCKAN(live_server)
    with pytest.raises(ckanapi.NotAuthorized):
        anon.action.package_show(id=private.id)
    with pytest.raises(ckanapi.NotFound):
        anon.action.package_show(id="does-not-exist")
    with pytest.raises(ckanapi.NotAuthorized):
        anon.action.package_create(title="x", authors="y", license_id="CC0-1.0",
                                   owner_org="lab")
    mine = ckanapi.RemoteCKAN(live_server, apikey=owner.token)
    with pytest.raises(ckanapi.ValidationError) as err:
        mine.action.package_create(title="x", license_id="CC0-1.0", owner_org="lab")
    assert err.value.error_dict["authors"] == ["Missing value"]
    with pytest.raises(ckanapi.CKANAPIError):
        anon.call_action("no_such_action")


def test_form_encoded_patch(live_server, make_user, make_circle, make_dataset):
    """A form-encoded POST (CKAN's test_header_based_auth_default_post) changes a draft."""
    import requests
    owner = make_user("former")
    circle = make_circle(owner)
    draft = make_dataset(owner, circle, active=False)
    r = requests.post(f"{live_server}/api/action/package_patch",
                      data={"id": draft.id, "notes": "form data"},
                      headers={"Authorization": owner.token}, timeout=10)
    assert r.status_code == 200 and r.json()["result"]["notes"] == "form data"
