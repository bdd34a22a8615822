"""What the benchmarks share: child processes, and a served fresh dcorlite instance."""
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import time

import requests

CLI = [sys.executable, "-c", "from dcorlite.cli import cli; cli()"]
USER, PASSWORD, CIRCLE = "bench", "bench-password-123", "bench-circle"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTDATA = os.path.join(REPO, "tests", "data")


def percentiles(ms):
    """``(p50, p99)`` of a list of durations in milliseconds (NaN for none)."""
    if not ms:
        return float("nan"), float("nan")
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.99))]


def in_process_app(folder, **config):
    """A dcorlite app (no server) on a fresh SQLite database and storage in ``folder``."""
    from dcorlite import create_app
    return create_app({"DATABASE_URL": f"sqlite:///{folder}/db.sqlite",
                       "STORAGE_URL": f"file:{folder}/storage", "LOAD_ENTRY_POINTS": False,
                       "SECRET_KEY": "bench", **config}, instance_path=f"{folder}/instance")


def free_port():
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(database_url=None, settings=None):
    """This process's environment without ``DCORLITE_*`` settings (fresh defaults).

    :param database_url: if given, set as ``DCORLITE_DATABASE_URL``
    :param settings: more settings, ``{KEY: value}`` (set as ``DCORLITE_KEY``)
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("DCORLITE_")}
    if database_url:
        env["DCORLITE_DATABASE_URL"] = database_url
    env.update({f"DCORLITE_{key}": str(value) for key, value in (settings or {}).items()})
    return env


@contextlib.contextmanager
def process(args, log_path, env=None):
    """Run ``args`` with output to ``log_path``; terminate it on exit."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(ready, proc, log_path, timeout=60):
    """Call ``ready()`` until it returns a true value, or fail with the log tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            result = ready()
        except Exception:
            result = None
        if result:
            return result
        time.sleep(0.2)
    with open(log_path, errors="replace") as fh:
        tail = fh.read()[-3000:]
    raise RuntimeError(f"{' '.join(proc.args[:2])} did not become ready:\n{tail}")


def run_cli(instance, *args, database_url=None, settings=None):
    """Run ``dcorlite --instance INSTANCE ARGS`` with a clean environment; return stdout.

    :param database_url: the instance's database, if not its default SQLite file
    :param settings: more settings of the instance (see :func:`clean_env`)
    """
    proc = subprocess.run(CLI + ["--instance", instance, *args],
                          env=clean_env(database_url, settings), capture_output=True,
                          text=True)
    if proc.returncode:
        raise RuntimeError(f"dcorlite {' '.join(args[:2])} failed: {proc.stderr}")
    return proc.stdout


@contextlib.contextmanager
def served_instance(workdir, sysadmin=False, database_url=None, serve_args=(),
                    worker_processes=0, reuse_instance=False, settings=None):
    """A fresh instance with a user, a token and a circle, served by ``dcorlite serve``.

    :param database_url: passed as ``DCORLITE_DATABASE_URL`` to the CLI and the
        server (an empty database); default: the instance's SQLite file
    :param serve_args: more options of ``dcorlite serve`` (e.g. ``["--threads", "16"]``)
    :param worker_processes: if > 0, the server runs no jobs itself
        (``JOBS_WORKERS=0``) and ``dcorlite worker`` runs them in that many processes
    :param settings: more settings of the instance, e.g. S3 storage (see :func:`clean_env`)
    :param reuse_instance: serve the instance an earlier call made in ``workdir``
        (its user, circle and data), with a new token
    :yields: ``(instance folder, "127.0.0.1:PORT", token, circle id, server process)``
    """
    instance = os.path.join(workdir, "instance")
    db = {"database_url": database_url, "settings": settings}
    if not reuse_instance:
        run_cli(instance, "user", "add", USER, "--email", "bench@example.org",
                "--password", PASSWORD, *(["--sysadmin"] if sysadmin else []), **db)
    token = run_cli(instance, "token", "create", USER, **db).strip()
    if reuse_instance:
        circle_id = None
    else:
        created = run_cli(instance, "circle", "create", CIRCLE, "--admin", USER, **db)
        circle_id = re.search(r"\(([0-9a-f-]{36})\)", created).group(1)
    host = f"127.0.0.1:{free_port()}"
    log = os.path.join(workdir, "dcorlite.log")
    args = CLI + ["--instance", instance, "serve", "--host", "127.0.0.1",
                  "--port", host.split(":")[1], *serve_args]
    env = clean_env(database_url, settings)
    with contextlib.ExitStack() as stack:
        if worker_processes:
            env["DCORLITE_JOBS_WORKERS"] = "0"
            stack.enter_context(process(
                CLI + ["--instance", instance, "worker", "--workers", str(worker_processes)],
                os.path.join(workdir, "worker.log"), env=env))
        proc = stack.enter_context(process(args, log, env=env))
        wait_for(lambda: requests.get(f"http://{host}/api/3/action/status_show").ok,
                 proc, log)
        yield instance, host, token, circle_id, proc


NGINX_MAIN_CONF = """\
daemon off;
worker_processes 1;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {site};
}}
"""


@contextlib.contextmanager
def behind_nginx(workdir, instance, env=None):
    """A second ``dcorlite serve`` on ``instance`` behind nginx, as docs/deployment.md sets up.

    ``dcorlite certs create`` and ``dcorlite nginx-config``, then the server with
    ``PROXY_COUNT=1``, ``X_ACCEL_REDIRECT=true`` and no job workers (the first
    server runs them), and nginx (Debian package ``nginx``) as a child process.

    :param env: more ``DCORLITE_*`` settings for that server
    :yields: ``(https base URL, path of the certificate to trust)``
    """
    import shutil
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        raise RuntimeError("nginx not found; install the Debian package nginx")
    port, https_port, http_port = free_port(), free_port(), free_port()
    if not os.path.exists(os.path.join(instance, "certs", "server.cert")):
        run_cli(instance, "certs", "create", "--hostname", "localhost", "--ip", "127.0.0.1")
    run_cli(instance, "nginx-config", "--upstream", f"127.0.0.1:{port}", "--no-settings",
            "--https-port", str(https_port), "--http-port", str(http_port),
            "--listen-address", "127.0.0.1")
    server_env = dict(clean_env(), DCORLITE_PROXY_COUNT="1", DCORLITE_X_ACCEL_REDIRECT="true",
                      DCORLITE_JOBS_WORKERS="0", **(env or {}))
    folder = os.path.join(workdir, "nginx")
    os.makedirs(folder, exist_ok=True)
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w") as fh:
        fh.write(NGINX_MAIN_CONF.format(
            user="user root root;" if os.geteuid() == 0 else "", tmp=folder,
            site=os.path.join(instance, "nginx", "dcorlite.conf")))
    cert = os.path.join(instance, "certs", "server.cert")
    base = f"https://127.0.0.1:{https_port}"
    args = CLI + ["--instance", instance, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with process(args, os.path.join(workdir, "dcorlite-nginx.log"), env=server_env) as proc, \
            process([nginx, "-e", os.path.join(folder, "error.log"), "-p", folder, "-c", conf],
                    os.path.join(folder, "stderr.log")) as nginx_proc:
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/api/3/action/status_show").ok,
                 proc, os.path.join(workdir, "dcorlite-nginx.log"))
        wait_for(lambda: requests.get(f"{base}/api/3/action/status_show", verify=cert).ok,
                 nginx_proc, os.path.join(folder, "error.log"))
        yield base, cert
