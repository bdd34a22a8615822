"""The ``dcorlite`` command as an administrator uses it.

Most tests run ``dcorlite --instance <test instance> …`` through ``cli_runner``
against the test app's database and then check the effect through the API.
"""
import os
import re
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
import requests
from click.testing import CliRunner

from dcorlite import users
from dcorlite.cli import cli
from dcorlite.models import Upload, User, utcnow
from dcorlite.storage import get_storage, upload_key

TOKEN_RE = re.compile(r"^[0-9A-Za-z._-]{60}$")


def whoami(client, token):
    """``(status, name)`` of ``user_show`` called with API token ``token``."""
    response = client.post("/api/3/action/user_show", json={},
                           headers={"Authorization": token})
    return response.status_code, (response.get_json().get("result") or {}).get("name")


def plain_env():
    """Environment changes that remove every ``DCORLITE_*`` setting."""
    return {key: None for key in os.environ if key.startswith("DCORLITE_")}


# -- without a database -----------------------------------------------------

def test_help_works_without_an_instance(tmp_path):
    instance = tmp_path / "never-created"
    result = CliRunner().invoke(cli, ["--instance", str(instance), "--help"],
                                env=plain_env())
    assert result.exit_code == 0
    for command in ("init", "serve", "user", "circle", "plugins", "token", "uploads"):
        assert re.search(rf"^  {command}\s", result.stdout, re.M), command
    assert not instance.exists()


@pytest.mark.sqlite_only
def test_init_creates_an_instance_and_is_safe_to_repeat(tmp_path):
    instance = tmp_path / "instance"
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["--instance", str(instance), *args], env=plain_env())

    result = run("init")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"instance ready: {instance}\n"
    assert (instance / "dcorlite.sqlite").is_file()   # embedded SQLite by default
    assert run("user", "add", "keeper", "--email", "k@example.org").exit_code == 0
    assert run("init").exit_code == 0
    assert run("user", "list").stdout.startswith("keeper\tk@example.org\t")


# -- users -------------------------------------------------------------------

def test_user_add_with_password(cli_runner):
    result = cli_runner("user", "add", "alice", "--email", "alice@example.org",
                        "--password", "correct-horse", "--fullname", "Alice A.")
    assert result.exit_code == 0, result.output
    alice = User.get(User.name == "alice")
    assert result.stdout == f"created user alice ({alice.id})\n"
    assert (alice.email, alice.fullname, alice.sysadmin) == ("alice@example.org",
                                                             "Alice A.", False)
    assert users.verify_password(alice, "correct-horse")
    assert not users.verify_password(alice, "wrong-horse")


