"""Mixed load: concurrent DCOR-Aid/dclab-like clients against one ``dcorlite serve``.

For each database of ``--databases`` (SQLite, and PostgreSQL at
127.0.0.1:5432 in a fresh schema of database ``test`` that is dropped
afterwards), in a temporary directory that is removed at the end:

1. a fresh instance served by ``dcorlite serve`` (default settings: 8 waitress
   threads, ``JOBS_WORKERS`` job threads in the same process), the database
   given as ``DCORLITE_DATABASE_URL`` to the CLI calls and the server;
2. seeding: ``--datasets`` active datasets (a third private), each with one
   copy of a real RT-DC test file (``--testfile``, unzipped from
   ``tests/data``), uploaded through the API the DCOR-Aid way
   (``resource_upload_s3_urls`` → PUT → ``package_create`` →
   ``package_revise`` extend → activate) by a few threads; then it waits
   until the server has processed every resource (``dcserv`` answers, and
   ``dcorlite jobs status --problems`` lists nothing pending or running);
3. baseline, on the idle server: one client, ``--baseline-requests`` requests
   of every read kind and two upload flows, one after the other;
4. the load: ``--clients`` clients in ``--processes`` processes (threads in
   each, one ``requests.Session`` per thread, so that the clients are not
   held back by one interpreter's GIL), of which ``--uploaders`` upload and
   the others read. A reader loops over, in random order per round:

   - ``package_show`` of a random seeded dataset;
   - ``package_search`` as DCOR-Aid sends it: ``fq=organization:<circle>``,
     ``q=*:*`` or a free-text word, ``include_private=True``, ``rows`` 10-100,
     ``sort=metadata_created desc``;
   - a download of a seeded resource with a ``Range`` (up to ``--range-mib``,
     at most the file);
   - ``dcserv`` ``query=metadata`` / ``basins`` / ``size``;

   an uploader repeats DCOR-Aid's own flow with the ``dcoraid`` library
   (``dataset_create`` → ``resource_add`` through the presigned S3 protocol →
   ``dataset_activate``) while the server's job consumer processes what was
   uploaded. After ``--warmup`` s (not counted) the clients run for
   ``--seconds`` s; requests started in that window are counted. By default
   the clients form a closed loop (the next request as soon as the answer is
   read); ``--think-ms`` makes readers pause between requests.

Recorded per kind: count, errors (an exception, a status other than the
expected 200/206, a ranged body of the wrong length, or an answer under
``/api/`` that is not a CKAN envelope by ``tests/fuzz/envelope.py``), p50 and
p99 latency (including the body), and the requests per second. The server's
VmRSS is sampled every second during the window: start, max, end and the
least-squares slope in MiB per minute (also of the second half alone, to
tell a filling cache from steady growth). CPU use (server, clients, rest of the
machine) is shown to tell whether the clients or other work took the CPUs.

Targets: 0 errors; p99 <= 300 ms for ``package_show`` and ``package_search``;
server RSS flat (slope <= ``--rss-slope`` MiB/min). The exit status is 0
even when a target is missed (a benchmark, not a test); look for FAIL.

Usage::

    python benchmarks/load.py [--clients 50] [--seconds 60] [--uploaders 5]
                              [--databases sqlite,postgresql] [--datasets 200]
"""
import argparse
import collections
import concurrent.futures
import contextlib
import multiprocessing
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
import zipfile

import requests

import harness  # benchmarks/harness.py, next to this script

sys.path.insert(0, harness.REPO)
from tests.fuzz.envelope import envelope_problem  # noqa: E402  (needs the repository root)

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
WORDS = ("cells blood beads calibration leukocytes erythrocytes reference channel "
         "flow deformability fluorescence contour").split()
