"""The per-resource lock of the job runner, across processes (flock, PostgreSQL advisory lock).

The holder is another process with an app of its own on the test's instance
and database, as a worker on another host would be (on PostgreSQL nothing is
shared with it but the database server).
"""
import json
import subprocess
import sys
import time
import uuid

import pytest

from dcorlite.db import database, is_postgresql
from dcorlite.jobs import locks
from dcorlite.jobs.locks import held, resource_lock

HOLDER = """
import json, sys, time
from dcorlite import create_app
from dcorlite.jobs.locks import resource_lock
config, instance, resource_id = json.loads(sys.argv[1])
app = create_app(config, instance_path=instance)
with app.app_context(), resource_lock(app, resource_id) as acquired:
    print(acquired, flush=True)
    time.sleep(120)
"""


def advisory_lock_holders(app, resource_id):
    """PostgreSQL backends holding the resource's advisory lock, by ``pg_locks``."""
    key = locks._AdvisoryLocks(app)._key(resource_id) & 0xFFFFFFFFFFFFFFFF
    rows = database.execute_sql(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND classid = %s AND objid = %s AND objsubid = 1",
        (key >> 32, key & 0xFFFFFFFF)).fetchall()
    return [pid for pid, in rows]


#: seconds the server may take to notice that the holder is gone
DEADLINE = 30


@pytest.fixture
def holder(app, app_config):
    """``holder(resource_id)`` → a process holding the resource's lock (killed at the end)."""
    procs = []

    def start(resource_id):
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER,
             json.dumps([app_config, app.instance_path, resource_id])],
            stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "True"
        return proc
    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def test_a_lock_held_elsewhere_is_not_taken_and_is_free_once_its_holder_is_killed(
        app, holder):
    rid, other = str(uuid.uuid4()), str(uuid.uuid4())
    proc = holder(rid)
    if is_postgresql():  # a lock of the database server, which every host shares
        assert len(advisory_lock_holders(app, rid)) == 1
    with resource_lock(app, rid) as acquired:
        assert not acquired
    with resource_lock(app, other) as acquired:
        assert acquired
        assert held(app, [rid, other]) == {rid, other}
    proc.kill()  # SIGKILL: no clean-up in the holder
    proc.wait()
    end = time.monotonic() + DEADLINE
    while held(app, [rid]) and time.monotonic() < end:
        time.sleep(0.05)  # polling for the server to drop the dead session, with a deadline
    with resource_lock(app, rid) as acquired:
        assert acquired
        assert held(app, [rid]) == {rid}
    assert held(app, [rid]) == set()
    if is_postgresql():
        assert advisory_lock_holders(app, rid) == []
