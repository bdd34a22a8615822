"""dcorlite behind real nginx with its own self-signed certificate, as the README sets it up.

The clients trust only the instance's certificate: DCOR-Aid pins it
(``ssl_verify``), dclab finds it in its certificate folder for API calls and
in ``REQUESTS_CA_BUNDLE`` for basins (docs/deployment.md).
"""
import hashlib
import json
import shutil
import socket
import ssl
import subprocess

import dclab
import h5py
import numpy as np
import pytest
import requests
from dcoraid.api import CKANAPI, dataset_activate, dataset_create
from dcoraid.api.dataset import resource_add
from dcoraid.download.job import DownloadJob
from dclab.rtdc_dataset.fmt_dcor import DCOR_CERTS_SEARCH_PATHS
from dclab.http_utils import ConnectionTimeoutWarning
from dclab.rtdc_dataset.fmt_dcor.api import APIHandler

pytestmark = pytest.mark.sqlite_only

URL_PREFIXES = ("http://", "https://")


def absolute_urls(value):
    """Every string in a JSON value that is an absolute URL."""
    if isinstance(value, dict):
        return [u for v in value.values() for u in absolute_urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in absolute_urls(v)]
    return [value] if isinstance(value, str) and value.startswith(URL_PREFIXES) else []


def install_certificate_for_dclab(cert, netloc, folder, monkeypatch):
    """The steps of docs/deployment.md ("dclab and DCscope"), trusting only ``cert``.

    The bundle for basins is the certificate alone here (the docs add certifi's
    CAs for other sites), so that nothing else could have verified the server.
    """
    folder.mkdir()
    (folder / f"{netloc}.cert").write_bytes(cert.read_bytes())
    DCOR_CERTS_SEARCH_PATHS.append(str(folder))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(folder / f"{netloc}.cert"))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    return folder


def test_dcoraid_and_dclab_through_nginx(behind_nginx, rtdc_path, tmp_path, monkeypatch):
    b, served = behind_nginx, behind_nginx.served
    verify = str(b.cert)
    api = CKANAPI(b.url, api_key=served.tokens["alice"], ssl_verify=verify)
    # without the pinned certificate nothing works
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(b.url + "/api/3/action/status_show", verify=True, timeout=10)
    status = api.get("status_show")
    ds = dataset_create({"title": "Behind nginx", "authors": "Alice", "license_id": "CC0-1.0",
                         "owner_org": served.circle["name"], "private": True}, api=api)
    # a self-signed certificate: no upload URLs, so DCOR-Aid uses package_revise
    assert requests.get(b.url + "/api/3/action/resource_upload_s3_urls", verify=verify,
                        headers={"Authorization": served.tokens["alice"]},
                        params={"organization_id": served.circle["id"], "file_size": 10},
                        timeout=10).status_code == 400
    resource_add(ds["id"], rtdc_path, api=api)
    dataset_activate(ds["id"], api=api)
    rid = api.get("package_show", id=ds["id"])["resources"][0]["id"]
    # the condensed copy is waited for by its route; DCOR-Aid downloads it and the original
    downloaded = {}
    for condensed in (True, False):
        (tmp_path / f"dl-{condensed}").mkdir()
        job = DownloadJob(api, rid, tmp_path / f"dl-{condensed}", condensed=condensed)
        job.task_download_resource()
        job.task_verify_resource()
        assert job.state == "done", job.traceback
        downloaded[condensed] = job.path
    assert downloaded[False].read_bytes() == rtdc_path.read_bytes()
    condensed_file = downloaded[True]
    assert condensed_file.name.endswith("_condensed.rtdc")
    with h5py.File(condensed_file) as h5:
        stored = json.dumps([h5["basins"][k][()].tolist() for k in h5.get("basins", {})],
                            default=lambda x: x.decode() if isinstance(x, bytes) else str(x))
    assert served.url.split("//")[1] not in stored and "127.0.0.1" not in stored, \
        "no URL from a request may be written into a stored file"

    answers = [status, api.get("package_show", id=ds["id"]),
               api.get("resource_show", id=rid),
               api.get("package_search", q="*:*", include_private=True),
               api.get("dcserv", id=rid, query="basins")]
    urls = [u for answer in answers for u in absolute_urls(answer)]
    assert status["site_url"] == b.url
    assert len([u for u in urls if "/files/" in u]) >= 2  # both basins
    wrong = [u for u in urls if not u.startswith(b.url + "/")
             and u != b.url and not u.startswith("https://dcor.mpl.mpg.de")
             and "creativecommons" not in u and "opendefinition" not in u]
    assert not wrong, wrong

    APIHandler.api_keys.clear()
    # not installed yet: dclab checks against certifi's CAs (and gives up after retries)
    with pytest.raises(requests.exceptions.ReadTimeout), \
            pytest.warns(ConnectionTimeoutWarning, match="CERTIFICATE_VERIFY_FAILED"):
        dclab.new_dataset(rid, host=b.netloc, api_key=served.tokens["alice"])
    folder = install_certificate_for_dclab(b.cert, b.netloc, tmp_path / "dclab-certs",
                                           monkeypatch)
    APIHandler.api_keys.clear()
    try:
        with dclab.new_dataset(rid, host=b.netloc, api_key=served.tokens["alice"]) as remote, \
                dclab.new_dataset(rtdc_path) as local:
            assert remote.path.startswith(b.url)
            assert np.allclose(remote["deform"], local["deform"], equal_nan=True)
            assert np.allclose(remote["volume"], local["volume"], equal_nan=True)
            assert np.array_equal(remote["image"][1], local["image"][1])
            assert np.array_equal(remote["mask"][0], local["mask"][0])
    finally:
        APIHandler.api_keys.clear()
        DCOR_CERTS_SEARCH_PATHS.remove(str(folder))


