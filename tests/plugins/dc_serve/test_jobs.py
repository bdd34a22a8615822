"""Background processing of DC resources: states, failures, crashes, the CLI."""
import os
import signal
import subprocess
import sys
import time

import dclab
import pytest

from dcorlite.jobs.queue import drain
from dcorlite.models import JobState, Resource
from dcorlite.storage import get_storage, resource_key
from tests.fixtures.rtdc import write_repeated

DC_JOBS = {"dc_schemas.dc_metadata", "dc_serve.kernel", "dc_serve.condense", "dc_view.preview",
           "privacy.scan"}


@pytest.fixture
def owner_draft(make_user, make_circle, make_dataset):
    owner = make_user("processor")
    return owner, make_dataset(owner, make_circle(owner), active=False)


def states(resource_id):
    return {s.job: s.state for s in JobState.select().where(JobState.resource == resource_id)}


def test_jobs_fill_metadata_format_and_artifacts(app, api, owner_draft, make_resource,
                                                rtdc_path):
    owner, draft = owner_draft
    res = make_resource(owner, draft, rtdc_path)
    assert DC_JOBS <= set(states(res.id)) and set(states(res.id).values()) == {"pending"}
    drain(app)
    shown = api("resource_show", owner, id=res.id)[1]["result"]
    with dclab.new_dataset(rtdc_path) as ds:
        assert shown["dc:experiment:event count"] == len(ds)
        assert shown["dc:setup:flow rate"] == ds.config["setup"]["flow rate"]
        assert shown["dc:imaging:pixel size"] == ds.config["imaging"]["pixel size"]
    assert shown["format"] == "RT-FDC"
    storage = get_storage()
    assert storage.exists(resource_key(res.id, "condensed"))
    assert {s for s in states(res.id).values()} == {"done"}


def test_text_resources_get_no_dc_jobs(owner_draft, make_resource):
    owner, draft = owner_draft
    res = make_resource(owner, draft, b"plain text", name="notes.txt")
    assert not DC_JOBS & set(states(res.id))


def test_invalid_hdf5_records_a_clear_error(app, api, owner_draft, make_resource, rtdc_path):
    owner, draft = owner_draft
    bad = make_resource(owner, draft, b"not HDF5 at all" * 50, name="broken.rtdc")
    good = make_resource(owner, draft, rtdc_path)
    drain(app)
    rows = {s.job: s for s in JobState.select().where(JobState.resource == bad.id)}
    assert rows["dc_serve.kernel"].state == "error"
    assert "OSError" in rows["dc_serve.kernel"].error or "file" in rows["dc_serve.kernel"].error
    assert rows["dc_serve.condense"].error == "dependency dc_serve.kernel failed"
    assert set(states(good.id).values()) == {"done"}
    status, body = api("dcserv", owner, method="GET", id=bad.id, query="metadata")
    assert status == 409 and "could not be processed" in body["error"]["message"]
    status, body = api("dcserv", owner, method="GET", id=good.id, query="size")
    assert status == 200 and body["result"] == 7


def test_answers_are_consistent_while_processing(app, client, api, owner_draft,
                                                 make_resource, rtdc_path):
    """No worker runs: dcserv says "still processing", the condensed route gives up in time."""
    app.config["JOBS_WAIT_SECONDS"] = 0.3
    owner, draft = owner_draft
    res = make_resource(owner, draft, rtdc_path)
    headers = {"Authorization": owner.token}
    assert api("dcserv", owner, method="GET", id=res.id, query="basins")[1]["result"] == []
    status, body = api("dcserv", owner, method="GET", id=res.id, query="metadata")
    assert status == 404 and body["success"] is False
    base = f"/dataset/{draft.id}/resource/{res.id}"
    waited = client.get(f"{base}/condensed.rtdc", headers=headers)
    assert waited.status_code == 503 and waited.headers["Retry-After"] == "30"
    assert client.get(f"/files/{res.id}/condensed", headers=headers).status_code == 403
    assert client.get(f"{base}/download/x.rtdc", headers=headers).status_code == 200


def test_jobs_cli_status_and_forced_rerun(app, cli_runner, owner_draft, make_resource,
                                          rtdc_path):
    owner, draft = owner_draft
    res = make_resource(owner, draft, rtdc_path)
    pending = cli_runner("jobs", "status", res.id)
    assert pending.exit_code == 0 and pending.output.count("\tpending\t") == len(DC_JOBS)
    ran = cli_runner("jobs", "run", "--resource", res.id)
    assert ran.exit_code == 0, ran.output
    # dclab's condense prints a line of its own; the report lines are tab-separated
    report = [line.split("\t") for line in ran.output.splitlines() if "\t" in line]
    assert sorted(job for _, job, _ in report) == sorted(DC_JOBS)
    assert {outcome for _, _, outcome in report} == {"done"}
    assert "\t" not in cli_runner("jobs", "run", "--resource", res.id).output
    forced = cli_runner("jobs", "run", "--resource", res.id, "--force")
    assert forced.output.count("\tdone") == len(DC_JOBS)
    assert cli_runner("jobs", "status", "--problems").output == ""
    missing = cli_runner("jobs", "status", "00000000-0000-4000-8000-000000000000")
    assert missing.exit_code != 0


@pytest.mark.sqlite_only
def test_killed_worker_leaves_the_resource_reprocessable(app, cli_runner, owner_draft,
                                                         make_resource, rtdc_path, tmp_path):
    """A worker killed while condensing: nothing half-made is visible, a new worker finishes."""
    owner, draft = owner_draft
    big = write_repeated(rtdc_path, tmp_path / "big.rtdc", events=3000)
    res = make_resource(owner, draft, big)
    worker = _start_worker(app)
    try:
        _wait_for(lambda: states(res.id).get("dc_serve.condense") == "running", 120)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert states(res.id)["dc_serve.condense"] == "running"
    assert not get_storage().exists(resource_key(res.id, "condensed"))
    worker = _start_worker(app)
    try:
        _wait_for(lambda: set(states(res.id).values()) == {"done"}, 300)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
    assert get_storage().exists(resource_key(res.id, "condensed"))
    assert Resource.get_by_id(res.id).format == "RT-FDC"


def _start_worker(app):
    env = dict(os.environ, DCORLITE_DATABASE_URL=app.config["DATABASE_URL"],
               DCORLITE_STORAGE_URL=app.config["STORAGE_URL"],
               DCORLITE_SECRET_KEY=app.config["SECRET_KEY"],
               DCORLITE_LOAD_ENTRY_POINTS="false")
    code = "from dcorlite.cli import cli; cli()"
    return subprocess.Popen([sys.executable, "-c", code, "--instance", app.instance_path,
                             "worker", "--workers", "1"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(condition, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_preview_route_serves_the_jpeg_after_processing(app, client, owner_draft,
                                                        make_resource, rtdc_path, make_user):
    import io

    from PIL import Image
    app.config["JOBS_WAIT_SECONDS"] = 0.2  # no worker runs until drain()
    owner, draft = owner_draft
    res = make_resource(owner, draft, rtdc_path)
    url = f"/dataset/{draft.id}/resource/{res.id}/preview.jpg"
    headers = {"Authorization": owner.token}
    assert client.get(url, headers=headers).status_code == 503
    drain(app)
    r = client.get(url, headers=headers)
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(r.data)).size[0] == 320
    stranger = make_user("stranger")
    assert client.get(url, headers={"Authorization": stranger.token}).status_code == 404
    assert client.get(url).status_code == 404
