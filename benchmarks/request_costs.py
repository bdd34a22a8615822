"""Per-request cost: dcorlite's endpoints against a bare Flask endpoint on waitress, same run.

One run, loopback only, in a temporary directory removed at the end:

1. a bare Flask app (one route answering a small JSON document) served by
   waitress with the same thread count and number of processes as ``dcorlite
   serve``: the baseline; and the same app once more with the waitress
   setting dcorlite changes (``send_bytes``, see ``dcorlite.cli.SEND_BYTES``),
   to show what is dcorlite's own cost;
2. ``dcorlite serve [--processes N]`` on a fresh instance (SQLite) with one
   active dataset holding a 5,000-event RT-DC file with images, processed;
3. ``ab -k -c CONCURRENCY`` (ApacheBench, Debian package ``apache2-utils``)
   against: the bare endpoint, ``status_show``, ``package_show``,
   ``package_search`` (DCOR-Aid's circle query), a ranged ``/files/`` read
   (64 KiB, as dclab reads an HDF5 chunk) and a ``dcserv`` query; req/s,
   p50 and p99, and req/s as a fraction of the bare endpoint's;
4. the ranged ``/files/`` read once more with one keep-alive client, next to
   the bare endpoint the same way (its latency is what dclab waits for each
   chunk);
5. dclab reading 200 random and 200 sequential images of the file through
   ``dcserv`` and ``/files/`` basins, next to the same reads from the local
   file.

Targets (issue 8): ``package_show`` ≥ 0.5× the bare endpoint's req/s; a ranged
``/files/`` read ≤ 1.5 ms p50 for one client; random remote images ≤ 10× local.

Usage::

    python benchmarks/request_costs.py [--requests 4000] [--concurrency 8] [--processes 1]

(Not ``benchmarks/requests.py``: scripts run with their folder first on
``sys.path``, so that name would hide the requests library from every
benchmark.)
"""
import argparse
import http.client
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zipfile

import requests

import harness  # benchmarks/harness.py, next to this script

sys.path.insert(0, harness.REPO)
from dcorlite.cli import SEND_BYTES  # noqa: E402
from tests.fixtures.rtdc import write_repeated  # noqa: E402  (needs the repository root)

BARE_APP = """
import os, signal, socket, sys, warnings, waitress
from flask import Flask, jsonify
app = Flask("bare")

@app.route("/bare")
def bare():
    return jsonify({"help": "bare", "success": True, "result": {"ok": True}})

port, processes, send_bytes = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tuning = {"send_bytes": send_bytes} if send_bytes else {}  # 0: waitress's default
warnings.simplefilter("ignore", DeprecationWarning)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run the finally below
sock = socket.create_server(("127.0.0.1", port), backlog=2048)
children = []
for _ in range(processes - 1):  # as dcorlite serve --processes: one socket, N processes
    pid = os.fork()
    if pid == 0:
        children = None
        break
    children.append(pid)
try:
    waitress.serve(app, sockets=[sock], threads=8, ident="bare", **tuning)
finally:
    for pid in children or ():
        os.kill(pid, signal.SIGTERM)
"""
EVENTS = 5000
IMAGES = 200


def ab(url, requests_count, concurrency, headers=()):
    """Run ApacheBench; return ``(req/s, p50 ms, p99 ms, failed)``."""
    args = ["ab", "-q", "-k", "-n", str(requests_count), "-c", str(concurrency)]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout

    def number(pattern):
        return float(re.search(pattern, out).group(1))
    failed = int(number(r"Failed requests:\s+(\d+)")) + int(
        re.search(r"Non-2xx responses:\s+(\d+)", out).group(1)
        if "Non-2xx" in out else 0)
    return (number(r"Requests per second:\s+([\d.]+)"), number(r"\s50%\s+(\d+)"),
            number(r"\s99%\s+(\d+)"), failed)


