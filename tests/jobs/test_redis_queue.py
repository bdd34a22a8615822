"""The job queue in Redis (``JOBS_URL``), worked by ``dcorlite worker`` processes.

Redis is the real server at ``$DCORLITE_TEST_REDIS_URL`` (default
:data:`DEFAULT_REDIS_URL`); each test's queue is named after its fresh
database's instance id, and its keys are deleted afterwards. Workers are
subprocesses in sessions of their own, so that SIGKILL to the group kills a
worker as a dying host would: its consumer and its worker processes at once.
"""
import datetime
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest
import redis

from dcorlite.jobs.backends import queue_name
from dcorlite.jobs.locks import resource_lock
from dcorlite.jobs.recovery import recover
from dcorlite.jobs.waiting import wait_for_job
from dcorlite.models import JobState, utcnow
from dcorlite.storage import get_storage
from dcorlite.storage.base import resource_key

from . import dcorlite_test_gate as gate

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
CLI = [sys.executable, "-c", "from dcorlite.cli import cli; cli()"]
#: seconds a worker may take to start, or a resource to be processed
DEADLINE = 90
#: the tests' recovery interval (the default is 30 s)
RECOVER_SECONDS = 0.5


def redis_url():
    """The Redis server of the tests."""
    return os.environ.get("DCORLITE_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def poll(condition, what, deadline=DEADLINE):
    """Wait until ``condition()`` is true; fail naming ``what`` after ``deadline`` s."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)  # polling an outcome, with a deadline
    pytest.fail(f"not within {deadline} s: {what}")


def install_gate(target):
    """Lay the gate plugin out in ``target`` as pip would (module and entry point)."""
    shutil.copy(pathlib.Path(gate.__file__), target)
    info = target / "dcorlite_test_gate-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: dcorlite-test-gate\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[dcorlite.plugins]\ntest_gate = dcorlite_test_gate\n")


@pytest.fixture
def gate_dir(tmp_path, monkeypatch):
    """The gate plugin, importable by subprocesses; yields its folder."""
    site = tmp_path / "site"
    site.mkdir()
    install_gate(site)
    folder = tmp_path / "gate"
    folder.mkdir()
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("TEST_JOB_GATE", str(folder))
    yield folder


@pytest.fixture
def app_config(app_config):
    """The test app queues in Redis and recovers often."""
    try:
        redis.Redis.from_url(redis_url(), socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"no Redis server at {redis_url()} (DCORLITE_TEST_REDIS_URL): {exc}")
    return dict(app_config, JOBS_URL=redis_url(), JOBS_RECOVER_SECONDS=RECOVER_SECONDS)


def delete_queue(conn, name):
    """Delete the Redis keys of huey's queue ``name``."""
    keys = list(conn.scan_iter(match=f"huey.*.{name}*"))
    if keys:
        conn.delete(*keys)


@pytest.fixture
def queue(app):
    """The test's Redis connection; the keys of the test's queue go when it ends."""
    conn = redis.Redis.from_url(redis_url())
    yield conn
    delete_queue(conn, queue_name(app))
    conn.close()


class Workers:
    """``dcorlite worker`` processes on the test app's instance, database and queue."""

    def __init__(self, app, tmp_path, entry_points):
        self.app, self.tmp_path, self.procs = app, tmp_path, []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DCORLITE_")}
        self.env.update({f"DCORLITE_{key}": str(app.config[key]) for key in (
            "DATABASE_URL", "STORAGE_URL", "SECRET_KEY", "JOBS_URL", "JOBS_RECOVER_SECONDS")})
        self.env["DCORLITE_LOAD_ENTRY_POINTS"] = "true" if entry_points else "false"
        self.env["DCORLITE_JOBS_NICE"] = "0"

    def start(self):
        """Start one worker (one worker process) and wait until it says it is ready."""
        log = self.tmp_path / f"worker-{len(self.procs) + 1}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                CLI + ["--instance", self.app.instance_path, "worker", "--workers", "1"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        proc.log = log
        self.procs.append(proc)
        poll(lambda: "dcorlite worker:" in log.read_text() or proc.poll() is not None,
             f"worker start ({log})")
        assert proc.poll() is None, log.read_text()
        return proc

    def kill(self, proc):
        """SIGKILL the worker and its worker processes."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)

    def stop(self):
        """End every worker that still runs (its whole process group)."""
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)


@pytest.fixture
def workers(app, tmp_path, queue):
    """``workers(entry_points=False)`` → :class:`Workers`, all stopped when the test ends."""
    made = []

    def make(entry_points=False):
        made.append(Workers(app, tmp_path, entry_points))
        return made[-1]
    yield make
    for each in made:
        each.stop()


def states(resource_id):
    """``{job name: (state, attempts)}`` of a resource."""
    return {row.job: (row.state, row.attempts)
            for row in JobState.select().where(JobState.resource == resource_id)}


#: what processing an RT-DC resource stores
ARTEFACTS = ("kernel", "condensed", "condensed_meta", "preview")


@pytest.mark.sqlite_only
def test_a_resource_queued_in_redis_is_processed_by_a_worker_process(
        app, workers, make_user, make_circle, make_dataset):
    worker = workers().start()
    assert f"on {redis_url()} (queue {queue_name(app)})" in worker.log.read_text()
    owner = make_user("redis")
    resource = make_dataset(owner, make_circle(owner)).resources[0]
    # the request's way: queue it in front (priority) and wait, seeing the other
    # process's results in the database
    assert wait_for_job(resource, "dc_serve.condense", timeout=DEADLINE).state == "done"
    poll(lambda: {s for s, _ in states(resource.id).values()} == {"done"},
         "every job done")
    assert app.extensions["dcorlite"]["huey"].pending_count() == 0


def test_a_worker_killed_in_a_job_leaves_it_to_the_other(
        app, tmp_path, gate_dir, workers, make_user, make_circle, make_dataset):
    pool = workers(entry_points=True)
    first = pool.start()
    owner = make_user("cluster")
    resource = make_dataset(owner, make_circle(owner)).resources[0]
    poll(lambda: states(resource.id).get(gate.JOB, ("",))[0] == "running",
         "the first worker in the gate job")
    second = pool.start()  # its recovery at start must leave the running job alone
    pool.kill(first)
    (gate_dir / "open").touch()
    poll(lambda: {s for s, _ in states(resource.id).values()} == {"done"},
         "every job done by the second worker")
    starts = (gate_dir / "starts").read_text().split()
    assert len(starts) == 2 and starts[0] != starts[1], starts
    # the killed job ran again, every other job once
    assert {job: attempts for job, (_, attempts) in states(resource.id).items()} == \
        {job: 2 if job == gate.JOB else 1 for job in states(resource.id)}
    storage = get_storage()
    assert all(storage.exists(resource_key(resource.id, kind)) for kind in ARTEFACTS)
    leftovers = [p for p in (tmp_path / "storage").rglob("*.part")]
    assert not leftovers
    assert second.poll() is None


def test_recovery_queues_what_no_live_worker_has_and_nothing_twice(
        app, queue, make_user, make_circle, make_dataset):
    app.config["JOBS_RECOVER_SECONDS"] = 60
    huey = app.extensions["dcorlite"]["huey"]
    owner = make_user("recovery")
    circle = make_circle(owner)
    names = ("held", "orphaned", "fresh", "stale", "queued", "done")
    res = {name: make_dataset(owner, circle, title=name).resources[0].id for name in names}
    huey.flush()  # their tasks are lost, as with a Redis restarted without its data
    old = utcnow() - datetime.timedelta(hours=1)
    for name, state, updated in (("held", "running", old), ("orphaned", "running", old),
                                 ("fresh", "pending", utcnow()), ("stale", "pending", old),
                                 ("queued", "pending", old), ("done", "done", old)):
        JobState.update(state=state, updated=updated).where(
            JobState.resource == res[name]).execute()
    app.extensions["dcorlite"]["process_task"](res["queued"])

    def queued():
        return sorted(task.args[0] for task in huey.pending())
    with resource_lock(app, res["held"]) as acquired:  # a live worker on it
        assert acquired
        assert recover(app) == 2
        assert queued() == sorted([res["orphaned"], res["stale"], res["queued"]])
        assert recover(app) == 0  # what is queued now is not queued again
    huey.flush()  # lost again; the lock is free now
    assert recover(app) == 4
    assert queued() == sorted(res[name] for name in ("held", "orphaned", "stale", "queued"))


@pytest.mark.sqlite_only
def test_hosts_of_one_instance_share_its_queue_and_other_instances_do_not(
        app, app_config, tmp_path, queue, another_app):
    same = another_app(app_config, instance_path=str(tmp_path / "host2"))  # same database
    other = another_app(dict(app_config, DATABASE_URL=f"sqlite:///{tmp_path}/other.sqlite"),
                        instance_path=str(tmp_path / "other"))
    try:
        app.extensions["dcorlite"]["process_task"]("a-resource")
        assert [t.args[0] for t in same.extensions["dcorlite"]["huey"].pending()] == \
            ["a-resource"]
        assert other.extensions["dcorlite"]["huey"].pending() == []
    finally:
        other.extensions["dcorlite"]["huey"].flush()
