"""SIGTERM stops ``dcorlite serve`` cleanly: uploads in progress finish or stay resumable.

A real server subprocess (``serve`` and ``serve --processes 2``) receives a
part PUT that streams in chunks; SIGTERM comes while half of the part is
sent. New connections are refused from then on, the PUT in progress
finishes (or, cut by ``SHUTDOWN_DRAIN_SECONDS``, is continued by DCOR-Aid
after the restart), the server exits 0 within the drain bound, and the file
attached at the end has the SHA-256 of what the client sent.
"""
import hashlib
import http.client
import os
import signal
import socket
import threading
import time
import urllib.parse

import pytest
from dcoraid.api.s3_api import upload_s3_presigned_multipart

from dcorlite import supervisor
from tests.fixtures.serve import Served, _bind_database_proxy

pytestmark = pytest.mark.sqlite_only  # the drain does not depend on the database

PART_SIZE = 256 * 1024
FILE_SIZE = 2 * PART_SIZE
CHUNK = 16 * 1024
ONE, TWO = (), ("--processes", "2")
#: seconds for a server to answer the SIGTERM with its log line
NOTICE_TIMEOUT = 30


def make_server(tmp_path, database_url, pycache, serve_args, drain_seconds):
    server = Served(tmp_path, database_url, pycache=pycache, serve_args=serve_args)
    server.env.update({"DCORLITE_UPLOADS_PART_SIZE": str(PART_SIZE),
                       "DCORLITE_SHUTDOWN_DRAIN_SECONDS": str(drain_seconds)})
    server.create_instance()
    server.start()
    return server


@pytest.fixture
def start_server(tmp_path, database_url, subprocess_pycache):
    made = []
    _bind_database_proxy(database_url)

    def start(serve_args, drain_seconds):
        made.append(make_server(tmp_path, database_url, subprocess_pycache, serve_args,
                                drain_seconds))
        return made[-1]
    yield start
    for server in made:
        server.stop()


class SlowPut(threading.Thread):
    """PUT ``data`` to ``url`` in chunks: the first half, then (on :attr:`go_on`) the rest."""

    method = "PUT"

    def __init__(self, url, data, headers=None):
        super().__init__(daemon=True)
        self.url, self.data = urllib.parse.urlsplit(url), data
        self.headers = headers or {}
        self.half_sent, self.go_on = threading.Event(), threading.Event()
        self.status = self.etag = self.error = self.body = None

    def chunks(self):
        half = len(self.data) // 2
        for first, end in ((0, half), (half, len(self.data))):
            if first:
                self.half_sent.set()
                self.go_on.wait(120)
            for start in range(first, end, CHUNK):
                time.sleep(0.01)  # a client on a slow line
                yield self.data[start:min(start + CHUNK, end)]

    def run(self):
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
        try:
            conn.putrequest(self.method, f"{self.url.path}?{self.url.query}")
            conn.putheader("Content-Length", str(len(self.data)))
            for name, value in self.headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            for chunk in self.chunks():
                conn.send(chunk)
            response = conn.getresponse()
            self.status, self.etag = response.status, response.getheader("ETag")
            self.body = response.read()
        except OSError as exc:  # the server cut the connection (drain time over)
            self.error = exc
        finally:
            conn.close()


def upload_urls(server, size):
    return server.action("resource_upload_s3_urls", "alice",
                         {"organization_id": server.circle["id"], "file_size": size})


def wait_for_notices(server, count):
    """Wait until ``count`` server processes logged that they stopped accepting."""
    deadline = time.monotonic() + NOTICE_TIMEOUT
    while time.monotonic() < deadline:
        if server.log_text().count("no new connections") >= count:
            return
        time.sleep(0.05)  # polling the server's log file
    raise AssertionError(f"no SIGTERM notice from {count} process(es)\n{server.log_tail()}")


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def attach_and_read_sha256(server, resource_id):
    dataset = server.action("package_create", "alice",
                            {"title": "drained", "authors": "A", "license_id": "CC0-1.0",
                             "owner_org": server.circle["name"]})
    server.action("package_revise", "alice",
                  {"match": {"id": dataset["id"]}, "update__resources__extend": [
                      {"id": resource_id, "name": "drained.txt", "s3_available": True}]})
    return server.action("resource_show", "alice", {"id": resource_id})["sha256"]


def sigterm_mid_part(server, data, processes):
    """Start the slow PUT of part 1, SIGTERM the server half-way; return (put, urls, t0)."""
    urls = upload_urls(server, len(data))
    assert len(urls["upload_urls"]) == 2
    put = SlowPut(urls["upload_urls"][0], data[:PART_SIZE])
    put.start()
    assert put.half_sent.wait(60)
    signalled = time.monotonic()
    server.proc.terminate()
    wait_for_notices(server, processes)
    assert refused(server.port), "a new connection was accepted after SIGTERM"
    return put, urls, signalled


def assert_resumed_after_restart(server, tmp_path, data, urls):
    """Restart ``server``; DCOR-Aid's multipart upload of ``data`` with the same URLs completes
    and the attached file has the SHA-256 of ``data``."""
    server.start()
    path = tmp_path / "drained.txt"
    path.write_bytes(data)
    upload_s3_presigned_multipart(path, PART_SIZE, len(data), urls["upload_urls"],
                                  urls["complete_url"])
    assert attach_and_read_sha256(server, urls["resource_id"]) == \
        hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("serve_args", [ONE, TWO], ids=["serve", "processes-2"])
