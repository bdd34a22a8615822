"""``dcorlite serve --processes N``: server processes on one port, a job worker, restarts."""
import os
import signal
import time

import pytest
import requests

from dcorlite import supervisor

TWO = ("--processes", "2")


def child_commands(pid):
    """``{pid: command line}`` of the direct children of process ``pid``."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                command = fh.read().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended meanwhile
        if parent == pid:
            found[int(entry)] = command
    return found


def running(pid):
    """True while process ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def servers_and_workers(pid):
    children = child_commands(pid)
    servers = sorted(p for p, c in children.items() if " serve " in c and "--listen-fd" in c)
    workers = sorted(p for p, c in children.items() if " worker " in c)
    return servers, workers


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)  # polling the process table, not synchronising with the server
    raise AssertionError(f"not within {timeout} s: {what}")


def fresh_connection_status(served):
    """``status_show`` over a new connection (each one may land in another process)."""
    with requests.Session() as session:
        return session.get(f"{served.url}/api/3/action/status_show", timeout=30).status_code


@pytest.mark.parametrize("served", [TWO], indirect=True)
def test_two_server_processes_and_a_worker_share_the_instance(served):
    """Two server processes accept on the one port, and a job worker runs beside them."""
    servers, workers = servers_and_workers(served.proc.pid)
    assert len(servers) == 2 and len(workers) == 1, child_commands(served.proc.pid)
    assert [fresh_connection_status(served) for _ in range(40)] == [200] * 40


@pytest.mark.parametrize("served", [TWO], indirect=True)
def test_a_server_process_that_dies_is_replaced_and_requests_keep_working(served):
    """kill -9 of one server process: the other answers meanwhile, a new one takes its place."""
    servers, _ = servers_and_workers(served.proc.pid)
    os.kill(servers[0], signal.SIGKILL)
    assert [fresh_connection_status(served) for _ in range(20)] == [200] * 20
    replaced = wait_until(
        lambda: (lambda s: s if len(s) == 2 and servers[0] not in s else None)(
            servers_and_workers(served.proc.pid)[0]),
        30 + supervisor.RESTART_DELAY, "a second server process again")
    assert servers[1] in replaced
    assert [fresh_connection_status(served) for _ in range(20)] == [200] * 20


@pytest.mark.parametrize("served", [TWO], indirect=True)
def test_sigterm_stops_every_process(served):
    """SIGTERM to ``dcorlite serve`` ends the server processes and the worker with it."""
    children = list(child_commands(served.proc.pid))
    assert len(children) == 3
    served.proc.terminate()
    served.proc.wait(30 + supervisor.STOP_MARGIN)
    assert [pid for pid in children if running(pid)] == []
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{served.url}/api/3/action/status_show", timeout=5)


def test_shared_work_settings_reach_the_children(app):
    """Plugins' ``supervise`` settings become DCORLITE_* variables of every child."""
    stop, env = supervisor.start_shared_work(app)
    try:
        assert env["DCORLITE_SEARCH_WRITES_INDEX"] == "false"
        assert env["DCORLITE_FIXITY_INTERVAL"] == "0"  # batches run in the supervisor
        sockets = supervisor.listening_sockets("127.0.0.1", 0, 2)
        try:
            children = supervisor.children("/inst", sockets, 4, 3, env)
            assert [c.pass_fds for c in children] == [(s.fileno(),) for s in sockets] + [()]
            assert all(s.get_inheritable() for s in sockets)
            assert len({s.getsockname() for s in sockets}) == 1  # one port
        finally:
            for sock in sockets:
                sock.close()
    finally:
        stop.set()
    names = [c.name for c in children]
    assert names == ["server 1", "server 2", "job worker"]
    for child in children:
        assert child.env["DCORLITE_SEARCH_WRITES_INDEX"] == "false"
    assert [c.env.get("DCORLITE_JOBS_WORKERS") for c in children] == ["0", "0", None]
    assert children[2].args[-3:] == ["worker", "--workers", "3"]
