"""Storage behind one interface; the backend is picked by ``STORAGE_URL``."""
import contextlib
import contextvars
import os
import shutil

from flask import current_app

from ..errors import StartupError
from .base import (RESOURCE_ARTIFACTS, Storage, WriteResult, check_key,  # noqa: F401
                   resource_id_of, resource_key, upload_key)


def make_storage(app, backends):
    """Instantiate the backend for ``app.config["STORAGE_URL"]``.

    :param backends: ``{scheme: class}`` collected from ``register_storage_backends``
    :raises StartupError: for a scheme no plugin serves
    """
    url = app.config["STORAGE_URL"]
    scheme = url.split(":", 1)[0]
    if scheme not in backends:
        raise StartupError(f"no storage backend for STORAGE_URL scheme '{scheme}'")
    return backends[scheme](url, app)


def get_storage(app=None):
    """Return the storage of the current (or given) app."""
    app = app or current_app
    return app.extensions["dcorlite"]["storage"]


#: the copies of originals shared by the jobs of one resource (:func:`shared_copies`)
_shared = contextvars.ContextVar("dcorlite_shared_copies", default=None)


@contextlib.contextmanager
def shared_copies():
    """Within the block, :func:`local_copy` copies each original once and hands it out again.

    The jobs of one resource run in such a block, so that on S3 the original is
    downloaded once for all of them, not once per job. Only originals are
    shared: they never change, while a job may rewrite a derived file.
    """
    with contextlib.ExitStack() as stack:
        token = _shared.set((stack, {}))
        try:
            yield
        finally:
            _shared.reset(token)


@contextlib.contextmanager
def local_copy(storage, key, wait=True):
    """Yield a local file path with the content of ``key``.

    Backends without local files (S3) copy it into a scratch folder of its
    own below ``JOBS_SCRATCH_DIR``, removed when the block ends (or, for an
    original inside :func:`shared_copies`, when that block ends), once its size
    fits there (:func:`dcorlite.jobs.scratch.scratch_dir`; ``wait=False`` in a request).
    """
    path = storage.local_path(key)
    if path is not None:
        yield path
        return
    shared = _shared.get()
    if shared is None or not key.startswith("resource/"):
        with _copy(storage, key, wait) as tmp:
            yield tmp
        return
    stack, copies = shared
    if key not in copies:
        copies[key] = stack.enter_context(_copy(storage, key, wait))
    yield copies[key]


@contextlib.contextmanager
def _copy(storage, key, wait):
    from ..jobs.scratch import scratch_dir
    with scratch_dir(reserve=storage.size(key), wait=wait) as work:
        tmp = os.path.join(work, "copy.rtdc")
        with open(tmp, "wb") as out, storage.open_range(key) as src:
            shutil.copyfileobj(src, out, 4 * 1024 * 1024)
        yield tmp
