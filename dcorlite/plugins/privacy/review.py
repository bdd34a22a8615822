"""Scan results as clients see them, the activation check and the editors' confirmation."""
from flask import current_app

from ... import authz, validation
from ...dcfiles import is_dc_resource
from ...db import database, lock_rows
from ...errors import ValidationError
from ...models import Dataset, Resource, utcnow
from ...revisions import mark_written
from .model import PrivacyScan

#: States an editor may confirm (a failed scan could not rule patient data out).
CONFIRMABLE = ("hits", "error")


def scan_dict(row, resource=None):
    """The ``privacy_scan`` field: ``{"state", "hits", …}`` (``pending`` without a row)."""
    if row is None:
        state = "n/a" if resource is not None and not is_dc_resource(resource) else "pending"
        return {"state": state, "hits": []}
    result = {"state": row.state, "hits": row.hits or []}
    if row.error:
        result["error"] = row.error
    if row.confirmed_by:
        result["confirmed"] = {"by": row.confirmed_by, "statement": row.statement,
                               "at": row.confirmed_at.isoformat()}
    return result


def dict_fields(resource_ids):
    """``{resource id: {"privacy_scan": …}}`` for the resource dicts."""
    rows = {r.resource_id: r for r in
            PrivacyScan.select().where(PrivacyScan.resource_id.in_(resource_ids))}
    missing = [rid for rid in resource_ids if rid not in rows]
    resources = {r.id: r for r in Resource.select(Resource.id, Resource.name, Resource.mimetype)
                 .where(Resource.id.in_(missing))} if missing else {}
    return {rid: {"privacy_scan": scan_dict(rows.get(rid), resources.get(rid))}
            for rid in resource_ids}


def check_activation(resources):
    """With ``PRIVACY_BLOCKS_ACTIVATION``: refuse pending scans and unconfirmed hits.

    :raises ValidationError: (409) naming the first resource that blocks
    """
    if not current_app.config["PRIVACY_BLOCKS_ACTIVATION"]:
        return
    rows = dict_fields([r.id for r in resources])
    for resource in resources:
        scan = rows[resource.id]["privacy_scan"]
        if scan["state"] == "pending":
            raise ValidationError({"state": [
                f"The patient-data scan of resource {resource.name} ({resource.id}) "
                "is still pending; retry the activation in a few seconds."]})
        if scan["state"] in CONFIRMABLE and "confirmed" not in scan:
            what = (f"{len(scan['hits'])} possible patient-data hits" if scan["hits"]
                    else "a failed patient-data scan")
            raise ValidationError({"state": [
                f"Resource {resource.name} ({resource.id}) has {what}; an editor of the "
                "dataset must review and confirm them (resource_privacy_confirm) "
                "before it can be activated."]})


def confirm(user, resource_id, statement):
    """An editor states that the hits of ``resource_id`` are no patient data.

    :raises NotFound: unknown resource
    :raises NotAuthorized: ``user`` may not edit its dataset
    :raises ValidationError: no statement, or nothing to confirm
    """
    resource = authz.get_resource(resource_id, user)
    authz.get_dataset(resource.dataset_id, user, need="edit")
    statement = (statement or "").strip()
    if not statement:
        raise validation.missing("statement")
    with database.atomic():
        dataset = lock_rows(Dataset.select().where(Dataset.id == resource.dataset_id))[0]
        row = PrivacyScan.get_or_none(PrivacyScan.resource_id == resource.id)
        if row is None or row.state not in CONFIRMABLE:
            raise ValidationError({"id": [
                f"The patient-data scan of resource {resource.id} has no hits to confirm "
                f"(state {scan_dict(row, resource)['state']})."]})
        row.confirmed_by, row.confirmed_at, row.statement = user.name, utcnow(), statement
        row.save()
        mark_written(dataset)
    return scan_dict(row, resource)
