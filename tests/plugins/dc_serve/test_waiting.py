"""The condensed copy and the preview right after an upload: the route waits for its job.

DCOR-Aid downloads ``condensed.rtdc`` as soon as a resource has its checksums;
the route moves the resource to the front of the queue and waits for the job.
"""
import threading

import dclab
import pytest

from dcorlite.jobs.queue import start_consumer
from dcorlite.models import JobState


@pytest.fixture
def owner_draft(make_user, make_circle, make_dataset):
    owner = make_user("uploader")
    return owner, make_dataset(owner, make_circle(owner), active=False)


@pytest.fixture
def consumer(app):
    """Start the app's job consumer (worker threads, as in ``dcorlite serve``) on demand."""
    started = []

    def start(workers=2):
        started.append(start_consumer(app, workers))
    yield start
    for running in started:
        running.stop(graceful=True)


def _urls(dataset, resource):
    base = f"/dataset/{dataset.id}/resource/{resource.id}"
    return f"{base}/condensed.rtdc", f"{base}/preview.jpg"


def test_condensed_copy_straight_after_upload(app, client, owner_draft, make_resource,
                                             rtdc_path, consumer, tmp_path):
    """The first request already gets the whole condensed copy, not a 404."""
    owner, draft = owner_draft
    resource = make_resource(owner, draft, rtdc_path)
    consumer()
    condensed_url, preview_url = _urls(draft, resource)
    answer = client.get(condensed_url, headers={"Authorization": owner.token})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert int(answer.headers["Content-Length"]) == len(answer.data)
    (tmp_path / "condensed.rtdc").write_bytes(answer.data)
    with dclab.new_dataset(tmp_path / "condensed.rtdc") as copy, \
            dclab.new_dataset(rtdc_path) as original:
        assert len(copy) == len(original)
        assert "volume" in copy.features_innate
    preview = client.get(preview_url, headers={"Authorization": owner.token})
    assert preview.status_code == 200 and preview.data[:2] == b"\xff\xd8"  # a JPEG


def test_the_waited_for_resource_goes_first(app, client, owner_draft, make_resource,
                                           rtdc_path, consumer):
    """Resources queued earlier wait; the one a client asks for is processed first."""
    owner, draft = owner_draft
    earlier = [make_resource(owner, draft, rtdc_path, name=f"early{i}.rtdc") for i in range(3)]
    wanted = make_resource(owner, draft, rtdc_path, name="wanted.rtdc")
    answers = []
    condensed_url, _ = _urls(draft, wanted)
    waiter = threading.Thread(target=lambda: answers.append(
        client.get(condensed_url, headers={"Authorization": owner.token})))
    waiter.start()
    # the request has queued its priority task once the queue holds one more task
    huey = app.extensions["dcorlite"]["huey"]
    for _ in range(200):
        if len(huey.pending()) == 5:
            break
        waiter.join(0.02)
    assert len(huey.pending()) == 5
    consumer(workers=1)
    waiter.join(120)
    assert answers and answers[0].status_code == 200
    done_at = JobState.get(resource=wanted.id, job="dc_serve.condense").updated
    for resource in earlier:
        first_job = (JobState.select().where(JobState.resource == resource.id)
                     .order_by(JobState.updated).first())
        assert first_job.state == "pending" or first_job.updated > done_at


def test_failed_processing_answers_with_the_error(app, client, owner_draft, make_resource):
    """A file that cannot be processed: 409 with the job's error, at once."""
    from dcorlite.jobs.queue import drain
    owner, draft = owner_draft
    broken = make_resource(owner, draft, b"not HDF5" * 100, name="broken.rtdc")
    drain(app)
    condensed_url, preview_url = _urls(draft, broken)
    for url in (condensed_url, preview_url):
        answer = client.get(url, headers={"Authorization": owner.token})
        assert answer.status_code == 409
        assert "could not be made: dependency dc_serve.kernel failed" in answer.get_data(
            as_text=True)


def test_files_without_a_condensed_copy_are_not_found(client, owner_draft, make_resource):
    """404 only when no copy will ever exist."""
    owner, draft = owner_draft
    text = make_resource(owner, draft, b"notes", name="notes.txt")
    for url in _urls(draft, text):
        assert client.get(url, headers={"Authorization": owner.token}).status_code == 404


def test_not_ready_in_time_is_503_with_retry_after(app, client, owner_draft, make_resource,
                                                  rtdc_path):
    """No worker is running: after the configured wait, 503 and when to try again."""
    app.config["JOBS_WAIT_SECONDS"] = 0.2
    owner, draft = owner_draft
    resource = make_resource(owner, draft, rtdc_path)
    for url in _urls(draft, resource):
        answer = client.get(url, headers={"Authorization": owner.token})
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "30"


def test_unreadable_resources_never_wait(client, owner_draft, make_resource, make_user,
                                        rtdc_path):
    """Somebody who may not read the dataset gets 404 at once, before any waiting."""
    owner, draft = owner_draft
    resource = make_resource(owner, draft, rtdc_path)
    stranger = make_user("stranger")
    for url in _urls(draft, resource):
        assert client.get(url, headers={"Authorization": stranger.token}).status_code == 404


def test_waiting_requests_are_bounded(app, client, owner_draft, make_resource, rtdc_path):
    """When JOBS_MAX_WAITERS requests wait already, the next gets 503 at once."""
    from dcorlite.jobs import waiting
    app.config.update(JOBS_MAX_WAITERS=1, JOBS_WAIT_SECONDS=30)
    owner, draft = owner_draft
    resource = make_resource(owner, draft, rtdc_path)
    slots = waiting._waiter_slots(app)
    slots.acquire()  # the one allowed waiter is another request
    try:
        answer = client.get(_urls(draft, resource)[0], headers={"Authorization": owner.token})
        assert answer.status_code == 503
    finally:
        slots.release()
