"""The database handle, its per-request lifecycle and migrations.

``database`` is a :class:`peewee.DatabaseProxy`; :func:`init_db` binds it to
SQLite or PostgreSQL from ``DATABASE_URL``.
"""
import os

import peewee
from playhouse.db_url import connect
from playhouse.migrations import Runner

database = peewee.DatabaseProxy()

CORE_MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 30000,
    "synchronous": "normal",
}


def open_database(url):
    """Return a peewee database for ``url`` (``sqlite:///…`` or ``postgresql://…``)."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS)
    return connect(url)


def init_db(app):
    """Bind :data:`database`, connect per request and apply pending migrations."""
    db = open_database(app.config["DATABASE_URL"])
    database.initialize(db)

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()


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
