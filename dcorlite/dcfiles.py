"""What every DC job needs: which resources hold DC data, and opening them safely."""
import contextlib

import h5py

from .rules import is_dc_name
from .storage import get_storage, local_copy, resource_key


def import_dclab():
    """Import dclab and the parts of it the server uses, now, in this thread.

    dclab's package imports itself in a circle; when two threads import it
    for the first time at once (a request checking a file, a job condensing
    one), one of them can see a half-initialised module and fail. Servers
    and workers call this before they start their threads. It also starts
    dclab's cache thread, which dclab would otherwise start, without a lock,
    from whichever job first draws a density plot.
    """
    import dclab  # noqa: F401
    import dclab.cli  # noqa: F401
    import dclab.rtdc_dataset.check  # noqa: F401
    from dclab.cached.caches import umbrella_cache
    if not umbrella_cache._store_keeper.is_alive():
        umbrella_cache._store_keeper.start()
    umbrella_cache._store_keeper_started = True


def is_dc_resource(resource):
    """True for ``.rtdc``/``.dc`` resources (and resources marked ``RT-DC``)."""
    return is_dc_name(resource.name) or resource.mimetype in ("RT-DC", "DC")


def open_readonly(path):
    """Open the HDF5 file at ``path`` read-only with h5py, as dclab opens it.

    HDF5 refuses to open a file that this process already has open with other
    locking flags ("file locking flag values don't match"). dclab opens files
    with ``locking=False``, and requests and job threads open the same file
    at once (activation's integrity check while a job condenses it, a plot
    while dcserv reads the condensed copy), so every h5py read in dcorlite
    goes through here.
    """
    return h5py.File(path, "r", locking=False)


def check_no_external_links(path):
    """Refuse HDF5 files that point at other files (external links, external data).

    Such a file would make the server read files it should not read.

    :raises ValueError: if the file has external links or external datasets
    """
    found = []

    def visit(name, link):
        if isinstance(link, h5py.ExternalLink):
            found.append(name)

    with open_readonly(path) as h5:
        h5.visititems_links(visit)
        for name in _dataset_names(h5):
            dset = h5[name]
            if dset.external or dset.is_virtual:
                found.append(name)
    if found:
        raise ValueError(f"file refers to other files ({', '.join(sorted(found)[:5])})")


def _dataset_names(h5):
    names = []
    h5.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset)
                  else None)
    return names


@contextlib.contextmanager
def open_dc_file(resource_id):
    """Yield the local path of a resource's file after checking it has no external links."""
    storage = get_storage()
    with local_copy(storage, resource_key(resource_id)) as path:
        check_no_external_links(path)
        yield path
