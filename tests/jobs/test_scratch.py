"""Scratch folders: a killed job's folder goes when a worker starts, a running one's stays."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from dcorlite.jobs.scratch import ScratchFull, clean_scratch, scratch_dir

HOLDER = """
import sys, time
from dcorlite.jobs.scratch import scratch_dir
with scratch_dir(sys.argv[1]) as path:
    open(path + "/condensed.rtdc", "wb").write(b"half a file")
    print(path, flush=True)
    time.sleep(120)
"""


def _holder(base):
    """A process inside a job's scratch folder (like a worker condensing); returns (proc, path)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(base)], stdout=subprocess.PIPE,
                            text=True)
    return proc, proc.stdout.readline().strip()


def test_a_finished_job_leaves_nothing(tmp_path):
    with scratch_dir(str(tmp_path)) as path:
        assert os.path.isdir(path)
    assert os.listdir(tmp_path) == []


def test_folders_of_killed_jobs_are_removed_running_ones_stay(tmp_path):
    running, running_path = _holder(tmp_path)
    killed, killed_path = _holder(tmp_path)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(30)
        assert os.path.exists(os.path.join(killed_path, "condensed.rtdc"))  # left behind
        assert clean_scratch(base=str(tmp_path)) == 1
        assert not os.path.exists(killed_path)
        assert os.path.exists(os.path.join(running_path, "condensed.rtdc"))
    finally:
        running.kill()
        running.wait(30)


def test_lockless_folders_of_earlier_versions_are_removed_once_old(tmp_path):
    old = tmp_path / "tmpab12cd"
    old.mkdir()
    (old / "condensed.rtdc").write_bytes(b"x")
    fresh = tmp_path / "tmpnew"
    fresh.mkdir()
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert clean_scratch(base=str(tmp_path)) == 1
    assert not old.exists() and fresh.exists()  # fresh: may be set up right now


def test_starting_the_job_consumer_cleans_up(app):
    """``dcorlite serve`` starts its consumer this way; killed jobs' folders are gone then."""
    from dcorlite.jobs.queue import start_consumer
    from dcorlite.jobs.scratch import scratch_base
    left = os.path.join(scratch_base(app), "job-killed")
    os.makedirs(left)
    open(os.path.join(left, ".lock"), "w").close()  # nobody holds it: the worker died
    consumer = start_consumer(app, 1)
    try:
        assert not os.path.exists(left)
    finally:
        consumer.stop(graceful=True)


def test_a_reservation_beyond_the_limit_fails_at_once(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_SCRATCH_MAX_BYTES", 1000)
    with app.app_context(), pytest.raises(ScratchFull, match="JOBS_SCRATCH_MAX_BYTES"):
        with scratch_dir(str(tmp_path), reserve=1001):
            pass
    assert not [n for n in os.listdir(tmp_path) if n.startswith("job-")]


def test_reservations_of_one_host_stay_within_the_limit(app, tmp_path, monkeypatch):
    """While one job's reservation holds the space, another's does not fit; it gets the
    space once the first job ends, waiting for it if it may."""
    monkeypatch.setitem(app.config, "JOBS_SCRATCH_MAX_BYTES", 1500)
    base = str(tmp_path)
    entered, release, done = threading.Event(), threading.Event(), threading.Event()

    def first_job():
        with app.app_context(), scratch_dir(base, reserve=1000):
            entered.set()
            release.wait(30)

    def second_job():
        with app.app_context(), scratch_dir(base, reserve=1000):
            done.set()
    first = threading.Thread(target=first_job)
    first.start()
    assert entered.wait(30)
    with app.app_context():
        with pytest.raises(ScratchFull, match="did not become free"):
            with scratch_dir(base, reserve=1000, wait=False):
                pass
        with scratch_dir(base, reserve=500, wait=False):  # what is left fits
            pass
    second = threading.Thread(target=second_job)
    second.start()
    assert not done.is_set()
    release.set()
    first.join(30)
    second.join(30)
    assert done.is_set()
    assert not [n for n in os.listdir(tmp_path) if n.startswith("job-")]
