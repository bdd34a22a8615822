"""Which huey the job queue is: SQLite in the instance (default), or Redis (``JOBS_URL``).

SQLite serves the processes of one host. With ``JOBS_URL=redis://host:port/db``
the queue is huey's Redis queue with priorities (waiting requests move a
resource to the front, see :mod:`.waiting`), which the workers of every host
can share. Its keys are named after the instance (``JOBS_QUEUE_NAME``, by
default ``dcorlite_<instance id>``): every host on the instance's database
reads the same id, and another instance sharing the Redis server has another.
"""
import os

from huey import PriorityRedisHuey, SqliteHuey

from ..cli_errors import lower_first, mask_passwords
from ..errors import StartupError
from ..identity import instance_id

#: seconds to wait for the Redis server to accept a connection
CONNECT_TIMEOUT = 5


def make_queue(app):
    """A huey without tasks for ``app``'s queue.

    :raises StartupError: for a ``JOBS_URL`` that is no Redis URL, or whose server
        does not answer
    """
    immediate = bool(app.config["JOBS_IMMEDIATE"])
    url = app.config["JOBS_URL"]
    if url and not immediate:  # immediate mode keeps its tasks in memory anyway
        return _redis_huey(app, url)
    return SqliteHuey(name="dcorlite", filename=sqlite_path(app), results=False,
                      immediate=immediate)


def sqlite_path(app):
    """The file of the SQLite queue: ``JOBS_DATABASE``, else ``<instance>/jobs.sqlite``."""
    return app.config["JOBS_DATABASE"] or os.path.join(app.instance_path, "jobs.sqlite")


def queue_name(app):
    """The name of the instance's queue in a shared Redis."""
    return app.config["JOBS_QUEUE_NAME"] or f"dcorlite_{instance_id(app)}"


def describe(app):
    """Where the queue is, for people (passwords masked)."""
    if isinstance(app.extensions["dcorlite"]["huey"], PriorityRedisHuey):
        return f"{mask_passwords(app.config['JOBS_URL'])} (queue {queue_name(app)})"
    return sqlite_path(app)


def _redis_huey(app, url):
    from redis import ConnectionPool, RedisError
    shown = mask_passwords(url)
    try:
        pool = ConnectionPool.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT)
    except ValueError as exc:
        raise StartupError(f"JOBS_URL {shown} is not a Redis URL: {exc}") from None
    huey = PriorityRedisHuey(name=queue_name(app), connection_pool=pool, results=False)
    try:
        huey.storage.conn.ping()
    except RedisError as exc:
        raise StartupError(f"cannot connect to the job queue at JOBS_URL {shown}: "
                           f"{_reason(exc)}") from None
    return huey


def _reason(exc):
    """``connection refused`` rather than redis-py's ``Error 111 connecting to h:p. …``."""
    cause = exc.__context__
    text = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(exc)
    return lower_first(text.strip().rstrip("."))