READ_KINDS = ("package_show", "package_search", "download (Range)", "dcserv")
UPLOAD_STEPS = ("upload: dataset_create", "upload: resource_add", "upload: dataset_activate")
UPLOAD_FLOW = "upload: whole flow"
P99_TARGET_MS = 300
P99_TARGET_KINDS = ("package_show", "package_search")
TIMEOUT = 60
MIB = 2 ** 20
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# -- the server ----------------------------------------------------------------------

@contextlib.contextmanager
def database(kind):
    """Yield the database URL for one run of ``kind``; a PostgreSQL schema is dropped after."""
    if kind == "sqlite":
        yield None  # the instance's own SQLite file
        return
    import psycopg2
    from psycopg2.extensions import parse_dsn
    schema = "load_" + uuid.uuid4().hex[:12]
    conn = psycopg2.connect(**parse_dsn(POSTGRES_URL))
    conn.autocommit = True
    conn.cursor().execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        conn.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()


class Server:
    """A running ``dcorlite serve``: base URL, token, circle, pid, instance, log."""

    def __init__(self, instance, host, token, circle_id, pid, database_url, log_path):
        self.instance, self.token, self.circle_id, self.pid = instance, token, circle_id, pid
        self.base = f"http://{host}"
        self.database_url, self.log_path = database_url, log_path
        self._local = threading.local()

    @property
    def session(self):
        """This thread's ``requests.Session`` with the token (seeding runs in threads)."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers["Authorization"] = self.token
        return self._local.session

    def action(self, name, params=None, json=None):
        """Call API action ``name`` (GET with ``params``, POST with ``json``); its result."""
        url = f"{self.base}/api/3/action/{name}"
        if json is None:
            resp = self.session.get(url, params=params, timeout=TIMEOUT)
        else:
            resp = self.session.post(url, json=json, timeout=TIMEOUT)
        body = resp.json()
        if not body.get("success"):
            raise RuntimeError(f"{name} answered {resp.status_code}: {body.get('error')}")
        return body["result"]

    def cli(self, *args):
        """``dcorlite --instance INSTANCE ARGS`` on the server's database; its stdout."""
        return harness.run_cli(self.instance, *args, database_url=self.database_url)

    def log_errors(self, limit=8):
        """``(count, first lines)`` of ERROR/CRITICAL records and tracebacks in the log."""
        with open(self.log_path, errors="replace") as fh:
            lines = fh.read().splitlines()
        hits = [i for i, line in enumerate(lines)
                if line.startswith(("ERROR", "CRITICAL", "Traceback"))]
        shown = []
        for i in hits[:limit]:
            if lines[i].startswith("Traceback") and i and not lines[i - 1][:1].isspace():
                shown.append(lines[i - 1])  # e.g. "Exception in thread ...:"
            shown.append(lines[i])
            shown += [f"    {line}" for line in lines[i + 1:i + 12]
                      if line.startswith((" ", "\t")) or "Error" in line][:10]
        return len(hits), shown

    def queue_depth(self):
        """``(warnings, max depth)`` of waitress' "Task queue depth is N" warnings."""
        with open(self.log_path, errors="replace") as fh:
            depths = [int(m.group(1)) for m in re.finditer(r"Task queue depth is (\d+)",
                                                           fh.read())]
        return len(depths), max(depths, default=0)


@contextlib.contextmanager
def serve(workdir, database_url, worker_processes=0, server_processes=1):
    """A fresh instance served by ``dcorlite serve`` on ``database_url``.

    :param worker_processes: run the jobs in that many ``dcorlite worker`` processes
        instead of threads of the server
    :param server_processes: ``dcorlite serve --processes`` (more than one: the
        server's own job worker runs beside them)
    """
    with harness.served_instance(workdir, database_url=database_url,
                                 worker_processes=worker_processes,
                                 serve_args=["--processes", str(server_processes)]) as \
            (instance, host, token, circle_id, proc):
        yield Server(instance, host, token, circle_id, proc.pid, database_url,
                     os.path.join(workdir, "dcorlite.log"))


