"""Processing after an upload, and remote reads: dcorlite versus dclab run directly.

One run, loopback only, everything in a temporary directory that is removed
at the end (also on errors; ``--keep`` keeps it for inspection):

1. an RT-DC file with ``--events`` events (default 100,000), images and masks,
   made by repeating the events of ``calibration_beads.rtdc`` from the shared
   test data (``fmt-hdf5_fl_2018.zip``) with ``tests/fixtures/rtdc.py``;
2. baseline: the work of the server's jobs done directly in this process, one
   after the other: dclab's ``condense_dataset`` (original opened with
   ``enable_basins=False``, ancillary and basin features stored; this computes
   ``volume`` & co. from the masks and dominates), the SHA-256 of the file and
   the preview JPEG (``dcorlite.plugins.dc_view.plot.render_preview``);
3. dcorlite: ``dcorlite serve`` on a fresh instance (default settings, so
   ``JOBS_WORKERS`` worker threads in the server), upload with DCOR-Aid's
   library (``dataset_create`` + ``resource_add``; the dataset stays a private
   draft), then the time from the moment ``resource_add`` returns (the
   resource is attached) until every job row of the resource is ``done``.
   The rows come from ``dcorlite jobs status RID`` (whatever jobs exist);
   the end is the latest ``done`` timestamp of those rows (whole seconds,
   hence ±0.5 s), so the poll interval does not count. The CLI is asked
   rarely (each call takes about 3 s of CPU, and polling it all the time
   slowed a concurrent condense by 15-30 % on a 2-CPU machine): when the API
   serves the results (``format``, two basins, ``preview.jpg``) and once a
   minute to notice failures. Target: processing / baseline <= 1.2;
4. remote read: ``dclab.new_dataset(rid, host=…, api_key=…)`` and reading
   ``deform``, ``area_um`` and ``volume`` completely, against the same reads
   from the local original (where dclab computes ``volume`` from the contours)
   and, for context, from the condensed copy of step 2. Each time includes
   opening and closing the dataset; the arrays are compared afterwards.
   Target: remote / local original <= 1.5.

The numbers include the CPU contention of whatever else runs on the machine.

Usage::

    python benchmarks/processing.py [--events 100000] [--keep]
"""
import argparse
import contextlib
import datetime
import hashlib
import os
import shutil
import sys
import tempfile
import time
import warnings
import zipfile

import dclab
import h5py
import numpy as np
import requests
from dclab.cli import condense_dataset
from dclab.rtdc_dataset.config import WrongConfigurationTypeWarning
from dclab.rtdc_dataset.fmt_dcor.api import APIHandler
from dcoraid.api import CKANAPI, dataset_create
from dcoraid.api.dataset import resource_add

import harness  # noqa: E402  (benchmarks/harness.py, next to this script)

sys.path.insert(0, harness.REPO)
from dcorlite.plugins.dc_view.plot import render_preview  # noqa: E402
from tests.fixtures.rtdc import write_repeated  # noqa: E402

SOURCE_ZIP = os.path.join(harness.TESTDATA, "fmt-hdf5_fl_2018.zip")
READ_FEATURES = ("deform", "area_um", "volume")
MIB = 2 ** 20
PROCESSING_TARGET, READ_TARGET = 1.2, 1.5
API_POLL_SECONDS = 1
CLI_POLL_SECONDS = 60
PROCESSING_TIMEOUT = 3600


# -- files and the baseline ------------------------------------------------------

def make_source(workdir, events):
    """Write the big RT-DC file (with images and masks) into ``workdir``; return its path."""
    with zipfile.ZipFile(SOURCE_ZIP) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".rtdc"))
        small = archive.extract(name, workdir)
    return write_repeated(small, os.path.join(workdir, f"big-{events}.rtdc"), events,
                          with_images=True)


def timed(func, *args, **kwargs):
    """Call ``func``; return ``(seconds, result)``."""
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


def condense(path, out):
    """dclab's condensed copy of ``path``, made the way the job ``dc_serve.condense`` does."""
    with dclab.new_dataset(path, enable_basins=False) as ds, h5py.File(out, "w") as h5:
        condense_dataset(ds=ds, h5_cond=h5, store_ancillary_features=True,
                         store_basin_features=True, warnings_list=[])


