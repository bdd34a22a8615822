"""The ``dcserv`` action (version 2) through which dclab reads DC data remotely.

Every answer comes from precomputed documents (see :mod:`.kernel`); none
opens an HDF5 file, so dclab's one-second timeouts are never at risk.
"""
from ... import authz, host
from ...actions import Action
from ...dcfiles import is_dc_resource
from ...errors import NotAuthorized, NotFound, ValidationError
from ...models import Dataset
from ...params import Param, identifier, text
from ...storage import get_storage, resource_key
from . import basins, kernel

QUERIES = ("valid", "metadata", "size", "feature_list", "logs", "tables", "trace_list",
           "basins")


def _check_params(data):
    version = str(data.get("version", "2"))
    if version == "1":
        raise ValidationError("Version '1' of the DCOR API is not supported anymore. "
                              "Please use version '2' instead!")
    if version != "2":
        raise ValidationError("Please specify version '1' or '2'!")
    if not data.get("id"):
        raise ValidationError("Please specify 'id' parameter!")
    if not data.get("query"):
        raise ValidationError("Please specify 'query' parameter!")
    if data["query"] not in QUERIES:
        raise ValidationError(f"Invalid query parameter '{data['query']}'!")
    return str(data["id"]), data["query"]


def dcserv(context, data):
    """Answer dclab's queries about a DC resource (``id``, ``query``, ``version=2``)."""
    resource_id, query = _check_params(data)
    user = context["user"]
    try:
        resource = authz.get_resource(resource_id, user)
    except NotAuthorized:
        raise NotAuthorized(f"User {user.name if user else ''} not authorized to read "
                            f"resource {resource_id}") from None
    if not is_dc_resource(resource):
        raise ValidationError(f"Resource ID {resource_id} must be an .rtdc dataset!")
    answer = _answer(resource, resource_id, query, user)
    host.notify("activity", action="read", dataset_id=resource.dataset_id,
                resource_id=resource.id, details={"via": "dcserv"})
    return answer


def _answer(resource, resource_id, query, user):
    if query == "valid":
        return get_storage().exists(resource_key(resource.id))
    if query == "feature_list":
        return []
    original, condensed = kernel.load(resource.id)
    if original is None:
        if query == "basins":
            return []
        failure = kernel.failure(resource.id)
        if failure:
            raise ValidationError(f"Resource {resource_id} could not be processed: {failure}")
        raise NotFound(f"Resource {resource_id} is still being processed")
    if query == "basins":
        dataset = Dataset.by_id_or_name(resource.dataset_id)
        return basins.basin_dicts(resource, dataset, original, condensed, user)
    if query == "logs":
        return dict(original["logs"], **(condensed or {}).get("logs", {}))
    return original[query]


ACTIONS = [Action("dcserv", dcserv, get=True, params={
    "id": identifier("resource id", required=True),
    "query": text(", ".join(QUERIES), 50, required=True),
    "version": Param(("string", "integer"), max_length=10, description="2")})]
