"""Scratch folders of jobs: removed when the job ends, and after a crash when a worker starts.

A job that builds a file (a condensed copy, a preview) works in a folder of
its own below ``JOBS_SCRATCH_DIR``. The folder holds an ``flock`` on its
``.lock`` while the job runs; the kernel drops it when the worker dies, so
:func:`clean_scratch` can tell the folders of killed jobs from those of jobs
running in other workers.
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
PREFIX = "job-"
#: a folder without a lock file younger than this may be one being set up right now
SETUP_SECONDS = 60


def scratch_base(app=None):
    """The folder below which jobs make their scratch folders."""
    app = app or current_app
    return app.config["JOBS_SCRATCH_DIR"] or os.path.join(app.instance_path, "tmp")


@contextlib.contextmanager
def scratch_dir(base=None):
    """Yield a new, locked scratch folder; it is removed when the block ends.

    :param base: the folder to make it in (default :func:`scratch_base`)
    """
    base = base or scratch_base()
    os.makedirs(base, exist_ok=True)
    path = tempfile.mkdtemp(prefix=PREFIX, dir=base)
    try:
        with open(os.path.join(path, LOCK_NAME), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


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