# -- seeding ---------------------------------------------------------------------------

def unzip_testfile(name, workdir):
    """Extract the ``.rtdc`` of ``tests/data/<name>`` into ``workdir``; return its path."""
    with zipfile.ZipFile(os.path.join(harness.TESTDATA, name)) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".rtdc"))
        return archive.extract(member, workdir)


def seed_one(server, path, index, rng):
    """Upload one active dataset with ``path`` as its resource; return its target dict."""
    size = os.path.getsize(path)
    urls = server.action("resource_upload_s3_urls",
                         params={"organization_id": server.circle_id, "file_size": size})
    with open(path, "rb") as fh:
        put = requests.put(urls["upload_urls"][0], data=fh, timeout=TIMEOUT)
    put.raise_for_status()
    words = rng.sample(WORDS, 4)
    private = index % 3 == 0
    ds = server.action("package_create", json={
        "title": f"{words[0].title()} {words[1]} measurement {index}",
        "notes": f"Load benchmark: {' '.join(words[2:])}.", "authors": "Load Benchmark",
        "license_id": "CC0-1.0", "owner_org": server.circle_id, "private": private,
        "tags": [{"name": w} for w in words[2:]]})
    name = f"M{index:04d}_data.rtdc"
    server.action("package_revise", json={
        "match": {"id": ds["id"]},
        "update__resources__extend": [{"id": urls["resource_id"], "name": name,
                                       "s3_available": True}]})
    server.action("package_revise", json={"match": {"id": ds["id"]},
                                          "update": {"state": "active"}})
    return {"dataset": ds["id"], "resource": urls["resource_id"], "name": name,
            "size": size}


def seed(server, path, count, threads=4):
    """Upload ``count`` active datasets with ``threads`` threads; return their targets."""
    def work(chunk):
        rng = random.Random(chunk)
        return [seed_one(server, path, i, rng) for i in range(chunk, count, threads)]
    chunks = range(min(threads, count))
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return [target for chunk in pool.map(work, chunks) for target in chunk]


def wait_processed(server, resource_ids, timeout=1800):
    """Wait until every resource is processed; return the job rows in state ``error``.

    ``dcserv`` answers 404 while a resource is being processed, so it is
    polled first (cheap); then ``dcorlite jobs status --problems`` (a CLI
    start costs seconds of CPU) confirms that nothing is pending or running.
    """
    deadline = time.monotonic() + timeout
    waiting = list(resource_ids)
    while time.monotonic() < deadline:
        waiting = [rid for rid in waiting if server.session.get(
            f"{server.base}/api/3/action/dcserv", timeout=TIMEOUT,
            params={"id": rid, "query": "size", "version": 2}).status_code != 200]
        if not waiting:
            rows = [line.split("\t") for line in
                    server.cli("jobs", "status", "--problems").splitlines()]
            if not any(row[3] in ("pending", "running") for row in rows):
                return [row for row in rows if row[3] == "error"]
        time.sleep(2)
    raise RuntimeError(f"{len(waiting)} resources not processed after {timeout} s")


# -- the clients ---------------------------------------------------------------------------

