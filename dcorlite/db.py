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

SQLite has one write lock per file, and a writer that finds it taken polls
for it with sleeps of up to 100 ms: under eight writing threads the slowest
writes waited most of a second for a lock that had been free for a long time.
So the writers of an SQLite file also queue on a :class:`SqliteWriteLock`
(a thread lock and an ``flock``), which hands the lock on the moment it is let go.
"""
import contextlib
import fcntl
import hashlib
import os
import threading
import weakref
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


#: statements that neither write nor need the write lock outside a transaction
_NOT_WRITING = ("SELECT", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


class SqliteWriteLock:
    """One writing connection at a time on one SQLite file, in every process that opens it.

    Inside a process the writers wait on a :class:`threading.Lock`; then the
    one that has it waits on an ``flock`` of ``<database>-writelock`` (mode
    0600) for the writers of other processes. Both wake the next writer when
    the holder lets go, where SQLite's own busy handler would sleep. A writer
    that waits for the thread lock longer than ``timeout`` gets SQLite's own
    error, ``database is locked``.
    """

    def __init__(self, path, timeout):
        self._path = None if path in ("", ":memory:") else f"{path}-writelock"
        self._timeout = timeout
        self.reset()

    def reset(self):
        """Start unheld, with a new thread lock and no ``flock`` (in a forked child)."""
        self._threads = threading.Lock()
        self._fd = None  # opened by the first holder in this process
        self._holder = None

    def acquire(self, conn):
        """Wait for the lock on behalf of ``conn``; False if it holds it already.

        :raises peewee.OperationalError: not free within the timeout
        """
        if self._holder is conn:
            return False
        if not self._threads.acquire(timeout=self._timeout):
            raise peewee.OperationalError("database is locked")
        try:
            self._lock_file()
        except BaseException:
            self._threads.release()
            raise
        self._holder = conn
        return True

    def release(self, conn):
        """Let go of the lock if ``conn`` holds it."""
        if self._holder is not conn:
            return
        self._holder = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def _lock_file(self):
        # Blocking: the kernel wakes the waiting process when the holder lets go
        # (polling lost to the holder's own next thread every time). So a writer
        # in another process is waited for as long as its transaction lasts; one
        # that dies lets go at once, as the kernel drops its locks.
        if self._path is None:
            return
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            weakref.finalize(self, os.close, self._fd)
        fcntl.flock(self._fd, fcntl.LOCK_EX)


#: the write lock of each SQLite file this process opened (``realpath`` → lock): every
#: database object on one file shares it, so two of them in one process (an app and a
#: CLI command, tests) queue on its thread lock with its timeout, instead of on two
#: ``flock``s of their own, which block each other without one
_WRITE_LOCKS = weakref.WeakValueDictionary()
_WRITE_LOCKS_GUARD = threading.Lock()


def shared_write_lock(path, timeout):
    """The :class:`SqliteWriteLock` of the SQLite file ``path`` in this process."""
    if path in ("", ":memory:"):
        return SqliteWriteLock(path, timeout)  # each connection is a database of its own
    key = os.path.realpath(path)
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(key)
        if lock is None:
            lock = _WRITE_LOCKS[key] = SqliteWriteLock(key, timeout)
        return lock


def _reset_write_locks_after_fork():
    # A thread lock held by another thread at the fork would stay held in the child,
    # and the inherited flock would be the parent's.
    global _WRITE_LOCKS_GUARD
    _WRITE_LOCKS_GUARD = threading.Lock()
    for lock in list(_WRITE_LOCKS.values()):
        lock.reset()


os.register_at_fork(after_in_child=_reset_write_locks_after_fork)


class _SqliteWriteLocking:
    """Takes :attr:`write_lock` for each transaction and each write outside one."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self.write_lock = shared_write_lock(database, SQLITE_PRAGMAS["busy_timeout"] / 1000)

    def begin(self, lock_type=None):
        """Wait for the write lock, then ``BEGIN IMMEDIATE``."""
        conn = self.connection()
        took = self.write_lock.acquire(conn)
        try:
            return super().begin(lock_type)
        except BaseException:
            if took:
                self.write_lock.release(conn)
            raise

    def commit(self):
        """Commit and let go of the write lock (kept if the commit fails, until rollback)."""
        result = super().commit()
        self.write_lock.release(self._state.conn)
        return result

    def rollback(self):
        """Roll back and let go of the write lock."""
        try:
            return super().rollback()
        finally:
            self.write_lock.release(self._state.conn)

    def execute_sql(self, sql, params=None):
        """Run ``sql``, holding the write lock for a write outside a transaction."""
        if sql.startswith(_NOT_WRITING):
            return super().execute_sql(sql, params)
        conn = self.connection()
        took = self.write_lock.acquire(conn)
        try:
            return super().execute_sql(sql, params)
        finally:
            if took:
                self.write_lock.release(conn)

    def _close(self, conn, close_conn=False):
        # the pool rolls back what a borrower left open; the lock goes with it
        try:
            super()._close(conn, close_conn)
        finally:
            self.write_lock.release(conn)


class _Sqlite(_SqliteWriteLocking, _WriteCounting, PooledSqliteDatabase):
    """Pooled SQLite whose writers queue on a :class:`SqliteWriteLock`, and that counts writes."""


class _Postgresql(_WriteCounting, PooledPostgresqlDatabase):
    """Pooled PostgreSQL that counts writes."""


def url_kind(url):
    """``"sqlite"`` or ``"postgresql"`` for a database URL (``postgres://`` too), else None."""
    return _SCHEMES.get(urlparse(url).scheme.split("+")[0])


def open_database(url):
    """Return a pooled peewee database for ``url`` (``sqlite:///…`` or ``postgresql://…``).

    :raises ValueError: for any other scheme, or a URL without a database name
    """
    scheme = url_kind(url)
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


@contextlib.contextmanager
def own_connection():
    """Use this thread's database connection, opening (and closing) it if needed.

    Unlike ``connection_context`` it leaves an already open connection (a
    request running jobs in immediate mode) open.
    """
    opened = database.connect(reuse_if_open=True)
    try:
        yield
    finally:
        if opened and not database.is_closed():
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


@contextlib.contextmanager
def serialized(name):
    """A transaction that no other ``serialized(name)`` transaction runs beside, on any host.

    For read-modify-write sequences outside the database (an S3 bucket policy
    made from rows). PostgreSQL: a transaction-level advisory lock on a hash
    of ``name``, waited for; SQLite (one host) transactions hold the database's
    write lock from ``BEGIN IMMEDIATE`` on, so they are serialized already.
    """
    with database.atomic():
        if is_postgresql():
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))
        yield


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
