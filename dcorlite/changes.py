"""Change counters kept by the database, and per-process caches that check them.

A counter (a row of table ``change_counter``) goes up by one in the same
transaction as any change to the tables it covers: database triggers do it,
so no code path (an action, the CLI, a cascade, another process or host
sharing the database) can change a covered row without it. The ``access``
counter covers who a token belongs to and who may read what: users, API
tokens and their expiry, circle and collection memberships, collaborators.
The ``datasets`` counter covers the rows of table ``dataset``.

A :class:`CounterCache` remembers what it loaded under the counter value it
read *before* loading. Because the counter and the data commit together, an
entry is never older than its counter value: once any process commits a
revocation, the next request anywhere reads a higher counter and reloads.
Within one request the counters are read together, once, so that a request
that asks several times (token, roles, dataset) pays for one small query,
and again after the request has written (what it cached before its own
write may be out of date). Nothing is cached inside a transaction: a
transaction that rolls back must leave no entry behind that it alone saw.

Each query costs a request more than its own time: SQLite gives up the
interpreter lock for every step, and under concurrent requests getting it
back means waiting for another thread.
"""
import threading

import cachetools
import peewee
from flask import has_request_context, request

from .db import database, writes_on_this_thread

#: users, tokens, token expiry, memberships, collaborators
ACCESS = "access"
#: the rows of table ``dataset``
DATASETS = "datasets"

_ENVIRON_KEY = "dcorlite.change_counters"


def current(name):
    """The value of counter ``name`` now (read once per request, and after its writes)."""
    if not has_request_context():
        return _read_all().get(name, 0)
    environ = request.environ
    writes = writes_on_this_thread()
    memo = environ.get(_ENVIRON_KEY)
    if memo is None or memo[0] != writes:
        memo = environ[_ENVIRON_KEY] = (writes, _read_all())
    return memo[1].get(name, 0)


def _read_all():
    return dict(database.execute_sql("SELECT name, value FROM change_counter").fetchall())


class CounterCache:
    """An LRU cache of loaded values that empties whenever counter ``counter`` moves on.

    Values are shared between threads: callers must not change them.
    """

    def __init__(self, counter, maxsize):
        self.counter = counter
        self._lock = threading.Lock()
        self._values = cachetools.LRUCache(maxsize)
        self._generation = -1
        self._database = None  # the database the values came from

    def size(self):
        """How many values are cached (some may be of an older counter value)."""
        return len(self._values)

    def get(self, key, load):
        """The value for ``key``: cached if loaded under the current counter, else ``load()``.

        A ``load()`` answer of None is not kept (unknown tokens must not fill the cache).
        """
        generation = current(self.counter)
        with self._lock:
            if database.obj is not self._database:  # rebound (tests, another instance)
                self._values.clear()
                self._generation, self._database = -1, database.obj
            if generation > self._generation:
                self._values.clear()
                self._generation = generation
            elif generation == self._generation and key in self._values:
                return self._values[key]
        value = load()
        if value is None or database.in_transaction():
            return value
        with self._lock:
            if generation == self._generation:
                self._values[key] = value
        return value


def add_counter(db, name):
    """Create table ``change_counter`` if needed and counter ``name`` at 0 (migrations)."""
    db.execute_sql("CREATE TABLE IF NOT EXISTS change_counter "
                   "(name VARCHAR(64) PRIMARY KEY, value BIGINT NOT NULL)")
    db.execute_sql(f"INSERT INTO change_counter (name, value) VALUES ({db.param}, 0)",
                   (name,))
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql(
            "CREATE OR REPLACE FUNCTION dcorlite_count_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE change_counter SET value = value + 1 WHERE name = TG_ARGV[0]; "
            "RETURN NULL; END $$")


def count_changes(db, name, table, events):
    """Make every ``events`` statement on ``table`` add one to counter ``name`` (migrations).

    :param events: e.g. ``("INSERT", "DELETE", "UPDATE OF secret_hash, user_id")``
    """
    for event in events:
        label = f"{name}_{table}_{event.split()[0].lower()}"
        if isinstance(db, peewee.PostgresqlDatabase):
            db.execute_sql(
                f'CREATE TRIGGER {label} AFTER {event} ON "{table}" FOR EACH STATEMENT '
                f"EXECUTE FUNCTION dcorlite_count_change('{name}')")
        else:
            db.execute_sql(
                f'CREATE TRIGGER {label} AFTER {event} ON "{table}" FOR EACH ROW BEGIN '
                f"UPDATE change_counter SET value = value + 1 WHERE name = '{name}'; END")


__all__ = ["ACCESS", "DATASETS", "CounterCache", "add_counter", "count_changes", "current"]
