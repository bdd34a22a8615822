"""``dcorlite nginx-config``: a site file nginx accepts, and the settings that go with it."""
import os
import subprocess

import pytest

from dcorlite import config_file
from tests.fixtures.nginx import MAIN_CONF, NGINX

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def configured(app, cli_runner):
    result = cli_runner("certs", "create", "--hostname", "dcor.clinic.example",
                        "--ip", "10.9.8.7")
    assert result.exit_code == 0, result.output
    result = cli_runner("nginx-config", "--upstream", "127.0.0.1:5123")
    assert result.exit_code == 0, result.output
    return os.path.join(app.instance_path, "nginx", "dcorlite.conf"), result.output


def test_site_file_has_what_the_deployment_needs(app, configured):
    path, output = configured
    text = open(path).read()
    storage_root = app.config["STORAGE_URL"].split(":", 1)[1]
    for line in ("server 127.0.0.1:5123;", "listen 443 ssl http2;",
                 "server_name dcor.clinic.example 10.9.8.7;", "listen 80 default_server;",
                 "return 444;", "return 301 https://$host$request_uri;",
                 "return 301 /dataset/$1;", "proxy_request_buffering off;",
                 f"ssl_certificate {app.instance_path}/certs/server.cert;",
                 f"ssl_certificate_key {app.instance_path}/certs/server.key;",
                 "internal;", f"alias {os.path.abspath(storage_root)}/;",
                 "proxy_set_header X-Forwarded-Proto $scheme;"):
        assert line in text, line
    assert f"wrote {path}" in output
    # UMASK 077 (the default) keeps the files from nginx's workers: said, not changed
    assert "must be able to read" in output and "UMASK" in output


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
def test_nginx_accepts_the_site_file(configured, tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(MAIN_CONF.format(user="", tmp=tmp_path, site=configured[0]))
    result = subprocess.run([NGINX, "-t", "-e", str(tmp_path / "error.log"),
                             "-p", str(tmp_path), "-c", str(conf)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_settings_are_added_once_and_never_overwritten(app, configured, cli_runner):
    config_py = os.path.join(app.instance_path, "config.py")
    text = open(config_py).read()
    assert "PROXY_COUNT = 1\n" in text and "X_ACCEL_REDIRECT = True\n" in text
    again = cli_runner("nginx-config")
    assert again.exit_code == 0 and "set already" in again.output
    assert open(config_py).read() == text


def test_add_missing_keeps_other_assignments(tmp_path):
    path = tmp_path / "config.py"
    path.write_text('SITE_TITLE = "Clinic"\nPROXY_COUNT = 2')
    report = config_file.add_missing(str(path), {"PROXY_COUNT": 1, "X_ACCEL_REDIRECT": True},
                                     "nginx-config")
    assert path.read_text() == ('SITE_TITLE = "Clinic"\nPROXY_COUNT = 2\n'
                                "# added by `dcorlite nginx-config`\nX_ACCEL_REDIRECT = True\n")
    assert any("PROXY_COUNT is set already" in line for line in report)


def test_without_certificate_it_says_what_to_do(app, cli_runner):
    result = cli_runner("nginx-config")
    assert result.exit_code == 1 and "certs create" in result.output
