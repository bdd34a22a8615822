"""The Whoosh schema and the index document of one dataset.

A document holds what searches match on (free text, fields, ``dc:``/``sp:``
values of the resources), what results are sorted by, and the facts the
permission filter needs (state, private, circle, collections, collaborators,
creator). Circle and collection *names* are not stored: filters and facets
use ids and look names up in the database, so renaming a circle needs no
reindex.
"""
import hashlib
import json
import math
import re

from whoosh import analysis, fields

from ...models import Collaborator, DatasetGroup, Group, Resource, Tag

#: multi-valued exact values are joined with this separator before indexing
SEPARATOR = "\x1f"

_VALUES = analysis.RegexTokenizer(r"[^\x1f]+")
_NORM_WORDS = analysis.RegexTokenizer(r"[^\s]+") | analysis.LowercaseFilter()
#: analyzer of the free text: lower-cased, stemmed words (no stop words); ``_``
#: and ``.`` separate words, so ``hl60`` finds ``hl60_table.csv``
TEXT_ANALYZER = analysis.StemmingAnalyzer(expression=r"[^\W_]+", stoplist=None, minsize=1)


def normalize_word(text):
    """``DCOR-Aid`` → ``dcoraid``: lower case, without punctuation (``*`` kept)."""
    return re.sub(r"[^0-9a-z*]", "", text.lower())


def normalized_text(text):
    """The words of ``text`` normalized with :func:`normalize_word`, space separated."""
    words = (normalize_word(w).replace("*", "") for w in text.split())
    return " ".join(w for w in words if w)


def values_field(stored=False):
    """A field of exact values (several per document), for filters and facets."""
    return fields.TEXT(analyzer=_VALUES, phrase=False, stored=stored)


def meta_field_name(name):
    """Whoosh name of a ``dc:``/``sp:`` field: ``dc:setup:flow rate`` → ``m_dc_00003asetup…``.

    Whoosh field names cannot contain spaces; every character other than a-z
    and 0-9 is written as ``_`` plus six hex digits, so the mapping is
    reversible and collision-free.
    """
    return "m_" + "".join(_escape_char(c) for c in name)


def _escape_char(char):
    if char in "abcdefghijklmnopqrstuvwxyz0123456789":
        return char
    return "_" + format(ord(char), "06x")


def numeric_field_name(name):
    """Whoosh name of the numeric copy of ``dc:``/``sp:`` field ``name``."""
    return "n" + meta_field_name(name)


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
        fingerprint=fields.STORED(),
    )
    schema.add("m_*", values_field(), glob=True)
    schema.add("nm_*", fields.NUMERIC(float, stored=False), glob=True)
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


def dataset_facts(dataset):
    """Everything the index keeps about ``dataset``, as plain JSON-able data."""
    resources = list(Resource.select().where(Resource.dataset == dataset)
                     .order_by(Resource.position))
    collections = list(Group.select().join(DatasetGroup, on=(DatasetGroup.group == Group.id))
                       .where(DatasetGroup.dataset == dataset).order_by(Group.name))
    collabs = list(Collaborator.select().where(Collaborator.dataset == dataset)
                   .order_by(Collaborator.user))
    circle = Group.get_or_none(Group.id == dataset.owner_org_id)
    tags = [t.name for t in Tag.select().where(Tag.dataset == dataset).order_by(Tag.name)]
    meta = {}
    for res in resources:
        for key, value in sorted((res.extras or {}).items()):
            if key.startswith(("dc:", "sp:")) and isinstance(value, (str, int, float, bool)):
                values = meta.setdefault(key, [])
                if value not in values:
                    values.append(value)
    text = [dataset.title, dataset.name, dataset.notes, dataset.authors, *tags,
            *(r.name for r in resources),
            *([circle.title, circle.name] if circle else []),
            *(part for g in collections for part in (g.title, g.name))]
    return {
        "id": dataset.id, "name": dataset.name, "title": dataset.title,
        "text": "\n".join(t for t in text if t),
        "state": dataset.state, "private": bool(dataset.private),
        "owner_org": dataset.owner_org_id or "",
        "groups": [g.id for g in collections],
        "collaborators": [c.user_id for c in collabs],
        "collaborator_editors": [c.user_id for c in collabs if c.capacity == "editor"],
        "creator_user_id": dataset.creator_id or "",
        "license_id": dataset.license_id or "",
        "tags": tags,
        "res_format": sorted({v for r in resources for v in (r.format, r.mimetype) if v}),
        "res_name": [r.name for r in resources],
        "metadata_created": dataset.created.isoformat(),
        "metadata_modified": dataset.modified.isoformat(),
        "meta": meta,
    }


def fingerprint(facts):
    """A digest of :func:`dataset_facts`; ``search check`` compares it with the index."""
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def document(dataset):
    """The Whoosh document (keyword arguments of ``add_document``) of ``dataset``."""
    facts = dataset_facts(dataset)
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
    for key, values in facts["meta"].items():
        doc[meta_field_name(key)] = SEPARATOR.join(value_text(v) for v in values)
        numbers = [n for n in map(_number, values) if n is not None]
        if numbers:
            doc[numeric_field_name(key)] = numbers
    # Whoosh refuses empty values for ID fields in some versions; drop them
    return {k: v for k, v in doc.items() if v != "" and v != []}
