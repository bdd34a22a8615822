"""The unmodified DCOR-Aid client against a live dcorlite server."""
import hashlib
import json
import pathlib
import subprocess
import sys

import pytest
from dcoraid.api import CKANAPI, dataset_activate, dataset_create, errors
from dcoraid.api.dataset import resource_add
from dcoraid.download.job import DownloadJob
from dcoraid.upload import task

sqlite_only = pytest.mark.sqlite_only


@pytest.fixture
def owner(make_user, make_circle):
    user = make_user("alice")
    make_circle(user, name="alice-circle")
    return user


def dcoraid_api(live_server, user):
    return CKANAPI(live_server, api_key=user.token if user else "", ssl_verify=False)


def new_draft(api, **extra):
    data = {"title": "DCOR-Aid test dataset 1234567890", "authors": "Alice, Bob",
            "license_id": "CC0-1.0", "owner_org": "alice-circle", "private": True}
    data.update(extra)
    return dataset_create(data, api=api)


def test_upload_verify_activate_search_download(live_server, owner, rtdc_path, tmp_path):
    api = dcoraid_api(live_server, owner)
    assert api.get_user_dict()["name"] == "alice"
    ds = new_draft(api)
    assert ds["state"] == "draft"
    assert ds["name"].endswith("1234567890")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n")
    resource_add(ds["id"], rtdc_path, api=api,
                 resource_dict={"sp:chip:channel width": 21.0, "sp:chip:comments": "ok"})
    resource_add(ds["id"], text, api=api)
    resource_add(ds["id"], table, api=api)
    shown = api.get("package_show", id=ds["id"])
    names = [r["name"] for r in shown["resources"]]
    assert names == [rtdc_path.name, "notes.txt", "table.csv"]
    rtdc = shown["resources"][0]
    content = rtdc_path.read_bytes()
    assert rtdc["etag"] == hashlib.md5(content).hexdigest()
    assert rtdc["sha256"] == hashlib.sha256(content).hexdigest()
    assert rtdc["size"] == len(content) and rtdc["mimetype"] == "RT-DC"
    assert rtdc["sp:chip:channel width"] == 21.0 and rtdc["sp:chip:comments"] == "ok"
    assert shown["resources"][1]["size"] == 6
    dataset_activate(ds["id"], api=api)
    assert api.get("package_show", id=ds["id"])["state"] == "active"
    found = api.get("package_search", q="dcoraid", fq="organization:alice-circle",
                    include_private=True)
    assert [d["id"] for d in found["results"]] == [ds["id"]]
    # download every resource and verify it with the server's checksums
    (tmp_path / "dl").mkdir()
    for res in shown["resources"]:
        job = DownloadJob(api, res["id"], tmp_path / "dl")
        job.task_download_resource()
        job.task_verify_resource()
        assert job.state == "done", job.traceback
        assert job.path.read_bytes() == (rtdc_path if res["name"].endswith(".rtdc")
                                         else tmp_path / res["name"]).read_bytes()


@sqlite_only
def test_resumed_download_completes_and_verifies(live_server, owner, rtdc_path, tmp_path):
    api = dcoraid_api(live_server, owner)
    ds = new_draft(api)
    resource_add(ds["id"], rtdc_path, api=api)
    rid = api.get("package_show", id=ds["id"])["resources"][0]["id"]
    job = DownloadJob(api, rid, tmp_path / "out.rtdc")
    partial = pathlib.Path(str(job.path) + "~")
    partial.parent.mkdir(parents=True, exist_ok=True)
    content = rtdc_path.read_bytes()
    partial.write_bytes(content[:100000])
    job.task_download_resource()
    job.task_verify_resource()
    assert job.state == "done", job.traceback
    assert job.path.read_bytes() == content


@sqlite_only
def test_adding_resource_to_active_dataset_is_forbidden(live_server, owner, rtdc_path,
                                                        tmp_path):
    api = dcoraid_api(live_server, owner)
    ds = new_draft(api)
    resource_add(ds["id"], rtdc_path, api=api)
    dataset_activate(ds["id"], api=api)
    extra = tmp_path / "late.txt"
    extra.write_text("too late")
    with pytest.raises(errors.APIAuthorizationError):
        resource_add(ds["id"], extra, api=api)


@sqlite_only
def test_duplicate_resource_name_conflicts(live_server, owner, rtdc_path):
    api = dcoraid_api(live_server, owner)
    ds = new_draft(api)
    resource_add(ds["id"], rtdc_path, api=api)
    with pytest.raises(errors.APIConflictError):
        resource_add(ds["id"], rtdc_path, api=api, exist_ok=False)


