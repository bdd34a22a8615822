"""Dataset and resource actions."""
from ... import authz, datasets, host, resources, rules, validation
from ...actions import Action
from ...dictization import package_dict, resource_dict
from ...errors import NotAuthorized, ValidationError
from ...models import Resource
from ...params import Param, boolean, identifier, natural, text
from ...storage import get_storage, resource_key
from .params import required
from .revise import parse_revision, resolve_selector

#: Resource fields only the server sets.
SERVER_SET = ("sha256", "etag", "size", "url_type", "mimetype")
#: lifetime of the URL through which the activation check reads a file in S3
SANITY_URL_SECONDS = 600


def dc_problems(resource):
    """Problems dclab's sanity check finds in the file of ``resource``.

    Storage without local files is read through a short-lived presigned URL.
    """
    storage = get_storage()
    key = resource_key(resource.id)
    path = storage.local_path(key) or storage.signed_url(key, SANITY_URL_SECONDS)
    if path is None:
        return ["File not available for checking"]
    return rules.dc_sanity_problems(path)


def package_show(context, data):
    """Show a dataset by id or name."""
    dataset = authz.get_dataset(required(data, "id", "name_or_id"), context["user"])
    result = package_dict(dataset)
    if dataset.private:
        host.notify("activity", action="read", dataset_id=dataset.id, resource_id=None,
                    details={})
    return result


def package_create(context, data):
    """Create a draft dataset (``authors``, ``license_id``, ``owner_org`` required)."""
    return package_dict(datasets.create_dataset(context["user"], data))


def package_patch(context, data):
    """Change the given top-level fields of a dataset.

    Like the other write actions, an unknown id is 404 for every caller; the
    edit check (403) comes after the lookup, as in CKAN.
    """
    user = context["user"]
    dataset = authz.get_dataset(required(data, "id", "name"), user, need="edit")
    fields = {k: v for k, v in data.items() if k not in ("id", "resources")}
    if "resources" in data:
        raise NotAuthorized("Resources cannot be replaced; use package_revise")
    datasets.update_dataset(user, dataset, fields, dc_problems)
    return package_dict(dataset)


def package_revise(context, data):
    """Change a dataset with ``match``/``update`` (CKAN's ``package_revise``).

    New resources come from ``update__resources__extend`` with the ``id`` of a
    finished upload, or with a file in ``update__resources__-1__upload``.
    """
    user = context["user"]
    rev = parse_revision(data)
    dataset = authz.get_dataset(rev.match.get("id") or rev.match.get("name"), user,
                                need="edit")
    _check_match(dataset, rev.match)
    fields = dict(rev.fields)
    state = fields.pop("state", None)
    if fields:
        datasets.update_dataset(user, dataset, fields)
    existing = list(Resource.select().where(Resource.dataset == dataset)
                    .order_by(Resource.position))
    new = [dict(entry) for entry in rev.new_resources]
    slots = existing + new
    for selector, values in rev.resource_updates:
        index = resolve_selector(selector, slots)
        if index >= len(existing):
            new[index - len(existing)].update(values)
        else:
            resources.update_resource(user, dataset, existing[index], values)
    uploads = {}
    for selector, upload in rev.uploads.items():
        index = resolve_selector(selector, slots)
        if index < len(existing):
            raise NotAuthorized("The file of an existing resource cannot be replaced")
        uploads[index - len(existing)] = upload
    if new or uploads:
        _attach_new(user, dataset, new, uploads, first=len(existing))
    if state is not None:
        datasets.update_dataset(user, dataset, {"state": state}, dc_problems)
    return {"package": package_dict(dataset)}


def _check_match(dataset, match):
    current = package_dict(dataset)
    wrong = sorted(k for k, v in match.items()
                   if k not in ("id", "name") and current.get(k) != v)
    if match.get("id") not in (None, dataset.id) or match.get("name") not in (None, dataset.name):
        wrong.append("id" if match.get("id") else "name")
    if wrong:
        raise ValidationError({"match": wrong})


def _attach_new(user, dataset, entries, uploads, first):
    """Attach ``entries`` in order; ``first`` is the position the first of them takes."""
    storage = get_storage()
    for index, entry in enumerate(entries):
        try:
            _attach_one(user, dataset, entry, uploads.get(index), storage)
        except ValidationError as exc:
            raise at_position(exc, first + index) from None


def at_position(exc, position):
    """A resource's field errors in CKAN's shape: one dict per resource position.

    ``{"name": [msg]}`` of the resource at position 1 becomes
    ``{"resources": [{}, {"name": [msg]}]}``.
    """
    if set(exc.errors) == {"resources"}:
        return exc
    return ValidationError({"resources": [{}] * position + [dict(exc.errors)]})


