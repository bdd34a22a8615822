"""Jobs that are not done (``dcorlite jobs status --problems``, the admin page) and re-runs."""
import peewee as pw

from ..models import Dataset, JobState, Resource


def job_states(resource_id=None, problems=False, limit=None):
    """Job states with their resource and dataset, oldest resource first.

    :param problems: only those that are not ``done`` (pending, running, error)
    """
    query = (JobState.select(JobState, Resource, Dataset).join(Resource).join(Dataset)
             .order_by(Resource.created, JobState.id))
    if resource_id:
        query = query.where(JobState.resource == resource_id)
    if problems:
        query = query.where(JobState.state != "done")
    if limit is not None:
        query = query.limit(limit)
    return list(query)


def problem_counts():
    """``{state: number}`` of the job states that are not ``done``."""
    query = (JobState.select(JobState.state, pw.fn.COUNT(JobState.id))
             .where(JobState.state != "done").group_by(JobState.state).tuples())
    return dict(query)


def rerun(app, resource_id):
    """Queue the jobs of ``resource_id`` that are not done again (returns at once).

    :returns: False if there is no such resource
    """
    from .queue import enqueue
    if Resource.get_or_none(Resource.id == resource_id) is None:
        return False
    enqueue(app, resource_id)
    return True
