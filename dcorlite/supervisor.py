"""``dcorlite serve --processes N``: N server processes on one port, and a job worker.

One Python process serves about one core's worth of requests (the
interpreter lock). With ``--processes N`` this process opens N listening
sockets on the port (``SO_REUSEPORT``: the kernel spreads the connections
over them) and starts N ``dcorlite serve`` processes, each accepting
connections from its own socket, and, unless
``JOBS_WORKERS`` is 0, one ``dcorlite worker`` that runs the background jobs,
so that dclab's work never competes with requests for an interpreter.

Everything the processes share is in the instance: the database, the files,
the job queue and the search index (whose writer lock is a file lock; marks
of changes live in the database, so every process's searches see every
process's writes). Caches are per process and keyed so that they cannot go
stale (dataset revisions, job times).

Work that one process should do for all of them runs here, in the
supervising process: plugins start it in their ``supervise`` hook and return
the settings that make the children leave it alone (the search plugin writes
the index here). Otherwise this process only watches: a child that exits is
started again after :data:`RESTART_DELAY` seconds. SIGTERM or SIGINT stops
them all cleanly: this process closes its copies of the listening sockets and
passes SIGTERM on; each server process drains its requests and the worker
finishes its jobs within ``SHUTDOWN_DRAIN_SECONDS`` (see
:mod:`dcorlite.shutdown`); a child still running :data:`STOP_MARGIN` seconds
after that is killed.
"""
import json
import logging
import signal
import socket
import subprocess
import sys
import threading
import time

from . import host

logger = logging.getLogger(__name__)

#: seconds before a child that exited is started again
RESTART_DELAY = 1.0
#: seconds children get beyond their drain time after SIGTERM before they are killed
STOP_MARGIN = 10
#: connections the kernel queues for the children to accept
BACKLOG = 2048

CLI = [sys.executable, "-c", "from dcorlite.cli import cli; cli()"]


def listening_sockets(host, port, count):
    """``count`` TCP sockets listening on one ``host:port``, for child processes to inherit.

    Each server process gets a socket of its own, all bound with
    ``SO_REUSEPORT``, so that the kernel spreads new connections over the
    processes evenly. On one shared socket the process that happens to be
    awake accepts a whole burst (16 keep-alive clients were seen split 1:15),
    and one process then serves nearly all of a keep-alive client's requests
    while the other idles. Port 0 picks one free port for all of them.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_server((host, port), family=family, backlog=BACKLOG,
                                        reuse_port=True)
            port = sock.getsockname()[1]
            sock.set_inheritable(True)
            sockets.append(sock)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Child:
    """One supervised process: its command, its environment and the running ``Popen``."""

    def __init__(self, name, args, env, pass_fds=()):
        self.name, self.args, self.env, self.pass_fds = name, args, env, tuple(pass_fds)
        self.proc = None

    def start(self):
        """Start (or restart) the process."""
        self.proc = subprocess.Popen(self.args, env=self.env, pass_fds=self.pass_fds)

    def exited(self):
        """The exit status if the process has ended, else None."""
        return self.proc.poll()


def start_shared_work(app):
    """Start the plugins' work for all processes (``supervise`` hook).

    :returns: ``(stop event, environment variables for the children)``
    """
    stop = threading.Event()
    settings = host.collect("supervise", unique_by="key", app=app, stop=stop)
    return stop, {f"DCORLITE_{key}": json.dumps(value) for key, value in settings}


def children(instance, sockets, threads, job_workers, env):
    """The server processes (one per socket of ``sockets``) and the job worker of one instance.

    A server process that is started again gets the same socket, whose
    connections wait in its backlog meanwhile.

    :param env: environment of every child
    """
    base = CLI + ["--instance", instance]
    web_env = dict(env, DCORLITE_JOBS_WORKERS="0")
    result = [Child(f"server {i + 1}",
                    base + ["serve", "--threads", str(threads),
                            "--listen-fd", str(sock.fileno())],
                    web_env, pass_fds=[sock.fileno()])
              for i, sock in enumerate(sockets)]
    if job_workers:
        result.append(Child("job worker", base + ["worker", "--workers", str(job_workers)],
                            dict(env)))
    return result


def supervise(processes, drain_seconds, on_stop=None):
    """Run ``processes`` (:class:`Child`) until SIGTERM/SIGINT; restart those that exit.

    :param drain_seconds: the children's ``SHUTDOWN_DRAIN_SECONDS``
    :param on_stop: called once the signal came, before the children are stopped
        (``serve`` closes its listening sockets there)
    """
    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for child in processes:
            child.start()
        restart_at = {}
        while not stopping:
            now = time.monotonic()
            for child in processes:
                if child in restart_at:
                    if now >= restart_at[child]:
                        del restart_at[child]
                        child.start()
                elif child.exited() is not None:
                    logger.warning("%s (pid %d) exited with status %s; starting it again",
                                   child.name, child.proc.pid, child.proc.returncode)
                    restart_at[child] = now + RESTART_DELAY
            time.sleep(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if on_stop is not None:
            on_stop()
        _stop_all(processes, float(drain_seconds) + STOP_MARGIN)


def _stop_all(processes, timeout):
    running = [c.proc for c in processes if c.proc is not None and c.proc.poll() is None]
    for proc in running:
        proc.terminate()
    deadline = time.monotonic() + timeout
    for proc in running:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