def test_a_part_in_progress_at_sigterm_completes(start_server, serve_args, tmp_path):
    """The PUT finishes with the right ETag, the server exits 0 within the drain bound."""
    drain = 30
    server = start_server(serve_args, drain)
    data = os.urandom(FILE_SIZE)
    put, urls, signalled = sigterm_mid_part(server, data, 2 if serve_args else 1)
    put.go_on.set()
    put.join(60)
    assert put.error is None and put.status == 200
    assert put.etag.strip('"') == hashlib.md5(data[:PART_SIZE]).hexdigest()
    assert server.proc.wait(drain + supervisor.STOP_MARGIN) == 0, server.log_tail()
    assert time.monotonic() - signalled < drain
    # after the restart DCOR-Aid sends the rest with the same URLs; the file is whole
    assert_resumed_after_restart(server, tmp_path, data, urls)


@pytest.mark.parametrize("serve_args", [ONE, TWO], ids=["serve", "processes-2"])
def test_a_part_cut_by_the_drain_time_is_resumed_after_restart(start_server, serve_args,
                                                               tmp_path):
    """A client that stalls past the drain bound is cut; DCOR-Aid continues the upload."""
    drain = 2
    server = start_server(serve_args, drain)
    data = os.urandom(FILE_SIZE)
    put, urls, signalled = sigterm_mid_part(server, data, 2 if serve_args else 1)
    assert server.proc.wait(drain + supervisor.STOP_MARGIN) == 0, server.log_tail()
    assert time.monotonic() - signalled < drain + supervisor.STOP_MARGIN
    put.go_on.set()
    put.join(60)
    assert put.status is None, "the stalled PUT cannot have been answered"
    assert_resumed_after_restart(server, tmp_path, data, urls)


class SlowPost(SlowPut):
    method = "POST"


def multipart_revise(dataset_id, name, content):
    """The body of DCOR-Aid's legacy ``package_revise`` upload of one file."""
    boundary = "dcorlite-shutdown-test"
    fields = [("match__id", dataset_id),
              ("update__resources__extend", f'[{{"name": "{name}"}}]')]
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n"
             f"{value}\r\n".encode() for key, value in fields]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; "
                 f"name=\"update__resources__-1__upload\"; filename=\"{name}\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("serve_args", [ONE, TWO], ids=["serve", "processes-2"])
def test_a_package_revise_upload_in_progress_at_sigterm_completes(start_server, serve_args):
    """The legacy upload (behind a self-signed certificate) finishes and is attached."""
    drain = 30
    server = start_server(serve_args, drain)
    dataset = server.action("package_create", "alice",
                            {"title": "legacy", "authors": "A", "license_id": "CC0-1.0",
                             "owner_org": server.circle["name"]})
    content = os.urandom(FILE_SIZE)
    body, content_type = multipart_revise(dataset["id"], "legacy.txt", content)
    post = SlowPost(f"{server.url}/api/3/action/package_revise", body,
                    {"Content-Type": content_type, "Authorization": server.tokens["alice"]})
    post.start()
    assert post.half_sent.wait(60)
    signalled = time.monotonic()
    server.proc.terminate()
    wait_for_notices(server, 2 if serve_args else 1)
    assert refused(server.port), "a new connection was accepted after SIGTERM"
    post.go_on.set()
    post.join(60)
    assert post.error is None and post.status == 200, (post.status, post.body)
    assert server.proc.wait(drain + supervisor.STOP_MARGIN) == 0, server.log_tail()
    assert time.monotonic() - signalled < drain
    server.start()
    shown = server.action("package_show", "alice", {"id": dataset["id"]})
    assert [(r["name"], r["sha256"]) for r in shown["resources"]] == \
        [("legacy.txt", hashlib.sha256(content).hexdigest())]


def test_a_connection_queued_but_not_accepted_at_sigterm_is_served():
    """The kernel queued a connection (and buffered half its body) that the server had
    not accepted when SIGTERM came; it is accepted and answered, not reset."""
    import waitress
    from dcorlite.shutdown import Drainer

    def app(environ, start_response):
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(len(body)).encode()]

    server = waitress.create_server(app, host="127.0.0.1", port=0)
    drainer = Drainer(server, 10)
    client = socket.create_connection(("127.0.0.1", server.effective_port), timeout=10)
    client.sendall(b"PUT /part HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
    drainer._on_signal(signal.SIGTERM, None)  # before the serving loop ever accepted it
    answer = []

    def rest_of_the_body():
        time.sleep(0.2)  # a client on a slow line
        try:
            client.sendall(b"67890")
            got = b""
            while not got.endswith(b"\r\n\r\n10"):
                chunk = client.recv(4096)
                if not chunk:
                    break
                got += chunk
            answer.append(got)
        except OSError as exc:
            answer.append(exc)
    sender = threading.Thread(target=rest_of_the_body)
    sender.start()
    assert drainer.run() == 0
    sender.join(10)
    client.close()
    assert isinstance(answer[0], bytes), answer
    assert answer[0].startswith(b"HTTP/1.1 200") and answer[0].endswith(b"10")
