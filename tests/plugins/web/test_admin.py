"""The users page of sysadmins: list, create, reset a password; refused to others."""
import pytest

from dcorlite.models import User
from dcorlite.users import verify_password
from tests.plugins.web.conftest import PASSWORD, csrf_token, login

pytestmark = pytest.mark.sqlite_only


def test_sysadmin_creates_a_user_who_can_log_in(app, client, site):
    login(client, site["admin"])
    html = client.get("/admin/users").get_data(as_text=True)
    assert "(member)" in html and "(outsider)" in html and 'href="/admin"' in html
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
    assert 'href="/admin"' not in client.get("/").get_data(as_text=True)
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


def _change(client, user, change):
    return client.post("/admin/users/account", data={
        "user_id": user.id, "change": change, "csrf_token": csrf_token(client, "/admin/users")})


def test_sysadmin_grants_removes_rights_and_disables_enables(app, client, site):
    login(client, site["admin"])
    member = site["member"]
    assert _change(client, member, "grant").status_code == 302
    assert User.get_by_id(member.id).sysadmin is True
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Remove sysadmin: member" in html
    assert _change(client, member, "revoke").status_code == 302
    assert User.get_by_id(member.id).sysadmin is False
    assert _change(client, member, "disable").status_code == 302
    assert User.get_by_id(member.id).state == "deleted"
    assert login(app.test_client(), member).status_code == 401
    html = client.get("/admin/users").get_data(as_text=True)
    assert "disabled" in html and "Enable: member" in html  # still listed, to enable again
    assert _change(client, member, "enable").status_code == 302
    assert login(app.test_client(), member).status_code == 302


def test_sysadmin_is_not_offered_and_refused_their_own_demotion(client, site):
    admin = site["admin"]
    login(client, admin)
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Disable: admin" not in html and "Remove sysadmin: admin" not in html
    for change in ("revoke", "disable"):
        response = _change(client, admin, change)
        assert response.status_code == 302
        assert "your own" in client.get("/admin/users").get_data(as_text=True)
    fresh = User.get_by_id(admin.id)
    assert fresh.sysadmin and fresh.state == "active"


def test_account_changes_are_refused_to_others_and_need_csrf(client, site):
    login(client, site["owner"])
    token = csrf_token(client, "/")
    for change in ("grant", "disable"):
        assert client.post("/admin/users/account", data={
            "user_id": site["owner"].id, "change": change,
            "csrf_token": token}).status_code == 403
    assert client.get("/admin/jobs").status_code == 403
    assert client.post("/admin/jobs/rerun", data={"resource_id": "x",
                                                  "csrf_token": token}).status_code == 403
    owner = User.get_by_id(site["owner"].id)
    assert not owner.sysadmin and owner.state == "active"
    client.get("/user/logout")
    login(client, site["admin"])
    assert client.post("/admin/users/account", data={
        "user_id": site["member"].id, "change": "disable"}).status_code == 400
    assert client.post("/admin/jobs/rerun", data={
        "resource_id": site["public"].resources[0].id}).status_code == 400
    assert User.get_by_id(site["member"].id).state == "active"


def test_failed_job_is_listed_and_rerun_from_the_jobs_page(app, client, site):
    from dcorlite.jobs.queue import drain
    from dcorlite.models import JobState
    resource = site["public"].resources[0]
    drain(app)
    failed = JobState.select().where(JobState.resource == resource.id).first()
    assert failed is not None
    JobState.update(state="error", error="OSError: disk on fire").where(
        JobState.id == failed.id).execute()
    login(client, site["admin"])
    html = client.get("/admin/jobs").get_data(as_text=True)
    assert "OSError: disk on fire" in html and failed.job in html
    assert "Public blood cells" in html and f"/resource/{resource.id}" in html
    response = client.post("/admin/jobs/rerun", data={
        "resource_id": resource.id, "csrf_token": csrf_token(client, "/admin/jobs")})
    assert response.status_code == 302
    assert JobState.get_by_id(failed.id).state == "pending"
    drain(app)
    assert JobState.get_by_id(failed.id).state == "done"
    assert "Every job is done." in client.get("/admin/jobs").get_data(as_text=True)


