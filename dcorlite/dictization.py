"""Turning model objects into the dicts CKAN clients expect.

Dataset dicts are cached per process by ``(id, revision, site URL)`` (see
:mod:`dcorlite.revisions`): a dataset read from the database says by its
revision whether a cached dict is current. Cached dicts are shared between
requests, so callers treat them as read-only.
"""
import hashlib
import threading

import cachetools
from flask import current_app, request

from . import host, loading, schemas
from .models import Dataset, Membership
from .prepared import Prepared


def isoformat(value):
    """Naive UTC ISO-8601 as CKAN prints it, or None."""
    return value.isoformat() if value is not None else None


def site_url():
    """The public base URL of this server, without trailing slash."""
    configured = current_app.config.get("SITE_URL")
    if configured:
        return configured.rstrip("/")
    if not request:
        return ""
    # url_root (with the path prefix a proxy forwards, X-Forwarded-Prefix) is
    # rebuilt on each access; a request asks for it several times
    environ = request.environ
    if "dcorlite.site_url" not in environ:
        environ["dcorlite.site_url"] = _request_root()
    return environ["dcorlite.site_url"]


def _request_root():
    host = request.host
    if not request.root_path and "xn--" not in host.lower():
        # what url_root gives for a plain host without a path prefix, without its
        # quoting and IRI decoding (a third of a small API request's time)
        return f"{request.scheme}://{host}"
    return request.url_root.rstrip("/")


def object_url(resource_id):
    """The stable URL of a resource's file: the storage's own, else dcorlite's file route.

    It serves the file without a token only while the dataset is public.
    """
    from .storage import get_storage, resource_key
    return (get_storage().object_url(resource_key(resource_id))
            or f"{site_url()}/files/{resource_id}/resource")


def group_dict(group, **extra):
    """The 10 CKAN group columns plus ``display_name`` and ``image_display_url``."""
    result = {
        "id": group.id, "name": group.name, "title": group.title,
        "type": group.kind, "description": group.description, "image_url": "",
        "created": isoformat(group.created), "is_organization": group.is_organization,
        "approval_status": "approved", "state": group.state,
        "display_name": group.display_name, "image_display_url": "",
    }
    result.update(extra)
    return result


def user_dict(user, private=False):
    """A CKAN user dict; ``email`` only with ``private=True`` (self, sysadmin)."""
    from .models import Dataset
    email = user.email or ""
    count = Dataset.select().where((Dataset.creator == user) & (Dataset.state != "deleted"))
    if not private:
        count = count.where((Dataset.state == "active") & (Dataset.private == False))  # noqa: E712
    result = {
        "id": user.id, "name": user.name, "fullname": user.fullname,
        "display_name": user.display_name, "about": user.about,
        "created": isoformat(user.created), "sysadmin": user.sysadmin,
        "state": user.state, "image_url": "", "image_display_url": "",
        "email_hash": hashlib.md5(email.strip().lower().encode()).hexdigest(),
        "number_created_packages": count.count(),
        "last_active": None, "activity_streams_email_notifications": False,
    }
    if private:
        result["email"] = email
        result["apikey"] = None
    return result


def plugin_fields(resource_ids):
    """``{resource id: {field: value}}`` the plugins add (hook ``resource_dict_fields``)."""
    merged = {}
    if resource_ids:
        for rid, fields in host.collect("resource_dict_fields", resource_ids=list(resource_ids)):
            merged.setdefault(rid, {}).update(fields)
    return merged


def resource_dict(resource, dataset_id=None, fields=None):
    """The CKAN resource dict with DCOR's extra fields and ``dc:``/``sp:`` keys.

    :param fields: the plugins' fields of this resource (see :func:`plugin_fields`),
        looked up when not given
    """
    package_id = dataset_id or resource.dataset_id
    result = {
        "id": resource.id, "package_id": package_id, "name": resource.name,
        "position": resource.position, "size": resource.size,
        "mimetype": resource.mimetype or None, "mimetype_inner": None,
        "format": resource.format, "sha256": resource.sha256 or None,
        "etag": resource.etag or None, "hash": "",
        "url": (f"{site_url()}/dataset/{package_id}/resource/{resource.id}"
                f"/download/{resource.name.lower()}"),
        "url_type": resource.url_type, "s3_available": resource.s3_available,
        "s3_url": object_url(resource.id),
        "description": resource.description, "state": "active",
        "resource_type": None, "cache_url": None, "cache_last_updated": None,
        "created": isoformat(resource.created),
        "last_modified": isoformat(resource.last_modified),
        "metadata_modified": isoformat(resource.last_modified),
    }
    result.update(resource.extras or {})
    result.update(plugin_fields([resource.id]).get(resource.id, {}) if fields is None
                  else fields)
    return result


def package_dict(dataset):
    """The full ``package_show`` dict of ``dataset`` (resources in upload order; read-only)."""
    return package_dicts([dataset])[0]


_REVISIONS = Prepared(lambda ids: Dataset.select(Dataset.id, Dataset.revision)
                      .where(Dataset.id.in_(ids)).tuples())
_DATASETS = Prepared(lambda ids: Dataset.select().where(Dataset.id.in_(ids)))


