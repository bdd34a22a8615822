"""DCOR-Aid and dclab against ``dcorlite serve`` on S3 storage (a real SeaweedFS)."""
import hashlib
import time
import urllib.parse

import dclab
import pytest
import requests
from dclab.rtdc_dataset.fmt_dcor.api import APIHandler
from dcoraid.api import dataset_create
from dcoraid.upload.job import UploadJob

from dcorlite.storage import resource_key

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def served_env(s3_config):
    return {f"DCORLITE_{key}": value for key, value in s3_config.items()}


def _eventually(served, get, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = get()
        if value:
            return value
        time.sleep(0.2)  # jobs run in the server's worker threads
    raise AssertionError(f"no {what} after {timeout} s\n{served.log_tail()}")


def test_dcoraid_upload_dclab_and_download(served, seaweedfs, s3_config, rtdc_path):
    api = served.api("alice")
    ds = dataset_create({"title": "S3 dataset", "authors": "Alice", "license_id": "CC0-1.0",
                         "owner_org": served.circle["name"], "private": True}, api=api)
    job = UploadJob(api, ds["id"], [rtdc_path])
    job.task_compress_resources()
    job.task_upload_resources()
    job.task_verify_resources()
    assert job.state == "done", job.traceback
    shown = served.action("package_show", "alice", {"id": ds["id"]})
    assert shown["state"] == "active"
    res = shown["resources"][0]
    # DCOR-Aid uploads a compressed copy of the file; its ETag is the copy's MD5
    bucket = s3_config["S3_BUCKET_TEMPLATE"].format(circle_id=served.circle["id"])
    stored = seaweedfs.client().get_object(Bucket=bucket, Key=resource_key(res["id"]))
    content = stored["Body"].read()
    assert res["etag"] == job.etags[0] == hashlib.md5(content).hexdigest()
    assert res["size"] == len(content)
    sha256 = _eventually(served, lambda: served.action(
        "resource_show", "alice", {"id": res["id"]})["sha256"], "sha256")
    assert sha256 == hashlib.sha256(content).hexdigest()
    _eventually(served, lambda: len(served.action("dcserv", "alice", {
        "id": res["id"], "query": "basins"})) == 2, "condensed basin")

    # dclab: features of the original and of the condensed copy, from SeaweedFS directly
    APIHandler.api_keys.clear()
    host = served.url.split("://", 1)[1]
    with dclab.new_dataset(rtdc_path) as local, \
            dclab.new_dataset(res["id"], host=host, api_key=served.tokens["alice"],
                              use_ssl=False) as remote:
        assert sorted(b.name.split("-")[0] for b in remote.basins) == ["condensed", "resource"]
        urls = [basin.location for basin in remote.basins]
        assert urls and all(url.startswith(f"{seaweedfs.endpoint}/{bucket}/") for url in urls)
        assert "X-Amz-Signature=" in urls[0]
        assert len(remote) == len(local)
        for feat in ("deform", "volume", "image"):
            got, want = remote[feat][:3], local[feat][:3]
            assert (got == want).all() or abs(got - want).max() < 1e-6, feat
    APIHandler.api_keys.clear()

    # the download route sends the browser to a presigned URL named like the resource
    route = f"{served.url}/dataset/{ds['id']}/resource/{res['id']}/download/{res['name']}"
    headers = {"Authorization": served.tokens["alice"]}
    answer = requests.get(route, headers=headers, allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(f"{seaweedfs.endpoint}/{bucket}/{resource_key(res['id'])}?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert res["name"] in query["response-content-disposition"][0]
    again = requests.get(route, headers=headers, allow_redirects=False, timeout=30)
    assert again.headers["Location"] == location  # on the time grid: cacheable
    got = requests.get(location, timeout=30)
    assert got.content == content
    assert got.headers["Content-Disposition"] == f'attachment; filename="{res["name"]}"'
    assert requests.get(route, allow_redirects=False, timeout=30).status_code == 404
