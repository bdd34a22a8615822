"""Scalar features of a resource's condensed copy, for the interactive plot.

The condensed copy holds every scalar feature (innate and computed by dclab),
so plots need neither the original file nor dclab at request time: the HDF5
datasets ``events/<feature>`` are read with h5py.
"""
import contextlib

import h5py
import numpy as np

from ...dcfiles import open_readonly
from ...storage import get_storage, local_copy, resource_key

#: the same events are drawn for every pair of features and every request
SEED = 42


@contextlib.contextmanager
def condensed_file(resource_id):
    """The condensed copy of a resource, opened read-only with h5py."""
    storage = get_storage()
    with local_copy(storage, resource_key(resource_id, "condensed"), wait=False) as path, \
            open_readonly(path) as h5:
        yield h5


def scalar_features(h5):
    """Names of the one-dimensional features in ``events`` that dclab knows as scalar."""
    from dclab import definitions
    events = h5.get("events", {})
    return sorted(name for name in events
                  if isinstance(events[name], h5py.Dataset) and events[name].ndim == 1
                  and definitions.scalar_feature_exists(name))


def feature_info(names):
    """``{name: label}`` from ``dclab.definitions`` (``"Area [µm²]"``)."""
    from dclab import definitions
    return {name: definitions.get_feature_label(name) for name in names}


def sample_indices(total, max_points):
    """Sorted indices of at most ``max_points`` of ``total`` events, the same every time."""
    if total <= max_points:
        return np.arange(total)
    rng = np.random.default_rng(SEED)
    return np.sort(rng.choice(total, size=max_points, replace=False))


def suggests_log(values):
    """True when all values are positive and span more than two decades."""
    finite = values[np.isfinite(values)]
    if finite.size == 0 or finite.min() <= 0:
        return False
    low, high = np.percentile(finite, [1, 99])
    return bool(high / low > 100)


def feature_values(h5, names, max_points):
    """Values of ``names`` at the same sampled events, with non-finite events dropped.

    :returns: ``(total events, {name: {"values": [...], "log": suggested}})``
    """
    events = h5["events"]
    total = len(events[names[0]])
    index = sample_indices(total, max_points)
    columns = [np.asarray(events[name][:], dtype=np.float64)[index] for name in names]
    keep = np.logical_and.reduce([np.isfinite(c) for c in columns])
    return total, {name: {"values": _rounded(c[keep]).tolist(), "log": suggests_log(c[keep])}
                   for name, c in zip(names, columns)}


def _rounded(values):
    """``values`` with six significant digits for all but the smallest 1 %.

    Fewer digits keep the JSON small; what a plot can show is not changed.
    """
    magnitudes = np.abs(values[values != 0])
    if magnitudes.size == 0:
        return values
    small = np.percentile(magnitudes, 1)
    digits = int(np.clip(6 - np.floor(np.log10(small)), 0, 15))
    return np.round(values, digits)
