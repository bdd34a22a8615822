"""Scratch folders: a killed job's folder goes when a worker starts, a running one's stays."""
import os
import signal
import subprocess
import sys
import time

from dcorlite.jobs.scratch import clean_scratch, scratch_dir

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
