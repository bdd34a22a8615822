"""Precomputed facts about a DC resource, so that ``dcserv`` answers in milliseconds.

The *kernel* of the original file (metadata, logs, tables, trace names,
features) is computed once by the job ``dc_serve.kernel``; the condense job
adds a small document about the condensed copy. Both are JSON documents in
storage, cached in memory and keyed by the time their jobs last finished.
"""
import math
import threading
from collections import OrderedDict

from ...dcfiles import open_dc_file
from ...jobs import forced
from ...models import JobState
from ...prepared import Prepared
from ...storage import get_storage, resource_key

KERNEL_JOB = "dc_serve.kernel"
CONDENSE_JOB = "dc_serve.condense"
#: resources whose documents the cache keeps at most (a few kB each, without logs and tables)
CACHE_SIZE = 2048

_cache = OrderedDict()
_cache_lock = threading.Lock()


def _plain(value):
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _tables(ds):
    result = {}
    for name in ds.tables.keys():
        table = ds.tables[name]
        columns = table.keys()
        result[name] = [list(columns) if columns else None, _plain(table[:].tolist())]
    return result


def compute_kernel(path):
    """Metadata, logs, tables, trace names and innate features of an RT-DC file."""
    # dclab is imported here, not at module level: it takes seconds to import and
    # the CLI and the web server should start without it.
    import dclab
    with dclab.new_dataset(path, enable_basins=False) as ds:
        metadata = ds.config.as_dict(pop_filtering=True)
        metadata.setdefault("experiment", {})
        metadata["experiment"].setdefault("event count", len(ds))
        return {
            "metadata": _plain(metadata),
            "size": len(ds),
            "logs": {name: list(ds.logs[name]) for name in ds.logs.keys()},
            "tables": _tables(ds),
            "trace_list": sorted(ds["trace"].keys()) if "trace" in ds.features_innate else [],
            "features": sorted(ds.features_innate),
        }


def ensure_kernel(resource_id):
    """Job ``dc_serve.kernel``: compute and store the kernel of the original file."""
    storage = get_storage()
    key = resource_key(resource_id, "kernel")
    if storage.exists(key) and not forced():
        return
    with open_dc_file(resource_id) as path:
        kernel = compute_kernel(path)
    storage.write_json(key, kernel)


_JOB_TIMES = Prepared(lambda resource_id, jobs: JobState.select(JobState.job, JobState.updated)
                      .where((JobState.resource == resource_id) & JobState.job.in_(jobs)))


def _version(resource_id):
    rows = _JOB_TIMES.all(resource_id, [KERNEL_JOB, CONDENSE_JOB])
    return tuple(sorted((r.job, r.updated.isoformat()) for r in rows))


def failure(resource_id):
    """The error of the kernel job if it gave up on this resource, else None."""
    row = JobState.get_or_none(resource=resource_id, job=KERNEL_JOB)
    return row.error if row is not None and row.state == "error" else None


#: parts of a document too large to keep in memory for every resource: read when asked for
HEAVY = ("logs", "tables")


class Document:
    """A kernel or condensed-copy document: small parts in memory, large ones read on demand.

    ``logs`` and ``tables`` can be megabytes of small objects; dclab asks for
    them once per dataset it opens, so they are read from storage then, and
    the cache holds only what every ``dcserv`` query needs.
    """

    def __init__(self, data, storage, key):
        self._small = {k: v for k, v in data.items() if k not in HEAVY}
        self._heavy = [k for k in HEAVY if k in data]
        self._storage, self._key = storage, key

    def __getitem__(self, key):
        if key in self._heavy:
            return self._storage.read_json(self._key)[key]
        return self._small[key]

    def get(self, key, default=None):
        """The value of ``key``, or ``default``."""
        return self[key] if key in self._small or key in self._heavy else default


def _read(storage, key):
    data = storage.read_json(key)
    return None if data is None else Document(data, storage, key)


def load(resource_id):
    """Return ``(kernel, condensed)`` :class:`Document` s; either may be None while processing."""
    version = _version(resource_id)
    with _cache_lock:
        hit = _cache.get(resource_id)
        if hit is not None and hit[0] == version:
            _cache.move_to_end(resource_id)
            return hit[1]
    storage = get_storage()
    value = (_read(storage, resource_key(resource_id, "kernel")),
             _read(storage, resource_key(resource_id, "condensed_meta")))
    if value[0] is not None:
        with _cache_lock:
            _cache[resource_id] = (version, value)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return value
