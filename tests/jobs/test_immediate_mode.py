"""``JOBS_IMMEDIATE`` runs the jobs inside the request that queues them."""
import pytest

from dcorlite.models import JobState


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_IMMEDIATE=True)


@pytest.mark.sqlite_only
def test_jobs_are_done_when_the_attach_returns(api, make_user, make_circle, make_dataset,
                                               make_resource, rtdc_path):
    owner = make_user("instant")
    draft = make_dataset(owner, make_circle(owner), active=False)
    res = make_resource(owner, draft, rtdc_path)
    assert {s.state for s in JobState.select().where(JobState.resource == res.id)} == {"done"}
    status, body = api("dcserv", owner, method="GET", id=res.id, query="size")
    assert status == 200 and body["result"] == 7
