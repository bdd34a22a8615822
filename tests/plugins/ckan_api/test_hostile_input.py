"""A hand-made corpus of what schemathesis does not generate, sent to a real server.

Deep nesting, lone surrogates, NUL bytes, lists where text is expected,
huge texts, a bad Host port, oversized bodies, odd methods, path traversal,
odd Range headers and tampered signatures: every answer under ``/api/`` is a
CKAN envelope with a 4xx status, and nothing else breaks.
"""
import json
import socket

import pytest
import requests

from tests.fuzz.envelope import envelope_problem

pytestmark = pytest.mark.sqlite_only


def _raw(url, request_bytes):
    """Send ``request_bytes`` over a plain socket; return ``(status, headers, body)``."""
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request_bytes)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def _post_raw(url, path, body, content_type="application/json", host="127.0.0.1"):
    return _raw(url, (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
                      f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
                      ).encode() + body)


def _assert_envelope(status, body, expected):
    problem = envelope_problem(status, body)
    assert problem is None, problem
    assert status == expected, body[:300]


@pytest.fixture
def owner(make_user, make_circle):
    user = make_user("owner")
    make_circle(user, name="circ")
    return user


def test_deep_nesting_is_400_or_409_never_500(live_server, owner):
    """900+ levels: the JSON decoder gives up (400); 33+ levels: refused on the field (409)."""
    path = "/api/3/action/package_create"
    for depth, expected in ((2000, 400), (100, 409)):
        body = ('{"title": ' + "[" * depth + "]" * depth + "}").encode()
        status, _, answer = _post_raw(live_server, path, body)
        _assert_envelope(status, answer, expected)


@pytest.mark.parametrize("action", ["package_show", "resource_show", "organization_show",
                                    "group_show", "user_show", "member_list", "package_search"])
def test_lone_surrogates_and_nul_are_409(live_server, owner, action):
    key = "q" if action == "package_search" else "id"
    for value in ("\ud800", "abc\udfff", "a\x00b"):
        response = requests.post(f"{live_server}/api/3/action/{action}",
                                 data=json.dumps({key: value}),
                                 headers={"Authorization": owner.token,
                                          "Content-Type": "application/json"})
        _assert_envelope(response.status_code, response.content, 409)
        assert key in response.json()["error"]


def test_surrogates_deep_inside_values_and_keys_are_409(live_server, owner):
    for payload in ({"match": {"id": "x"}, "update": {"notes": "\udc80"}},
                    {"match": {"id": "x"}, "update__resources__0": {"sp:\ud801": 1}}):
        response = requests.post(f"{live_server}/api/3/action/package_revise",
                                 data=json.dumps(payload),
                                 headers={"Authorization": owner.token,
                                          "Content-Type": "application/json"})
        _assert_envelope(response.status_code, response.content, 409)


@pytest.mark.parametrize("action,data,field", [
    ("member_list", {"id": ["a", "b"]}, "id"),
    ("user_show", {"id": ["a", "b"]}, "id"),
    ("api_token_revoke", {"jti": ["x", "y"]}, "jti"),
    ("package_search", {"fq_list": {"a": 1}}, "fq_list"),
    ("user_list", {"q": ["x"]}, "q"),
    ("package_show", {"id": {"nested": 1}}, "id"),
    ("organization_list", {"limit": "many"}, "limit"),
    ("package_create", {"private": "perhaps", "owner_org": "circ"}, "private"),
])
def test_wrong_kinds_are_409_on_the_field(live_server, owner, action, data, field):
    response = requests.post(f"{live_server}/api/3/action/{action}", json=data,
                             headers={"Authorization": owner.token})
    _assert_envelope(response.status_code, response.content, 409)
    assert field in response.json()["error"]


def test_numbers_for_text_are_409_on_the_field(live_server, make_user):
    """``{"fq_list": 5}`` and ``{"q": 5}`` (a sysadmin's user_list) never reach SQL."""
    admin = make_user("root", sysadmin=True)
    for action, data in (("package_search", {"fq_list": 5}), ("user_list", {"q": 5}),
                         ("resource_show", {"id": 42})):
        response = requests.post(f"{live_server}/api/3/action/{action}", json=data,
                                 headers={"Authorization": admin.token})
        _assert_envelope(response.status_code, response.content, 409)
        assert list(data)[0] in response.json()["error"]


