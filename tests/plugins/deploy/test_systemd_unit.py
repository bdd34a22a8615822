"""``dcorlite systemd-unit``: a unit that runs this instance's server and stops it cleanly."""
import os
import pwd
import shutil
import subprocess

import pytest

from dcorlite import supervisor

pytestmark = pytest.mark.sqlite_only  # the unit does not depend on the database


def _settings(text):
    """``{key: [values]}`` of a unit file's assignments."""
    found = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


@pytest.fixture
def unit_text(cli_runner, app):
    result = cli_runner("systemd-unit", "--processes", "3", "--port", "5123")
    assert result.exit_code == 0, result.output
    return result.output


def test_the_unit_serves_this_instance_as_its_owner(unit_text, app):
    unit = _settings(unit_text)
    owner = pwd.getpwuid(os.stat(app.instance_path).st_uid).pw_name
    assert unit["User"] == [owner]
    assert unit["WorkingDirectory"] == [app.instance_path]
    program, *args = unit["ExecStart"][0].split()
    assert os.path.isabs(program) and program.endswith("dcorlite")
    assert args == ["--instance", app.instance_path, "serve", "--host", "127.0.0.1",
                    "--port", "5123", "--processes", "3", "--threads", "8"]
    assert unit["WantedBy"] == ["multi-user.target"]


def test_the_unit_restarts_on_failure_and_leaves_time_to_drain(unit_text, app):
    unit = _settings(unit_text)
    assert unit["Restart"] == ["on-failure"] and unit["KillSignal"] == ["SIGTERM"]
    assert unit["KillMode"] == ["mixed"]  # serve passes SIGTERM on to its processes
    drain = app.config["SHUTDOWN_DRAIN_SECONDS"]
    assert int(unit["TimeoutStopSec"][0]) > drain + supervisor.STOP_MARGIN


def test_the_unit_is_hardened_but_may_write_the_instance(unit_text, app):
    unit = _settings(unit_text)
    for key in ("NoNewPrivileges", "PrivateTmp"):
        assert unit[key] == ["yes"], key
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["UMask"] == ["0077"]
    storage = app.config["STORAGE_URL"].split(":", 1)[1]  # outside the instance in tests
    database = os.path.dirname(app.config["DATABASE_URL"].split("///", 1)[1])
    writable = unit["ReadWritePaths"][0].split()
    for path in (app.instance_path, storage, database):
        assert any(os.path.commonpath([path, w]) == w for w in writable), path
    assert all(len(w) > 1 for w in writable) and len(writable) <= 2, writable


def test_systemd_accepts_the_unit(unit_text, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed; the contents are tested above")
    program = _settings(unit_text)["ExecStart"][0].split()[0]
    if not os.access(program, os.X_OK):
        pytest.skip(f"{program} is not installed here (systemd would refuse the unit)")
    path = tmp_path / "dcorlite.service"
    path.write_text(unit_text)
    verify = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                            text=True, timeout=60)
    complaints = [line for line in verify.stderr.splitlines() if str(path) in line]
    assert verify.returncode == 0 and complaints == [], verify.stderr


def test_an_unknown_user_is_refused(cli_runner):
    result = cli_runner("systemd-unit", "--user", "no-such-user-here")
    assert result.exit_code == 1 and "no such user" in result.output


def test_the_example_in_the_docs_is_what_the_command_writes():
    """docs/dcorlite.service is the unit for /srv/dcorlite, user dcorlite, 2 processes."""
    import pathlib

    from dcorlite.plugins.deploy import systemd
    example = pathlib.Path(__file__).resolve().parents[3] / "docs" / "dcorlite.service"
    unit = systemd.Unit(instance="/srv/dcorlite", user="dcorlite", group="dcorlite",
                        exec_start=["/usr/local/bin/dcorlite", "--instance", "/srv/dcorlite",
                                    "serve", "--host", "127.0.0.1", "--port", "5000",
                                    "--processes", "2", "--threads", "8"],
                        drain_seconds=30, umask="0077", read_write_paths=["/srv/dcorlite"],
                        after=["network-online.target"])
    body = lambda text: text.split("\n", 1)[1]  # noqa: E731 (the first line is a comment)
    assert body(example.read_text()) == body(systemd.render(unit))
