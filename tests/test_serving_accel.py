"""The ``X-Accel-Redirect`` answer of the file routes (``X_ACCEL_REDIRECT``), without nginx."""
import pytest

from dcorlite.jobs.queue import drain
from dcorlite.serving import ACCEL_PREFIX
from dcorlite.storage import resource_key

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def app_config(app_config, request):
    return dict(app_config, **getattr(request, "param", {"X_ACCEL_REDIRECT": True}))


@pytest.fixture
def stored(app, make_user, make_circle, make_dataset, make_resource, rtdc_path):
    owner = make_user("owner")
    dataset = make_dataset(owner, make_circle(owner), private=True, active=False)
    resource = make_resource(owner, dataset, rtdc_path)
    drain(app)
    return owner, dataset, resource


def test_file_routes_answer_with_the_storage_key(client, stored):
    owner, dataset, resource = stored
    auth = {"Authorization": owner.token}
    base = f"/dataset/{dataset.id}/resource/{resource.id}"
    for path, artifact in ((f"{base}/download/{resource.name}", "resource"),
                           (f"{base}/condensed.rtdc", "condensed"),
                           (f"{base}/preview.jpg", "preview")):
        response = client.get(path, headers=auth)
        assert response.status_code == 200 and response.data == b""
        assert response.headers["X-Accel-Redirect"] == \
            ACCEL_PREFIX + resource_key(resource.id, artifact)
        assert response.headers["ETag"]
    # the ranged request is nginx's to answer: the same redirect
    ranged = client.get(f"{base}/download", headers=dict(auth, Range="bytes=0-9"))
    assert ranged.status_code == 200 and "X-Accel-Redirect" in ranged.headers


def test_unauthorised_and_conditional_requests_are_answered_by_dcorlite(client, stored):
    owner, dataset, resource = stored
    path = f"/dataset/{dataset.id}/resource/{resource.id}/download"
    anonymous = client.get(path)
    assert anonymous.status_code == 404 and "X-Accel-Redirect" not in anonymous.headers
    auth = {"Authorization": owner.token}
    etag = f'"{resource.etag}"'
    assert client.get(path, headers=dict(auth, **{"If-None-Match": etag})).status_code == 304
    head = client.head(path, headers=auth)
    assert "X-Accel-Redirect" not in head.headers
    assert head.headers["Content-Length"] == str(resource.size)
    if_range = client.get(path, headers=dict(auth, Range="bytes=0-9", **{"If-Range": etag}))
    assert if_range.status_code == 206 and len(if_range.data) == 10
    assert "X-Accel-Redirect" not in if_range.headers


@pytest.mark.parametrize("app_config", [{}], indirect=True)
def test_off_by_default(client, stored):
    owner, dataset, resource = stored
    response = client.get(f"/dataset/{dataset.id}/resource/{resource.id}/download",
                          headers={"Authorization": owner.token})
    assert "X-Accel-Redirect" not in response.headers and len(response.data) == resource.size
