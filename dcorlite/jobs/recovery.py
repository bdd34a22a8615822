"""Queueing again the resources whose jobs a dead worker took with it.

A worker that dies leaves its resource's job states ``running``; a task that
a worker dequeued and then died with, or that a Redis server restarted
without its data forgot, leaves them ``pending`` with no task in the queue.
Every consumer (the threads of ``dcorlite serve``, ``dcorlite worker``) looks
for both when it starts and then every ``JOBS_RECOVER_SECONDS``, so that on a
cluster the workers that are left pick up what another host dropped.

A resource is queued again only if nobody holds its lock (:mod:`.locks`: the
lock of a dead worker is gone with it) and no task for it is queued; a
``pending`` state must also be older than one interval, so that a task
between being dequeued and taking its lock is left alone. The states are
read once more after those checks: a worker that finished meanwhile is not
followed by a needless run. Jobs are "ensure" functions, so the rare
duplicate that remains costs only a look at the job states.
"""
import datetime
import logging
import threading
import time

from huey.consumer import Consumer

from ..db import dispose, own_connection
from ..models import JobState, utcnow
from . import locks

logger = logging.getLogger(__name__)

STUCK = ("pending", "running")


def interval(app):
    """Seconds between two recoveries (``JOBS_RECOVER_SECONDS``; 0: only at the start)."""
    return float(app.config["JOBS_RECOVER_SECONDS"])


def recover(app):
    """Queue again the resources whose jobs were lost (see the module docstring).

    :returns: number of resources queued
    """
    cutoff = utcnow() - datetime.timedelta(seconds=interval(app))
    with app.app_context(), own_connection():
        candidates = _stuck(cutoff) - _queued(app)
        if candidates:
            candidates -= locks.held(app, candidates)
        if candidates:
            candidates &= _stuck(cutoff, candidates)
    task = app.extensions["dcorlite"]["process_task"]
    for resource_id in sorted(candidates):
        task(resource_id)
    if candidates:
        logger.info("queued %d resource(s) again whose jobs were interrupted",
                    len(candidates))
    return len(candidates)


def _stuck(cutoff, among=None):
    """Ids of resources with a job ``running``, or ``pending`` since before ``cutoff``."""
    query = (JobState.select(JobState.resource).distinct()
             .where((JobState.state == "running")
                    | ((JobState.state == "pending") & (JobState.updated < cutoff))))
    if among is not None:
        query = query.where(JobState.resource.in_(list(among)))
    return {row.resource_id for row in query}


def _queued(app):
    """Ids of the resources that have a task in the queue."""
    huey = app.extensions["dcorlite"]["huey"]
    return {task.args[0] for task in huey.pending() if task.args}


def _recover_quietly(app):
    try:
        recover(app)
    except Exception:  # a database or queue that is away now is tried again next time
        logger.exception("recovering interrupted jobs failed")


def start_thread(app, stop):
    """Recover every interval in a thread of this process until ``stop`` is set.

    For the worker threads of ``dcorlite serve``. :returns: the thread, or None
    when ``JOBS_RECOVER_SECONDS`` is 0
    """
    seconds = interval(app)
    if seconds <= 0:
        return None

    def run():
        while not stop.wait(seconds):
            _recover_quietly(app)
    thread = threading.Thread(target=run, name="dcorlite-job-recovery", daemon=True)
    thread.start()
    return thread


class RecoveringConsumer(Consumer):
    """huey's consumer of worker processes that also recovers every interval.

    For ``dcorlite worker``. Recovery runs in the consumer's own loop, in the
    thread that forks new workers when one dies, and leaves no database or
    queue connection open behind it that a new worker would inherit.
    """

    def __init__(self, app, huey, **options):
        super().__init__(huey, **options)
        self._app = app
        self._interval = interval(app)
        self._next_recovery = None

    def loop(self, health_check_ts=None):
        """One turn of huey's loop, then a recovery when one is due."""
        result = super().loop(health_check_ts)
        now = time.monotonic()
        if self._next_recovery is None:
            self._next_recovery = now + self._interval
        elif self._interval > 0 and now >= self._next_recovery:
            self._next_recovery = now + self._interval
            _recover_quietly(self._app)
            dispose()
            self.huey.storage.close()
        return result
