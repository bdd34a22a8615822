"""Waiting in a request for one job of one resource (the condensed copy, the preview).

DCOR-Aid downloads a condensed copy the moment an upload is verified. The
route that serves it asks :func:`wait_for_job`, which moves the resource to
the front of the queue and waits until the job has finished, up to
``JOBS_WAIT_SECONDS``. Jobs of this process wake the waiters as soon as
they record a result; results recorded by ``dcorlite worker`` processes are
seen by polling the job's state.
"""
import dataclasses
import threading
import time

from flask import current_app

from ..models import JobState
from . import registered_jobs

#: seconds between looks at the job state (for workers in other processes)
POLL_SECONDS = 0.25
#: queue priority of a resource that somebody is waiting for (normal tasks have 0)
WAITED_FOR_PRIORITY = 100

_finished = threading.Condition()
_slots_guard = threading.Lock()


@dataclasses.dataclass
class Outcome:
    """How waiting for a job ended.

    ``state`` is ``done``, ``error`` (``error`` holds the job's error text),
    ``never`` (the job does not apply to the resource) or ``busy`` (not
    finished in time, or too many requests wait already; try again later).
    """

    state: str
    error: str = ""


def job_recorded():
    """Wake the waiters: a job of this process recorded its result."""
    with _finished:
        _finished.notify_all()


def _job(name):
    for job in registered_jobs():
        if job.name == name:
            return job
    return None


def _waiter_slots(app):
    """The app's semaphore of ``JOBS_MAX_WAITERS`` places for waiting requests."""
    extensions = app.extensions["dcorlite"]
    with _slots_guard:
        if "job_waiter_slots" not in extensions:
            extensions["job_waiter_slots"] = threading.BoundedSemaphore(
                int(app.config["JOBS_MAX_WAITERS"]))
        return extensions["job_waiter_slots"]


def wait_for_job(resource, job_name, timeout=None):
    """Wait until job ``job_name`` has finished for ``resource``; move it to the front first.

    :param timeout: seconds (default ``JOBS_WAIT_SECONDS``)
    :returns: :class:`Outcome`
    """
    app = current_app._get_current_object()
    job = _job(job_name)
    if job is None or not job.wants(resource):
        return Outcome("never")
    outcome = _recorded(resource.id, job_name)
    if outcome is not None:
        return outcome
    slots = _waiter_slots(app)
    if not slots.acquire(blocking=False):
        return Outcome("busy")
    try:
        app.extensions["dcorlite"]["process_task"](resource.id, priority=WAITED_FOR_PRIORITY)
        deadline = time.monotonic() + (app.config["JOBS_WAIT_SECONDS"]
                                       if timeout is None else timeout)
        while (remaining := deadline - time.monotonic()) > 0:
            with _finished:
                _finished.wait(min(POLL_SECONDS, remaining))
            outcome = _recorded(resource.id, job_name)
            if outcome is not None:
                return outcome
        return Outcome("busy")
    finally:
        slots.release()


def _recorded(resource_id, job_name):
    """The outcome if the job has finished, else None."""
    row = (JobState.select(JobState.state, JobState.error)
           .where((JobState.resource == resource_id) & (JobState.job == job_name)).first())
    if row is not None and row.state == "done":
        return Outcome("done")
    if row is not None and row.state == "error":
        return Outcome("error", row.error)
    return None
