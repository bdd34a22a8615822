"""Running the jobs of one resource: locking, retries, recorded state."""
import logging

from .. import host
from ..db import own_connection
from ..models import JobState, Resource, utcnow
from ..storage import shared_copies
from . import _forced, registered_jobs, waiting
from .locks import resource_lock

logger = logging.getLogger(__name__)


def mark_pending(app, resource):
    """Record every job that wants ``resource`` as pending (visible to admins at once)."""
    for job in registered_jobs(app):
        if job.wants(resource):
            state, created = JobState.get_or_create(resource=resource, job=job.name)
            if not created and state.state != "pending":
                state.state, state.updated = "pending", utcnow()
                state.save()


def process_resource(app, resource_id, force=False, only=None):
    """Run the wanted jobs of a resource in dependency order.

    :param force: rerun jobs that are already done
    :param only: job names to run (default all)
    :returns: ``{job name: error or None}`` of the jobs that ran; None if
        another worker holds the resource
    """
    with app.app_context(), own_connection():
        resource = Resource.get_or_none(Resource.id == resource_id)
        if resource is None:
            return {}
        with resource_lock(app, resource_id) as acquired:
            if not acquired:
                return None
            token_force = _forced.set(force)
            try:
                with shared_copies():  # on S3: one download of the original for all jobs
                    return _run_all(app, resource, force, only)
            finally:
                _forced.reset(token_force)


def _run_all(app, resource, force, only):
    outcome, failed = {}, set()
    for job in registered_jobs(app):
        if (only and job.name not in only) or not job.wants(resource):
            continue
        state, _ = JobState.get_or_create(resource=resource, job=job.name)
        if state.state == "done" and not force:
            continue
        broken = [d for d in job.depends_on if d in failed or _state(resource, d) == "error"]
        if broken:
            error = f"dependency {', '.join(broken)} failed"
            _record(state, "error", error)
        else:
            error = _run_one(job, resource, state)
        if error:
            failed.add(job.name)
        outcome[job.name] = error
        host.notify("resource_processed", app=app, resource=resource, job=job.name,
                    error=error)
    return outcome


def _state(resource, job_name):
    row = JobState.get_or_none(resource=resource, job=job_name)
    return row.state if row else None


def _run_one(job, resource, state):
    error = None
    for attempt in range(job.retries + 1):
        state.attempts += 1
        _record(state, "running", "")
        try:
            job.run(resource.id)
        except Exception as exc:  # a job failure must never stop the worker
            logger.warning("job %s for resource %s failed (attempt %d): %s",
                           job.name, resource.id, attempt + 1, exc)
            error = f"{exc.__class__.__name__}: {exc}"
            continue
        _record(state, "done", "")
        return None
    _record(state, "error", error)
    return error


def _record(state, value, error):
    state.state, state.error, state.updated = value, error, utcnow()
    state.save()
    if value in ("done", "error"):
        waiting.job_recorded()
