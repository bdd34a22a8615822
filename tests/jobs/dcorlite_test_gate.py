"""A test plugin with one job, ``test_gate.wait``, that runs first and waits for the test.

Loaded through its entry point (see :func:`tests.jobs.test_redis_queue.install_gate`),
also by ``dcorlite worker`` subprocesses. Each start of the job appends the
worker's pid to ``$TEST_JOB_GATE/starts``; the job ends once the file
``$TEST_JOB_GATE/open`` exists, so a test can kill a worker in the middle of it.
"""
import os
import time

from dcorlite import hookimpl
from dcorlite.jobs import Job

JOB = "test_gate.wait"
#: seconds between looks at the gate (the job's own wait, not a test's)
POLL_SECONDS = 0.02


def wait_for_gate(resource_id):
    """Record this start, then wait until the gate is open."""
    folder = os.environ["TEST_JOB_GATE"]
    with open(os.path.join(folder, "starts"), "a") as fh:
        fh.write(f"{os.getpid()}\n")
    while not os.path.exists(os.path.join(folder, "open")):
        time.sleep(POLL_SECONDS)


@hookimpl
def register_jobs(app):
    """The gate, before every other job."""
    return [Job(JOB, wait_for_gate, priority=-1000, retries=0)]