class Reader:
    """One reading client: a session and the four kinds of request."""

    def __init__(self, config, rng):
        self.base, self.circle = config["base"], config["circle"]
        self.targets, self.range_bytes, self.rng = config["targets"], config["range_bytes"], rng
        self.session = requests.Session()
        self.session.headers["Authorization"] = config["token"]
        self.session.headers["User-Agent"] = "DCOR-Aid/1.1.3"

    def request(self, kind):
        """Send one request of ``kind``; return None or why it is an error."""
        target = self.rng.choice(self.targets)
        api = f"{self.base}/api/3/action/"
        if kind == "package_show":
            return self.api_get(api + "package_show", {"id": target["dataset"]})
        if kind == "package_search":
            params = {"q": self.rng.choice(("*:*", self.rng.choice(WORDS))),
                      "fq": f"organization:{self.circle}", "include_private": "True",
                      "rows": self.rng.randint(10, 100), "sort": "metadata_created desc"}
            return self.api_get(api + "package_search", params)
        if kind == "dcserv":
            query = self.rng.choice(("metadata", "basins", "size"))
            return self.api_get(api + "dcserv", {"id": target["resource"], "query": query,
                                                 "version": 2})
        return self.download(target)

    def api_get(self, url, params):
        """GET an action; None if it answered 200 with a CKAN envelope."""
        resp = self.session.get(url, params=params, timeout=TIMEOUT)
        problem = envelope_problem(resp.status_code, resp.content)
        if problem:
            return problem
        return None if resp.status_code == 200 else f"status {resp.status_code}"

    def download(self, target):
        """A ranged download of a seeded resource; None if it answered 206 with those bytes."""
        length = self.rng.randint(1, min(self.range_bytes, target["size"]))
        start = self.rng.randint(0, target["size"] - length)
        url = (f"{self.base}/dataset/{target['dataset']}/resource/{target['resource']}"
               f"/download/{target['name']}")
        resp = self.session.get(url, timeout=TIMEOUT,
                                headers={"Range": f"bytes={start}-{start + length - 1}"})
        if resp.status_code != 206:
            return f"status {resp.status_code}: {resp.content[:200]!r}"
        if len(resp.content) != length:
            return f"206 with {len(resp.content)} bytes instead of {length}"
        return None


class Uploader:
    """One uploading client: DCOR-Aid's library, its own ``CKANAPI``."""

    def __init__(self, config, rng):
        from dcoraid.api import CKANAPI
        self.api = CKANAPI(config["base"], api_key=config["token"], ssl_verify=False)
        self.circle, self.path, self.rng = config["circle"], config["path"], rng

    def steps(self):
        """The three steps of one upload, each a function of the dataset id so far."""
        return [self.create, self.add, self.activate]

    def create(self, _):
        """``dataset_create`` of a new draft in the circle; its id."""
        from dcoraid.api import dataset_create
        words = self.rng.sample(WORDS, 2)
        return dataset_create({
            "title": f"Uploaded {words[0]} {words[1]} {uuid.uuid4().hex[:8]}",
            "authors": "Load Benchmark", "license_id": "CC0-1.0",
            "owner_org": self.circle, "private": self.rng.random() < 0.5}, api=self.api)["id"]

    def add(self, dataset_id):
        """``resource_add`` of the file (presigned S3 protocol); the dataset id."""
        from dcoraid.api.dataset import resource_add
        resource_add(dataset_id, self.path, api=self.api)
        return dataset_id

    def activate(self, dataset_id):
        """``dataset_activate``; the dataset id."""
        from dcoraid.api import dataset_activate
        dataset_activate(dataset_id, api=self.api)
        return dataset_id


def timed_call(func, *args):
    """``(seconds, result, error text or None)`` of ``func(*args)``; exceptions are errors."""
    start = time.perf_counter()
    try:
        result, error = func(*args), None
    except Exception as exc:  # any failure of a request is a counted error
        result, error = None, f"{type(exc).__name__}: {exc}"
    return time.perf_counter() - start, result, error


def run_reader(config, rng, window, samples):
    """Loop over the read kinds until the window ends; append samples."""
    reader = Reader(config, rng)
    wait_until(window[0])
    while time.time() < window[2]:
        kinds = list(READ_KINDS)
        rng.shuffle(kinds)
        for kind in kinds:
            started = time.time()
            if started >= window[2]:
                return
            seconds, problem, error = timed_call(reader.request, kind)
            if started >= window[1]:
                samples.append((kind, seconds, error or problem))
            if config["think"]:
                time.sleep(min(rng.expovariate(1 / config["think"]),
                               max(0.0, window[2] - time.time())))


