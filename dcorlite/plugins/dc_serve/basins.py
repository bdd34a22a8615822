"""Basins that point dclab at the condensed copy and the original file.

Public data get stable URLs; private data get signed, expiring URLs marked
``perishable`` (the signature is the authorization: dclab sends no token
with basin requests).
"""
import time

from flask import current_app

from ... import signing
from ...dictization import site_url
from ...storage import get_storage, resource_key

ARTIFACTS = ("condensed", "resource")


def file_path(resource_id, artifact):
    """Path of the byte-serving route of an artifact."""
    return f"/files/{resource_id}/{artifact}"


def is_public(dataset):
    """Active public datasets are readable by anyone, so their URLs need no signature."""
    return dataset.state == "active" and not dataset.private


def basin_dicts(resource, dataset, kernel, condensed, user=None):
    """The ``basins`` answer: condensed first (once it exists), then the original.

    Signed URLs name ``user`` (covered by the signature), so that the audit
    trail knows whose dclab opened them.
    """
    result = []
    for artifact, doc in (("condensed", condensed), ("resource", kernel)):
        if doc is None:
            continue
        result.append(_basin(resource.id, artifact, doc["features"], is_public(dataset),
                             user))
    return result


def _basin(resource_id, artifact, features, public, user=None):
    path = file_path(resource_id, artifact)
    basin = {"name": f"{artifact}-{resource_id[:5]}", "format": "http", "type": "remote",
             "mapping": "same", "features": features}
    if public:
        basin.update(perishable=False, key=f"dcor-{artifact}-{resource_id}",
                     urls=[site_url() + path])
        return basin
    lifetime = current_app.config["DC_SERVE_URL_EXPIRY"]
    now = time.time()
    url = get_storage().signed_url(resource_key(resource_id, artifact), lifetime)
    if url is None:  # local storage: dcorlite signs its own file route
        params = {"user": user.name} if user is not None else {}
        url = f"{site_url()}{path}?{signing.sign('basin', 'GET', path, params, lifetime)}"
    basin.update(perishable=True, time_request=now, time_expiration=int(now + lifetime),
                 key=f"dcor-presigned-{artifact}-{resource_id}", urls=[url])
    return basin
