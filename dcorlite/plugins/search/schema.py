"""The Whoosh schema and the index document of one dataset.

A document holds what searches match on (free text, fields, ``dc:``/``sp:``
values of the resources), what results are sorted by, and the facts the
permission filter needs (state, private, circle, collections, collaborators,
creator). Circle and collection *names* are not stored: filters and facets
use ids and look names up in the database, so renaming a circle needs no
reindex.

All ``dc:``/``sp:`` values go into two fields, whatever their key: ``meta``
holds ``<key>\x1e<value as text>`` (equality, text ranges, facets) and
``meta_num`` ``<key>\x1e<sortable hex>`` for numbers (numeric ranges). Two
fields instead of one or two per key keep index builds fast: Whoosh's writer
pays per field and per term, and a numeric field writes 16 terms per value.
"""
import hashlib
import json
import math

from whoosh import analysis, fields
from whoosh.util.numeric import float_to_sortable_long

from ...loading import dataset_parts
from ...search_text import TEXT_ANALYZER, dataset_text, normalized_text

#: version of the index layout; an index built with another one must be rebuilt
LAYOUT = "2"
#: multi-valued exact values are joined with this separator before indexing
SEPARATOR = "\x1f"
#: separates the key from the value in the terms of ``meta`` and ``meta_num``
KEY_SEPARATOR = "\x1e"

_VALUES = analysis.RegexTokenizer(r"[^\x1f]+")
_NORM_WORDS = analysis.RegexTokenizer(r"[^\s]+") | analysis.LowercaseFilter()


def values_field():
    """A field of exact values (several per document), for filters and facets; not scored."""
    return fields.ID(analyzer=_VALUES)


def meta_prefix(key):
    """The start of every ``meta``/``meta_num`` term of ``dc:``/``sp:`` field ``key``."""
    return key + KEY_SEPARATOR


def meta_term(key, value):
    """The ``meta`` term of ``key`` having the value ``value`` (see :func:`value_text`)."""
    return meta_prefix(key) + value_text(value)


def number_term(key, number):
    """The ``meta_num`` term of ``key`` having the number ``number``; sorts like numbers."""
    return meta_prefix(key) + format(float_to_sortable_long(float(number), True), "016x")


def make_schema():
    """The schema of the dataset index."""
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        name=fields.ID(sortable=True),
        title_string=fields.ID(sortable=True),
        text=fields.TEXT(analyzer=TEXT_ANALYZER),
        text_norm=fields.TEXT(analyzer=_NORM_WORDS),
        state=fields.ID(),
        private=fields.ID(),
        owner_org=fields.ID(),
        groups=values_field(),
        collaborators=values_field(),
        collaborator_editors=values_field(),
        creator_user_id=fields.ID(),
        license_id=fields.ID(),
        tags=values_field(),
        res_format=values_field(),
        res_name=values_field(),
        metadata_created=fields.DATETIME(sortable=True),
        metadata_modified=fields.DATETIME(sortable=True, stored=True),
        meta=values_field(),
        meta_num=values_field(),
        fingerprint=fields.STORED(),
    )
    return schema


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def value_text(value):
    """The exact-match text of a ``dc:``/``sp:`` value (``True`` → ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def dataset_facts(dataset, parts):
    """Everything the index keeps about ``dataset``, as plain JSON-able data.

    :param parts: the dataset's :class:`dcorlite.loading.DatasetParts`
    """
    resources, collections = parts.resources, parts.collections
    meta = {}
    for res in resources:
        for key, value in sorted((res.extras or {}).items()):
            if key.startswith(("dc:", "sp:")) and isinstance(value, (str, int, float, bool)):
                values = meta.setdefault(key, [])
                if value not in values:
                    values.append(value)
    return {
        "id": dataset.id, "name": dataset.name, "title": dataset.title,
        "text": dataset_text(dataset, parts),
        "state": dataset.state, "private": bool(dataset.private),
        "owner_org": dataset.owner_org_id or "",
        "groups": [g.id for g in collections],
        "collaborators": [c.user_id for c in parts.collaborators],
        "collaborator_editors": [c.user_id for c in parts.collaborators
                                 if c.capacity == "editor"],
        "creator_user_id": dataset.creator_id or "",
        "license_id": dataset.license_id or "",
        "tags": parts.tags,
        "res_format": sorted({v for r in resources for v in (r.format, r.mimetype) if v}),
        "res_name": [r.name for r in resources],
        "metadata_created": dataset.created.isoformat(),
        "metadata_modified": dataset.modified.isoformat(),
        "meta": meta,
    }


def all_facts(datasets):
    """``[(dataset, dataset_facts)]`` for ``datasets``, read with a few queries for all."""
    datasets = list(datasets)
    parts = dataset_parts(datasets)
    return [(d, dataset_facts(d, parts[d.id])) for d in datasets]


def fingerprint(facts):
    """A digest of :func:`dataset_facts`; ``search check`` compares it with the index."""
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def documents(datasets):
    """The Whoosh documents (keyword arguments of ``add_document``) of ``datasets``."""
    return [_document(dataset, facts) for dataset, facts in all_facts(datasets)]


def _document(dataset, facts):
    doc = {
        "id": facts["id"], "name": facts["name"], "title_string": facts["title"],
        "text": facts["text"], "text_norm": normalized_text(facts["text"]),
        "state": facts["state"], "private": "true" if facts["private"] else "false",
        "owner_org": facts["owner_org"], "creator_user_id": facts["creator_user_id"],
        "license_id": facts["license_id"],
        "metadata_created": dataset.created, "metadata_modified": dataset.modified,
        "fingerprint": fingerprint(facts),
    }
    for key in ("groups", "collaborators", "collaborator_editors", "tags", "res_format",
                "res_name"):
        doc[key] = SEPARATOR.join(facts[key])
    doc["meta"] = SEPARATOR.join(meta_term(key, value) for key, values in facts["meta"].items()
                                 for value in values)
    doc["meta_num"] = SEPARATOR.join(
        number_term(key, number) for key, values in facts["meta"].items()
        for number in map(_number, values) if number is not None)
    # Whoosh refuses empty values for ID fields in some versions; drop them
    return {k: v for k, v in doc.items() if v != "" and v != []}