def package_dicts_by_id(ids):
    """:func:`package_dict` of the datasets ``ids`` that exist, in that order (read-only).

    Only the revisions are read for datasets whose dict is cached, the whole
    rows for the others (a search page is mostly cached dicts).
    """
    ids = list(ids)
    if not ids:
        return []
    revisions = dict(_REVISIONS.cursor(ids))
    base = site_url()
    cached = _cached({i: (i, revision, base) for i, revision in revisions.items()})
    missing = [i for i in ids if i in revisions and i not in cached]
    if missing:
        cached.update((d["id"], d) for d in package_dicts(_DATASETS.all(missing)))
    return [cached[i] for i in ids if i in cached]


def package_dicts(datasets):
    """:func:`package_dict` of each of ``datasets`` (read-only dicts).

    Those not in the cache are read with a few queries for all of them. A
    dataset whose revision is unknown (``None``: written by this request) is
    built fresh and not cached.
    """
    datasets = list(datasets)
    base = site_url()
    keys = {d.id: (d.id, d.revision, base) for d in datasets if d.revision is not None}
    found = _cached(keys)
    missing = [d for d in datasets if d.id not in found]
    if missing:
        parts = loading.dataset_parts(missing, collaborators=False)
        licenses = {lic["id"]: lic for lic in schemas.licenses()}
        extra = plugin_fields([r.id for d in missing for r in parts[d.id].resources])
        built = {d.id: _package_dict(d, parts[d.id], licenses.get(d.license_id), extra)
                 for d in missing}
        cache, lock = _dict_cache()
        if cache is not None:
            with lock:
                for dataset_id, result in built.items():
                    if dataset_id in keys:
                        cache.store(keys[dataset_id], result)
        found.update(built)
    return [found[d.id] for d in datasets]


def _cached(keys):
    """``{id: dict}`` of the cache's entries for ``keys`` (``{id: cache key}``)."""
    cache, lock = _dict_cache()
    if cache is None:
        return {}
    with lock:
        return {i: cache[k] for i, k in keys.items() if k in cache}


_cache_guard = threading.Lock()


class DatasetDicts(cachetools.LRUCache):
    """An LRU of dataset dicts by ``(id, revision, site URL)``, one revision per dataset.

    A dict of an older revision is never asked for again once a newer one is
    stored, so :meth:`store` drops it rather than letting it wait for eviction:
    under uploads (a new revision per write and job) the cache held mostly
    dead revisions, and the process grew by them.
    """

    def __init__(self, maxsize):
        super().__init__(maxsize)
        self._latest = {}

    def store(self, key, value):
        """Keep ``value`` under ``key``; forget the same dataset's dict of another revision."""
        dataset_id, _, base = key
        older = self._latest.get((dataset_id, base))
        if older is not None and older != key:
            self.pop(older, None)
        self[key] = value
        self._latest[(dataset_id, base)] = key

    def popitem(self):
        """Evict the least recently used dict (and its revision note)."""
        key, value = super().popitem()
        if self._latest.get((key[0], key[2])) == key:
            del self._latest[(key[0], key[2])]
        return key, value


def _dict_cache():
    """The app's ``(LRU cache or None, lock)`` of dataset dicts (``DATASET_CACHE_SIZE``)."""
    extensions = current_app.extensions["dcorlite"]
    if "dataset_dicts" not in extensions:
        with _cache_guard:
            if "dataset_dicts" not in extensions:
                size = int(current_app.config["DATASET_CACHE_SIZE"])
                extensions["dataset_dicts"] = (DatasetDicts(size) if size > 0 else None,
                                               threading.Lock())
    return extensions["dataset_dicts"]


def _package_dict(dataset, parts, lic, extra):
    group_items = sorted(
        ({"id": g.id, "name": g.name, "title": g.title, "display_name": g.display_name,
          "description": g.description, "image_display_url": ""} for g in parts.collections),
        key=lambda g: g["display_name"])
    result = {
        "id": dataset.id, "name": dataset.name, "title": dataset.title,
        "type": "dataset", "state": dataset.state, "private": dataset.private,
        "owner_org": dataset.owner_org_id,
        "organization": {k: v for k, v in group_dict(parts.circle).items()
                         if k not in ("display_name", "image_display_url")},
        "creator_user_id": dataset.creator_id,
        "metadata_created": isoformat(dataset.created),
        "metadata_modified": isoformat(dataset.modified),
        "authors": dataset.authors, "doi": dataset.doi, "references": dataset.references,
        "license_id": dataset.license_id,
        "license_title": lic["title"] if lic else dataset.license_id,
        "isopen": bool(lic and lic.get("od_conformance") == "approved"),
        "notes": dataset.notes, "num_resources": len(parts.resources),
        "num_tags": len(parts.tags),
        "resources": [resource_dict(r, dataset.id, extra.get(r.id, {}))
                      for r in parts.resources],
        "tags": [{"id": n, "name": n, "display_name": n, "state": "active",
                  "vocabulary_id": None} for n in parts.tags],
        "groups": group_items, "extras": [],
        "relationships_as_subject": [], "relationships_as_object": [],
    }
    if lic and lic.get("url"):
        result["license_url"] = lic["url"]
    return result


def member_users(group):
    """User dicts of a group's members, each with its ``capacity``."""
    members = (Membership.select(Membership, Membership.user)
               .where(Membership.group == group))
    return [dict(user_dict(m.user), capacity=m.role) for m in members]
