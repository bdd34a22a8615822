"""The condensed copy's basin back to the original: from ``SITE_URL`` only, never a request."""
import dclab
import pytest

from dcorlite.jobs.queue import drain
from dcorlite.storage import get_storage, resource_key

pytestmark = pytest.mark.sqlite_only

SITE = "https://dcor.clinic.example"


@pytest.fixture
def app_config(app_config, request):
    """The test app's configuration plus this test's ``extra_config`` parameter."""
    return dict(app_config, **getattr(request, "param", {}))


def condensed_after_upload_through_request(app, make_user, make_circle, make_dataset,
                                           make_resource, rtdc_path):
    """Attach while a client is connected as ``client.example:8080``; process; the copy."""
    owner = make_user("uploader")
    draft = make_dataset(owner, make_circle(owner), active=False)
    with app.test_request_context("/api/3/action/package_revise",
                                  base_url="http://client.example:8080"):
        res = make_resource(owner, draft, rtdc_path)
    drain(app)
    path = get_storage().local_path(resource_key(res.id, "condensed"))
    with dclab.new_dataset(path, enable_basins=False) as ds:
        remote = [b for b in ds.basins_get_dicts() if b["type"] == "remote"]
    with open(path, "rb") as fh:
        return res, remote, fh.read()


def test_without_site_url_no_request_url_is_written(app, make_user, make_circle,
                                                    make_dataset, make_resource, rtdc_path):
    _, remote, data = condensed_after_upload_through_request(
        app, make_user, make_circle, make_dataset, make_resource, rtdc_path)
    assert remote == []
    assert b"client.example" not in data and b"localhost" not in data


@pytest.mark.parametrize("app_config", [{"SITE_URL": SITE + "/"}], indirect=True)
def test_with_site_url_the_basin_names_it(app, make_user, make_circle, make_dataset,
                                          make_resource, rtdc_path):
    res, remote, data = condensed_after_upload_through_request(
        app, make_user, make_circle, make_dataset, make_resource, rtdc_path)
    assert [b["urls"] for b in remote] == [[f"{SITE}/api/3/action/dcserv?id={res.id}"]]
    assert remote[0]["format"] == "dcor"
    assert b"client.example" not in data
