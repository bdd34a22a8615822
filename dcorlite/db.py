"""The database handle, its per-request lifecycle and migrations.

``database`` is a :class:`peewee.DatabaseProxy`; :func:`init_db` binds it to
SQLite or PostgreSQL from ``DATABASE_URL``.

Two rules make concurrent writers safe, and both live here:

* connections are pooled: a request borrows one and gives it back, so the
  PRAGMAs run once per connection, and SQLite in WAL mode is not
  checkpointed each time the last connection of a request closes;
* every SQLite transaction starts with ``BEGIN IMMEDIATE``. A deferred
  transaction that reads and then writes gets ``SQLITE_BUSY`` at once under
  WAL when another writer committed meanwhile (the busy timeout does not
  apply to that case); one that takes the write lock first waits for it.
  On PostgreSQL, rows that are read and then written are locked with
  :func:`lock_rows` (``SELECT … FOR UPDATE``).
"""
import os
import threading
from urllib.parse import urlparse

import peewee
from playhouse.db_url import parse
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

database = peewee.DatabaseProxy()

CORE_MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 30000,
    "synchronous": "normal",
}

#: connections one process keeps open at most (requests, job workers, helpers)
MAX_CONNECTIONS = 64
#: seconds a request waits for a free pooled connection
POOL_WAIT = 30
#: PostgreSQL connections older than this are replaced (servers drop idle ones)
POSTGRES_STALE_SECONDS = 600

_SCHEMES = {"sqlite": "sqlite", "postgres": "postgresql", "postgresql": "postgresql"}


_writes = threading.local()


def writes_on_this_thread():
    """How many statements other than ``SELECT``, commits and rollbacks this thread made.

    :mod:`dcorlite.changes` reads the change counters again once a request has
    written: what it cached before its own write may be out of date, and what
    it read inside a transaction that rolled back was never true.
    """
    return getattr(_writes, "count", 0)


def _count_write():
    _writes.count = getattr(_writes, "count", 0) + 1


class _WriteCounting:
    """Counts each thread's writes (see :func:`writes_on_this_thread`)."""

    def execute_sql(self, sql, params=None):
        """Run ``sql``; count it unless it is a ``SELECT``."""
        if not sql.startswith("SELECT"):
            _count_write()
        return super().execute_sql(sql, params)

    def commit(self):
        """Commit, and count it."""
        _count_write()
        return super().commit()

    def rollback(self):
        """Roll back, and count it."""
        _count_write()
        return super().rollback()


class _Sqlite(_WriteCounting, PooledSqliteDatabase):
    """Pooled SQLite that counts writes."""


class _Postgresql(_WriteCounting, PooledPostgresqlDatabase):
    """Pooled PostgreSQL that counts writes."""


def open_database(url):
    """Return a pooled peewee database for ``url`` (``sqlite:///…`` or ``postgresql://…``).

    :raises ValueError: for any other scheme, or a URL without a database name
    """
    scheme = _SCHEMES.get(urlparse(url).scheme.split("+")[0])
    kwargs = parse(url)
    if scheme is None:
        raise ValueError(f"DATABASE_URL must start with sqlite:// or postgresql://, "
                         f"not {urlparse(url).scheme!r}")
    if not kwargs.get("database"):
        raise ValueError("DATABASE_URL names no database")
    if scheme == "sqlite":
        return _Sqlite(
            pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False,
            max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT, **kwargs)
    return _Postgresql(max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT,
                       stale_timeout=POSTGRES_STALE_SECONDS, **kwargs)


def init_db(app):
    """Bind :data:`database`, borrow a pooled connection per request, give it back after."""
    dispose()
    database.initialize(open_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()


def dispose():
    """Close the idle pooled connections of the bound database (before rebinding it).

    Connections other threads still use are left alone: closing an SQLite
    connection under a running query crashes the process.
    """
    if database.obj is not None:
        if not database.is_closed():
            database.close()
        database.obj.close_idle()


def is_postgresql():
    """True when the bound database is PostgreSQL."""
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def lock_rows(query):
    """Run ``query`` (a select inside a transaction) so that its rows stay locked until commit.

    On PostgreSQL this is ``SELECT … FOR UPDATE``: a concurrent transaction
    that locks the same rows waits, so read-modify-write sequences (the next
    resource position, the parts of an upload) cannot lose updates. SQLite
    transactions hold the database's write lock from ``BEGIN IMMEDIATE`` on,
    so the query just runs.

    :returns: the rows of ``query``
    """
    return list(query.for_update() if is_postgresql() else query)


def migrate(extra=()):
    """Apply the core migrations, then each plugin's own history.

    :param extra: ``(name, directory)`` pairs from ``register_migrations()``
    :returns: list of applied migration names
    """
    applied = []
    with database.connection_context():
        applied += Runner(database.obj, CORE_MIGRATIONS).up()
        for name, directory in extra:
            runner = Runner(database.obj, directory, table_name=f"migrations_{name}")
            applied += runner.up()
    return applied
