"""Sysadmin rights and disabled accounts through ``user_patch``/``user_update``/``user_delete``."""
from dcorlite.models import User

PASSWORD = "correct horse battery"


def _log_in(app, name, password=PASSWORD):
    """The status of a login through the web form (302: logged in, 401: refused)."""
    from tests.plugins.web.conftest import csrf_token
    client = app.test_client()
    return client.post("/user/login", data={"name": name, "password": password,
                                            "csrf_token": csrf_token(client)}).status_code


def test_sysadmin_grants_and_removes_sysadmin_rights(api, make_user):
    admin, user = make_user(sysadmin=True), make_user()
    assert api("user_list", user)[0] == 403
    status, body = api("user_patch", admin, id=user.name, sysadmin=True)
    assert status == 200 and body["result"]["sysadmin"] is True
    assert api("user_list", user)[0] == 200  # the new rights work at once
    status, body = api("user_update", admin, id=user.id, sysadmin=False)
    assert status == 200 and body["result"]["sysadmin"] is False
    assert api("user_list", user)[0] == 403


def test_sysadmin_flag_and_state_from_others_are_ignored(api, make_user):
    """As in CKAN: a user sending back their user_show dict cannot promote themselves."""
    user, other = make_user(), make_user()
    status, body = api("user_patch", user, id=user.id, sysadmin=True, state="deleted",
                       fullname="Still Me")
    assert status == 200 and body["result"]["sysadmin"] is False
    fresh = User.get_by_id(user.id)
    assert (fresh.sysadmin, fresh.state, fresh.fullname) == (False, "active", "Still Me")
    assert api("user_delete", user, id=other.id)[0] == 403
    assert api("user_patch", user, id=other.id, sysadmin=True)[0] == 403
    assert User.get_by_id(other.id).state == "active"


def test_disabled_user_cannot_log_in_or_use_tokens_until_enabled(app, api, make_user):
    admin, user = make_user(sysadmin=True), make_user("nurse", password=PASSWORD)
    assert _log_in(app, "nurse") == 302 and api("user_show", user)[0] == 200
    status, body = api("user_delete", admin, id="nurse")
    assert status == 200 and body["success"] and body["result"] is None
    assert _log_in(app, "nurse") == 401  # refused like a wrong password
    assert api("user_show", user)[0] == 403  # the token is anonymous now
    assert api("package_create", user, title="x")[0] == 403
    assert "nurse" not in api("user_list", admin, all_fields=False)[1]["result"]
    listed = api("user_list", admin, all_fields=False, include_deleted=True)[1]["result"]
    assert "nurse" in listed
    status, body = api("user_show", admin, id="nurse")
    assert status == 200 and body["result"]["state"] == "deleted"
    assert api("user_delete", admin, id="nurse")[0] == 404  # already disabled
    status, body = api("user_patch", admin, id="nurse", state="active")
    assert status == 200 and body["result"]["state"] == "active"
    assert _log_in(app, "nurse") == 302 and api("user_show", user)[0] == 200


def test_sysadmin_cannot_demote_or_disable_themselves(api, make_user):
    admin = make_user(sysadmin=True)
    for call in (("user_patch", {"sysadmin": False}), ("user_update", {"state": "deleted"}),
                 ("user_delete", {})):
        status, body = api(call[0], admin, id=admin.id, **call[1])
        assert status == 403 and "your own" in body["error"]["message"]
    fresh = User.get_by_id(admin.id)
    assert fresh.sysadmin and fresh.state == "active"
    assert api("user_patch", admin, id=admin.id, sysadmin=True)[0] == 200  # no change: fine


def test_unknown_state_is_a_validation_error(api, make_user):
    admin, user = make_user(sysadmin=True), make_user()
    status, body = api("user_patch", admin, id=user.id, state="banned")
    assert status == 409 and "state" in body["error"]
