"""What the audit trail costs a request: audit on versus off, same instance, same run.

One run, loopback only, in a temporary directory removed at the end:

1. a fresh instance (SQLite) with one private, processed dataset (the small
   RT-DC test file), then served by two more ``dcorlite serve`` processes that
   differ only in ``DCORLITE_AUDIT_ENABLED`` (both ``JOBS_WORKERS=0``);
2. one keep-alive client, alternating between the two servers for
   ``--rounds`` rounds: ``package_show`` of the private dataset (one entry
   per request) and a ranged ``/files/`` read of 64 KiB (a dclab chunk; one
   entry per user and window); p50 per server, and the ratio on/off;
3. ``ab -k -c 8`` on ``package_show`` against both: req/s and the ratio;
4. ``dcorlite audit verify`` on the trail that was written.

Target (audit issue): ratio ≤ 1.1×.

Usage::

    python benchmarks/audit.py [--requests 2000] [--rounds 5]
"""
import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import zipfile

import requests

import harness  # benchmarks/harness.py, next to this script
from request_costs import ab, one_client, upload  # noqa: E402


def small_file(folder):
    """The small RT-DC test file with fluorescence traces."""
    with zipfile.ZipFile(os.path.join(harness.TESTDATA, "fmt-hdf5_fl_2018.zip")) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".rtdc"))
        return zf.extract(member, folder)


def run(args, workdir):
    """Upload, then serve the instance twice alike but for the audit setting; measure, print."""
    path = small_file(workdir)
    with harness.served_instance(workdir) as (instance, host, token, circle_id, _), \
            contextlib.ExitStack() as stack:
        dataset_id, rid = upload(host, token, circle_id, path)
        hosts = {}
        for side, enabled in (("on", "true"), ("off", "false")):
            port = harness.free_port()
            env = dict(harness.clean_env(), DCORLITE_AUDIT_ENABLED=enabled,
                       DCORLITE_JOBS_WORKERS="0")
            log = os.path.join(workdir, f"{side}.log")
            proc = stack.enter_context(harness.process(
                harness.CLI + ["--instance", instance, "serve", "--host", "127.0.0.1",
                               "--port", str(port)], log, env=env))
            hosts[side] = f"127.0.0.1:{port}"
            harness.wait_for(lambda: requests.get(
                f"http://{hosts[side]}/api/3/action/status_show").ok, proc, log)
        measure(args, hosts, token, dataset_id, rid)
    print(harness.run_cli(instance, "audit", "verify").strip())


def measure(args, hosts, token, dataset_id, rid):
    auth = f"Authorization: {token}"
    basins = requests.get(f"http://{hosts['on']}/api/3/action/dcserv",
                          params={"id": rid, "query": "basins"},
                          headers={"Authorization": token}).json()["result"]
    signed = next(b["urls"][0] for b in basins if b["name"].startswith("resource"))
    files_path = signed.split("/", 3)[3]
    cases = {"package_show (private)": (f"api/3/action/package_show?id={dataset_id}", (auth,)),
             "/files/ 64 KiB range": (files_path, ("Range: bytes=4096-69631",))}
    p50 = {(case, side): [] for case in cases for side in hosts}
    for _ in range(args.rounds):
        for case, (path, headers) in cases.items():
            for side, host in hosts.items():
                p50[(case, side)].append(one_client(f"http://{host}/{path}", args.requests,
                                                    headers)[0])
    print(f"one keep-alive client, {args.requests} requests x {args.rounds} rounds "
          "(median of the rounds' p50)")
    print(f"{'request':28} {'audit on':>10} {'audit off':>10} {'ratio':>7}")
    for case in cases:
        on, off = (statistics.median(p50[(case, s)]) for s in ("on", "off"))
        print(f"{case:28} {on:8.3f}ms {off:8.3f}ms {on / off:6.2f}x")
    url = f"api/3/action/package_show?id={dataset_id}"
    rates = {side: ab(f"http://{host}/{url}", args.requests * 2, 8, (auth,))[0]
             for side, host in hosts.items()}
    print(f"ab -k -c 8 package_show: audit on {rates['on']:.0f} req/s, off "
          f"{rates['off']:.0f} req/s, ratio off/on {rates['off'] / rates['on']:.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("ab") is None:
        sys.exit("needs ApacheBench: apt-get install apache2-utils")
    workdir = tempfile.mkdtemp(prefix="dcorlite-audit-bench-")
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