def run_uploader(config, rng, window, samples):
    """Repeat the DCOR-Aid upload flow until the window ends; append samples."""
    uploader = Uploader(config, rng)
    wait_until(window[0])
    while time.time() < window[2]:
        flow_start, ds, failed = time.time(), None, None
        total = 0.0
        for kind, step in zip(UPLOAD_STEPS, uploader.steps()):
            started = time.time()
            seconds, ds, error = timed_call(step, ds)
            total += seconds
            if started >= window[1]:
                samples.append((kind, seconds, error))
            if error:
                failed = error
                break
        if flow_start >= window[1]:
            samples.append((UPLOAD_FLOW, total, failed))


def wait_until(when):
    """Sleep until the wall clock reaches ``when``."""
    time.sleep(max(0.0, when - time.time()))


def client_process(config, roles, seed, window):
    """One client process: a thread per role.

    :param window: wall-clock ``(start, count from, end)``
    :returns: ``(samples, CPU s in the window, wall-clock time it started)``
    """
    samples = []
    threads = []
    started = time.time()
    for i, role in enumerate(roles):
        target = run_uploader if role == "upload" else run_reader
        threads.append(threading.Thread(
            target=target, args=(config, random.Random(seed * 1000 + i), window, samples),
            daemon=True))
    for thread in threads:
        thread.start()
    wait_until(window[1])
    cpu_start = time.process_time()
    wait_until(window[2])
    cpu = time.process_time() - cpu_start
    for thread in threads:
        thread.join()
    return samples, cpu, started


# -- measuring the server --------------------------------------------------------------------

def process_tree(pid):
    """``pid`` and the pids of all its descendants (``serve --processes`` has children)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]),
                                       []).append(int(entry))
            except OSError:
                continue  # ended meanwhile
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def vmrss_mib(pid):
    """VmRSS of process ``pid`` and its descendants, in MiB."""
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/status") as fh:
                total += next(int(line.split()[1]) for line in fh
                              if line.startswith("VmRSS:")) / 1024
        except (OSError, StopIteration):
            continue
    return total


def cpu_seconds(pid):
    """``(CPU s of process pid and its descendants, busy CPU s of the machine)`` so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    process_cpu = 0.0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        process_cpu += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    busy = sum(values[:8]) - values[3] - values[4]  # all but idle and iowait
    return process_cpu, busy / ticks


class ServerMonitor(threading.Thread):
    """Samples the server's VmRSS every second inside a window; CPU of server and machine."""

    def __init__(self, pid, window):
        super().__init__(daemon=True)
        self.pid, self.window = pid, window
        self.rss = []  # (seconds since the window start, MiB)
        self.cpu = {}

    def run(self):
        wait_until(self.window[1])
        start = cpu_seconds(self.pid)
        t0 = time.time()
        while time.time() < self.window[2]:
            self.rss.append((time.time() - t0, vmrss_mib(self.pid)))
            time.sleep(max(0.0, 1 - (time.time() - t0) % 1))
        end = cpu_seconds(self.pid)
        self.rss.append((time.time() - t0, vmrss_mib(self.pid)))
        self.cpu = {"server": end[0] - start[0], "machine": end[1] - start[1],
                    "wall": time.time() - t0}


def slope_per_minute(points):
    """Least-squares slope of ``[(seconds, MiB)]`` in MiB per minute."""
    if len(points) < 2:
        return 0.0
    return statistics.linear_regression(*zip(*points)).slope * 60


# -- one run ---------------------------------------------------------------------------------

def assign_roles(clients, uploaders, processes):
    """Spread ``uploaders`` uploading and the other reading clients over ``processes``."""
    roles = [[] for _ in range(processes)]
    for i in range(clients):
        roles[i % processes].append("upload" if i < uploaders else "read")
    return [r for r in roles if r]


