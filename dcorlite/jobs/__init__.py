"""Background jobs: per-resource "ensure" functions run by a huey queue.

Plugins return :class:`Job` objects from ``register_jobs``; the host owns the
queue (:mod:`.queue`), runs the jobs of a resource in dependency order
(:mod:`.runner`) and records their progress in :class:`dcorlite.models.JobState`.
"""
import contextvars
import dataclasses
from typing import Callable

from flask import current_app

@dataclasses.dataclass(frozen=True)
class Job:
    """One idempotent background job.

    :param name: ``<plugin>.<verb_noun>``, unique
    :param run: ``run(resource_id)``; does nothing if its result already exists
        (unless forced, see :func:`forced`); raises on failure
    :param wants: ``wants(resource)`` → True if the job applies to the resource
    :param depends_on: names of jobs that must have succeeded first
    :param retries: how often a failing run is repeated before giving up
    :param priority: jobs with lower values run first where dependencies allow,
        so that cheap results (metadata) do not wait for expensive ones
    """

    name: str
    run: Callable
    wants: Callable = lambda resource: True
    depends_on: tuple = ()
    retries: int = 2
    priority: int = 0


_forced = contextvars.ContextVar("dcorlite_job_forced", default=False)


def forced():
    """True while a job runs with ``--force``: results must be recomputed."""
    return _forced.get()


def site_url():
    """Public base URL for links that jobs write into files: ``SITE_URL``, else ``""``.

    Never a URL from a request: what a job writes is kept for good, and a
    request's host may be one client's view (a direct connection, a proxy
    that was not trusted yet).
    """
    return (current_app.config.get("SITE_URL") or "").rstrip("/")


def registered_jobs(app=None):
    """The app's jobs in an order where every job follows its dependencies."""
    app = app or current_app
    return app.extensions["dcorlite"]["jobs"]


def enqueue_for_resource(resource_id, force=False, app=None):
    """Queue the processing of ``resource_id`` (returns at once)."""
    from .queue import enqueue
    enqueue(app or current_app, resource_id, force=force)


__all__ = ["Job", "enqueue_for_resource", "forced", "registered_jobs", "site_url"]
