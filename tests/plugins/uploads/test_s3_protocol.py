"""The S3-style upload protocol: part sizes, ETags, completion, attachment."""
import hashlib
import os

import pytest
import requests

from dcorlite.plugins.uploads import parts

PART_SIZE = 64 * 1024


@pytest.fixture
def app_config(app_config):
    return dict(app_config, UPLOADS_PART_SIZE=PART_SIZE)


@pytest.fixture
def uploader(make_user, make_circle):
    user = make_user("uploader")
    circle = make_circle(user, name="up-circle")
    return user, circle


def _urls(live_server, user, circle, size):
    r = requests.get(f"{live_server}/api/3/action/resource_upload_s3_urls",
                     params={"organization_id": circle.id, "file_size": size},
                     headers={"Authorization": user.token}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["result"]


def _draft(live_server, user, circle):
    r = requests.post(f"{live_server}/api/3/action/package_create",
                      json={"title": "multipart", "authors": "A", "license_id": "CC0-1.0",
                            "owner_org": circle.name},
                      headers={"Authorization": user.token}, timeout=10)
    return r.json()["result"]["id"]


def _attach(live_server, user, ds, rid, name):
    return requests.post(f"{live_server}/api/3/action/package_revise",
                         json={"match": {"id": ds}, "update__resources__extend": [
                             {"id": rid, "name": name, "s3_available": True}]},
                         headers={"Authorization": user.token}, timeout=10)


def test_part_arithmetic_follows_dcoraid():
    """Part sizes and counts are those DCOR-Aid computes for GiB parts."""
    gib = 2 ** 30
    assert parts.num_parts(gib) == 1 and parts.num_parts(gib + 2) == 2
    assert parts.part_size(gib + 2, 2) == gib // 2 + 1
    assert parts.part_span(10, 3, 3) == (8, 2)


@pytest.mark.sqlite_only
def test_multipart_upload_etag_and_attach(live_server, uploader):
    user, circle = uploader
    data = os.urandom(3 * PART_SIZE - 1000)
    result = _urls(live_server, user, circle, len(data))
    assert len(result["upload_urls"]) == 3 and result["complete_url"]
    n = len(result["upload_urls"])
    size = parts.part_size(len(data), n)
    etags = []
    for index, url in enumerate(result["upload_urls"]):
        chunk = data[index * size:(index + 1) * size]
        r = requests.put(url, data=chunk, timeout=10)
        assert r.status_code == 200
        assert r.headers["ETag"].strip('"') == hashlib.md5(chunk).hexdigest()
        etags.append(r.headers["ETag"].strip('"'))
    body = "<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{i + 1}</PartNumber><ETag>{e}</ETag></Part>"
        for i, e in enumerate(etags)) + "</CompleteMultipartUpload>"
    r = requests.post(result["complete_url"], data=body, timeout=10)
    expected = hashlib.md5(b"".join(bytes.fromhex(e) for e in etags)).hexdigest() + "-3"
    assert r.status_code == 200 and r.headers["ETag"].strip('"') == expected
    ds = _draft(live_server, user, circle)
    assert _attach(live_server, user, ds, result["resource_id"], "big.txt").status_code == 200
    shown = requests.get(f"{live_server}/api/3/action/resource_show",
                         params={"id": result["resource_id"]},
                         headers={"Authorization": user.token}, timeout=10).json()["result"]
    assert shown["etag"] == expected
    assert shown["sha256"] == hashlib.sha256(data).hexdigest()
    assert shown["size"] == len(data)
    got = requests.get(shown["url"], headers={"Authorization": user.token}, timeout=10)
    assert got.content == data


@pytest.mark.sqlite_only
def test_parts_out_of_order_still_give_sha256(live_server, uploader):
    user, circle = uploader
    data = os.urandom(2 * PART_SIZE + 5)
    result = _urls(live_server, user, circle, len(data))
    size = parts.part_size(len(data), 3)
    etags = {}
    for index in (2, 0, 1):
        chunk = data[index * size:(index + 1) * size]
        etags[index] = requests.put(result["upload_urls"][index], data=chunk,
                                    timeout=10).headers["ETag"].strip('"')
    body = "<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{i + 1}</PartNumber><ETag>\"{etags[i]}\"</ETag></Part>"
        for i in range(3)) + "</CompleteMultipartUpload>"
    assert requests.post(result["complete_url"], data=body, timeout=10).status_code == 200
    ds = _draft(live_server, user, circle)
    assert _attach(live_server, user, ds, result["resource_id"], "ooo.txt").status_code == 200
    shown = requests.get(f"{live_server}/api/3/action/package_show", params={"id": ds},
                         headers={"Authorization": user.token}, timeout=10).json()["result"]
    assert shown["resources"][0]["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.sqlite_only
def test_complete_with_wrong_etag_is_refused(live_server, uploader):
    user, circle = uploader
    data = os.urandom(PART_SIZE + 10)
    result = _urls(live_server, user, circle, len(data))
    size = parts.part_size(len(data), 2)
    for index, url in enumerate(result["upload_urls"]):
        requests.put(url, data=data[index * size:(index + 1) * size], timeout=10)
    body = ("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + "0" * 32
            + "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>" + "1" * 32
            + "</ETag></Part></CompleteMultipartUpload>")
    r = requests.post(result["complete_url"], data=body, timeout=10)
    assert r.status_code == 400 and "<Error>" in r.text
    ds = _draft(live_server, user, circle)
    r = _attach(live_server, user, ds, result["resource_id"], "x.txt")
    assert r.status_code == 403 and "not available" in r.json()["error"]["message"]


@pytest.mark.sqlite_only
def test_attached_upload_cannot_be_attached_twice(live_server, uploader):
    user, circle = uploader
    data = b"0123456789"
    result = _urls(live_server, user, circle, len(data))
    requests.put(result["upload_urls"][0], data=data, timeout=10)
    ds = _draft(live_server, user, circle)
    assert _attach(live_server, user, ds, result["resource_id"], "a.txt").status_code == 200
    ds2 = _draft(live_server, user, circle)
    assert _attach(live_server, user, ds2, result["resource_id"], "b.txt").status_code == 403


@pytest.mark.sqlite_only
def test_upload_from_other_circle_cannot_be_attached(live_server, uploader, make_circle):
    user, circle = uploader
    other = make_circle(user, name="other-circle")
    result = _urls(live_server, user, other, 4)
    requests.put(result["upload_urls"][0], data=b"abcd", timeout=10)
    ds = _draft(live_server, user, circle)
    assert _attach(live_server, user, ds, result["resource_id"], "c.txt").status_code == 403


def test_switch_off_s3_urls_makes_dcoraid_fall_back(make_user, make_circle, client, app,
                                                     another_app):
    """With UPLOADS_S3_URLS off the action is unknown, as DCOR-Aid's fallback expects."""
    config = dict(app.config, UPLOADS_S3_URLS=False)
    other = another_app({k: config[k] for k in ("DATABASE_URL", "STORAGE_URL", "SECRET_KEY",
                                                "LOAD_ENTRY_POINTS", "UPLOADS_S3_URLS")})
    r = other.test_client().get("/api/3/action/resource_upload_s3_urls")
    assert r.status_code == 400
    assert r.get_json() == "Bad request - Action name not known: resource_upload_s3_urls"
