"""The plugin's API actions: confirming scan hits, deletion requests and their approval."""
from ...actions import Action
from ...params import identifier, text
from . import deletion, review

STATEMENT_MAX = 10000


def resource_privacy_confirm(context, data):
    """An editor confirms that a resource's scan hits are no patient data (``statement``)."""
    return review.confirm(context["user"], data.get("id") or "", data.get("statement"))


def dataset_deletion_request_create(context, data):
    """An editor asks for a dataset to be removed for good (``statement``: why)."""
    return deletion.create(context["user"], data.get("id") or "", data.get("statement"))


def dataset_deletion_request_list(context, data):
    """All deletion requests (``state``: ``open`` or ``approved`` only); sysadmins."""
    return deletion.listing(context["user"], data.get("state"))


def dataset_deletion_request_approve(context, data):
    """A sysadmin purges the dataset ``id`` (``reason`` required) and closes its request."""
    return deletion.approve(context["user"], data.get("id") or "", data.get("reason"))


ACTIONS = [
    Action("resource_privacy_confirm", resource_privacy_confirm, params={
        "id": identifier("resource id", required=True),
        "statement": text("why the hits are no patient data", STATEMENT_MAX, required=True)}),
    Action("dataset_deletion_request_create", dataset_deletion_request_create, params={
        "id": identifier("dataset id or name", required=True),
        "statement": text("why the dataset must go (e.g. consent revoked)", STATEMENT_MAX,
                          required=True)}),
    Action("dataset_deletion_request_list", dataset_deletion_request_list, get=True,
           params={"state": text("open or approved", 20)}),
    Action("dataset_deletion_request_approve", dataset_deletion_request_approve, params={
        "id": identifier("dataset id or name", required=True),
        "reason": text("recorded with the purge", STATEMENT_MAX, required=True)}),
]
