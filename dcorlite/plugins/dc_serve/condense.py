"""The job ``dc_serve.condense``: the condensed copy, with a basin back to the original.

The copy is made with dclab's own ``condense_dataset`` from the original
opened with ``enable_basins=False`` (an upload's basins must never make the
server read other files or fetch URLs). Scalar features and cheap ancillary
features (``volume``, inertia ratios, …) end up in the copy.
"""
import os
import warnings

import h5py

from ...dcfiles import open_dc_file
from ...jobs import forced, site_url
from ...jobs.scratch import scratch_dir
from ...storage import get_storage, resource_key


def _condense(path, out):
    # dclab is imported here, not at module level: it takes seconds to import and
    # the CLI and the web server should start without it.
    import dclab
    from dclab.cli import condense_dataset
    with dclab.new_dataset(path, enable_basins=False) as ds, h5py.File(out, "w") as h5:
        # Captured, so that nothing about the server leaks into logs.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            condense_dataset(ds=ds, h5_cond=h5, store_ancillary_features=True,
                             store_basin_features=True, warnings_list=caught)
        return sorted(ds.features_innate)


def _add_basin_to_original(out, resource_id, original_features):
    """Record where the features missing in the copy live (as DCOR's condensed files do)."""
    import dclab
    base = site_url()
    if not base:
        return
    with dclab.new_dataset(out) as cond:
        missing = sorted(set(original_features) - set(cond.features_innate))
    if not missing:
        return
    with dclab.RTDCWriter(out) as writer:
        writer.store_basin(basin_name="DCOR dcserv", basin_type="remote", basin_format="dcor",
                           basin_locs=[f"{base}/api/3/action/dcserv?id={resource_id}"],
                           basin_descr="Original access via DCOR API", basin_feats=missing,
                           verify=False)


def _describe(out, md5):
    import dclab
    with dclab.new_dataset(out, enable_basins=False) as cond:
        return {"features": sorted(cond.features_innate), "etag": md5,
                "logs": {name: list(cond.logs[name]) for name in cond.logs.keys()}}


def ensure_condensed(resource_id):
    """Create the condensed copy of a DC resource (skipped if it exists)."""
    storage = get_storage()
    key = resource_key(resource_id, "condensed")
    meta_key = resource_key(resource_id, "condensed_meta")
    if storage.exists(key) and storage.exists(meta_key) and not forced():
        return
    with scratch_dir() as work:
        out = os.path.join(work, "condensed.rtdc")
        with open_dc_file(resource_id) as path:
            features = _condense(path, out)
        _add_basin_to_original(out, resource_id, features)
        written = storage.put_file(key, out)
        storage.write_json(meta_key, _describe(out, written.md5))
