"""The per-resource lock of the job runner: one worker at a time processes a resource.

On SQLite (one host by definition) the lock is an ``flock`` on
``<instance>/locks/<resource id>.lock``; on PostgreSQL it is a session-level
advisory lock, held on a connection of its own for as long as the job runs,
so that workers on several hosts exclude each other. Either is released by
the kernel or the server when its worker dies: a killed job never blocks a
re-run, and a lock that can be taken means that no live worker is on the
resource (:func:`held`, used by :mod:`.recovery`).
"""
import contextlib
import fcntl
import hashlib
import os

from ..db import database, is_postgresql
from ..identity import instance_id

#: a PostgreSQL server notices a lock holder's host gone after about
#: idle + interval × count seconds of silence (TCP keepalives of the lock's connection)
KEEPALIVE_SETTINGS = {"tcp_keepalives_idle": 30, "tcp_keepalives_interval": 10,
                      "tcp_keepalives_count": 3}


@contextlib.contextmanager
def resource_lock(app, resource_id):
    """Hold the lock of ``resource_id`` for the block; yield False if another holds it."""
    with _locks(app) as locks:
        yield locks.try_acquire(resource_id)


def held(app, resource_ids):
    """The ids among ``resource_ids`` whose lock somebody holds right now."""
    busy = set()
    with _locks(app) as locks:
        for resource_id in resource_ids:
            if locks.try_acquire(resource_id):
                locks.release(resource_id)
            else:
                busy.add(resource_id)
    return busy


def _locks(app):
    """The kind of lock of ``app``'s database (the one place that chooses)."""
    return _AdvisoryLocks(app) if is_postgresql() else _FileLocks(app)


class _FileLocks:
    """``flock`` s in ``<instance>/locks``; released when their file is closed."""

    def __init__(self, app):
        self._directory = os.path.join(app.instance_path, "locks")
        self._files = {}

    def __enter__(self):
        os.makedirs(self._directory, exist_ok=True)
        return self

    def try_acquire(self, resource_id):
        fh = open(os.path.join(self._directory, f"{resource_id}.lock"), "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        self._files[resource_id] = fh
        return True

    def release(self, resource_id):
        self._files.pop(resource_id).close()

    def __exit__(self, *exc):
        for resource_id in list(self._files):
            self.release(resource_id)


class _AdvisoryLocks:
    """Session advisory locks on a new connection; closing it releases them all.

    Advisory locks belong to the whole PostgreSQL database, not to a schema,
    so their keys are made from the instance id and the resource id.
    """

    def __init__(self, app):
        self._instance = instance_id(app)
        self._conn = None

    def __enter__(self):
        import psycopg2
        db = database.obj
        self._conn = psycopg2.connect(database=db.database, **db.connect_params)
        self._conn.autocommit = True
        with self._conn.cursor() as cursor:
            for name, value in KEEPALIVE_SETTINGS.items():
                cursor.execute(f"SET {name} = {int(value)}")
        return self

    def _key(self, resource_id):
        digest = hashlib.blake2b(f"{self._instance}/{resource_id}".encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big", signed=True)

    def try_acquire(self, resource_id):
        with self._conn.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (self._key(resource_id),))
            return cursor.fetchone()[0]

    def release(self, resource_id):
        with self._conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (self._key(resource_id),))

    def __exit__(self, *exc):
        self._conn.close()