@sqlite_only
def test_invalid_rtdc_cannot_activate(live_server, owner, tmp_path):
    api = dcoraid_api(live_server, owner)
    ds = new_draft(api)
    fake = tmp_path / "fake.rtdc"
    fake.write_bytes(b"this is not HDF5" * 100)
    resource_add(ds["id"], fake, api=api)
    with pytest.raises(errors.APIConflictError):
        dataset_activate(ds["id"], api=api)
    assert api.get("package_show", id=ds["id"])["state"] == "draft"


@sqlite_only
def test_missing_authors_and_license_conflict(live_server, owner):
    api = dcoraid_api(live_server, owner)
    with pytest.raises(errors.APIConflictError, match=r"authors: \['Missing value'\]"):
        dataset_create({"title": "x", "license_id": "CC0-1.0", "owner_org": "alice-circle"},
                       api=api)
    with pytest.raises(errors.APIConflictError, match="Please choose a license_id"):
        dataset_create({"title": "x", "authors": "A", "owner_org": "alice-circle"}, api=api)


@sqlite_only
def test_draft_delete_and_purge(live_server, owner):
    api = dcoraid_api(live_server, owner)
    ds = new_draft(api)
    api.post("package_delete", {"id": ds["id"]})
    api.post("dataset_purge", {"id": ds["id"]})
    with pytest.raises(errors.APINotFoundError):
        api.get("package_show", id=ds["id"])


@sqlite_only
def test_collection_and_sharing(live_server, owner, make_user, rtdc_path, tmp_path):
    api = dcoraid_api(live_server, owner)
    bob = make_user("bobby")
    ds = new_draft(api)
    resource_add(ds["id"], rtdc_path, api=api)
    dataset_activate(ds["id"], api=api)
    collection = api.require_collection("alice-collection")
    assert [g["name"] for g in api.get("group_list_authz")] == ["alice-collection"]
    api.post("member_create", {"id": collection["id"], "object": ds["id"],
                               "object_type": "package", "capacity": "member"})
    assert api.get("package_show", id=ds["id"])["groups"][0]["name"] == "alice-collection"
    bob_api = dcoraid_api(live_server, bob)
    with pytest.raises(errors.APIAuthorizationError):
        bob_api.get("package_show", id=ds["id"])
    api.post("group_member_create", {"id": "alice-collection", "username": bob.id,
                                     "role": "member"})
    assert bob_api.get("package_show", id=ds["id"])["id"] == ds["id"]
    api.post("group_member_delete", {"id": "alice-collection", "username": bob.id})
    with pytest.raises(errors.APIAuthorizationError):
        bob_api.get("package_show", id=ds["id"])
    api.post("package_collaborator_create", {"id": ds["name"], "user_id": bob.id,
                                             "capacity": "member"})
    assert [c["user_id"] for c in api.get("package_collaborator_list", id=ds["name"])] \
        == [bob.id]
    shared = bob_api.get("package_collaborator_list_for_user", id=bob.id)
    assert [c["package_id"] for c in shared] == [ds["id"]]
    job = DownloadJob(bob_api, ds_resource_id(api, ds), tmp_path / "bob.rtdc")
    job.task_download_resource()
    job.task_verify_resource()
    assert job.state == "done", job.traceback


def ds_resource_id(api, ds):
    return api.get("package_show", id=ds["id"])["resources"][0]["id"]


@sqlite_only
def test_upload_task_cli(live_server, owner, rtdc_path, tmp_path):
    text = tmp_path / "comment.txt"
    text.write_text("abcde\n")
    path_task = tmp_path / "job.dcoraid-task"
    task.create_task(path_task,
                     dataset_dict={"title": "Task upload", "authors": "Alice",
                                   "owner_org": "alice-circle", "license_id": "CC-BY-4.0",
                                   "private": True},
                     resource_dicts=[{"path": rtdc_path,
                                      "supplements": {"chip": {"comments": "via task"}}},
                                     {"path": text}])
    proc = subprocess.run([sys.executable, "-c",
                           "import sys; from dcoraid.cli import upload_task; "
                           "sys.exit(upload_task())",
                           str(path_task), live_server, owner.token,
                           "--cache_dir", str(tmp_path / "cache")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    dataset_id = json.loads(path_task.read_text())["dataset_dict"]["id"]
    api = dcoraid_api(live_server, owner)
    shown = api.get("package_show", id=dataset_id)
    assert shown["state"] == "active"
    assert [r["name"] for r in shown["resources"]] == [rtdc_path.name, "comment.txt"]
    assert shown["resources"][0]["sp:chip:comments"] == "via task"
