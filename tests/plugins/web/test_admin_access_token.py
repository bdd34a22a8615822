"""Sysadmins issue encrypted access tokens from the browser; dclab reads what they get."""
import base64
import html as html_lib
import re

import pytest
from dclab.rtdc_dataset.fmt_dcor import access_token

from dcorlite import tls
from dcorlite.models import ApiToken
from dcorlite.plugins.tokens import logic
from tests.plugins.web.conftest import csrf_token, login

pytestmark = pytest.mark.sqlite_only
PAGE = "/admin/access-token"


@pytest.fixture
def certificate(app, cli_runner):
    assert cli_runner("certs", "create", "--hostname", "dcor.clinic.example").exit_code == 0
    with open(tls.cert_path(app), "rb") as fh:
        return fh.read()


def issue(client, user, **fields):
    return client.post(PAGE, data={"user": user.name, "expires": "90d",
                                   "csrf_token": csrf_token(client, PAGE), **fields})


def downloaded(page, tmp_path):
    """The file behind the page's download link, written to ``tmp_path``."""
    match = re.search(r'href="data:application/octet-stream;base64,([^"]+)" '
                      r'download="([^"]+)"', page)
    assert match, "no download link"
    path = tmp_path / html_lib.unescape(match.group(2))
    path.write_bytes(base64.b64decode(match.group(1)))
    return path


def whoami(client, token):
    body = client.get("/api/3/action/user_show", query_string={"id": "member"},
                      headers={"Authorization": token}).get_json()
    return body["result"].get("email") if body["success"] else None


def test_generated_password_is_shown_once_and_opens_the_file(app, client, site, certificate,
                                                             tmp_path):
    login(client, site["admin"])
    response = issue(client, site["member"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    password = re.search(r'<code id="access-password" class="token">([^<]+)</code>',
                         page).group(1)
    path = downloaded(page, tmp_path)
    assert path.name == "member.dcor-access"
    token = access_token.get_api_key(path, password)
    assert access_token.get_hostname(path, password) == "dcor.clinic.example"
    assert access_token.get_certificate(path, password).endswith(certificate)
    assert whoami(client.application.test_client(), token) == "member@example.org"
    assert logic.expires_at(logic.find_token(token)) is not None
    # nothing of it is shown again
    again = client.get(PAGE).get_data(as_text=True)
    assert password not in again and "base64," not in again


def test_a_chosen_password_is_not_echoed(client, site, certificate, tmp_path):
    login(client, site["admin"])
    page = issue(client, site["member"], password="our own secret 7",
                 expires="never").get_data(as_text=True)
    assert "our own secret 7" not in page and "access-password" not in page
    token = access_token.get_api_key(downloaded(page, tmp_path), "our own secret 7")
    assert logic.expires_at(logic.find_token(token)) is None


def test_the_users_page_links_each_account_to_the_form(client, site, certificate):
    login(client, site["admin"])
    users = client.get("/admin/users").get_data(as_text=True)
    assert f'href="{PAGE}?user=member"' in users
    form = client.get(f"{PAGE}?user=member").get_data(as_text=True)
    assert '<option selected value="member">' in form


def test_without_a_certificate_the_page_says_how_to_make_one(client, site):
    login(client, site["admin"])
    page = client.get(PAGE).get_data(as_text=True)
    assert "dcorlite certs create" in page and "disabled>" in page
    response = issue(client, site["member"])
    assert response.status_code == 409
    assert "base64," not in response.get_data(as_text=True)


def test_refused_to_others_and_without_csrf(app, client, site, certificate):
    login(client, site["owner"])
    assert client.get(PAGE).status_code == 403
    response = client.post(PAGE, data={"user": "member", "expires": "90d",
                                       "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403
    admin = app.test_client()
    login(admin, site["admin"])
    assert admin.post(PAGE, data={"user": "member", "expires": "90d"}).status_code == 400
    assert not ApiToken.select().where(ApiToken.name == "dcor-access").exists()


def test_the_action_is_for_sysadmins_only(client, site, certificate, tmp_path):
    def call(caller, **data):
        response = client.post("/api/3/action/dcor_access_create", json=data,
                               headers={"Authorization": caller.token})
        return response.status_code, response.get_json()
    status, body = call(site["owner"], user="member")
    assert status == 403 and body["error"]["__type"] == "Authorization Error"
    status, body = call(site["admin"], user="member", expires="1y")
    assert status == 409 and "expires" in body["error"]
    status, body = call(site["admin"], user="member", expires="4w")
    assert status == 200
    result = body["result"]
    path = tmp_path / result["filename"]
    path.write_bytes(base64.b64decode(result["content"]))
    assert access_token.get_api_key(path, result["password"]).split(".")[0] == \
        result["token_id"]