def run_load(config, args):
    """The load phase; return ``(samples, client CPU s, server monitor)``."""
    roles = assign_roles(args.clients, args.uploaders, args.processes)
    # the spawned processes need a few seconds to import dcoraid and make their clients
    begin = time.time() + 8
    window = (begin, begin + args.warmup, begin + args.warmup + args.seconds)
    monitor = ServerMonitor(config["pid"], window)
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(len(roles), mp_context=ctx) as pool:
        futures = [pool.submit(client_process, config, r, seed, window)
                   for seed, r in enumerate(roles, start=args.seed)]
        monitor.start()
        results = [f.result() for f in futures]
    monitor.join()
    late = sum(started > window[0] for _, _, started in results)
    if late:
        print(f"WARNING: {late} client processes started after the warm-up began")
    samples = [s for part, _, _ in results for s in part]
    return samples, sum(cpu for _, cpu, _ in results), monitor


def baseline_uploads(config, seed, flows=2):
    """One client on the idle server: ``flows`` upload flows, one after the other."""
    samples = []
    uploader = Uploader(config, random.Random(seed))
    for _ in range(flows):
        ds, total, failed = None, 0.0, None
        for kind, step in zip(UPLOAD_STEPS, uploader.steps()):
            seconds, ds, error = timed_call(step, ds)
            samples.append((kind, seconds, error))
            total, failed = total + seconds, failed or error
        samples.append((UPLOAD_FLOW, total, failed))
    return samples


def baseline_reads(config, count, seed):
    """One client on the idle server: ``count`` requests of every read kind."""
    samples = []
    reader = Reader(config, random.Random(seed))
    for kind in READ_KINDS:
        for _ in range(count):
            seconds, problem, error = timed_call(reader.request, kind)
            samples.append((kind, seconds, error or problem))
    return samples


def run_database(kind, args, path, workdir):
    """Seed, baseline and load one database; return the report dict."""
    folder = os.path.join(workdir, kind)
    os.makedirs(folder)
    with database(kind) as url, serve(folder, url, args.worker_processes,
                                                args.server_processes) as server:
        print(f"[{kind}] dcorlite serve on {server.base} (pid {server.pid}); seeding "
              f"{args.datasets} datasets ...", flush=True)
        start = time.perf_counter()
        targets = seed(server, path, args.datasets)
        seeded = time.perf_counter() - start
        errors = wait_processed(server, [t["resource"] for t in targets])
        print(f"[{kind}] seeded in {seeded:.0f} s, processed after "
              f"{time.perf_counter() - start:.0f} s ({len(errors)} job errors)", flush=True)
        config = {"base": server.base, "token": server.token, "circle": harness.CIRCLE,
                  "targets": targets, "range_bytes": int(args.range_mib * MIB),
                  "path": path, "pid": server.pid, "think": args.think_ms / 1000}
        baseline = baseline_uploads(config, args.seed)
        wait_processed(server, [])  # their processing would slow the reads
        baseline += baseline_reads(config, args.baseline_requests, args.seed)
        idle_rss = vmrss_mib(server.pid)
        print(f"[{kind}] baseline done; load: {args.clients} "
              f"clients for {args.warmup:g} + {args.seconds:g} s ...", flush=True)
        samples, client_cpu, monitor = run_load(config, args)
        backlog = server.cli("jobs", "status", "--problems").splitlines()
        log_count, log_lines = server.log_errors()
        depth = server.queue_depth()
    return {"queue_depth": depth, "kind": kind, "samples": samples, "baseline": baseline, "client_cpu": client_cpu,
            "monitor": monitor, "idle_rss": idle_rss, "job_errors": errors,
            "backlog": backlog, "log_count": log_count, "log_lines": log_lines}


# -- the report --------------------------------------------------------------------------------

def percentiles(seconds):
    """``(p50, p99)`` in milliseconds of a list of durations in seconds."""
    return harness.percentiles([s * 1000 for s in seconds])