def one_client(url, requests_count, headers=()):
    """One keep-alive client (``http.client``, little overhead of its own): ``(p50, p99)`` ms."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = dict(h.split(": ", 1) for h in headers)
    times = []
    for _ in range(requests_count):
        start = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        if response.status >= 400:
            raise RuntimeError(f"{url} answered {response.status}")
    connection.close()
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99)]


def make_file(folder):
    """A 5,000-event RT-DC file with images, made from the reference test file."""
    archive = os.path.join(harness.TESTDATA, "fmt-hdf5_image-bg_2020.zip")
    with zipfile.ZipFile(archive) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".rtdc"))
        source = zf.extract(member, folder)
    return str(write_repeated(source, os.path.join(folder, "images.rtdc"), EVENTS))


def upload(host, token, circle_id, path):
    """Create, upload (DCOR-Aid's protocol), activate; return (dataset id, resource id)."""
    from dcoraid.api import CKANAPI, dataset_activate, dataset_create
    from dcoraid.api.dataset import resource_add
    api = CKANAPI(f"http://{host}", api_key=token, ssl_verify=False)
    ds = dataset_create({"title": "Request benchmark", "authors": "Bench",
                         "license_id": "CC0-1.0", "owner_org": circle_id, "private": True},
                        api=api)
    resource_add(ds["id"], path, api=api)
    dataset_activate(ds["id"], api=api)
    rid = api.get("package_show", id=ds["id"])["resources"][0]["id"]
    condensed = f"http://{host}/dataset/{ds['id']}/resource/{rid}/condensed.rtdc"
    requests.head(condensed, headers={"Authorization": token}, timeout=300)  # waits for it
    return ds["id"], rid


def image_reads(source, indices):
    """Seconds to read the images at ``indices`` from an open dclab dataset."""
    start = time.perf_counter()
    for index in indices:
        source["image"][index]
    return time.perf_counter() - start


def dclab_figures(host, token, rid, local_path):
    """Remote versus local: 200 random and 200 sequential images."""
    import dclab
    rng = random.Random(1)
    random_idx = rng.sample(range(EVENTS), IMAGES)
    sequential = list(range(1000, 1000 + IMAGES))
    figures = {}
    with dclab.new_dataset(rid, host=host, api_key=token, use_ssl=False) as remote, \
            dclab.new_dataset(local_path) as local:
        remote["image"][0], local["image"][0]  # open the basins before timing
        for name, indices in (("random", random_idx), ("sequential", sequential)):
            figures[name] = (image_reads(remote, indices), image_reads(local, indices))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1,
                        help="server processes of both servers (dcorlite serve --processes)")
    args = parser.parse_args()
    if shutil.which("ab") is None:
        sys.exit("needs ApacheBench: apt-get install apache2-utils")
    workdir = tempfile.mkdtemp(prefix="dcorlite-requests-bench-")
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir):
    """Start both servers, measure, print."""
    path = make_file(workdir)
    bare_port = harness.free_port()
    tuned_port = harness.free_port()
    bare_log = os.path.join(workdir, "bare.log")
    tuned_log = os.path.join(workdir, "bare-tuned.log")
    with harness.process([sys.executable, "-c", BARE_APP, str(bare_port),
                          str(args.processes), "0"], bare_log) as bare, \
            harness.process([sys.executable, "-c", BARE_APP, str(tuned_port),
                             str(args.processes), str(SEND_BYTES)], tuned_log) as tuned, \
            harness.served_instance(workdir, serve_args=["--processes", str(args.processes)]) \
            as (_, host, token, circle_id, _):
        bare_url = f"http://127.0.0.1:{bare_port}/bare"
        tuned_url = f"http://127.0.0.1:{tuned_port}/bare"
        harness.wait_for(lambda: requests.get(bare_url).ok, bare, bare_log)
        harness.wait_for(lambda: requests.get(tuned_url).ok, tuned, tuned_log)
        dataset_id, rid = upload(host, token, circle_id, path)
        basins = requests.get(f"http://{host}/api/3/action/dcserv",
                              params={"id": rid, "query": "basins"},
                              headers={"Authorization": token}).json()["result"]
        files_url = next(b["urls"][0] for b in basins if b["name"].startswith("resource"))
        auth = (f"Authorization: {token}",)
        api = f"http://{host}/api/3/action"
        cases = [
            ("bare Flask endpoint", bare_url, ()),
            ("bare, dcorlite's waitress", tuned_url, ()),
            ("status_show", f"{api}/status_show", ()),
            ("package_show", f"{api}/package_show?id={dataset_id}", auth),
            ("package_search", f"{api}/package_search?q=*:*&fq=organization:"
                               f"{harness.CIRCLE}&include_private=True&rows=10", auth),
            ("/files/ ranged read", files_url, ("Range: bytes=4096-69631",)),
            ("dcserv metadata", f"{api}/dcserv?id={rid}&query=metadata", auth),
        ]
        results = {name: ab(url, args.requests, args.concurrency, headers)
                   for name, url, headers in cases}
        single = one_client(files_url, 2000, ("Range: bytes=4096-69631",))
        bare_single = one_client(bare_url, 2000)
        images = dclab_figures(host, token, rid, path)
    report(args, results, single, bare_single, images)


def report(args, results, single, bare_single, images):
    """Print the tables and the targets."""
    bare = results["bare Flask endpoint"][0]
    print(f"ab -k -c {args.concurrency} -n {args.requests}, loopback, 2-core machine, "
          f"{args.processes} server process(es) for both servers")
    print(f"{'endpoint':<24} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'failed':>6} "
          f"{'× bare':>7}")
    for name, (rps, p50, p99, failed) in results.items():
        print(f"{name:<24} {rps:>8.0f} {p50:>7.0f} {p99:>7.0f} {failed:>6} {rps / bare:>7.2f}")
    print(f"/files/ ranged read, one client: p50 {single[0]:.2f} ms, p99 {single[1]:.2f} ms "
          f"(bare endpoint, one client: p50 {bare_single[0]:.2f} ms, p99 {bare_single[1]:.2f})")
    for name, (remote, local) in images.items():
        print(f"dclab, {IMAGES} {name} images of {EVENTS}: remote {remote:.3f} s, "
              f"local {local:.3f} s ({remote / local:.1f}×)")
    show = results["package_show"][0] / bare
    tuned = results["package_show"][0] / results["bare, dcorlite's waitress"][0]
    print(f"package_show against the bare endpoint with dcorlite's waitress setting: "
          f"{tuned:.2f}x")
    print("targets: package_show >= 0.5x bare: "
          f"{'PASS' if show >= 0.5 else 'FAIL'} ({show:.2f}x); "
          f"/files/ p50 <= 1.5 ms: {'PASS' if single[0] <= 1.5 else 'FAIL'}; "
          f"random images <= 10x local: "
          f"{'PASS' if images['random'][0] <= 10 * images['random'][1] else 'FAIL'}")


if __name__ == "__main__":
    main()
