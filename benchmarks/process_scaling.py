"""``package_show`` req/s of ``dcorlite serve --processes N`` against one process, same run.

The issue's ``benchmarks/requests.py --processes 2`` (that name would hide
the requests library from every benchmark, see ``request_costs.py``). One run,
loopback only, in a temporary directory removed at the end:

1. a fresh instance (SQLite, or ``--database-url``) with one active private
   dataset holding a 5,000-event RT-DC file, uploaded with DCOR-Aid's
   protocol and processed;
2. ``dcorlite serve`` on it with one process, then with ``--processes N``
   (the same instance, database and port; nothing else changes);
3. for each, ``ab -k -c CONCURRENCY`` (ApacheBench, Debian package
   ``apache2-utils``) on ``package_show`` of that dataset with the owner's
   token, after a warm-up, ``--repeat`` times: the median run's req/s, p50,
   p99 and failed requests; then the ratio of the two medians.

Target (issue 11): ≥ 1.6× with 2 processes on this 2-core machine.

Usage::

    python benchmarks/process_scaling.py [--processes 2] [--requests 20000] [--concurrency 16]
                                         [--repeat 3]
"""
import argparse
import os
import shutil
import sys
import tempfile

import requests

import harness  # benchmarks/harness.py, next to this script
import request_costs

TARGET = 1.6


def measure(workdir, instance_ready, processes, args):
    """Serve the instance with ``processes`` processes; ``(req/s, p50, p99, failed)``."""
    with harness.served_instance(workdir, database_url=args.database_url,
                                 serve_args=["--processes", str(processes)],
                                 reuse_instance=instance_ready) as (_, host, token, *_):
        url = f"http://{host}/api/3/action/package_show?id={args.dataset_id}"
        headers = (f"Authorization: {token}",)
        requests.get(url, headers={"Authorization": token}, timeout=30).raise_for_status()
        request_costs.ab(url, args.requests // 4, args.concurrency, headers)  # warm-up
        runs = sorted(request_costs.ab(url, args.requests, args.concurrency, headers)
                      for _ in range(args.repeat))
        return runs[len(runs) // 2]


def run(args, workdir):
    """Make the instance, measure one process and N processes, print."""
    path = request_costs.make_file(workdir)
    with harness.served_instance(workdir, database_url=args.database_url) \
            as (_, host, token, circle_id, _):
        args.dataset_id, _ = request_costs.upload(host, token, circle_id, path)
    results = {n: measure(workdir, True, n, args) for n in (1, args.processes)}
    print(f"ab -k -c {args.concurrency} -n {args.requests} package_show, median of "
          f"{args.repeat}, loopback, "
          f"{os.cpu_count()} cores, database {args.database_url or 'SQLite'}")
    print(f"{'server processes':<18} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'failed':>6}")
    for n, (rps, p50, p99, failed) in results.items():
        print(f"{n:<18} {rps:>8.0f} {p50:>7.0f} {p99:>7.0f} {failed:>6}")
    ratio = results[args.processes][0] / results[1][0]
    print(f"target: {args.processes} processes >= {TARGET}x one process: "
          f"{'PASS' if ratio >= TARGET else 'FAIL'} ({ratio:.2f}x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per setup; the median")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", default=None,
                        help="an empty database (default: the instance's SQLite file)")
    args = parser.parse_args()
    if shutil.which("ab") is None:
        sys.exit("needs ApacheBench: apt-get install apache2-utils")
    workdir = tempfile.mkdtemp(prefix="dcorlite-scaling-bench-")
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
