"""Uploads straight to S3 (a real SeaweedFS): a bucket per circle, attach, SHA-256 job, sweep."""
import datetime
import hashlib
import os

import pytest
import requests

from dcorlite.jobs import runner
from dcorlite.jobs.queue import drain
from dcorlite.models import Resource, Upload, utcnow
from dcorlite.plugins.uploads import parts, store
from dcorlite.storage import get_storage, resource_key

PART = 5 * 2 ** 20  # S3's smallest part


@pytest.fixture
def app_config(app_config, s3_config):
    return dict(app_config, **s3_config, UPLOADS_PART_SIZE=2 * PART, UPLOADS_S3_URLS=True)


@pytest.fixture
def uploader(make_user, make_circle, make_dataset):
    user = make_user("uploader")
    circle = make_circle(user, name="up-circle")
    return user, circle, make_dataset(user, circle, active=False)


def _urls(api, user, circle, size):
    status, body = api("resource_upload_s3_urls", user, organization_id=circle.id,
                       file_size=size)
    assert status == 200, body
    return body["result"]


def _attach(api, user, dataset, rid, name="data.txt"):
    return api("package_revise", user, match={"id": dataset.id}, update__resources__extend=[
        {"id": rid, "name": name, "s3_available": True}])


def _put_parts(urls, data):
    size = parts.part_size(len(data), len(urls))
    etags = []
    for index, url in enumerate(urls):
        answer = requests.put(url, data=data[index * size:(index + 1) * size], timeout=30)
        assert answer.status_code == 200, answer.text
        etags.append(answer.headers["ETag"])
    return etags


def _complete(url, etags):
    body = "<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{i + 1}</PartNumber><ETag>{e}</ETag></Part>"
        for i, e in enumerate(etags)) + "</CompleteMultipartUpload>"
    answer = requests.post(url, data=body, timeout=30)
    assert answer.status_code == 200, answer.text


