"""Patient-data care: scans reported on resources, blocked activation, deletion requests."""
import os
import pathlib
import shutil

import dclab
import pytest
import requests
from dcoraid.api import CKANAPI, dataset_activate, dataset_create
from dcoraid.api.dataset import resource_add

from dcorlite import hookimpl, users
from dcorlite.jobs.queue import drain
from dcorlite.models import Dataset, Resource
from dcorlite.plugins.privacy.model import DeletionRequest
from dcorlite.plugins.tokens import logic as tokens
from dcorlite.storage import get_storage, resource_key


@pytest.fixture
def erika(make_circle):
    """An uploader whose full name will show up in a file's log."""
    user = users.create_user("emuster", "erika@example.org", None, fullname="Erika Mustermann")
    user.token = tokens.create_token(user, "test")
    make_circle(user, name="clinic")
    return user


@pytest.fixture
def leaky_rtdc(rtdc_path, tmp_path):
    """A copy of a real RT-DC file whose log names the operator and a date of birth."""
    path = tmp_path / "leaky.rtdc"
    shutil.copy(rtdc_path, path)
    with dclab.RTDCWriter(path, mode="append") as hw:
        hw.store_log("session", ["started measurement",
                                 "operator: Erika Mustermann",
                                 "sample from donor, DOB 1961-04-23, blood"])
    return path


def dcoraid(live_server, user):
    return CKANAPI(live_server, api_key=user.token, ssl_verify=False)


def upload(api, path):
    """A draft in circle ``clinic`` with ``path`` uploaded by DCOR-Aid; → (dataset, resource id)."""
    ds = dataset_create({"title": "Blood 2026", "authors": "E. Mustermann",
                         "license_id": "CC0-1.0", "owner_org": "clinic", "private": True},
                        api=api)
    resource_add(ds["id"], path, api=api)
    return ds, api.get("package_show", id=ds["id"])["resources"][0]["id"]


def action(live_server, name, user, **data):
    response = requests.post(f"{live_server}/api/3/action/{name}", json=data, timeout=30,
                             headers={"Authorization": user.token} if user else {})
    return response.status_code, response.json()


def test_a_log_with_a_name_and_a_birth_date_is_reported_a_clean_file_is_clean(
        app, live_server, erika, leaky_rtdc, rtdc_path, tmp_path):
    api = dcoraid(live_server, erika)
    ds, leaky_id = upload(api, leaky_rtdc)
    resource_add(ds["id"], rtdc_path, api=api)
    notes = tmp_path / "notes.txt"
    notes.write_text("Erika Mustermann was here\n")
    resource_add(ds["id"], notes, api=api)
    assert api.get("resource_show", id=leaky_id)["privacy_scan"] == {"state": "pending",
                                                                      "hits": []}
    drain(app)
    scan = api.get("resource_show", id=leaky_id)["privacy_scan"]
    assert scan["state"] == "hits"
    where = {(h["where"], h["pattern"]) for h in scan["hits"]}
    assert ("log:session line 2", "user full name") in where
    assert any(w == "log:session line 3" and p.startswith("regex") for w, p in where)
    # the excerpts show where, without repeating the personal data
    assert not any("Mustermann" in h["excerpt"] or "1961-04-23" in h["excerpt"]
                   for h in scan["hits"])
    shown = api.get("package_show", id=ds["id"])["resources"]
    assert shown[1]["privacy_scan"] == {"state": "clean", "hits": []}
    assert shown[2]["privacy_scan"]["state"] == "n/a"  # a text file is not scanned


def test_by_default_hits_are_only_reported_and_dcoraid_activates_at_once(
        app, live_server, erika, leaky_rtdc):
    api = dcoraid(live_server, erika)
    ds, rid = upload(api, leaky_rtdc)
    dataset_activate(ds["id"], api=api)  # right after the upload, as DCOR-Aid does
    assert api.get("package_show", id=ds["id"])["state"] == "active"
    drain(app)
    assert api.get("resource_show", id=rid)["privacy_scan"]["state"] == "hits"


@pytest.fixture
def app_config(app_config, request):
    """The test app's configuration plus the test's parameter (if any)."""
    return dict(app_config, **getattr(request, "param", {}))