def by_kind(samples):
    """``{kind: (durations, errors)}`` in table order."""
    table = {k: ([], []) for k in (*READ_KINDS, *UPLOAD_STEPS, UPLOAD_FLOW)}
    for kind, seconds, error in samples:
        table[kind][0].append(seconds)
        if error:
            table[kind][1].append(error)
    return table


def verdict(ok):
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def print_report(report, args):
    """Print the table, the server figures and the targets of one database."""
    load, base = by_kind(report["samples"]), by_kind(report["baseline"])
    monitor = report["monitor"]
    readers = args.clients - args.uploaders
    print()
    pacing = f", readers pause {args.think_ms:g} ms on average" if args.think_ms else ""
    print(f"== {report['kind']}: {args.datasets} seeded datasets, {args.clients} clients "
          f"({readers} readers, {args.uploaders} uploaders) in {args.processes} processes, "
          f"server processes {args.server_processes}, "
          f"{args.seconds:g} s after {args.warmup:g} s warm-up{pacing} ==")
    print(f"{'kind':<26} {'count':>6} {'errors':>6} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}"
          f"   {'idle p50':>8} {'idle p99':>8}")
    print("-" * 93)
    requests_total = 0
    for kind, (durations, errors) in load.items():
        p50, p99 = percentiles(durations)
        b50, b99 = percentiles(base[kind][0])
        if kind != UPLOAD_FLOW:
            requests_total += len(durations)
        print(f"{kind:<26} {len(durations):>6} {len(errors):>6} "
              f"{len(durations) / args.seconds:>7.1f} {p50:>8.1f} {p99:>8.1f}   "
              f"{b50:>8.1f} {b99:>8.1f}")
    n_errors = sum(len(e) for k, (_, e) in load.items() if k != UPLOAD_FLOW)
    print(f"{'all (not the whole flows)':<26} {requests_total:>6} {n_errors:>6} "
          f"{requests_total / args.seconds:>7.1f}")
    print("(an upload step is one DCOR-Aid library call, several HTTP requests; idle: one "
          f"client on the idle server, same run: {args.baseline_requests} requests per read "
          "kind, 2 upload flows)")
    rss = [mib for _, mib in monitor.rss]
    slope = slope_per_minute(monitor.rss)
    half = [(t, mib) for t, mib in monitor.rss if t >= monitor.rss[-1][0] / 2]
    print(f"server VmRSS (MiB): idle before the load {report['idle_rss']:.1f}; in the window "
          f"start {rss[0]:.1f}, max {max(rss):.1f}, end {rss[-1]:.1f}; slope {slope:+.2f} "
          f"MiB/min ({len(rss)} samples, 1/s; second half alone {slope_per_minute(half):+.2f})")
    step = max(1, len(rss) // 12)
    print("  VmRSS every " + f"{step} s: " + " ".join(f"{mib:.0f}" for mib in rss[::step]))
    cpu, wall = monitor.cpu, monitor.cpu["wall"]
    other = cpu["machine"] - cpu["server"] - report["client_cpu"]
    print(f"CPU in the window (cores of {os.cpu_count()}): server {cpu['server'] / wall:.2f}, "
          f"clients {report['client_cpu'] / wall:.2f}, rest of the machine "
          f"{max(0.0, other) / wall:.2f}")
    pending = [r for r in report["backlog"] if "\tpending\t" in r or "\trunning\t" in r]
    print(f"job queue after the load: {len(pending)} job rows pending or running; job errors "
          f"while seeding: {len(report['job_errors'])}, after the load: "
          f"{sum(1 for r in report['backlog'] if chr(9) + 'error' + chr(9) in r)}")
    print(f"server log: {report['log_count']} ERROR/CRITICAL records or tracebacks; "
          f"waitress 'Task queue depth' warnings: {report['queue_depth'][0]} "
          f"(deepest {report['queue_depth'][1]})")
    for line in report["log_lines"]:
        print(f"  {line}")
    print_errors(load)
    p99s = {k: percentiles(load[k][0])[1] for k in P99_TARGET_KINDS}
    targets = [(f"0 errors: {n_errors}", n_errors == 0)]
    targets += [(f"p99 {k} <= {P99_TARGET_MS} ms: {v:.0f} ms", v <= P99_TARGET_MS)
                for k, v in p99s.items()]
    targets.append((f"RSS flat (slope <= {args.rss_slope:g} MiB/min): {slope:+.2f} MiB/min",
                    slope <= args.rss_slope))
    print("targets: " + "; ".join(f"{text} {verdict(ok)}" for text, ok in targets))
    return all(ok for _, ok in targets)


def print_errors(table, limit=6):
    """The most frequent error messages per kind (ids replaced)."""
    for kind, (_, errors) in table.items():
        if not errors or kind == UPLOAD_FLOW:
            continue
        counts = collections.Counter(UUID_RE.sub("<id>", e)[:300] for e in errors)
        print(f"errors of {kind}:")
        for text, n in counts.most_common(limit):
            print(f"  {n}x {text}")


# -- main ------------------------------------------------------------------------------------------

def parse_args():
    """Command line options (see ``--help``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--clients", type=int, default=50,
                        help="concurrent clients in all, uploaders included")
    parser.add_argument("--seconds", type=float, default=60, help="measured window")
    parser.add_argument("--uploaders", type=int, default=5,
                        help="clients that upload with dcoraid (the others read)")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (at 127.0.0.1:5432)")
    parser.add_argument("--datasets", type=int, default=200,
                        help="active datasets seeded before the load")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load not counted")
    parser.add_argument("--range-mib", type=float, default=4,
                        help="largest Range of a download in MiB (at most the file)")
    parser.add_argument("--testfile", default="fmt-hdf5_reference_2025.zip",
                        help="zip in tests/data with the RT-DC file to upload")
    parser.add_argument("--baseline-requests", type=int, default=30,
                        help="requests per read kind of the idle baseline")
    parser.add_argument("--rss-slope", type=float, default=5,
                        help="largest RSS slope (MiB/min) that counts as flat")
    parser.add_argument("--think-ms", type=float, default=0,
                        help="mean pause of a reader after each request (exponential); "
                             "0: closed loop, the next request at once")
    parser.add_argument("--worker-processes", type=int, default=0,
                        help="run the jobs in this many 'dcorlite worker' processes "
                             "(the server then runs none: JOBS_WORKERS=0)")
    parser.add_argument("--server-processes", type=int, default=1,
                        help="dcorlite serve --processes N (N > 1: jobs run in the "
                             "server's own worker process)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (instances, server logs)")
    args = parser.parse_args()
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not args.databases or set(args.databases) - {"sqlite", "postgresql"}:
        parser.error("--databases: name sqlite, postgresql or both")
    if not 0 <= args.uploaders <= args.clients or args.clients < 1:
        parser.error("need 1 <= --clients and 0 <= --uploaders <= --clients")
    if args.datasets < 1 or args.seconds <= 0 or args.processes < 1:
        parser.error("--datasets, --seconds and --processes must be positive")
    return args


def main():
    args = parse_args()
    workdir = tempfile.mkdtemp(prefix="dcorlite-load-")
    passed = {}
    try:
        path = unzip_testfile(args.testfile, workdir)
        print(f"upload file: {os.path.basename(path)}, {os.path.getsize(path)} bytes; "
              f"the machine has {os.cpu_count()} CPUs, load average "
              f"{open('/proc/loadavg').read().split()[0]} before the start", flush=True)
        for kind in args.databases:
            report = run_database(kind, args, path, workdir)
            passed[kind] = print_report(report, args)
            sys.stdout.flush()
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print("summary: " + "; ".join(f"{kind} {'all targets PASS' if ok else 'a target FAILED'}"
                                  for kind, ok in passed.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
