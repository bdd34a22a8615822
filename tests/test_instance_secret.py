"""The generated secret lives in the database: every host of an instance signs alike."""
import pathlib
import urllib.parse

import pytest

from dcorlite import create_app, signing
from dcorlite.app import stop_app


@pytest.fixture
def host_app(tmp_path, database_url):
    """``host_app(name)``: an app without SECRET_KEY on the test's database, with an
    instance folder of its own (a host of a cluster)."""
    made = []

    def make(name):
        made.append(create_app({"LOAD_ENTRY_POINTS": False, "DATABASE_URL": database_url,
                                "STORAGE_URL": f"file:{tmp_path}/storage"},
                               instance_path=str(tmp_path / name)))
        return made[-1]
    yield make
    for app in made:
        stop_app(app)


def test_hosts_on_one_database_accept_each_others_signed_urls(host_app):
    first, second = host_app("host-a"), host_app("host-b")
    assert first.config["SECRET_KEY"] and \
        first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    path = "/files/0b0e3c1e-0000-4000-8000-000000000000/resource"
    with first.app_context():
        query = signing.sign("basin", "GET", path, {}, 600)
    args = dict(urllib.parse.parse_qsl(query))
    with second.app_context():
        assert signing.verify("basin", "GET", path, args)
        assert not signing.verify("basin", "GET", path + "x", args)
    # not in an instance folder, where only one host would have it
    assert not (pathlib.Path(first.instance_path) / "secret_key").exists()


@pytest.mark.sqlite_only
def test_an_older_instance_keeps_the_secret_of_its_file(tmp_path, host_app):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "secret_key").write_text("the-secret-of-an-older-instance\n")
    assert host_app("old").config["SECRET_KEY"] == "the-secret-of-an-older-instance"
    assert host_app("new-host").config["SECRET_KEY"] == "the-secret-of-an-older-instance"
