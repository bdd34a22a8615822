"""A cluster on loopback: PostgreSQL, SeaweedFS, Redis, two servers and two workers.

Both ``dcorlite serve`` processes (two "hosts": instance folders of their
own, holding nothing but logs) and both ``dcorlite worker`` processes share
one PostgreSQL database (with its search backend), one S3 server and one
Redis queue; their settings differ in nothing but the port. Twenty DCOR-Aid
clients upload at once, half through each server, each searching for its
dataset the moment it has made it. Part-way, one worker and
one server are killed (SIGKILL); the server is started again, as a service
manager would, and a client whose server died goes on through the other one,
as behind nginx. Every upload must complete and verify, every resource be
processed once in effect, and a search on either server find every dataset.
"""
import concurrent.futures
import hashlib
import os
import signal
import subprocess
import threading
import time
import uuid

import pytest
import redis
import requests
from dcoraid.api import dataset_create
from dcoraid.upload.job import UploadJob

from dcorlite.models import JobState
from dcorlite.storage import resource_key
from tests.fixtures.serve import CLI, Served, _bind_database_proxy, prepare_sharing
from tests.jobs.test_redis_queue import delete_queue, redis_url

pytestmark = pytest.mark.search_backends("postgresql")

UPLOADS = 20
#: uploads finished before the worker and the server are killed
KILL_AFTER = 4
#: seconds for everything to be uploaded, processed and found
DEADLINE = 240
ARTEFACTS = ("kernel", "condensed", "condensed_meta", "preview")


def poll(condition, what, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.2)  # polling an outcome, with a deadline
    pytest.fail(f"not within {deadline} s: {what}")


class Cluster:
    """The two servers (:attr:`servers`) and the two workers (:attr:`workers`)."""

    def __init__(self, tmp_path, database_url, pycache, settings):
        self.tmp_path, self.settings = tmp_path, settings
        self.servers = []
        for name in ("host-a", "host-b"):
            folder = tmp_path / name
            folder.mkdir()
            server = Served(folder, database_url, pycache=pycache)
            server.env.update(settings)
            self.servers.append(server)
        self.workers = []

    def start(self):
        """Instance (users, circle) through the first host, then every process."""
        first, second = self.servers
        first.create_instance()
        first.start()
        prepare_sharing(first)
        second.tokens, second.circle, second.collection = \
            first.tokens, first.circle, first.collection
        second.start()
        for server in self.servers:
            self.workers.append(self._start_worker(server))

    def _start_worker(self, server):
        log = server.instance.parent / "worker.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                CLI + ["--instance", str(server.instance), "worker", "--workers", "1"],
                env=dict(server.env, DCORLITE_JOBS_NICE="0"), stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        proc.log = log
        poll(lambda: "dcorlite worker:" in log.read_text() or proc.poll() is not None,
             f"worker start ({log})", 60)
        assert proc.poll() is None, log.read_text()
        return proc

    def kill_worker(self, index):
        """SIGKILL a worker with its worker processes, as when its host dies."""
        os.killpg(self.workers[index].pid, signal.SIGKILL)
        self.workers[index].wait(30)

    def stop(self):
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(30)
        for server in self.servers:
            server.stop()

    def logs(self):
        return "\n".join([server.log_tail(30) for server in self.servers]
                         + [proc.log.read_text()[-2000:] for proc in self.workers])


@pytest.fixture
def cluster(tmp_path, database_url, search_backend, s3_config, subprocess_pycache):
    queue = f"dcorlite_cluster_{uuid.uuid4().hex[:12]}"
    settings = {f"DCORLITE_{key}": value for key, value in s3_config.items()}
    settings.update(DCORLITE_JOBS_URL=redis_url(), DCORLITE_JOBS_QUEUE_NAME=queue,
                    DCORLITE_JOBS_RECOVER_SECONDS="1", DCORLITE_JOBS_WORKERS="0",
                    DCORLITE_SEARCH_BACKEND=search_backend)
    _bind_database_proxy(database_url)
    made = Cluster(tmp_path, database_url, subprocess_pycache, settings)
    try:
        made.start()
        yield made
    finally:
        made.stop()
        conn = redis.Redis.from_url(redis_url())
        delete_queue(conn, queue)
        conn.close()


