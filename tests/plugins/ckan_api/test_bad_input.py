"""Bad input gets a CKAN error envelope with the right status: never a 500, never a stray file.

Most checks do not depend on the database and run on SQLite only; those
whose values reach SQL run on every database.
"""
import io
import os
import pathlib
import urllib.parse

import pytest
import requests

from dcorlite import signing
from dcorlite.models import Dataset, Group, Resource, Upload

sqlite_only = pytest.mark.sqlite_only

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
DRAFT = "<draft>"  # placeholder in the tables below for the id of the ``owner``'s draft
TYPES = {403: "Authorization Error", 404: "Not Found Error"}


@pytest.fixture
def owner(make_user, make_circle):
    """An editor of circle ``circ`` (which also has a plain ``member``)."""
    user = make_user("owner")
    member = make_user("member")
    make_circle(user, name="circ", members={member: "member"})
    user.member = member
    return user


@pytest.fixture
def draft(api, owner):
    """The id of a draft of ``owner`` in ``circ``."""
    status, body = api("package_create", owner, title="Draft", authors="A",
                       license_id="CC0-1.0", owner_org="circ", private=True)
    assert status == 200, body
    return body["result"]["id"]


@pytest.fixture
def storage_root(app):
    """The folder of the app's local storage."""
    return pathlib.Path(app.config["STORAGE_URL"].split(":", 1)[1])


def _files(folder):
    """Every file below ``folder`` (relative paths), except the database's."""
    return {str(p.relative_to(folder)) for p in pathlib.Path(folder).rglob("*")
            if p.is_file() and not p.name.startswith("dcorlite.sqlite")
            and "instance" not in p.parts}


def _fill(value, draft_id):
    """``value`` with every ``DRAFT`` placeholder replaced by ``draft_id``."""
    if isinstance(value, dict):
        return {k: _fill(v, draft_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, draft_id) for v in value]
    return draft_id if value == DRAFT else value


def _error(body, status):
    """Check the CKAN error envelope and return its ``error`` object."""
    assert isinstance(body, dict), body
    assert body["success"] is False and "help" in body
    if status in TYPES:
        assert body["error"]["__type"] == TYPES[status]
    return body["error"]


# -- request decoding ----------------------------------------------------------------

