"""Scratch folders of jobs: bounded, removed when the job ends and after a crash.

A job that builds a file (a condensed copy, a preview) or reads an S3 object
with h5py works in a folder of its own below ``JOBS_SCRATCH_DIR``. The folder
holds an ``flock`` on its ``.lock`` while the job runs; the kernel drops it
when the worker dies, so :func:`clean_scratch` can tell the folders of killed
jobs from those of jobs running in other workers. A job that knows how much it
will write (a copy of an S3 object) reserves it first, so that the jobs of a
host stay within ``JOBS_SCRATCH_MAX_BYTES`` and the disk's free space.
"""
import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
import time

from flask import current_app

logger = logging.getLogger(__name__)

LOCK_NAME = ".lock"
#: the bytes a job reserved for its folder (:func:`scratch_dir`)
RESERVED_NAME = ".reserved"
#: the ``flock`` under which a host's jobs reserve scratch space
BUDGET_LOCK = ".budget.lock"
#: disk space left free by reservations
FREE_MARGIN = 256 * 2 ** 20
#: seconds between looks while a reservation waits
WAIT_STEP = 0.5
PREFIX = "job-"
#: a folder without a lock file younger than this may be one being set up right now
SETUP_SECONDS = 60


def scratch_base(app=None):
    """The folder below which jobs make their scratch folders."""
    app = app or current_app
    return app.config["JOBS_SCRATCH_DIR"] or os.path.join(app.instance_path, "tmp")


class ScratchFull(Exception):
    """The bytes a job needs do not fit below the scratch folder, now or within the wait."""


@contextlib.contextmanager
def scratch_dir(base=None, reserve=0, wait=True):
    """Yield a new, locked scratch folder; it is removed when the block ends.

    :param base: the folder to make it in (default :func:`scratch_base`)
    :param reserve: bytes the job will write there. The folder is made once they
        fit beside what the other jobs' folders reserve or hold, within
        ``JOBS_SCRATCH_MAX_BYTES`` and the disk's free space less
        :data:`FREE_MARGIN`; until then (at most ``JOBS_SCRATCH_WAIT_SECONDS``)
        the job waits for other jobs to end.
    :param wait: False: raise at once if the bytes do not fit (in a request)
    :raises ScratchFull: they do not fit in time, or never could
    """
    base = base or scratch_base()
    os.makedirs(base, exist_ok=True)
    path = _make_within_budget(base, reserve, wait)
    try:
        with open(os.path.join(path, LOCK_NAME), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _folder_bytes(path):
    """``(bytes a job's folder holds, bytes it reserved)``."""
    held = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                held += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    try:
        with open(os.path.join(path, RESERVED_NAME)) as fh:
            return held, int(fh.read() or 0)
    except (FileNotFoundError, ValueError):
        return held, 0


def _make_within_budget(base, reserve, wait):
    if not reserve:  # counted by the jobs that reserve, never waiting itself
        return tempfile.mkdtemp(prefix=PREFIX, dir=base)
    limit = current_app.config["JOBS_SCRATCH_MAX_BYTES"]
    if limit and reserve > limit:
        raise ScratchFull(f"a job needs {reserve} bytes of scratch space, more than "
                          f"JOBS_SCRATCH_MAX_BYTES ({limit})")
    deadline = time.monotonic() + (current_app.config["JOBS_SCRATCH_WAIT_SECONDS"]
                                   if wait else 0)
    with open(os.path.join(base, BUDGET_LOCK), "a") as budget:
        while True:
            fcntl.flock(budget, fcntl.LOCK_EX)  # one host's jobs reserve one at a time
            try:
                folders = [_folder_bytes(os.path.join(base, name))
                           for name in os.listdir(base) if name.startswith(PREFIX)]
                used = sum(max(held, reserved) for held, reserved in folders)
                coming = sum(max(0, reserved - held) for held, reserved in folders)
                free = shutil.disk_usage(base).free - FREE_MARGIN - coming
                if reserve <= free and (not limit or used + reserve <= limit):
                    path = tempfile.mkdtemp(prefix=PREFIX, dir=base)
                    with open(os.path.join(path, RESERVED_NAME), "w") as fh:
                        fh.write(str(reserve))
                    return path
            finally:
                fcntl.flock(budget, fcntl.LOCK_UN)
            if time.monotonic() > deadline:
                raise ScratchFull(f"{reserve} bytes of scratch space in {base} did not become "
                                  f"free within JOBS_SCRATCH_WAIT_SECONDS ({used} bytes held "
                                  f"by other jobs, {max(free, 0)} free on the disk)")
            time.sleep(WAIT_STEP)  # other jobs end at their own pace: nothing to wake us


def _unused(path):
    """True if no running job holds the folder (its lock is free, or it never had one)."""
    lock_path = os.path.join(path, LOCK_NAME)
    try:
        lock = open(lock_path)
    except FileNotFoundError:
        try:
            return time.time() - os.path.getmtime(path) > SETUP_SECONDS
        except FileNotFoundError:  # its job ended and removed it meanwhile
            return False
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def clean_scratch(app=None, base=None):
    """Remove the scratch folders that jobs killed with their worker left behind.

    Also removes ``tmp*`` folders of earlier versions, which had no lock.

    :param base: the folder to clean (default :func:`scratch_base` of ``app``)
    :returns: number of folders removed
    """
    base = base or scratch_base(app)
    removed = 0
    try:
        names = os.listdir(base)
    except FileNotFoundError:
        return 0
    for name in names:
        path = os.path.join(base, name)
        if not name.startswith((PREFIX, "tmp")) or not os.path.isdir(path):
            continue
        if _unused(path):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    if removed:
        logger.info("removed %d scratch folders of interrupted jobs in %s", removed, base)
    return removed