def test_sysadmin_sees_every_circle_with_private_datasets_and_creates_one(client, site):
    login(client, site["admin"])
    html = client.get("/admin/circles").get_data(as_text=True)
    # the public and the private dataset of "lab" (the draft is not counted)
    assert 'href="/circle/lab"' in html and '<td class="num">2</td>' in html
    response = client.post("/admin/circles", data={
        "name": "new-lab", "title": "New lab", "description": "Fresh",
        "csrf_token": csrf_token(client, "/admin/circles")})
    assert response.status_code == 302
    html = client.get("/admin/circles").get_data(as_text=True)
    assert 'href="/circle/new-lab"' in html and "New lab" in html
    taken = client.post("/admin/circles", data={
        "name": "new-lab", "csrf_token": csrf_token(client, "/admin/circles")})
    assert taken.status_code == 409
    assert client.post("/admin/circles", data={"name": "no-csrf"}).status_code == 400


def test_circles_page_is_refused_to_others(client, site):
    login(client, site["owner"])
    assert client.get("/admin/circles").status_code == 403
    assert client.post("/admin/circles", data={
        "name": "sneaky", "csrf_token": csrf_token(client, "/")}).status_code == 403
    from dcorlite.models import Group
    assert Group.get_or_none(Group.name == "sneaky") is None
    assert 'href="/admin"' not in client.get("/").get_data(as_text=True)


def test_status_page_shows_what_plugins_report(app, client, site):
    from dcorlite.models import JobState
    from tests.fixtures.app import index_pending
    index_pending(app)
    JobState.update(state="error").where(
        JobState.resource == site["public"].resources[0].id).execute()
    login(client, site["admin"])
    html = client.get("/admin/status").get_data(as_text=True)
    assert "Search index" in html and "Fixity" in html and "Background jobs" in html
    # the three active or draft datasets are indexed; nothing waits
    assert "<th scope=\"row\">Answers searches</th><td>yes</td>" in html
    assert "<th scope=\"row\">Documents</th><td>3</td>" in html
    assert "<th scope=\"row\">Changes waiting to be indexed</th><td>0</td>" in html
    assert "<th scope=\"row\">error</th><td>" in html
    client.get("/user/logout")
    other = app.test_client()
    login(other, site["member"])
    assert other.get("/admin/status").status_code == 403


def test_cli_rerun_queues_the_same_way(app, cli_runner, site):
    from dcorlite.jobs.queue import drain
    from dcorlite.models import JobState
    resource = site["public"].resources[0]
    drain(app)
    JobState.update(state="error", error="boom").where(JobState.resource == resource.id).execute()
    listed = cli_runner("jobs", "status", "--problems").output
    assert resource.id in listed and "boom" in listed
    assert cli_runner("jobs", "rerun", resource.id).output.strip() == f"{resource.id}\tqueued"
    drain(app)
    assert cli_runner("jobs", "status", "--problems").output == ""
    assert cli_runner("jobs", "rerun", "00000000-0000-4000-8000-000000000000").exit_code != 0


def test_administration_page_links_every_sysadmin_page_plugins_add(client, site):
    login(client, site["admin"])
    html = client.get("/admin").get_data(as_text=True)
    for path in ("/admin/users", "/admin/access-token", "/admin/circles",
                 "/admin/deletion-requests", "/admin/jobs", "/admin/status",
                 "/admin/audit"):  # the last one is the audit plugin's
        assert f'href="{path}"' in html, path
    for path in ("/admin/users", "/admin/access-token", "/admin/circles", "/admin/jobs",
                 "/admin/status", "/admin/audit", "/admin/deletion-requests"):
        assert client.get(path).status_code == 200, path
    other = client.application.test_client()
    login(other, site["member"])
    assert other.get("/admin").status_code == 403
