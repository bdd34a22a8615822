"""Logging in and out, session cookies, CSRF, login throttling, API tokens."""
import re

import pytest

from dcorlite import users
from tests.plugins.web.conftest import PASSWORD, csrf_token, login

# sessions and forms do not depend on the database
pytestmark = pytest.mark.sqlite_only


def _download_url(dataset):
    res = dataset.resources[0]
    return f"/dataset/{dataset.id}/resource/{res.id}/download/{res.name}"


def test_login_starts_a_session_with_safe_cookie_flags(client, site):
    response = login(client, site["member"])
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")][-1]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/").get_data(as_text=True)
    assert "Member" in page and "Log out" in page


def test_session_cookie_is_secure_over_https(app, site):
    client = app.test_client()
    token = csrf_token(client, "https://localhost/user/login")
    # over HTTPS, Flask-WTF also wants the form posted from this site
    refused = client.post("https://localhost/user/login", data={
        "name": "member", "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://evil.example/"})
    assert refused.status_code == 400
    response = client.post("https://localhost/user/login", data={
        "name": "member", "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/user/login"})
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")][-1]
    assert "Secure" in cookie


def test_wrong_password_and_unknown_user_are_refused_alike(client, site):
    wrong = client.post("/user/login", data={"name": "member", "password": "nope-nope",
                                             "csrf_token": csrf_token(client)})
    unknown = client.post("/user/login", data={"name": "ghost", "password": "nope-nope",
                                               "csrf_token": csrf_token(client)})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong user name or password" in response.get_data(as_text=True)
    assert "Log out" not in client.get("/").get_data(as_text=True)


def test_login_without_csrf_token_is_rejected(client, site):
    client.get("/user/login")
    response = client.post("/user/login", data={"name": "member", "password": PASSWORD})
    assert response.status_code == 400
    assert "Log out" not in client.get("/").get_data(as_text=True)


def test_login_is_throttled_per_account(app, site):
    app.extensions["dcorlite"]["web_throttle"].limits["account"] = 3
    attacker = app.test_client()
    for _ in range(3):
        assert login(attacker, site["member"], "wrong-password").status_code == 401
    # now even the right password is refused for this account, from anywhere …
    assert login(app.test_client(), site["member"]).status_code == 429
    # … but other accounts still log in
    assert login(app.test_client(), site["owner"]).status_code == 302


def test_login_is_throttled_per_address(app, site):
    app.extensions["dcorlite"]["web_throttle"].limits["ip"] = 2
    client = app.test_client()
    login(client, site["owner"], "wrong-password")
    login(client, site["outsider"], "wrong-password")
    assert login(client, site["member"]).status_code == 429
    other = app.test_client()
    other_env = {"REMOTE_ADDR": "10.0.0.9"}
    token = csrf_token(other)
    assert other.post("/user/login", data={"name": "member", "password": PASSWORD,
                                           "csrf_token": token},
                      environ_base=other_env).status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_login_never_redirects_off_site(client, site, target):
    response = client.post("/user/login", data={"name": "member", "password": PASSWORD,
                                                "next": target,
                                                "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_login_returns_to_the_page_asked_for(client, site):
    response = client.post("/user/login", data={"name": "member", "password": PASSWORD,
                                                "next": "/dataset?q=blood",
                                                "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/dataset?q=blood"


def test_logout_needs_post_with_csrf(client, site):
    login(client, site["member"])
    assert client.get("/user/logout").status_code == 405
    client.post("/user/logout")  # no token: still logged in
    assert "Log out" in client.get("/").get_data(as_text=True)
    client.post("/user/logout", data={"csrf_token": csrf_token(client, "/")})
    assert "Log out" not in client.get("/").get_data(as_text=True)


def test_session_authorises_downloads_of_private_data(client, site):
    url = _download_url(site["private"])
    assert client.get(url).status_code == 404
    login(client, site["member"])
    response = client.get(url)
    assert response.status_code == 200 and len(response.data) == site["private"].resources[0].size
    client.post("/user/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get(url).status_code == 404


def test_session_does_not_authorise_changes_through_the_api(client, site):
    login(client, site["owner"])
    response = client.post("/api/3/action/package_patch",
                           json={"id": site["draft"].id, "title": "Changed by another site"})
    assert response.status_code == 403
    shown = client.get(f"/api/3/action/package_show?id={site['draft'].id}").get_json()
    assert shown["result"]["title"] == "Draft in progress"  # but the session reads


def test_password_change_ends_sessions(client, site):
    login(client, site["member"])
    users.set_password(site["member"], "a new long password")
    assert "Log out" not in client.get("/").get_data(as_text=True)


def test_tokens_page_needs_login(client, site):
    response = client.get("/user/tokens")
    assert response.status_code == 302 and "/user/login?next=/user/tokens" in response.headers["Location"]


def test_create_list_and_revoke_a_token(app, client, site):
    login(client, site["member"])
    token = csrf_token(client, "/user/tokens")
    created = client.post("/user/tokens", data={"name": "lab PC", "csrf_token": token})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    text = re.search(r'<code id="new-token" class="token">([^<]+)</code>', html).group(1)
    # the token works for the API, and is not shown again
    ok = client.get("/api/3/action/api_token_list", headers={"Authorization": text},
                    query_string={"user_id": "member"}).get_json()
    names = [t["name"] for t in ok["result"]]
    assert "lab PC" in names
    again = client.get("/user/tokens").get_data(as_text=True)
    assert "lab PC" in again and text not in again
    jti = next(t["id"] for t in ok["result"] if t["name"] == "lab PC")
    revoked = client.post("/user/tokens/revoke", data={"token_id": jti,
                                                       "csrf_token": csrf_token(client, "/user/tokens")})
    assert revoked.status_code == 302
    assert app.test_client().get("/api/3/action/api_token_list", headers={"Authorization": text},
                      query_string={"user_id": "member"}).status_code == 403


def test_token_forms_reject_missing_csrf(client, site):
    login(client, site["member"])
    assert client.post("/user/tokens", data={"name": "x"}).status_code == 400
    assert "x" not in [t.name for t in site["member"].tokens if t.name == "x"]
    jti = site["member"].tokens[0].id
    assert client.post("/user/tokens/revoke", data={"token_id": jti}).status_code == 400


def test_nobody_revokes_another_users_token(client, site):
    login(client, site["outsider"])
    jti = site["member"].tokens[0].id
    response = client.post("/user/tokens/revoke", data={
        "token_id": jti, "csrf_token": csrf_token(client, "/user/tokens")})
    assert response.status_code == 403
    assert site["member"].tokens.count() == 1


def test_no_self_registration(client):
    assert client.get("/user/register").status_code == 404


def test_profile_page(client, site):
    assert client.get("/user").status_code == 302
    login(client, site["owner"])
    html = client.get("/user").get_data(as_text=True)
    assert "<h1>Owner</h1>" in html and "owner@example.org" in html
    assert 'href="/circle/lab"' in html and "(admin)" in html