def sha256(path):
    """SHA-256 hex digest of the file at ``path`` (1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def baseline(path, workdir):
    """Condense, hash and preview ``path`` here; return ``({step: seconds}, condensed path)``."""
    condensed = os.path.join(workdir, "condensed.rtdc")
    steps = {
        "condense (dclab)": timed(condense, path, condensed)[0],
        "SHA-256": timed(sha256, path)[0],
        "preview (render_preview)": timed(render_preview, path,
                                          os.path.join(workdir, "preview.jpg"))[0],
    }
    return steps, condensed


# -- dcorlite ----------------------------------------------------------------------

@contextlib.contextmanager
def dcorlite(workdir):
    """A fresh instance with a user, a token and a circle, served by ``dcorlite serve``."""
    with harness.served_instance(workdir) as (instance, host, token, _, _):
        yield Dcorlite(instance, host, token)


class Dcorlite:
    """A running ``dcorlite serve``: instance folder, host:port, API token."""

    def __init__(self, instance, host, token):
        self.instance, self.host, self.token = instance, host, token
        self.base = f"http://{host}"
        self.api = CKANAPI(self.base, api_key=token, ssl_verify=False)

    def cli(self, *args):
        """Run ``dcorlite --instance INSTANCE ARGS``; return its stdout."""
        return harness.run_cli(self.instance, *args)

    def get(self, path, **params):
        """GET ``path`` on the server with the API token; return the response."""
        return requests.get(self.base + path, params=params,
                            headers={"Authorization": self.token}, timeout=30)


def upload(server, path):
    """Create a dataset and add ``path`` the DCOR-Aid way.

    :returns: ``(dataset id, resource id, upload seconds, UTC time of the attach)``
    """
    ds = dataset_create({"title": "dcorlite processing benchmark", "authors": "Benchmark",
                         "license_id": "CC0-1.0", "owner_org": harness.CIRCLE,
                         "private": True}, api=server.api)
    seconds, _ = timed(resource_add, ds["id"], path, api=server.api)
    attached = utcnow()
    rid = server.api.get("package_show", id=ds["id"])["resources"][0]["id"]
    return ds["id"], rid, seconds, attached


def utcnow():
    """Current time as a naive UTC datetime (as dcorlite stores it)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def job_rows(server, rid):
    """``[(job, state, updated, error)]`` of ``rid`` from ``dcorlite jobs status RID``."""
    rows = []
    for line in server.cli("jobs", "status", rid).splitlines():
        fields = line.split("\t")  # rid, name, job, state, attempts, time[, error]
        rows.append((fields[2], fields[3], datetime.datetime.fromisoformat(fields[5]),
                     fields[6] if len(fields) > 6 else ""))
    return rows


def served(server, ds_id, rid):
    """True once the API shows the results: ``format``, two basins, the preview."""
    if not server.api.get("resource_show", id=rid).get("format"):
        return False
    basins = server.get("/api/3/action/dcserv", id=rid, query="basins", version=2)
    if not basins.ok or len(basins.json()["result"]) != 2:
        return False
    return server.get(f"/dataset/{ds_id}/resource/{rid}/preview.jpg").status_code == 200


def wait_processed(server, ds_id, rid, attached):
    """Wait until every job row of ``rid`` is ``done`` (whatever jobs exist).

    ``dcorlite jobs status`` decides, but one call costs about 3 s of CPU (it
    creates the app), which slows the jobs on a small machine. So it runs
    when the API (cheap, polled every API_POLL_SECONDS) serves the results,
    and every CLI_POLL_SECONDS anyway, to notice failures. The times come
    from the job rows, so the polling adds nothing to them.

    :returns: ``[(job, seconds from the attach until it was done)]`` in run
        order; the timestamps have whole seconds, so 0.5 s is added to each.
    """
    deadline = time.monotonic() + PROCESSING_TIMEOUT
    next_cli = time.monotonic() + CLI_POLL_SECONDS
    while time.monotonic() < deadline:
        if time.monotonic() >= next_cli or served(server, ds_id, rid):
            rows = job_rows(server, rid)
            failed = [f"{job}: {error}" for job, state, _, error in rows if state == "error"]
            if failed:
                raise RuntimeError(f"processing failed: {'; '.join(failed)}")
            if rows and all(state == "done" for _, state, _, _ in rows):
                if not served(server, ds_id, rid):
                    raise RuntimeError("all jobs done, but the API lacks format, "
                                       "basins or preview")
                return [(job, (updated - attached).total_seconds() + 0.5)
                        for job, _, updated, _ in rows]
            next_cli = time.monotonic() + CLI_POLL_SECONDS
        time.sleep(API_POLL_SECONDS)
    raise RuntimeError(f"processing of {rid} not done after {PROCESSING_TIMEOUT} s")