class Client:
    """One DCOR-Aid user's upload of one file, through a server that answers."""

    def __init__(self, cluster, index, path):
        self.cluster, self.index, self.path = cluster, index, path
        self.dataset_id = self.job = None
        self.attempts = []

    def run(self):
        """Create, upload, verify; on a dead server start over through the other one."""
        for attempt in range(3):
            server = self.cluster.servers[(self.index + attempt) % 2]
            self.attempts.append(server.port)
            try:
                api = server.api("alice")
                ds = dataset_create({"title": f"Cluster upload {self.index}",
                                     "authors": "Alice", "license_id": "CC0-1.0",
                                     "owner_org": server.circle["name"], "private": True},
                                    api=api)
                # DCOR-Aid looks for what it made the moment after, while the others write
                found = api.get("package_search", fq=f"id:{ds['id']}", include_drafts="true",
                                include_private="true")
                assert [d["id"] for d in found["results"]] == [ds["id"]], found
                job = UploadJob(api, ds["id"], [self.path])
                job.task_compress_resources()
                job.task_upload_resources()
                job.task_verify_resources()
            except (requests.RequestException, ConnectionError):
                continue
            if job.state == "done":
                self.dataset_id, self.job = ds["id"], job
                return self
        raise AssertionError(f"upload {self.index} failed through {self.attempts}: "
                             f"{getattr(job, 'traceback', '')}")


def test_uploads_survive_a_killed_worker_and_server(cluster, rtdc_path, seaweedfs, s3_config):
    finished = []
    lock = threading.Lock()
    killed = threading.Event()

    def upload(index):
        client = Client(cluster, index, rtdc_path).run()
        with lock:
            finished.append(client)
            if len(finished) == KILL_AFTER:
                cluster.kill_worker(0)
                cluster.servers[1].kill()
                killed.set()
        return client

    with concurrent.futures.ThreadPoolExecutor(UPLOADS) as pool:
        futures = [pool.submit(upload, i) for i in range(UPLOADS)]
        assert killed.wait(DEADLINE), cluster.logs()
        cluster.servers[1].start()  # the service manager starts it again
        clients = [future.result(DEADLINE) for future in futures]

    # the kill met uploads in flight (8 of 20 went on through the other server, seen)
    assert any(len(client.attempts) > 1 for client in clients)
    first = cluster.servers[0]
    circle_id = first.circle["id"]
    bucket = s3_config["S3_BUCKET_TEMPLATE"].format(circle_id=circle_id)
    s3 = seaweedfs.client()
    ids = {client.dataset_id for client in clients}
    assert len(ids) == UPLOADS
    for client in clients:
        shown = first.action("package_show", "alice", {"id": client.dataset_id})
        assert shown["state"] == "active"
        (resource,) = shown["resources"]
        content = s3.get_object(Bucket=bucket, Key=resource_key(resource["id"]))["Body"].read()
        assert resource["etag"] == client.job.etags[0] == hashlib.md5(content).hexdigest()
        poll(lambda: first.action("resource_show", "alice", {"id": resource["id"]})["sha256"]
             == hashlib.sha256(content).hexdigest(), f"sha256 of {resource['id']}")

    def processed():
        rows = JobState.select(JobState.resource, JobState.state)
        return rows.count() and all(row.state == "done" for row in rows)
    poll(processed, "every job done\n" + cluster.logs())
    for client in clients:
        rid = first.action("package_show", "alice",
                           {"id": client.dataset_id})["resources"][0]["id"]
        for artefact in ARTEFACTS:
            s3.head_object(Bucket=bucket, Key=resource_key(rid, artefact))
    keys = [item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])]
    assert not [key for key in keys if key.endswith(".part")]

    for server in cluster.servers:
        found = server.action("package_search", "alice", {
            "fq": f"organization:{first.circle['name']}", "rows": 100,
            "include_private": True})
        assert ids <= {ds["id"] for ds in found["results"]}, server.url