@pytest.mark.parametrize("app_config", [{"PRIVACY_BLOCKS_ACTIVATION": True}], indirect=True)
def test_blocking_mode_refuses_activation_until_an_editor_confirms(
        app, live_server, erika, leaky_rtdc, make_user):
    api = dcoraid(live_server, erika)
    ds, rid = upload(api, leaky_rtdc)
    activate = {"id": ds["id"], "state": "active"}
    status, body = action(live_server, "package_patch", erika, **activate)
    assert status == 409 and body["success"] is False
    assert "pending" in body["error"]["state"][0] and "leaky.rtdc" in body["error"]["state"][0]
    drain(app)
    status, body = action(live_server, "package_revise", erika,
                          match={"id": ds["id"]}, update={"state": "active"})
    assert status == 409 and body["error"]["__type"] == "Validation Error"
    assert "leaky.rtdc" in body["error"]["state"][0] and rid in body["error"]["state"][0]

    stranger = make_user("stranger")
    status, body = action(live_server, "resource_privacy_confirm", stranger, id=rid,
                          statement="fine")
    assert status == 403 and body["error"]["__type"] == "Authorization Error"
    status, body = action(live_server, "resource_privacy_confirm", erika, id=rid, statement="")
    assert status == 409
    status, body = action(live_server, "resource_privacy_confirm", erika, id=rid,
                          statement="The operator is staff and consented; no patient data.")
    assert status == 200 and body["result"]["confirmed"]["by"] == "emuster"
    status, body = action(live_server, "package_patch", erika, **activate)
    assert status == 200 and body["result"]["state"] == "active"
    assert body["result"]["resources"][0]["privacy_scan"]["confirmed"]["statement"]


class ActivityCollector:
    """Stands in for the audit plugin: keeps every ``activity`` call."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def activity(self, action, dataset_id, resource_id, details):
        self.calls.append((action, dataset_id, resource_id, details))


def test_a_deletion_request_approved_on_the_command_line_purges_files_and_keeps_the_record(
        app, erika, make_user, make_dataset, make_circle, cli_runner, api, monkeypatch):
    from dcorlite import app as app_module
    collector = ActivityCollector()
    real_create_app = app_module.create_app
    # the command builds its own app: give it the collector as well
    monkeypatch.setattr(app_module, "create_app",
                        lambda *a, **k: real_create_app(*a, plugins=[collector], **k))
    editor = make_user("editor")
    dataset = make_dataset(erika, make_circle(erika, name="ward", members={editor: "editor"}))
    storage = get_storage()
    files = [storage.local_path(resource_key(r.id)) for r in
             Resource.select().where(Resource.dataset == dataset)]
    assert files and all(os.path.isfile(f) for f in files)

    status, body = api("dataset_deletion_request_create", make_user("outsider"),
                       id=dataset.id, statement="consent revoked")
    assert status == 403
    status, body = api("dataset_deletion_request_create", editor, id=dataset.id,
                       statement="The donor revoked consent on 2026-11-30.")
    assert status == 200 and body["result"]["state"] == "open"
    request_id = body["result"]["id"]
    assert api("dataset_deletion_request_list", editor, method="GET")[0] == 403
    admin = make_user("admin", sysadmin=True)
    status, body = api("dataset_deletion_request_list", admin, method="GET")
    assert [r["id"] for r in body["result"]] == [request_id]

    result = cli_runner("dataset", "purge", dataset.id, "--reason", "consent revoked (ticket 7)",
                        "--by", "admin")
    assert result.exit_code == 0, result.output
    assert f"deletion request {request_id} approved" in result.output
    assert Dataset.get_or_none(Dataset.id == dataset.id) is None
    assert not any(os.path.exists(f) for f in files)
    assert not [p for p in pathlib.Path(storage.root).rglob("*") if p.is_file()]
    # the core records the purge itself, the plugin the approval with its reason
    assert [c[:3] for c in collector.calls] == [("purge", dataset.id, None),
                                                ("deletion_approved", dataset.id, None)]
    assert collector.calls[1][3] == {
        "reason": "consent revoked (ticket 7)", "request": request_id, "actor": "admin"}
    row = DeletionRequest.get_by_id(request_id)
    assert (row.state, row.reason, row.actor) == ("approved", "consent revoked (ticket 7)",
                                                  "admin")
    assert row.decided_at is not None and row.dataset_name == dataset.name
    status, body = api("dataset_deletion_request_list", admin, method="GET", state="approved")
    assert body["result"][0]["reason"] == "consent revoked (ticket 7)"
