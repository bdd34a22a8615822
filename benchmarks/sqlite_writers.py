"""Concurrent SQLite writers: dcorlite's write lock against SQLite's own busy handler.

Every ``--threads`` threads (in each of ``--processes`` processes) run
``--transactions`` short write transactions on one SQLite file (WAL, the
PRAGMAs of :mod:`dcorlite.db`): ``BEGIN IMMEDIATE``, a read and an update of
one row, ``--work-ms`` of work inside, commit, then ``--pause-ms`` outside.
It runs twice in the same run, on fresh files:

- baseline: peewee's pooled SQLite with ``BEGIN IMMEDIATE``, the busy timeout
  doing the waiting (what dcorlite did before :class:`dcorlite.db.SqliteWriteLock`);
- dcorlite: :func:`dcorlite.db.open_database`, whose writers queue on the lock.

Printed per variant: the time of the whole run, transactions per second, and
p50/p99/max of the time from ``BEGIN`` to the end of ``COMMIT``; then the
ratios. Target: p99 at most half the baseline's. The exit status is 0 either
way (a benchmark, not a test); look for FAIL.

Usage::

    python benchmarks/sqlite_writers.py [--threads 8] [--processes 1] [--transactions 200]
"""
import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
import time

from playhouse.pool import PooledSqliteDatabase

import harness  # benchmarks/harness.py, next to this script

sys.path.insert(0, harness.REPO)
from dcorlite.db import SQLITE_PRAGMAS, open_database  # noqa: E402


def open_variant(variant, path):
    """The pooled database of ``variant`` (``baseline`` or ``dcorlite``) on ``path``."""
    if variant == "baseline":
        return PooledSqliteDatabase(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                                    check_same_thread=False, max_connections=64)
    return open_database(f"sqlite:///{path}")


def writer(db, args, durations):
    """One thread: ``args.transactions`` read-modify-write transactions."""
    with db.connection_context():
        for _ in range(args.transactions):
            started = time.perf_counter()
            with db.atomic():
                value = db.execute_sql("SELECT value FROM counter").fetchone()[0]
                time.sleep(args.work_ms / 1000)
                db.execute_sql("UPDATE counter SET value = ?", (value + 1,))
            durations.append((time.perf_counter() - started) * 1000)
            time.sleep(args.pause_ms / 1000)


def one_process(variant, path, args, results):
    """``args.threads`` writer threads; their durations go to ``results``."""
    db = open_variant(variant, path)
    durations = []
    threads = [threading.Thread(target=writer, args=(db, args, durations))
               for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.close_all()
    results.put(durations)


def run(variant, folder, args):
    """Run ``variant`` on a fresh file; return (seconds, durations, final counter)."""
    path = os.path.join(folder, f"{variant}.sqlite")
    db = open_variant(variant, path)
    db.execute_sql("CREATE TABLE counter (value INTEGER)")
    db.execute_sql("INSERT INTO counter VALUES (0)")
    db.close_all()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    procs = [context.Process(target=one_process, args=(variant, path, args, results))
             for _ in range(args.processes)]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    durations = []
    for _ in procs:
        durations += results.get()
    for proc in procs:
        proc.join()
    seconds = time.perf_counter() - started
    db = open_variant(variant, path)
    final = db.execute_sql("SELECT value FROM counter").fetchone()[0]
    db.close_all()
    return seconds, durations, final


def main():
    """Run both variants and print their figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--threads", type=int, default=8, help="writer threads per process")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--transactions", type=int, default=200, help="per thread")
    parser.add_argument("--work-ms", type=float, default=0.5, help="inside each transaction")
    parser.add_argument("--pause-ms", type=float, default=2, help="between transactions")
    args = parser.parse_args()
    expected = args.threads * args.processes * args.transactions
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        for variant in ("baseline", "dcorlite"):
            seconds, durations, final = run(variant, folder, args)
            p50, p99 = harness.percentiles(durations)
            figures[variant] = p99
            lost = "" if final == expected else f"  LOST {expected - final} updates"
            print(f"{variant:9} {seconds:6.2f} s  {len(durations) / seconds:7.0f} tx/s  "
                  f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  max {max(durations):7.1f} ms{lost}")
    ratio = figures["dcorlite"] / figures["baseline"]
    verdict = "PASS" if ratio <= 0.5 else "FAIL"
    print(f"p99 dcorlite/baseline: {ratio:.2f}  (target <= 0.5: {verdict})")


if __name__ == "__main__":
    main()
