"""Attaching uploaded files to datasets and editing resource metadata.

An upload lives at the storage's staging key (``uploads/<id>`` on local disk)
until ``package_revise`` attaches it; only then does a :class:`Resource` row
point at ``resource/…``. The file is moved before the row is committed, and
moved back if the commit fails, so no resource is ever visible without its
file. Storage that takes uploads straight from clients (S3) stages them at
the final key: nothing moves, and the upload is checked in storage itself
(size, ETag); its SHA-256 is computed by the job ``uploads.sha256``.
"""
import logging
import uuid

import peewee as pw

from . import host, rules, schemas, validation
from .db import database, lock_rows
from .errors import NotAuthorized, ValidationError
from .models import Dataset, Resource, Upload, utcnow
from .revisions import mark_written
from .storage import resource_key

logger = logging.getLogger(__name__)

#: Resource fields a user may change (while the dataset is a draft).
USER_EDITABLE = {"description"}
SERVER_FIELDS = {"sha256", "etag", "size", "mimetype", "url_type", "s3_url", "format"}


def clean_supplements(values):
    """Validate ``sp:*`` keys of ``values`` against the supplement schema."""
    clean = {}
    for key, value in values.items():
        if key.startswith("sp:"):
            if value is None or value == "":
                clean[key] = None
            else:
                clean[key] = validation.supplement_value(
                    key, value, schemas.supplement_item(key))
    return clean


def _check_new_name(dataset, name, is_sysadmin):
    name = validation.resource_name(name, is_sysadmin)
    if Resource.select().where((Resource.dataset == dataset) & (Resource.name == name)).exists():
        raise ValidationError({"name": [f"Resource with name '{name}' already exists "
                                        "in this dataset"]})
    return name


def attach_upload(user, dataset, resource_id, name, fields, storage):
    """Attach the finished upload ``resource_id`` to ``dataset`` as ``name``.

    :raises NotAuthorized: dataset not a draft, upload unknown or not finished,
        upload made for another circle
    :raises ValidationError: bad or duplicate name, bad supplements
    """
    rules.check_can_add_resources(dataset, user.sysadmin)
    resource_id = validation.as_uuid(resource_id)
    name = _check_new_name(dataset, name, user.sysadmin)
    extras = clean_supplements(fields)
    upload = Upload.get_or_none(Upload.id == resource_id)
    if upload is None or upload.organization_id != dataset.owner_org_id:
        raise NotAuthorized(f"Resource {resource_id} not available in storage!")
    if not upload.complete:
        etag = storage.direct_upload_etag(storage.staging_key(upload.id), upload.file_size)
        if etag is None:
            raise NotAuthorized(f"Resource {resource_id} not available in storage!")
        upload.etag, upload.sha256 = etag, ""
    return _create(dataset, upload, name, fields, extras, storage)


def attach_stream(user, dataset, name, stream, fields, storage):
    """Store ``stream`` (legacy multipart upload) and attach it as ``name``."""
    rules.check_can_add_resources(dataset, user.sysadmin)
    name = _check_new_name(dataset, name, user.sysadmin)
    extras = clean_supplements(fields)
    # the row comes first: storage may file the bytes by the upload's circle
    upload = Upload.create(id=str(uuid.uuid4()), user=user, organization=dataset.owner_org_id,
                           file_size=0, num_parts=1)
    staged = storage.staging_key(upload.id)
    try:
        written = storage.write_stream(staged, stream)
    except Exception:
        storage.delete(staged)
        upload.delete_instance()
        raise
    upload.file_size, upload.etag, upload.sha256 = written.size, written.md5, written.sha256
    upload.complete = True
    upload.save()
    resource = _create(dataset, upload, name, fields, extras, storage, url_type="upload")
    return resource


def _create(dataset, upload, name, fields, extras, storage, url_type="s3_upload"):
    staged, final = storage.staging_key(upload.id), resource_key(upload.id)
    moves = staged != final
    if moves and storage.exists(staged):
        storage.move(staged, final)
    elif not storage.exists(final):  # moved by an attach that crashed before commit
        raise NotAuthorized(f"Resource {upload.id} not available in storage!")
    try:
        with database.atomic():
            lock_rows(Dataset.select(Dataset.id).where(Dataset.id == dataset.id))
            position = (Resource.select(pw.fn.MAX(Resource.position))
                        .where(Resource.dataset == dataset).scalar())
            resource = Resource.create(
                id=upload.id, dataset=dataset, name=name,
                position=0 if position is None else position + 1,
                size=upload.file_size, mimetype=rules.mimetype_for(name),
                sha256=upload.sha256, etag=upload.etag, url_type=url_type,
                s3_available=True,
                description=validation.as_str(fields.get("description"), "description"),
                extras={k: v for k, v in extras.items() if v is not None})
            upload.delete_instance()
            touch(dataset)
            mark_written(dataset)
    except pw.IntegrityError:
        if moves:
            storage.move(final, staged)
        raise ValidationError({"name": [f"Resource with name '{name}' already exists "
                                        "in this dataset"]}) from None
    except Exception:
        if moves:
            storage.move(final, staged)
        raise
    host.notify("resource_created", resource=resource)
    host.notify("activity", action="change", dataset_id=dataset.id, resource_id=resource.id,
                details={"resource_added": name})
    return resource


def update_resource(user, dataset, resource, values):
    """Change ``description`` and ``sp:*`` keys of a resource of a draft.

    :raises NotAuthorized: active dataset, or a field users may not change
    """
    changes = {k: v for k, v in values.items() if k != "id"}
    for key, value in changes.items():
        current = resource_value(resource, key)
        if key in USER_EDITABLE or key.startswith("sp:") or current == value:
            continue
        raise NotAuthorized(f"Changing '{key}' of a resource is not allowed")
    if not changes:
        return resource
    if dataset.state != "draft" and not user.sysadmin:
        if any(resource_value(resource, k) != v for k, v in changes.items()):
            raise NotAuthorized("Resources of non-draft datasets cannot be changed")
        return resource
    supplements = clean_supplements(changes)
    with database.atomic():
        # read inside the lock: a job may have added dc: metadata meanwhile
        extras = dict(lock_rows(Resource.select(Resource.extras)
                                .where(Resource.id == resource.id))[0].extras or {})
        for key, value in supplements.items():
            if value is None:
                extras.pop(key, None)
            else:
                extras[key] = value
        if "description" in changes:
            resource.description = validation.as_str(changes["description"], "description")
        resource.extras = extras
        resource.last_modified = utcnow()
        resource.save(only=[Resource.description, Resource.extras, Resource.last_modified])
        touch(dataset)
        mark_written(dataset)
    host.notify("dataset_changed", dataset=dataset,
                changes={"resources": (resource.id, sorted(changes))})
    host.notify("activity", action="change", dataset_id=dataset.id, resource_id=resource.id,
                details={"fields": sorted(changes), "actor": user.name})
    return resource


def touch(dataset):
    """Set ``metadata_modified`` of ``dataset`` to now, changing no other column."""
    dataset.modified = utcnow()
    Dataset.update(modified=dataset.modified).where(Dataset.id == dataset.id).execute()


def resource_value(resource, key):
    """The current value of ``key`` as ``resource_show`` reports it."""
    if key.startswith(("sp:", "dc:")):
        return (resource.extras or {}).get(key)
    return getattr(resource, key, None)
