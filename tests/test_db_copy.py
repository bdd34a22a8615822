"""``dcorlite db copy``: an SQLite instance moved to PostgreSQL by a URL, nothing lost."""
import sqlite3

import psycopg2
import pytest
from psycopg2.extensions import parse_dsn

from dcorlite import create_app
from dcorlite.app import stop_app
from dcorlite.db import dispose
from dcorlite.plugins.tokens import logic as tokens
from tests.fixtures.app import index_pending

pytestmark = pytest.mark.sqlite_only  # the source is SQLite; the target a schema of its own


def _counts_sqlite(url):
    conn = sqlite3.connect(url[len("sqlite:///"):])
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
             if not r[0].startswith(("schema_migration", "migrations_", "sqlite_"))]
    counts = {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    conn.close()
    return counts


def _counts_pg(url, tables):
    conn = psycopg2.connect(**parse_dsn(url))
    with conn.cursor() as cur:
        counts = {}
        for table in tables:
            cur.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cur.fetchone()[0]
    conn.close()
    return counts


def test_an_instance_on_sqlite_runs_on_postgresql_after_the_copy(
        app, app_config, cli_runner, make_user, make_circle, make_dataset, new_postgres_url,
        tmp_path):
    owner = make_user("owner", password="correct horse battery")
    member = make_user("member")
    circle = make_circle(owner, name="lab", members={member: "member"})
    public = make_dataset(owner, circle, title="Public beads", tags=[{"name": "beads"}])
    private = make_dataset(owner, circle, title="Secret cells", private=True)
    token = tokens.create_token(owner, "dcoraid")
    index_pending(app)  # the marks of the index, which its indexer would take meanwhile
    stop_app(app)
    before = _counts_sqlite(app.config["DATABASE_URL"])
    assert before["dataset"] == 2 and before["resource"] == 2

    result = cli_runner("db", "copy", new_postgres_url)
    assert f"copied {sum(before.values())} rows of {len(before)} tables" in result.output
    config = (tmp_path / "instance" / "config.py").read_text()
    assert f"DATABASE_URL = {new_postgres_url!r}" in config
    # the test's own DCORLITE_DATABASE_URL would still win: the command says so
    assert result.exit_code == 1 and "DCORLITE_DATABASE_URL in the environment" in result.output
    assert _counts_pg(new_postgres_url, before) == before
    dispose()

    moved = create_app(dict(app_config, DATABASE_URL=new_postgres_url),
                       instance_path=app.instance_path)
    try:
        client = moved.test_client()
        shown = client.get("/api/3/action/package_show", query_string={"id": private.id},
                           headers={"Authorization": token}).get_json()
        assert shown["success"] and shown["result"]["title"] == "Secret cells"
        assert len(shown["result"]["resources"]) == 1
        assert client.get("/api/3/action/package_show",
                          query_string={"id": private.id}).status_code == 403
        found = client.get("/api/3/action/package_search",
                           query_string={"q": "beads"}).get_json()["result"]
        assert [d["id"] for d in found["results"]] == [public.id]
        with moved.app_context():
            from dcorlite import users
            from dcorlite.models import User
            assert users.verify_password(User.get(User.name == "owner"),
                                         "correct horse battery")
            # new rows get new ids: the sequences went past the copied ones
            another = tokens.create_token(member, "second")
            from dcorlite import groups
            from dcorlite.models import Group
            newcomer = User.create(name="newcomer", email="n@example.org")
            groups.set_member(Group.get_by_id(circle.id), newcomer, "member")  # a serial id
        assert client.get("/api/3/action/package_show", query_string={"id": private.id},
                          headers={"Authorization": another}).status_code == 200
    finally:
        stop_app(moved)
        dispose()


def test_a_target_in_use_is_refused_and_left_alone(app, cli_runner, make_user,
                                                   new_postgres_url):
    make_user("owner")
    assert cli_runner("db", "copy", new_postgres_url, "--no-switch").exit_code == 0
    again = cli_runner("db", "copy", new_postgres_url, "--no-switch")
    assert again.exit_code != 0
    assert "already holds rows of table user" in again.output
    assert _counts_pg(new_postgres_url, ["user"]) == {"user": 1}
