"""A consistent copy of the database, and putting one back.

SQLite: the online backup API (``sqlite3.Connection.backup``), which copies
a consistent state while the server keeps writing. PostgreSQL: ``pg_dump``
in its custom format, restored with ``pg_restore``.
"""
import os
import sqlite3
import subprocess
from urllib.parse import parse_qs, urlparse, urlunparse

from playhouse.db_url import parse


def kind(url):
    """``"sqlite"`` or ``"postgresql"`` for a ``DATABASE_URL``."""
    return "sqlite" if urlparse(url).scheme.startswith("sqlite") else "postgresql"


def _sqlite_path(url):
    return parse(url)["database"]


def _pg_target(url):
    """``(connection URL without options, schema or None)`` of a PostgreSQL URL.

    A ``search_path`` given in ``options`` (``-csearch_path=NAME``) names the
    schema the instance lives in; only that schema is dumped and restored.
    """
    parts = urlparse(url)
    query = parse_qs(parts.query)
    schema = None
    for option in query.pop("options", []):
        for word in option.split():
            if word.startswith("-csearch_path="):
                schema = word.split("=", 1)[1].split(",")[0].strip()
    rest = "&".join(f"{k}={v}" for k, values in query.items() for v in values)
    return urlunparse(parts._replace(scheme="postgresql", query=rest)), schema


def dump(url, path):
    """Write a consistent snapshot of the database at ``url`` to ``path``."""
    if kind(url) == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        return
    conn, schema = _pg_target(url)
    args = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"]
    if schema:
        args.append(f"--schema={schema}")
    _run(args + [conn])


def load(url, path):
    """Replace the (empty) database at ``url`` with the snapshot ``path``."""
    if kind(url) == "sqlite":
        source = sqlite3.connect(path)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    conn, schema = _pg_target(url)
    _drop_tables(conn, schema or "public")
    # the schema itself exists already: restore everything but its CREATE SCHEMA
    listing = _run(["pg_restore", "--list", path]).splitlines()
    keep = [line for line in listing if " SCHEMA " not in line]
    list_path = f"{path}.list"
    with open(list_path, "w") as fh:
        fh.write("\n".join(keep) + "\n")
    try:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--use-list={list_path}", f"--dbname={conn}", path])
    finally:
        os.remove(list_path)


def _drop_tables(conn, schema):
    """Drop the tables and functions a fresh instance's migrations made.

    (A restore into a database that holds data is refused before this.)
    """
    import psycopg2
    with psycopg2.connect(conn) as db, db.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
        for (table,) in cur.fetchall():
            cur.execute(f'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE')
        cur.execute("SELECT sequence_name FROM information_schema.sequences "
                    "WHERE sequence_schema = %s", (schema,))
        for (seq,) in cur.fetchall():
            cur.execute(f'DROP SEQUENCE IF EXISTS "{schema}"."{seq}" CASCADE')
        # trigger functions (dcorlite.changes): pg_restore creates them anew
        cur.execute("SELECT p.proname FROM pg_proc p JOIN pg_namespace n "
                    "ON n.oid = p.pronamespace WHERE n.nspname = %s AND p.prokind = 'f'",
                    (schema,))
        for (function,) in cur.fetchall():
            cur.execute(f'DROP FUNCTION IF EXISTS "{schema}"."{function}" CASCADE')
    db.close()


def _run(args):
    """Run a PostgreSQL client tool; its stderr becomes the error."""
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()}")
    return done.stdout