def _get(b, path, **kwargs):
    kwargs.setdefault("timeout", 30)
    return requests.get(b.url + path, verify=str(b.cert), allow_redirects=False, **kwargs)


def test_nginx_routes_redirects_and_file_bytes(behind_nginx, rtdc_path):
    b, served = behind_nginx, behind_nginx.served
    token = served.tokens["alice"]
    api = CKANAPI(b.url, api_key=token, ssl_verify=str(b.cert))
    ds = dataset_create({"title": "Files", "authors": "Alice", "license_id": "CC0-1.0",
                         "owner_org": served.circle["name"], "private": True}, api=api)
    resource_add(ds["id"], rtdc_path, api=api)
    res = api.get("package_show", id=ds["id"])["resources"][0]
    content = rtdc_path.read_bytes()
    auth = {"Authorization": token}
    path = res["url"][len(b.url):]

    # X-Accel-Redirect: nginx sends the bytes, with Range, and dcorlite's headers
    whole = _get(b, path, headers=auth)
    assert whole.status_code == 200 and whole.content == content
    assert "X-Accel-Redirect" not in whole.headers
    assert "Last-Modified" in whole.headers  # nginx's, from the file: dcorlite sends none
    assert whole.headers["ETag"] == f'"{res["etag"]}"'
    assert whole.headers["Content-Disposition"] == f'attachment; filename="{res["name"]}"'
    part = _get(b, path, headers=dict(auth, Range="bytes=1000-1999"))
    assert part.status_code == 206 and part.content == content[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(content)}"
    tail = _get(b, path, headers=dict(auth, Range="bytes=-100"))
    assert tail.status_code == 206 and tail.content == content[-100:]
    assert _get(b, path, headers=dict(auth, Range=f"bytes={len(content)}-")).status_code == 416
    # If-Range (dcorlite answers it itself), If-None-Match and HEAD
    stale = _get(b, path, headers=dict(auth, Range="bytes=0-9", **{"If-Range": '"other"'}))
    assert stale.status_code == 200 and stale.content == content
    fresh = _get(b, path, headers=dict(auth, Range="bytes=0-9",
                                       **{"If-Range": whole.headers["ETag"]}))
    assert fresh.status_code == 206 and fresh.content == content[:10]
    assert _get(b, path, headers=dict(auth, **{"If-None-Match": whole.headers["ETag"]})
                ).status_code == 304
    head = requests.head(b.url + path, headers=auth, verify=str(b.cert), timeout=30)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(content))
    # authorisation stays with dcorlite: no token, no file; the internal location is closed
    assert _get(b, path).status_code == 404
    assert _get(b, "/_dcorlite_files/resource/" + res["id"][:3]).status_code == 404
    # condensed copy, preview and the signed basin URLs go the same way
    prefix = f"/dataset/{ds['id']}/resource/{res['id']}"
    condensed = _get(b, prefix + "/condensed.rtdc", headers=auth)
    assert condensed.status_code == 200 and condensed.content[:8] == b"\x89HDF\r\n\x1a\n"
    preview = _get(b, prefix + "/preview.jpg", headers=auth)
    assert preview.status_code == 200 and preview.content[:3] == b"\xff\xd8\xff"
    assert preview.headers["Content-Type"] == "image/jpeg"
    basins = api.get("dcserv", id=res["id"], query="basins")
    original_basin = [x for x in basins if x["name"].startswith("resource")][0]
    ranged = requests.get(original_basin["urls"][0], headers={"Range": "bytes=0-99"},
                          verify=str(b.cert), timeout=30)
    assert ranged.status_code == 206 and ranged.content == content[:100]
    assert hashlib.md5(_get(b, original_basin["urls"][0][len(b.url):]).content
                       ).hexdigest() == res["etag"]

    # HTTP → HTTPS, short citation URLs, bots, unknown names
    plain = requests.get(b.http_url + "/api/3/action/status_show", allow_redirects=False,
                         timeout=10)
    assert plain.status_code == 301
    assert plain.headers["Location"] == b.url + "/api/3/action/status_show"
    short = _get(b, "/" + ds["id"])
    assert short.status_code == 301
    assert short.headers["Location"] == f"{b.url}/dataset/{ds['id']}"
    for probe in ("/wp-login.php", "/.env", "/.git/config", "/phpmyadmin/index.php"):
        assert _get(b, probe).status_code == 404, probe
    with pytest.raises(requests.exceptions.ConnectionError):
        _get(b, "/api/3/action/status_show", headers={"Host": "other.example"})


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_http2_and_tls_versions(behind_nginx):
    """HTTP/2 is offered by ALPN, and TLS 1.2 clients are still served."""
    b = behind_nginx
    http2 = subprocess.run(["curl", "-sS", "--http2", "--cacert", str(b.cert), "-o",
                            "/dev/null", "-w", "%{http_version}",
                            b.url + "/api/3/action/status_show"],
                           capture_output=True, text=True, timeout=30)
    assert http2.stdout == "2", http2.stderr
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(str(b.cert))
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", b.https_port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
        assert sock.version() == "TLSv1.2"


def test_uploads_are_not_spooled_by_nginx(behind_nginx):
    """Upload bodies go straight through nginx; other large bodies are buffered.

    nginx warns "a client request body is buffered to a temporary file" for
    every body it spools to disk; an upload PUT must not cause one.
    """
    b = behind_nginx
    body = b"\0" * (4 * 2 ** 20)
    put = requests.put(b.url + "/uploads/00000000-0000-4000-8000-000000000000?partNumber=1",
                       data=body, verify=str(b.cert), timeout=60)
    assert put.status_code == 403  # unsigned; but it reached dcorlite
    assert "buffered to a temporary file" not in b.nginx.log_tail(1000)
    requests.post(b.url + "/api/3/action/status_show", data=body, verify=str(b.cert),
                  timeout=60)
    assert "buffered to a temporary file" in b.nginx.log_tail(1000)
