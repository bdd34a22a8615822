"""A failing ``dcorlite`` command prints one line on stderr, not a traceback.

The commands run in subprocesses, as an administrator starts them, with an
environment free of other ``DCORLITE_*`` settings.
"""
import os
import socket
import subprocess
import sys

import pytest

from dcorlite.cli_errors import describe, mask_passwords

TIMEOUT = 30


def run_cli(instance, *args, **env):
    """Run ``dcorlite --instance INSTANCE ARGS`` and return the finished process."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DCORLITE_")}
    clean.update(DCORLITE_LOAD_ENTRY_POINTS="false", **env)
    return subprocess.run(
        [sys.executable, "-c", "from dcorlite.cli import cli; cli()",
         "--instance", str(instance), *args],
        capture_output=True, text=True, env=clean, cwd=instance.parent,
        stdin=subprocess.DEVNULL, timeout=TIMEOUT)


def error_line(result):
    """The single stderr line of a failed command (fails on a traceback)."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dcorlite: error: "), lines[0]
    return lines[0]


@pytest.fixture
def instance(tmp_path):
    """An instance folder that does not exist yet."""
    return tmp_path / "instance"


@pytest.fixture
def refused_port():
    """A local TCP port that refuses connections (bound, never listening)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def broken_config(instance):
    """``<instance>/config.py`` with a syntax error in line 3."""
    instance.mkdir()
    path = instance / "config.py"
    path.write_text('SITE_TITLE = "lab"\n\nSITE_URL = = "http://lab.example.org"\n')
    return path


def test_unknown_storage_scheme(instance):
    line = error_line(run_cli(instance, "init", DCORLITE_STORAGE_URL="ftp:"))
    assert line == ("dcorlite: error: no storage backend for STORAGE_URL scheme 'ftp' "
                    "(known: file, s3)")


@pytest.mark.parametrize("command, user", [
    (["init"], "postgres:hunter2secret"),   # a password in the URL is never printed
    (["user", "list"], "postgres"),
])
def test_database_server_down(instance, refused_port, command, user):
    url = f"postgresql://{user}@127.0.0.1:{refused_port}/test"
    result = run_cli(instance, *command, DCORLITE_DATABASE_URL=url)
    shown = url.replace("hunter2secret", "***")
    assert error_line(result) == \
        f"dcorlite: error: cannot connect to the database {shown}: connection refused"
    assert "hunter2secret" not in result.stdout + result.stderr


@pytest.mark.parametrize("url, reason", [
    ("redis://:hunter2secret@127.0.0.1:{port}/0", "cannot connect to the job queue at JOBS_URL "
     "redis://:***@127.0.0.1:{port}/0: connection refused"),
    ("http://127.0.0.1:{port}/", "JOBS_URL http://127.0.0.1:{port}/ is not a Redis URL: Redis "
     "URL must specify one of the following schemes (redis://, rediss://, unix://)"),
])
def test_job_queue_unreachable_or_not_redis(instance, refused_port, url, reason):
    url = url.format(port=refused_port)
    result = run_cli(instance, "worker", DCORLITE_JOBS_URL=url)
    assert error_line(result) == f"dcorlite: error: {reason.format(port=refused_port)}"
    assert "hunter2secret" not in result.stdout + result.stderr


def test_serve_on_a_port_in_use(instance):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = error_line(run_cli(instance, "serve", "--port", str(port)))
    assert line == f"dcorlite: error: cannot listen on 127.0.0.1:{port}: address already in use"


@pytest.mark.parametrize("args", [["init"], ["--help"]])
def test_syntax_error_in_the_instance_config(instance, broken_config, args):
    line = error_line(run_cli(instance, *args))
    assert line == f"dcorlite: error: {broken_config} line 3: invalid syntax"


def test_debug_option_shows_the_traceback(instance):
    result = run_cli(instance, "--debug", "init", DCORLITE_STORAGE_URL="ftp:")
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().endswith(
        "dcorlite.errors.StartupError: no storage backend for STORAGE_URL scheme 'ftp'")


def test_debug_environment_shows_the_traceback_before_options_are_parsed(
        instance, broken_config):
    result = run_cli(instance, "--help", DCORLITE_DEBUG="1")
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().endswith("SyntaxError: invalid syntax")


def test_usage_errors_keep_clicks_behaviour(instance):
    result = run_cli(instance, "serve", "--port", "not-a-number")
    assert result.returncode == 2
    assert "Error: Invalid value for '--port'" in result.stderr
    assert "dcorlite: error:" not in result.stderr


def test_unknown_errors_name_their_type_and_point_to_debug():
    assert describe(RuntimeError("lost\n  the thread")) == \
        "RuntimeError: lost the thread (run with --debug for the traceback)"


def test_passwords_in_urls_are_masked():
    assert mask_passwords("postgresql://me:s3cr%40t@db:5432/x?password=p2&sslmode=require") \
        == "postgresql://me:***@db:5432/x?password=***&sslmode=require"
    assert mask_passwords("sqlite:////srv/dcor.sqlite") == "sqlite:////srv/dcor.sqlite"