def _attach_one(user, dataset, entry, upload, storage):
    """Attach one new resource: a finished upload (``id``) or a streamed file."""
    forbidden = [k for k in SERVER_SET if entry.get(k) not in (None, "")]
    if forbidden and not user.sysadmin:
        raise NotAuthorized(f"Users may not set {', '.join(forbidden)} of a resource")
    fields = {k: v for k, v in entry.items() if k == "description" or k.startswith("sp:")}
    if upload is not None and hasattr(upload, "stream"):
        name = entry.get("name") or upload.filename
        resources.attach_stream(user, dataset, name, upload.stream, fields, storage)
    elif entry.get("id"):
        resources.attach_upload(user, dataset, entry["id"], entry.get("name"), fields,
                                storage)
    else:
        raise ValidationError({"resources": [
            "A new resource needs the id of a finished upload "
            "(resource_upload_s3_urls) or an uploaded file"]})


def package_delete(context, data):
    """Delete a draft dataset."""
    user = context["user"]
    dataset = authz.get_dataset(required(data, "id", "name"), user, need="edit")
    datasets.delete_dataset(user, dataset)


def dataset_purge(context, data):
    """Remove a deleted dataset and its files for good."""
    user = context["user"]
    dataset = authz.get_dataset(required(data, "id", "name"), user, need="edit")
    datasets.purge_dataset(user, dataset, get_storage())


def resource_show(context, data):
    """Show a resource by id."""
    resource = authz.get_resource(required(data, "id"), context["user"])
    return resource_dict(resource)


def resource_patch(context, data):
    """Change ``description`` and ``sp:*`` metadata of a resource of a draft."""
    user = context["user"]
    resource = authz.get_resource(required(data, "id"), user)
    dataset = authz.get_dataset(resource.dataset_id, user, need="edit")
    values = {k: v for k, v in data.items() if k != "id"}
    return resource_dict(resources.update_resource(user, dataset, resource, values))


def resource_delete(context, data):
    """Resources are never deleted by users (DCOR rule)."""
    user = context["user"]
    authz.get_resource(required(data, "id"), user)
    raise NotAuthorized("Deleting resources is not allowed")


def package_list(context, data):
    """Names of all active public datasets."""
    from ...models import Dataset
    limit = validation.as_natural(data.get("limit"), "limit")
    offset = validation.as_natural(data.get("offset"), "offset", default=0)
    query = (Dataset.select(Dataset.name)
             .where((Dataset.state == "active") & (Dataset.private == False))  # noqa: E712
             .order_by(Dataset.name).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return [d.name for d in query]


_ID = identifier("dataset id or name")
_LIST_OR_TEXT = Param(("string", "array"), items="string", max_length=10000,
                      description="comma-separated text or a list of texts")
_FIELDS = {
    "title": text(max_length=500), "notes": text("Markdown"), "authors": _LIST_OR_TEXT,
    "doi": text(max_length=500), "references": _LIST_OR_TEXT,
    "license_id": text(max_length=100), "owner_org": identifier("circle id or name"),
    "private": boolean(), "state": text("draft or active", 20),
    "tags": Param(("array", "string"), description="[{\"name\": …}] or \"a,b\""),
    "tag_string": text(max_length=10000),
    "groups": Param("array", items="object", description="[{\"name\": …}]"),
}
_BY_ID = {"id": _ID, "name": _ID}

ACTIONS = [
    Action("package_show", package_show, get=True,
           params={"id": _ID, "name_or_id": _ID}),
    Action("package_create", package_create, open_params=True,
           params={**_FIELDS, "name": text(max_length=100), "id": text(max_length=100)}),
    Action("package_patch", package_patch, open_params=True, params={**_FIELDS, **_BY_ID}),
    Action("package_revise", package_revise, open_params=True, params={
        "match": Param(("object", "string"), description="fields the dataset must have"),
        "update": Param(("object", "string"), description="fields to set"),
        "filter": Param(("array", "string"), description="refused: resources stay"),
        "include": Param(("array", "string"))}),
    Action("package_delete", package_delete, params=_BY_ID),
    Action("dataset_purge", dataset_purge, params=_BY_ID),
    Action("resource_show", resource_show, get=True,
           params={"id": identifier("resource id", required=True)}),
    Action("resource_patch", resource_patch, open_params=True,
           params={"id": identifier("resource id", required=True),
                   "description": text(max_length=10000)}),
    Action("resource_delete", resource_delete,
           params={"id": identifier("resource id", required=True)}),
    Action("package_list", package_list, get=True,
           params={"limit": natural(), "offset": natural()}),
]
