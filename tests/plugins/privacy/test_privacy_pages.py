"""The pages of patient-data care: warning box and confirmation, deletion request, approval."""
import shutil

import dclab
import pytest

from dcorlite import datasets
from dcorlite.jobs.queue import drain
from dcorlite.plugins.ckan_api.actions_datasets import dc_problems
from dcorlite.models import Dataset
from dcorlite.plugins.privacy.model import DeletionRequest
from tests.plugins.web.conftest import PASSWORD, csrf_token, login

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def leaky(app, make_user, make_circle, make_dataset, make_resource, rtdc_path, tmp_path):
    """A private dataset whose RT-DC file's log names its owner; owner, member and admin."""
    owner = make_user("owner", password=PASSWORD)
    member = make_user("member", password=PASSWORD)
    admin = make_user("admin", sysadmin=True, password=PASSWORD)
    circle = make_circle(owner, name="lab", members={member: "member"})
    path = tmp_path / "leaky.rtdc"
    shutil.copy(rtdc_path, path)
    with dclab.RTDCWriter(path, mode="append") as hw:
        hw.store_log("notes", ["measured by owner"])
    dataset = make_dataset(owner, circle, private=True, active=False)
    resource = make_resource(owner, dataset, path)
    datasets.update_dataset(owner, dataset, {"state": "active"}, dc_problems)
    drain(app)
    return {"owner": owner, "member": member, "admin": admin, "dataset": dataset,
            "url": f"/dataset/{dataset.id}/resource/{resource.id}"}


def test_the_resource_page_warns_and_an_editor_confirms(client, app, leaky):
    login(client, leaky["member"])
    html = client.get(leaky["url"]).get_data(as_text=True)
    assert "Possible patient data in this file" in html and "log:notes line 1" in html
    assert "Confirm review" not in html  # a member may read, not confirm
    client.get("/user/logout")
    owner = app.test_client()
    login(owner, leaky["owner"])
    html = owner.get(leaky["url"]).get_data(as_text=True)
    assert "Confirm review" in html
    response = owner.post(leaky["url"] + "/privacy-confirm", data={
        "statement": "owner is the lab account", "csrf_token": csrf_token(owner, leaky["url"])})
    assert response.status_code == 302
    html = owner.get(leaky["url"]).get_data(as_text=True)
    assert "Reviewed by owner" in html and "owner is the lab account" in html
    assert "Confirm review" not in html


def test_an_editor_requests_deletion_and_a_sysadmin_approves_it_on_the_admin_page(
        client, app, leaky):
    dataset = leaky["dataset"]
    login(client, leaky["owner"])
    page = f"/dataset/{dataset.id}"
    assert "Send deletion request" in client.get(page).get_data(as_text=True)
    response = client.post(page + "/deletion-request", data={
        "statement": "consent revoked", "csrf_token": csrf_token(client, page)})
    assert response.status_code == 302
    assert client.get("/admin/deletion-requests").status_code == 403
    admin = app.test_client()
    login(admin, leaky["admin"])
    html = admin.get("/admin/deletion-requests").get_data(as_text=True)
    assert "consent revoked" in html and "Approve and purge" in html
    response = admin.post("/admin/deletion-requests", data={
        "dataset_id": dataset.id, "reason": "checked with the ethics board",
        "csrf_token": csrf_token(admin, "/admin/deletion-requests")})
    assert response.status_code == 302
    assert Dataset.get_or_none(Dataset.id == dataset.id) is None
    row = DeletionRequest.get(DeletionRequest.dataset_id == dataset.id)
    assert (row.state, row.actor, row.reason) == ("approved", "admin",
                                                  "checked with the ethics board")
    html = admin.get("/admin/deletion-requests").get_data(as_text=True)
    assert "Approved by admin" in html and "Approve and purge" not in html