def test_single_put_lands_in_the_circle_bucket_and_gets_its_sha256(app, api, uploader,
                                                                 seaweedfs):
    user, circle, dataset = uploader
    data = os.urandom(1000)
    result = _urls(api, user, circle, len(data))
    assert len(result["upload_urls"]) == 1 and result["complete_url"] is None
    assert result["upload_urls"][0].startswith(seaweedfs.endpoint)
    _put_parts(result["upload_urls"], data)
    status, body = _attach(api, user, dataset, result["resource_id"])
    assert status == 200, body
    rid = result["resource_id"]
    bucket = app.config["S3_BUCKET_TEMPLATE"].format(circle_id=circle.id)
    stored = seaweedfs.client().get_object(Bucket=bucket, Key=resource_key(rid))
    assert stored["Body"].read() == data
    resource = Resource.get_by_id(rid)
    assert resource.size == len(data) and resource.etag == hashlib.md5(data).hexdigest()
    assert resource.sha256 == ""  # computed in the background, not in the request
    drain(app)
    status, body = api("resource_show", user, id=rid)
    assert body["result"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["result"]["s3_url"] == f"{seaweedfs.endpoint}/{bucket}/{resource_key(rid)}"


def test_multipart_upload_is_attached_with_the_s3_etag(app, api, uploader):
    user, circle, dataset = uploader
    data = os.urandom(2 * PART + 1000)  # two parts above S3's minimum
    result = _urls(api, user, circle, len(data))
    assert len(result["upload_urls"]) == 2 and result["complete_url"]
    etags = _put_parts(result["upload_urls"], data)
    _complete(result["complete_url"], etags)
    assert _attach(api, user, dataset, result["resource_id"])[0] == 200
    expected = parts.multipart_etag([e.strip('"') for e in etags])
    assert Resource.get_by_id(result["resource_id"]).etag == expected


@pytest.mark.parametrize("sent", [0, 999])
def test_missing_or_short_upload_cannot_be_attached(api, uploader, sent):
    user, circle, dataset = uploader
    result = _urls(api, user, circle, 1000)
    if sent:
        _put_parts(result["upload_urls"], b"x" * sent)
    status, body = _attach(api, user, dataset, result["resource_id"])
    assert status == 403 and "not available in storage" in str(body)
    assert Resource.get_or_none(Resource.id == result["resource_id"]) is None


def test_stale_multipart_upload_is_aborted_by_the_sweep(app, api, uploader, seaweedfs):
    user, circle, dataset = uploader
    result = _urls(api, user, circle, 2 * PART + 1000)
    assert len(result["upload_urls"]) == 2
    _put_parts(result["upload_urls"][:1], os.urandom(PART + 500))  # the first of two parts
    bucket = app.config["S3_BUCKET_TEMPLATE"].format(circle_id=circle.id)
    client = seaweedfs.client()
    assert len(client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 1
    settings = store.cleanup_settings(app)
    now = utcnow()
    # a part that arrived just now keeps the upload, however old it is
    assert store.cleanup_stale(get_storage(), **settings,
                               now=now + datetime.timedelta(minutes=1)) == 0
    later = now + datetime.timedelta(hours=settings["max_age_hours"] + 1)
    assert store.cleanup_stale(get_storage(), **settings, now=later) == 1
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert Upload.get_or_none(Upload.id == result["resource_id"]) is None


def test_multipart_upload_of_no_upload_row_is_aborted_by_the_sweep(app, api, uploader,
                                                                    seaweedfs):
    """An unfinished multipart upload whose upload row is gone (a failed abort, a restored
    database) is aborted once old, as the stale upload that still has its row."""
    user, circle, dataset = uploader
    kept = _urls(api, user, circle, 2 * PART + 1000)
    lost = _urls(api, user, circle, 2 * PART + 1000)
    for result in (kept, lost):
        _put_parts(result["upload_urls"][:1], os.urandom(PART + 500))
    Upload.delete().where(Upload.id == lost["resource_id"]).execute()
    bucket = app.config["S3_BUCKET_TEMPLATE"].format(circle_id=circle.id)
    client = seaweedfs.client()

    def unfinished():
        return sorted(u["Key"] for u in client.list_multipart_uploads(Bucket=bucket)
                      .get("Uploads", []))
    assert unfinished() == sorted(resource_key(r["resource_id"]) for r in (kept, lost))
    settings = store.cleanup_settings(app)
    now = utcnow()
    assert store.cleanup_stale(get_storage(), **settings,
                               now=now + datetime.timedelta(minutes=1)) == 0  # begun just now
    assert len(unfinished()) == 2
    later = now + datetime.timedelta(hours=settings["max_age_hours"] + 1)
    assert store.cleanup_stale(get_storage(), **settings, now=later) == 2  # one of each
    assert unfinished() == []


def test_legacy_upload_and_jobs_write_to_the_circle_bucket(app, make_resource, uploader,
                                                         rtdc_path, seaweedfs, tmp_path):
    user, circle, dataset = uploader
    resource = make_resource(user, dataset, rtdc_path)
    assert resource.sha256 == hashlib.sha256(rtdc_path.read_bytes()).hexdigest()
    drain(app)
    bucket = app.config["S3_BUCKET_TEMPLATE"].format(circle_id=circle.id)
    found = [o["Key"] for o in seaweedfs.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(k.split("/")[0] for k in found) == sorted(
        ["condensed", "condensed_meta", "kernel", "preview", "resource"])
    assert not [n for n in os.listdir(tmp_path / "instance" / "tmp")
                if n.startswith("job-")]  # scratch copies removed
    other = app.config["S3_BUCKET_TEMPLATE"].format(circle_id="instance")
    assert other not in [b["Name"] for b in seaweedfs.client().list_buckets()["Buckets"]]


def test_a_job_whose_copy_does_not_fit_the_scratch_limit_records_why(
        app, make_resource, uploader, rtdc_path, tmp_path, monkeypatch):
    from dcorlite.models import JobState
    monkeypatch.setitem(app.config, "JOBS_SCRATCH_MAX_BYTES", rtdc_path.stat().st_size - 1)
    user, circle, dataset = uploader
    resource = make_resource(user, dataset, rtdc_path)
    drain(app)
    errors = [s.error for s in JobState.select().where(JobState.resource == resource.id)
              if s.state == "error"]
    assert any("more than JOBS_SCRATCH_MAX_BYTES" in e for e in errors)
    assert all("JOBS_SCRATCH_MAX_BYTES" in e or e.startswith("dependency") for e in errors)
    assert not [n for n in os.listdir(tmp_path / "instance" / "tmp") if n.startswith("job-")]


def test_the_jobs_of_a_resource_download_its_original_once(app, make_resource, uploader,
                                                          rtdc_path, monkeypatch):
    from dcorlite.storage.s3 import S3Storage
    user, circle, dataset = uploader
    resource = make_resource(user, dataset, rtdc_path)
    reads = []
    original = S3Storage.open_range
    monkeypatch.setattr(S3Storage, "open_range", lambda self, key, *args, **kwargs: (
        reads.append(key), original(self, key, *args, **kwargs))[1])
    outcome = runner.process_resource(app, resource.id)
    assert len(outcome) >= 3 and not any(outcome.values())  # several jobs read it
    assert reads.count(resource_key(resource.id)) == 1
