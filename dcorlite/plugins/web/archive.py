"""The whole dataset as one ZIP, streamed: stored members, ZIP64, a SHA-256 manifest.

The archive is made while it is sent (zipstream-ng), one 1 MiB chunk of one
file at a time, so memory stays constant whatever the dataset's size; its
length is known in advance, so clients see a ``Content-Length``.
"""
from zipstream import ZIP_STORED, ZipStream

from ...storage import get_storage, resource_key

CHUNK = 2 ** 20
MANIFEST = "SHA256SUMS"


def _chunks(storage, key):
    with storage.open_range(key) as fh:
        while True:
            block = fh.read(CHUNK)
            if not block:
                return
            yield block


def dataset_zip(pkg):
    """A :class:`zipstream.ZipStream` of the resources of ``pkg`` (a ``package_show`` dict).

    Members are ``<dataset name>/<resource name>``.

    The manifest lists the SHA-256 recorded at upload for each member, in the
    format of ``sha256sum -c``.
    """
    storage = get_storage()
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    folder = pkg["name"]
    resources = pkg["resources"]
    lines = [f"{r['sha256']}  {r['name']}" for r in resources if r.get("sha256")]
    stream.add("\n".join(lines) + "\n", f"{folder}/{MANIFEST}")
    for resource in resources:
        key = resource_key(resource["id"])
        stream.add(_chunks(storage, key), f"{folder}/{resource['name']}",
                   size=storage.size(key))
    return stream
