"""Deletion requests (revoked consent) and their approval by a sysadmin, which purges."""
from ... import authz, host, validation
from ...actions import call_action
from ...db import database
from ...errors import NotFound, ValidationError
from ...models import Dataset, utcnow
from .model import DeletionRequest


def request_dict(row):
    """A deletion request as the API shows it."""
    return {"id": row.id, "package_id": row.dataset_id, "package_name": row.dataset_name,
            "package_title": row.dataset_title, "requested_by": row.requested_by,
            "statement": row.statement, "created": row.created.isoformat(),
            "state": row.state, "reason": row.reason, "actor": row.actor,
            "decided_at": row.decided_at.isoformat() if row.decided_at else None}


def create(user, dataset_id, statement):
    """File a request to purge dataset ``dataset_id``; only its editors may.

    :raises NotAuthorized: ``user`` may not edit the dataset
    :raises ValidationError: no statement, or an open request exists already
    """
    dataset = authz.get_dataset(dataset_id, user, need="edit")
    statement = (statement or "").strip()
    if not statement:
        raise validation.missing("statement")
    with database.atomic():
        if open_request(dataset.id) is not None:
            raise ValidationError({"id": [
                f"There is an open deletion request for dataset {dataset.name} already."]})
        row = DeletionRequest.create(dataset_id=dataset.id, dataset_name=dataset.name,
                                     dataset_title=dataset.title, requested_by=user.name,
                                     statement=statement)
    return request_dict(row)


def open_request(dataset_id):
    """The open request for ``dataset_id``, or None."""
    return DeletionRequest.get_or_none((DeletionRequest.dataset_id == dataset_id)
                                       & (DeletionRequest.state == "open"))


def listing(user, state=None):
    """Every request (or those in ``state``), newest first; sysadmins only.

    :raises NotAuthorized: for everyone else
    """
    authz.require_sysadmin(user, "list deletion requests")
    query = DeletionRequest.select().order_by(DeletionRequest.created.desc())
    if state:
        query = query.where(DeletionRequest.state == state)
    return [request_dict(r) for r in query]


def approve(user, dataset_id, reason, actor=None):
    """Purge dataset ``dataset_id`` (id or name) for good and keep the record of it.

    The dataset goes through ``dataset_purge`` (files removed from storage);
    the open request, if any, is marked approved with ``reason``, the actor and
    the time, and the ``activity`` hook gets ``("deletion_approved", id, None,
    {reason, request, actor})`` (after the core's own ``purge`` entry).

    :param actor: name recorded as the one who decided (default: ``user.name``)
    :raises NotAuthorized: ``user`` is no sysadmin
    :raises NotFound: no such dataset
    :raises ValidationError: no reason
    """
    authz.require_sysadmin(user, "purge datasets")
    reason = (reason or "").strip()
    if not reason:
        raise validation.missing("reason")
    dataset = Dataset.by_id_or_name(dataset_id)
    if dataset is None:
        raise NotFound("Dataset was not found.")
    actor = actor or user.name
    row = open_request(dataset.id)
    call_action("dataset_purge", user, {"id": dataset.id})
    if row is not None:
        with database.atomic():
            row.state, row.reason, row.actor, row.decided_at = "approved", reason, actor, utcnow()
            row.save()
    details = {"reason": reason, "request": row.id if row else None, "actor": actor}
    host.notify("activity", action="deletion_approved", dataset_id=dataset.id,
                resource_id=None, details=details)
    return {"package_id": dataset.id, "reason": reason, "actor": actor,
            "request": request_dict(row) if row else None}
