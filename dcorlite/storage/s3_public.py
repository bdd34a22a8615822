"""Public data readable straight from S3, without credentials (``S3_PUBLIC_READ``).

DCOR makes a public dataset's objects readable at their ``s3_url`` with a
bucket policy that grants ``s3:GetObject`` to objects tagged ``public=true``.
SeaweedFS ignores that tag condition, but every S3 server we know honours a
policy that names the objects: so each circle's bucket gets one statement
(``Sid`` :data:`SID`) naming the resources of its active public datasets,
one ARN per resource whose wildcard covers all its artifacts
(``arn:aws:s3:::<bucket>/*/012/3ab/cd…``: original, condensed copy, preview).
Statements of the bucket's policy that an administrator added stay as they are.

The statement is made from the database whenever a dataset of the circle is
activated, made public, purged or given a resource, after the change
committed, one process or host at a time (:func:`dcorlite.db.serialized`);
``dcorlite storage public-read`` makes it for every circle (after the object
store was unreachable at such a change). Datasets never go from public to
private (DCOR's rule), so a statement that is late grants nothing it should not.
AWS caps a bucket policy at 20 KB: about 200 public resources per circle.
"""
import logging

from flask import current_app

from .. import hookimpl
from ..db import serialized
from .s3 import S3Storage

logger = logging.getLogger(__name__)

SID = "dcorlite-public-read"


@hookimpl
def config_defaults():
    """``S3_PUBLIC_READ`` (see docs/configuration.md)."""
    return {"S3_PUBLIC_READ": True}


def public_read_storage(app):
    """The app's :class:`S3Storage` if public data are to be readable from it, else None."""
    from . import get_storage
    storage = get_storage(app)
    if isinstance(storage, S3Storage) and app.config["S3_PUBLIC_READ"]:
        return storage
    return None


def public_resource_ids(circle_id):
    """Ids of the resources of the circle's active public datasets, sorted."""
    from ..models import Dataset, Resource
    query = (Resource.select(Resource.id).join(Dataset)
             .where((Dataset.owner_org == circle_id) & (Dataset.state == "active")
                    & ~Dataset.private))
    return sorted(row[0] for row in query.tuples())


def statement(bucket, resource_ids):
    """The policy statement that lets anyone read the objects of ``resource_ids``."""
    return {"Sid": SID, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": [f"arn:aws:s3:::{bucket}/*/{rid[:3]}/{rid[3:6]}/{rid[6:]}"
                         for rid in resource_ids]}


def with_statement(policy, new):
    """``policy`` (a dict, or None) with dcorlite's statement replaced by ``new`` (None: none).

    :returns: the policy, or None if no statement is left
    """
    kept = [s for s in (policy or {}).get("Statement", []) if s.get("Sid") != SID]
    statements = kept + ([new] if new is not None else [])
    if not statements:
        return None
    return dict(policy or {}, Version=(policy or {}).get("Version", "2012-10-17"),
                Statement=statements)


def ensure_public_read(app, circle_id):
    """Make the circle's bucket policy name exactly its public resources (S3 only)."""
    storage = public_read_storage(app)
    if storage is None:
        return
    bucket = storage.bucket_name(circle_id)
    with serialized(f"s3-public-read-{circle_id}"):
        rids = public_resource_ids(circle_id)
        current = storage.bucket_policy(bucket)
        wanted = with_statement(current, statement(bucket, rids) if rids else None)
        if wanted != current:
            storage.set_bucket_policy(bucket, wanted)


def ensure_all(app):
    """:func:`ensure_public_read` for every circle; returns how many circles were looked at."""
    from ..models import Group
    circles = [row[0] for row in Group.select(Group.id).where(Group.is_organization).tuples()]
    for circle_id in circles:
        ensure_public_read(app, circle_id)
    return len(circles)


def _changed(dataset):
    app = current_app._get_current_object()
    if public_read_storage(app) is None or dataset.private or dataset.state != "active":
        return  # never public: nothing of it is in the statement
    try:
        ensure_public_read(app, dataset.owner_org_id)
    except Exception:
        logger.exception("could not update the public-read policy of circle %s: run "
                         "'dcorlite storage public-read'", dataset.owner_org_id)


@hookimpl
def dataset_activated(dataset):
    """A public dataset went active: anyone may read its objects."""
    _changed(dataset)


@hookimpl
def dataset_changed(dataset, changes):
    """A dataset was made public (or its state changed)."""
    if "private" in changes or "state" in changes:
        _changed(dataset)


@hookimpl
def dataset_deleted(dataset, purged):
    """A purged public dataset's resources leave the statement."""
    if purged:
        _changed(dataset)


@hookimpl
def resource_created(resource):
    """A resource added to an active public dataset joins the statement."""
    if public_read_storage(current_app) is not None:  # else no need to load the dataset
        _changed(resource.dataset)