def test_huge_query_text_is_409(live_server, owner):
    for action in ("organization_list", "group_list", "user_autocomplete", "tag_list"):
        response = requests.get(f"{live_server}/api/3/action/{action}",
                                params={"q": "x" * 50000},
                                headers={"Authorization": owner.token})
        _assert_envelope(response.status_code, response.content, 409)


def test_bad_host_port_is_400_envelope(live_server):
    for host in ("x:99999", "a b", "x:-1"):
        status, _, body = _raw(live_server, (f"GET /api/3/action/status_show HTTP/1.1\r\n"
                                             f"Host: {host}\r\nConnection: close\r\n\r\n"
                                             ).encode())
        _assert_envelope(status, body, 400)


def test_oversized_bodies_are_413_envelopes(live_server, app):
    app.config["CKAN_API_MAX_BODY"] = 1000
    status, _, body = _post_raw(live_server, "/api/3/action/package_show",
                                json.dumps({"id": "x" * 2000}).encode())
    _assert_envelope(status, body, 413)
    form = b"a=" + b"x" * 600_000  # beyond Werkzeug's 500 kB for form fields
    app.config["CKAN_API_MAX_BODY"] = 10 ** 7
    status, _, body = _post_raw(live_server, "/api/3/action/package_show", form,
                                "application/x-www-form-urlencoded")
    _assert_envelope(status, body, 413)


@pytest.mark.parametrize("method,path,expected", [
    ("PUT", "/api/3/action/package_show", 405),
    ("DELETE", "/api/3/action/package_show", 405),
    ("GET", "/api/3/action/", 404),
    ("GET", "/api/3/nothing-here", 404),
    ("GET", "/api/3/action/../../etc/passwd", 404),
    ("GET", "/api/3/action/%2e%2e%2fsecret_key", 404),
])
def test_odd_methods_and_paths_under_api_are_envelopes(live_server, method, path, expected):
    status, _, body = _raw(live_server, f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        "Connection: close\r\nContent-Length: 0\r\n\r\n".encode())
    _assert_envelope(status, body, expected)


def test_undecodable_multipart_is_an_envelope(live_server, owner):
    status, _, body = _post_raw(live_server, "/api/3/action/package_revise",
                                b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb",
                                "multipart/form-data; boundary=x")
    assert envelope_problem(status, body) is None and 400 <= status < 500


def test_path_traversal_in_file_routes_finds_nothing(live_server, owner, app):
    """Names and ids from the URL never become paths: 404 for anything odd."""
    for path in ("/files/../secret_key/resource", "/files/..%2f..%2fsecret_key/resource",
                 "/dataset/x/resource/../../../secret_key/download/x",
                 "/dataset/x/resource/00000000-0000-4000-8000-000000000000/download/"
                 "..%2f..%2fsecret_key"):
        response = requests.get(live_server + path, headers={"Authorization": owner.token})
        assert response.status_code == 404, path
        assert app.config["SECRET_KEY"].encode() not in response.content


def test_odd_range_headers_and_tampered_signatures(app, live_server, owner, make_dataset,
                                                   make_circle):
    from dcorlite.jobs.queue import drain
    dataset = make_dataset(owner, make_circle(owner, name="ranges"), private=True)
    drain(app)
    basins = requests.get(f"{live_server}/api/3/action/dcserv",
                          params={"id": dataset_resource(dataset), "query": "basins"},
                          headers={"Authorization": owner.token}).json()["result"]
    signed = next(b["urls"][0] for b in basins if b["name"].startswith("resource"))
    for header in ("bytes=-0", "bytes=5-1", "bytes=0-1,3-4", "bytes=99999999999999-",
                   "items=0-1", "bytes=" + "9" * 5000 + "-"):
        response = requests.get(signed, headers={"Range": header})
        assert response.status_code in (200, 206, 416), header
    for tampered in (signed.replace("signature=", "signature=0"),
                     signed.replace("expires=", "expires=1"), signed.split("?")[0]):
        assert requests.get(tampered).status_code == 403, tampered


def dataset_resource(dataset):
    """The id of the (first) resource of ``dataset``."""
    from dcorlite.models import Resource
    return Resource.get(Resource.dataset == dataset).id