@sqlite_only
@pytest.mark.parametrize("body,message", [
    (b"{not json", "Bad request - JSON Error: Error decoding JSON data."),
    (b'{"id": "x",}', "Bad request - JSON Error: Error decoding JSON data."),
    (b"\xff\xfe{}", "Bad request - JSON Error: Error decoding JSON data."),
    (b"[1, 2]", "Bad request - JSON Error: Request data JSON decoded to [1, 2] but it "
                "needs to be a dictionary."),
    (b'"package"', "Bad request - JSON Error: Request data JSON decoded to 'package'"),
    (b"42", "Bad request - JSON Error: Request data JSON decoded to 42"),
])
def test_undecodable_body_is_400_json_string(client, owner, body, message):
    """DCOR-Aid turns a JSON string starting with "Bad request" into APIBadRequest."""
    response = client.post("/api/3/action/package_create", data=body,
                           headers={"Authorization": owner.token,
                                    "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.content_type.startswith("application/json")
    text = response.get_json()
    assert isinstance(text, str) and text.startswith(message)
    assert Dataset.select().count() == 0


@sqlite_only
def test_unknown_action_is_400_json_string(client):
    for method in (client.get, client.post):
        response = method("/api/3/action/no_such_action")
        assert response.status_code == 400
        assert response.get_json() == "Bad request - Action name not known: no_such_action"


@sqlite_only
@pytest.mark.parametrize("action", ["package_create", "package_revise", "package_patch",
                                    "dataset_purge", "package_collaborator_create"])
def test_get_on_post_only_action_is_400(client, owner, draft, action):
    """A GET must not change anything, so actions with side effects refuse it."""
    response = client.get(f"/api/3/action/{action}", headers={"Authorization": owner.token},
                          query_string={"id": draft, "title": "via GET", "authors": "A",
                                        "license_id": "CC0-1.0", "owner_org": "circ"})
    assert response.status_code == 400
    assert response.get_json() == ("Bad request - JSON Error: Invalid request. "
                                   "Please use POST method for your request")
    assert [d.title for d in Dataset.select()] == ["Draft"]


# -- wrong types and values ------------------------------------------------------------

NEW = {"title": "x", "authors": "A", "license_id": "CC0-1.0", "owner_org": "circ"}

EXTEND = "update__resources__extend"

WRONG_TYPES = [
    # action                   field with the error  data
    ("package_create",          "authors",          dict(NEW, authors={"first": "A"})),
    ("package_create",          "authors",          dict(NEW, authors=[["A"]])),
    ("package_create",          "private",          dict(NEW, private="maybe")),
    ("package_create",          "title",            dict(NEW, title=["x"])),
    ("package_create",          "license_id",       dict(NEW, license_id={"id": "CC0-1.0"})),
    ("package_create",          "tags",             dict(NEW, tags={"name": "ab"})),
    ("package_create",          "groups",           dict(NEW, groups="some-collection")),
    ("package_create",          "state",            dict(NEW, state=["draft"])),
    ("package_patch",           "private",          {"id": DRAFT, "private": "maybe"}),
    ("package_patch",           "notes",            {"id": DRAFT, "notes": {"a": 1}}),
    ("package_revise",          "match",            {"match": [DRAFT]}),
    ("package_revise",          "update",           {"match": {"id": DRAFT}, "update": "x"}),
    ("package_revise",          EXTEND,             {"match__id": DRAFT, EXTEND: "new.txt"}),
    ("package_revise",          EXTEND,             {"match__id": DRAFT, EXTEND: ["new.txt"]}),
    ("package_revise",          "authors",          {"match__id": DRAFT,
                                                     "update__authors": {"a": 1}}),
    ("package_show",            "id",               {"id": [DRAFT]}),
    ("package_show",            "id",               {"id": {"id": DRAFT}}),
    ("resource_show",           "id",               {"id": 42}),
    ("package_search",          "rows",             {"rows": -1}),
    ("package_search",          "rows",             {"rows": "abc"}),
    ("package_search",          "rows",             {"rows": 2.5}),
    ("package_search",          "start",            {"start": -10}),
    ("package_search",          "q",                {"q": {"text": "x"}}),
    ("package_search",          "include_private",  {"include_private": "maybe"}),
    ("package_search",          "include_drafts",   {"include_drafts": [True]}),
    ("package_list",            "limit",            {"limit": "ten"}),
    ("package_list",            "offset",           {"offset": float("inf")}),
    ("tag_list",                "query",            {"query": ["ab"]}),
    ("resource_upload_s3_urls", "organization_id",  {"organization_id": ["circ"],
                                                     "file_size": 10}),
]


@sqlite_only
@pytest.mark.parametrize("action,field,data", WRONG_TYPES)
def test_wrong_type_is_409_on_the_field(api, owner, draft, action, field, data):
    status, body = api(action, owner, **_fill(data, draft))
    assert status == 409, body
    error = _error(body, status)
    assert error["__type"] == "Validation Error"
    assert isinstance(error[field], list) and error[field]
    assert [d.title for d in Dataset.select()] == ["Draft"]
    assert Dataset.get_by_id(draft).notes == ""


@pytest.mark.parametrize("action,data,field", [
    ("package_search", {"start": 2 ** 70}, "start"),
    ("package_search", {"rows": 10, "start": 1e30}, "start"),
    ("package_list", {"limit": 2 ** 64}, "limit"),
    ("package_list", {"offset": 2 ** 64}, "offset"),
    ("organization_list", {"limit": 2 ** 70}, "limit"),
])
def test_integers_beyond_the_database_range_are_409(api, owner, action, data, field):
    """Numbers too large for SQL are refused before they reach the database."""
    status, body = api(action, owner, **data)
    assert status == 409, body
    assert _error(body, status)[field]


def test_too_many_rows_are_capped(api, owner, make_dataset):
    """``rows`` beyond 1000 is capped silently, as in CKAN."""
    dataset = make_dataset(owner, Group.get(Group.name == "circ"))
    status, body = api("package_search", owner, rows=2 ** 70)
    assert status == 200, body
    assert [d["id"] for d in body["result"]["results"]] == [dataset.id]


def test_unknown_and_malformed_ids_are_404(api, owner, draft):
    """Unknown ids, also ones that are no uuid, are 404 "Not Found Error" (also on SQL)."""
    resource_ids = [UNKNOWN_ID, "not-a-uuid", "../../etc/passwd", "x" * 2000, "ä' OR 1=1 --"]
    for rid in resource_ids:
        for action, data in [("package_show", {"id": rid}), ("resource_show", {"id": rid}),
                             ("package_patch", {"id": rid, "notes": "x"}),
                             ("package_revise", {"match": {"id": rid},
                                                 "update": {"notes": "x"}}),
                             ("resource_patch", {"id": rid, "description": "x"}),
                             ("package_delete", {"id": rid})]:
            status, body = api(action, owner, **data)
            assert status == 404, (action, rid, body)
            assert _error(body, status)["message"].startswith("Not found")
    status, body = api("package_show", owner, id=draft)
    assert status == 200 and body["result"]["notes"] == ""


# -- resource names --------------------------------------------------------------------

def _s3_upload(client, user, content, circle="circ"):
    """Upload ``content`` through the signed URL and return the upload id."""
    status, body = _api_get(client, "resource_upload_s3_urls", user,
                            organization_id=circle, file_size=len(content))
    assert status == 200, body
    (url,) = body["result"]["upload_urls"]
    response = client.put(url, data=content)
    assert response.status_code == 200
    return body["result"]["resource_id"]


def _api_get(client, name, user, **params):
    response = client.get(f"/api/3/action/{name}", query_string=params,
                          headers={"Authorization": user.token} if user else {})
    return response.status_code, response.get_json()


def _attach(api, user, draft_id, upload_id, name):
    return api("package_revise", user, match={"id": draft_id},
               update__resources__extend=[{"id": upload_id, "name": name}])


PATH_NAMES = ["../x.rtdc", "a/b.rtdc", ".hidden.rtdc", "../../outside.txt", "..\\win.txt",
              "/abs.txt"]


@sqlite_only
@pytest.mark.parametrize("name", PATH_NAMES)
def test_path_like_name_of_s3_upload_is_409(api, client, owner, draft, name, tmp_path,
                                            storage_root):
    upload_id = _s3_upload(client, owner, b"content")
    before = _files(tmp_path)
    status, body = _attach(api, owner, draft, upload_id, name)
    assert status == 409, body
    assert "name" in _error(body, status)["resources"][0]  # CKAN: one dict per position
    assert _files(tmp_path) == before
    assert not Resource.select().exists()
    assert Upload.get_by_id(upload_id).complete  # still there, can be attached under a good name
    status, body = _attach(api, owner, draft, upload_id, "good.txt")
    assert status == 200, body
    assert not any(base.joinpath(name).exists()
                   for base in (storage_root, storage_root / "uploads", pathlib.Path.cwd()))


@sqlite_only
@pytest.mark.parametrize("name", PATH_NAMES)
def test_path_like_name_of_multipart_upload_is_409(client, owner, draft, name, tmp_path):
    """The legacy upload: the file name comes from the multipart part."""
    before = _files(tmp_path)
    response = client.post("/api/3/action/package_revise",
                           headers={"Authorization": owner.token},
                           content_type="multipart/form-data",
                           data={"match__id": draft, "update__resources__extend": "[{}]",
                                 "update__resources__-1__upload": (io.BytesIO(b"x"), name)})
    assert response.status_code == 409, response.get_json()
    assert "name" in _error(response.get_json(), 409)["resources"][0]
    assert _files(tmp_path) == before
    assert not Resource.select().exists() and not Upload.select().exists()


# -- upload URLs and the upload endpoint ----------------------------------------------

@sqlite_only
@pytest.mark.parametrize("file_size", [
    pytest.param(2 ** 41, id="2TiB"), pytest.param(10 ** 400, id="10**400"), "1e400", "inf",
    0, -1, "-5", "abc", "nan", ""])
def test_bad_file_size_is_409(client, owner, file_size, tmp_path):
    before = _files(tmp_path)
    status, body = _api_get(client, "resource_upload_s3_urls", owner,
                            organization_id="circ", file_size=file_size)
    assert status == 409, body
    assert _error(body, status)["file_size"]
    assert not Upload.select().exists()
    assert _files(tmp_path) == before


@sqlite_only
def test_upload_needs_write_role_in_circle(client, owner):
    for user in (owner.member, None):
        status, body = _api_get(client, "resource_upload_s3_urls", user,
                                organization_id="circ", file_size=10)
        assert status == 403, body
        assert _error(body, status)["message"].startswith("Access denied")
    assert not Upload.select().exists()


def _signed_url(client, user, size):
    status, body = _api_get(client, "resource_upload_s3_urls", user,
                            organization_id="circ", file_size=size)
    assert status == 200, body
    return body["result"]["upload_urls"][0], body["result"]["resource_id"]


def _assert_s3_error(response, status, code):
    assert response.status_code == status
    assert response.mimetype == "application/xml"
    assert f"<Code>{code}</Code>" in response.get_data(as_text=True)


@sqlite_only
@pytest.mark.parametrize("truncation", ["short content-length", "body shorter than header"])
def test_truncated_upload_stays_incomplete(api, client, owner, draft, truncation):
    content = os.urandom(1000)
    url, upload_id = _signed_url(client, owner, len(content))
    if truncation == "short content-length":
        response = client.put(url, data=content[:600])
        _assert_s3_error(response, 400, "InvalidArgument")
    else:  # the client promised all bytes, then the connection broke
        response = client.put(url, input_stream=io.BytesIO(content[:600]),
                              environ_overrides={"CONTENT_LENGTH": str(len(content))})
        _assert_s3_error(response, 400, "IncompleteBody")
    assert Upload.get_by_id(upload_id).complete is False
    status, body = _attach(api, owner, draft, upload_id, "data.txt")
    assert status == 403, body
    assert "not available" in _error(body, status)["message"]
    # the same signed URL still accepts the whole file
    assert client.put(url, data=content).status_code == 200
    assert _attach(api, owner, draft, upload_id, "data.txt")[0] == 200
    download = client.get(f"/dataset/{draft}/resource/{upload_id}/download/data.txt",
                          headers={"Authorization": owner.token})
    assert download.data == content


def _tamper(url, how, other_path):
    path, _, query = url.partition("?")
    path = urllib.parse.urlsplit(path).path
    params = dict(urllib.parse.parse_qsl(query))
    if how == "signature":
        params["signature"] = ("0" if params["signature"][0] != "0" else "1") \
            + params["signature"][1:]
    elif how == "expires":
        params["expires"] = str(int(params["expires"]) + 3600)
    elif how == "expired":
        return f"{path}?{signing.sign('upload', 'PUT', path, {}, -1)}"
    elif how == "unsigned":
        params = {}
    elif how == "part number":
        params["partNumber"] = "2"
    elif how == "other upload":
        path = other_path
    return f"{path}?{urllib.parse.urlencode(params)}"


@sqlite_only
@pytest.mark.parametrize("how", ["signature", "expires", "expired", "unsigned", "part number",
                                 "other upload"])
def test_tampered_or_expired_upload_url_is_403(client, owner, storage_root, how):
    url, _ = _signed_url(client, owner, 10)
    other_url, _ = _signed_url(client, owner, 10)
    bad = _tamper(url, how, urllib.parse.urlsplit(other_url).path)
    _assert_s3_error(client.put(bad, data=b"0123456789"), 403, "AccessDenied")
    _assert_s3_error(client.post(bad, data=b"<CompleteMultipartUpload/>"), 403,
                     "AccessDenied")
    assert not any(u.complete for u in Upload.select())
    assert not (storage_root / "uploads").exists() or not any(
        (storage_root / "uploads").iterdir())


# -- search syntax ---------------------------------------------------------------------

@sqlite_only
@pytest.mark.parametrize("params,status,error_type", [
    ({"q": "(cells"}, 409, "Search Error"),
    ({"q": "cells)"}, 409, "Search Error"),
    ({"fq": "organization:(circ"}, 409, "Search Error"),
    ({"fq": "(organization:circ OR groups:x"}, 409, "Search Error"),
    ({"q": '"unterminated phrase'}, 409, "Search Error"),
    ({"fq": "no_such_field:x"}, 409, "Search Error"),
    ({"fq": "metadata_modified:[yesterday TO NOW]"}, 409, "Search Error"),
    ({"fq": "metadata_modified:[NOW-99999999999DAYS TO NOW]"}, 409, "Search Error"),
    ({"fq": "metadata_created:[NOW-9999999DAYS TO *]"}, 409, "Search Error"),
    ({"fq": "metadata_created:[0001-01-01T00:00:00+01:00 TO *]"}, 409, "Search Error"),
    ({"sort": "no_such_field desc"}, 400, "Search Query Error"),
    ({"sort": "metadata_modified"}, 400, "Search Query Error"),
    ({"sort": "name sideways"}, 400, "Search Query Error"),
    ({"no_such_param": "1"}, 400, "Search Query Error"),
    ({"facet.field": "[organization"}, 409, "Validation Error"),
    ({"facet.field": '{"organization": 1}'}, 409, "Validation Error"),
    ({"facet.field": '["no_such_field"]'}, 409, "Search Error"),
])
def test_bad_search_is_an_error_envelope(client, owner, draft, params, status, error_type):
    """DCOR-Aid sends searches with GET; mistakes there are 400/409, never 500."""
    got, body = _api_get(client, "package_search", owner, include_drafts="True",
                         include_private="True", **params)
    assert got == status, body
    assert _error(body, status)["__type"] == error_type
    if "facet.field" in params and error_type == "Validation Error":
        assert body["error"]["facet.field"]
    # the draft itself is found by a good query
    assert _api_get(client, "package_search", owner, include_drafts="True",
                    include_private="True", q="Draft")[1]["result"]["count"] == 1


# -- status lines on a real server -----------------------------------------------------

@sqlite_only
def test_reason_phrases_dcoraid_matches(live_server, owner, draft):
    """DCOR-Aid maps errors by ``response.reason``, case-sensitively."""
    api_url = f"{live_server}/api/3/action"
    token = {"Authorization": owner.token}
    cases = [
        (requests.get(f"{api_url}/package_show", params={"id": UNKNOWN_ID}, timeout=10),
         404, "NOT FOUND"),
        (requests.post(f"{api_url}/package_create", headers=token, timeout=10,
                       json={"title": "x", "license_id": "CC0-1.0", "owner_org": "circ"}),
         409, "CONFLICT"),
        (requests.get(f"{api_url}/package_show", params={"id": draft}, timeout=10),
         403, "FORBIDDEN"),
        (requests.get(f"{api_url}/no_such_action", timeout=10), 400, "BAD REQUEST"),
    ]
    for response, status, reason in cases:
        assert (response.status_code, response.reason) == (status, reason), response.text
        assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    assert cases[1][0].json()["error"]["authors"] == ["Missing value"]
    download = requests.get(f"{live_server}/dataset/{draft}/resource/{UNKNOWN_ID}/download/x",
                            timeout=10)
    assert (download.status_code, download.reason) == (404, "NOT FOUND")