def test_user_add_with_password_from_stdin(cli_runner):
    result = cli_runner("user", "add", "root", "--email", "root@example.org", "--sysadmin",
                        "--password-stdin", input="from-the-pipe\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("[sysadmin]\n")
    root = User.get(User.name == "root")
    assert root.sysadmin and users.verify_password(root, "from-the-pipe")


@pytest.mark.parametrize("args, message", [
    (["taken", "--email", "t@example.org"], "That login name is not available."),
    (["bob", "--email", "not-an-address"], "is not a valid format"),
    (["bob", "--email", "b@example.org", "--password", "short"], "8 characters or longer"),
    (["b", "--email", "b@example.org"], "at least 2 characters"),
    (["bob", "--email", "b@example.org", "--password", "long-enough", "--password-stdin"],
     "use either --password or --password-stdin"),
])
def test_user_add_refuses_bad_input(cli_runner, make_user, args, message):
    make_user("taken")
    result = cli_runner("user", "add", *args, input="long-enough\n")
    assert result.exit_code != 0
    assert message in result.stderr
    assert result.stdout == ""
    assert [u.name for u in User.select()] == ["taken"]


def test_user_list(cli_runner, make_user):
    make_user("zoe")
    make_user("adam", sysadmin=True)
    lines = cli_runner("user", "list").stdout.splitlines()
    assert [line.split("\t")[:3] for line in lines] == [
        ["adam", "adam@example.org", "sysadmin"], ["zoe", "zoe@example.org", "-"]]


def test_user_passwd(cli_runner, make_user):
    make_user("carol", password="first-password")
    result = cli_runner("user", "passwd", "carol", "--password-stdin",
                        input="second-password\n")
    assert (result.exit_code, result.stdout) == (0, "password of carol changed\n")
    carol = User.get(User.name == "carol")
    assert users.verify_password(carol, "second-password")
    assert not users.verify_password(carol, "first-password")

    result = cli_runner("user", "passwd", "carol", "--password", "short")
    assert result.exit_code != 0 and "8 characters or longer" in result.stderr
    assert users.verify_password(User.get(User.name == "carol"), "second-password")


def test_user_sysadmin_and_revoke(cli_runner, make_user, api):
    dave = make_user("dave")
    assert api("user_list", dave)[0] == 403
    result = cli_runner("user", "sysadmin", "dave")
    assert (result.exit_code, result.stdout) == (0, "dave is a sysadmin\n")
    assert api("user_list", dave)[0] == 200
    result = cli_runner("user", "sysadmin", "dave", "--revoke")
    assert (result.exit_code, result.stdout) == (0, "dave is no longer a sysadmin\n")
    assert api("user_list", dave)[0] == 403


@pytest.mark.parametrize("args", [
    ["user", "passwd", "nobody", "--password", "long-enough"],
    ["user", "sysadmin", "nobody"],
    ["token", "create", "nobody"],
    ["token", "list", "nobody"],
    ["circle", "create", "lonely", "--admin", "nobody"],
])
def test_unknown_user_fails(cli_runner, args):
    result = cli_runner(*args)
    assert result.exit_code != 0
    assert result.stderr.startswith("Error: ")
    assert "nobody" in result.stderr or "User not found" in result.stderr
    assert result.stdout == ""


# -- tokens ------------------------------------------------------------------

def test_token_create_prints_only_the_token(cli_runner, make_user, client):
    make_user("erin")
    result = cli_runner("token", "create", "erin")
    assert result.exit_code == 0, result.output
    token = result.stdout.rstrip("\n")
    assert result.stdout == token + "\n" and TOKEN_RE.match(token)
    assert whoami(client, token) == (200, "erin")
    other = cli_runner("token", "create", "erin", "--name", "laptop").stdout.strip()
    assert other != token and whoami(client, other) == (200, "erin")


def test_token_list_and_revoke(cli_runner, make_user, client):
    make_user("frank")   # comes with a token labelled "test"
    token = cli_runner("token", "create", "frank", "--name", "dcoraid").stdout.strip()
    token_id = token.split(".")[0]
    lines = [line.split("\t") for line in cli_runner("token", "list", "frank").stdout.splitlines()]
    assert [fields[1] for fields in lines] == ["test", "dcoraid"]
    assert lines[1][0] == token_id
    assert token.split(".")[1] not in cli_runner("token", "list", "frank").stdout

    result = cli_runner("token", "revoke", token_id)
    assert (result.exit_code, result.stdout) == (0, f"revoked {token_id}\n")
    assert whoami(client, token) == (403, None)
    assert [line.split("\t")[1] for line in
            cli_runner("token", "list", "frank").stdout.splitlines()] == ["test"]
    again = cli_runner("token", "revoke", token_id)
    assert again.exit_code != 0 and f"no such token: {token_id}" in again.stderr


# -- circles and uploads -----------------------------------------------------

def test_circle_create_with_admin(cli_runner, make_user, api):
    gina = make_user("gina")
    result = cli_runner("circle", "create", "lab-circle", "--title", "The Lab",
                        "--admin", "gina")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created circle lab-circle (")
    status, body = api("organization_show", gina, id="lab-circle")
    assert (status, body["result"]["title"]) == (200, "The Lab")
    status, body = api("package_create", gina, title="In the lab", authors="G. Ina",
                       license_id="CC0-1.0", owner_org="lab-circle")
    assert status == 200, body
    outsider = make_user("outsider")
    assert api("package_create", outsider, title="Not mine", authors="O.",
               license_id="CC0-1.0", owner_org="lab-circle")[0] == 403


def test_uploads_cleanup_removes_unattached_uploads(cli_runner, make_user, make_circle,
                                                    api, client):
    owner = make_user("uploader")
    circle = make_circle(owner)
    status, body = api("resource_upload_s3_urls", owner, organization_id=circle.id,
                       file_size=5)
    assert status == 200, body
    upload_id = body["result"]["resource_id"]
    url = urlsplit(body["result"]["upload_urls"][0])
    assert client.put(f"{url.path}?{url.query}", data=b"hello").status_code == 200
    assert get_storage().exists(upload_key(upload_id))

    # bytes arrived just now: even --hours 0 keeps it (the upload may still be going on)
    result = cli_runner("uploads", "cleanup", "--hours", "0")
    assert (result.exit_code, result.stdout) == (0, "removed 0 stale uploads\n")
    assert get_storage().exists(upload_key(upload_id))
    _backdate_upload(upload_id, minutes=6)  # beyond UPLOADS_ACTIVE_MINUTES
    result = cli_runner("uploads", "cleanup", "--hours", "0")
    assert (result.exit_code, result.stdout) == (0, "removed 1 stale uploads\n")
    assert not get_storage().exists(upload_key(upload_id))
    assert Upload.get_or_none(Upload.id == upload_id) is None
    status, body = api("package_create", owner, title="Late", authors="U.",
                       license_id="CC0-1.0", owner_org=circle.id)
    status, body = api("package_revise", owner, match={"id": body["result"]["id"]},
                       update__resources__extend=[{"id": upload_id, "name": "late.txt"}])
    assert status != 200


def _backdate_upload(upload_id, minutes):
    """Make an upload look as if its last bytes arrived ``minutes`` ago."""
    import datetime
    then = utcnow() - datetime.timedelta(minutes=minutes)
    Upload.update(created=then, last_activity=then).where(Upload.id == upload_id).execute()
    path = get_storage().local_path(upload_key(upload_id))
    os.utime(path, (time.time() - 60 * minutes,) * 2)


# -- plugins -----------------------------------------------------------------

@pytest.mark.sqlite_only
def test_plugins_lists_the_builtin_plugins(cli_runner):
    result = cli_runner("plugins")
    assert result.exit_code == 0, result.output
    listed = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    names = {key.split(" [", 1)[0]: key for key in listed}
    assert {"local", "ckan_api", "tokens", "dc_schemas", "uploads", "dc_serve"} <= set(names)
    assert names["tokens"] == "tokens [dcorlite 0.1.0 (built-in)]"
    assert listed[names["tokens"]] == ("authenticate_request, register_actions, "
                                       "register_commands, register_migrations")


# -- serve -------------------------------------------------------------------

def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_responds(url, process, timeout=30):
    """GET ``url`` until it answers 200; fail early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dcorlite serve exited with {process.returncode}")
        try:
            response = requests.get(url, timeout=2)
        except requests.ConnectionError:
            time.sleep(0.1)
            continue
        if response.status_code == 200:
            return response
    pytest.fail(f"{url} did not answer within {timeout} s")


@pytest.mark.sqlite_only
def test_serve_really_serves(tmp_path):
    instance, port = tmp_path / "instance", free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DCORLITE_")}
    process = subprocess.Popen(
        [sys.executable, "-c", "from dcorlite.cli import cli; cli()",
         "--instance", str(instance), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        response = wait_until_responds(
            f"http://127.0.0.1:{port}/api/3/action/status_show", process)
        assert response.json()["success"] is True
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=10)
    assert f"  URL: http://127.0.0.1:{port}/  (API: http://127.0.0.1:{port}/api/3/action/)" \
        in stdout.splitlines(), stdout
    assert "No users yet" in stdout
    assert f"dcorlite --instance {instance} user add admin" in stdout
    assert (instance / "dcorlite.sqlite").is_file()


def test_tokens_never_start_like_a_command_line_option(make_user):
    """``dcoraid-upload-task PATH SERVER TOKEN`` must not mistake a token for an option."""
    from dcorlite.plugins.tokens import logic
    user = make_user("manytokens")
    tokens = [logic.create_token(user, f"t{i}") for i in range(300)]
    assert all(t[0].isalnum() for t in tokens)
    assert all(len(t) != 36 and set(t) <= set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-") for t in tokens)
