"""The users page of sysadmins: list, create, reset a password; refused to others."""
import pytest

from dcorlite.models import User
from dcorlite.users import verify_password
from tests.plugins.web.conftest import PASSWORD, csrf_token, login

pytestmark = pytest.mark.sqlite_only


def test_sysadmin_creates_a_user_who_can_log_in(app, client, site):
    login(client, site["admin"])
    html = client.get("/admin/users").get_data(as_text=True)
    assert "(member)" in html and "(outsider)" in html and 'href="/admin/users"' in html
    response = client.post("/admin/users", data={
        "name": "nurse2", "email": "nurse2@example.org", "fullname": "Nurse Two",
        "password": "long enough password", "csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 302
    newcomer = app.test_client()
    assert login(newcomer, User.get(User.name == "nurse2"), "long enough password").status_code == 302
    assert User.get(User.name == "nurse2").sysadmin is False


def test_create_reports_the_actions_refusal(client, site):
    login(client, site["admin"])
    response = client.post("/admin/users", data={
        "name": "shorty", "email": "s@example.org", "password": "short",
        "csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 409 and "8 characters" in response.get_data(as_text=True)
    assert User.get_or_none(User.name == "shorty") is None


def test_sysadmin_resets_a_password(client, site):
    login(client, site["admin"])
    response = client.post("/admin/users/password", data={
        "user_id": site["member"].id, "password": "brand new password",
        "csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 302
    member = User.get_by_id(site["member"].id)
    assert verify_password(member, "brand new password") and not verify_password(member, PASSWORD)


def test_others_are_refused(client, site):
    assert client.get("/admin/users").status_code == 302  # anonymous: log in first
    login(client, site["owner"])
    assert 'href="/admin/users"' not in client.get("/").get_data(as_text=True)
    assert client.get("/admin/users").status_code == 403
    token = csrf_token(client, "/")
    assert client.post("/admin/users", data={"name": "x", "email": "x@example.org",
                                             "password": "long enough password",
                                             "csrf_token": token}).status_code == 403
    assert client.post("/admin/users/password", data={
        "user_id": site["member"].id, "password": "owner sets this",
        "csrf_token": token}).status_code == 403
    assert User.get_or_none(User.name == "x") is None


def test_admin_forms_need_csrf(client, site):
    login(client, site["admin"])
    assert client.post("/admin/users", data={"name": "y", "email": "y@example.org",
                                             "password": "long enough password"}).status_code == 400
    assert client.post("/admin/users/password", data={
        "user_id": site["member"].id, "password": "brand new password"}).status_code == 400