# -- reads -------------------------------------------------------------------------

def read_features(*args, **kwargs):
    """Open ``dclab.new_dataset(*args, **kwargs)``, read READ_FEATURES fully, close.

    :returns: ``(seconds, {feature: array})``
    """
    def read():
        with dclab.new_dataset(*args, **kwargs) as ds:
            return {feat: np.asarray(ds[feat][:]) for feat in READ_FEATURES}
    return timed(read)


def read_remote(server, rid):
    """:func:`read_features` of the resource through dcorlite (fresh API handlers)."""
    APIHandler.api_keys.clear()
    try:
        return read_features(rid, host=server.host, api_key=server.token, use_ssl=False)
    finally:
        APIHandler.api_keys.clear()


def check_equal(reference, other, label):
    """Raise unless every array of ``other`` equals that of ``reference`` (NaN == NaN)."""
    for feat in READ_FEATURES:
        if not np.allclose(reference[feat], other[feat], equal_nan=True):
            raise RuntimeError(f"{label}: '{feat}' differs from the local original")


# -- the benchmark -------------------------------------------------------------------

def run(events, workdir):
    """Run all measurements; return the report as ``{section: [(label, seconds, note)]}``."""
    print(f"writing {events} events (images, masks) ...", flush=True)
    path = make_source(workdir, events)
    print(f"  {path}: {os.path.getsize(path) / MIB:.1f} MiB", flush=True)
    print("baseline: condense, SHA-256 and preview here ...", flush=True)
    steps, condensed = baseline(path, workdir)
    base_total = sum(steps.values())
    report = {"baseline (direct, sequential)":
              [(label, secs, "") for label, secs in steps.items()]
              + [("total = baseline", base_total, "")]}
    with dcorlite(workdir) as server:
        print(f"dcorlite serve on {server.base}: upload, then wait for the jobs ...",
              flush=True)
        ds_id, rid, up_secs, attached = upload(server, path)
        done = wait_processed(server, ds_id, rid, attached)
        processing = max(secs for _, secs in done)
        report["dcorlite (jobs in `dcorlite serve`)"] = (
            [("upload (resource_add), not counted", up_secs, "")]
            + [(f"{job} done at", secs, "after the attach (±0.5 s)") for job, secs in done]
            + [("processing (attach -> all done)", processing,
                ratio_note(processing / base_total, PROCESSING_TARGET, "baseline"))])
        print(f"reading {', '.join(READ_FEATURES)} ...", flush=True)
        remote_secs, remote = read_remote(server, rid)
    local_secs, local = read_features(path)
    cond_secs, cond = read_features(condensed)
    check_equal(local, remote, "remote")
    check_equal(local, cond, "condensed copy")
    report["read " + ", ".join(READ_FEATURES) + " (open, read all, close)"] = [
        ("local original (volume from contours)", local_secs, ""),
        ("remote via dcorlite (dclab, dcserv)", remote_secs,
         ratio_note(remote_secs / local_secs, READ_TARGET, "local")),
        ("local condensed copy (context)", cond_secs, ""),
    ]
    return report


def ratio_note(ratio, target, of):
    """``"1.05x baseline (target <= 1.2: ok)"``."""
    verdict = "ok" if ratio <= target else "MISSED"
    return f"{ratio:.2f}x {of} (target <= {target}: {verdict})"


def print_report(events, report):
    """Print the report of :func:`run` as a table."""
    print()
    print(f"RT-DC file: {events} events with images and masks")
    for section, rows in report.items():
        print()
        print(section)
        for label, secs, note in rows:
            print(f"  {label:<44} {secs:>9.2f} s  {note}")


def parse_args():
    """Command line options (see ``--help``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000,
                        help="events in the generated RT-DC file")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (files, instance, server log)")
    args = parser.parse_args()
    if args.events < 1:
        parser.error("--events must be at least 1")
    return args


def main():
    args = parse_args()
    # the shared test file stores a few integer settings as floats
    warnings.simplefilter("ignore", WrongConfigurationTypeWarning)
    workdir = tempfile.mkdtemp(prefix="dcorlite-processing-")
    try:
        report = run(args.events, workdir)
        print_report(args.events, report)
    finally:
        if args.keep:
            print(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
