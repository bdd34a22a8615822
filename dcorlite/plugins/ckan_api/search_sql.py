"""The SQL fallback for ``search_datasets``: the query tree as a peewee filter.

Used when no search index plugin answers. Free text matches case- and
punctuation-insensitively (``dcoraid`` finds ``DCOR-Aid``) in title, name,
notes, authors, tags, resource names and circle/collection names.
"""
import functools
import operator
import re

import peewee as pw

from ... import authz, query as qp
from ...errors import SearchError
from ...models import Dataset, DatasetGroup, Group, Resource, Tag, User
from ...search import SearchResult

_PUNCTUATION = "-_ .,:;()/+'\"[]"


def _normalized(column):
    expr = pw.fn.LOWER(column)
    for char in _PUNCTUATION:
        expr = pw.fn.REPLACE(expr, char, "")
    return expr


def _norm_text(text):
    return re.sub(r"[^0-9a-z*]", "", text.lower())


def _like(column, text):
    pattern = "%" + text.replace("*", "%") + "%"
    return _normalized(column) ** pattern  # ** is ILIKE / LIKE in peewee


def _text_condition(text):
    term = _norm_text(text)
    if not term:
        return pw.SQL("1 = 1")
    tagged = Tag.select(Tag.dataset).where(_like(Tag.name, term))
    in_resources = Resource.select(Resource.dataset).where(_like(Resource.name, term))
    groups = Group.select(Group.id).where(_like(Group.name, term) | _like(Group.title, term))
    in_groups = DatasetGroup.select(DatasetGroup.dataset).where(DatasetGroup.group.in_(groups))
    return (_like(Dataset.title, term) | _like(Dataset.name, term)
            | _like(Dataset.notes, term) | _like(Dataset.authors, term)
            | Dataset.id.in_(tagged) | Dataset.id.in_(in_resources)
            | Dataset.owner_org.in_(groups) | Dataset.id.in_(in_groups))


def _term_condition(field, value):
    if value == "*":
        return pw.SQL("1 = 1")
    column_map = {"creator_user_id": Dataset.creator, "state": Dataset.state,
                  "name": Dataset.name, "id": Dataset.id, "owner_org": Dataset.owner_org,
                  "license_id": Dataset.license_id, "title": Dataset.title}
    if field in column_map:
        return column_map[field] == value
    if field == "organization":
        return Dataset.owner_org.in_(Group.select(Group.id).where(
            Group.is_organization & ((Group.name == value) | (Group.id == value))))
    if field == "groups":
        groups = Group.select(Group.id).where((Group.name == value) | (Group.id == value))
        return Dataset.id.in_(DatasetGroup.select(DatasetGroup.dataset)
                              .where(DatasetGroup.group.in_(groups)))
    if field == "tags":
        return Dataset.id.in_(Tag.select(Tag.dataset).where(Tag.name == value))
    if field in ("capacity", "private"):
        private = value.lower() in ("private", "true")
        return Dataset.private == private
    if field == "res_format":
        return Dataset.id.in_(Resource.select(Resource.dataset).where(
            (Resource.format == value) | (Resource.mimetype == value)))
    if field == "res_name":
        return Dataset.id.in_(Resource.select(Resource.dataset).where(Resource.name == value))
    if field in ("metadata_modified", "metadata_created"):
        return _range_condition(qp.Range(field, value, value))
    if field == "text":
        return _text_condition(value)
    if field == "creator":
        return Dataset.creator.in_(User.select(User.id).where(User.name == value))
    raise SearchError(f"Unknown field '{field}'")


def _range_condition(node):
    columns = {"metadata_modified": Dataset.modified, "metadata_created": Dataset.created}
    if node.field not in columns:
        raise SearchError(f"Range queries are not supported for field '{node.field}'")
    column = columns[node.field]
    cond = pw.SQL("1 = 1")
    low, high = qp.parse_time(node.low, node.field), qp.parse_time(node.high, node.field)
    if low is not None:
        cond &= (column >= low) if node.inclusive else (column > low)
    if high is not None:
        cond &= (column <= high) if node.inclusive else (column < high)
    return cond


class _SQLTarget:
    """peewee conditions for the nodes of a query tree (see :func:`dcorlite.query.translate`)."""

    match_all = staticmethod(lambda: pw.SQL("1 = 1"))
    text = staticmethod(_text_condition)
    term = staticmethod(_term_condition)
    range = staticmethod(_range_condition)
    negate = staticmethod(lambda cond: ~cond)
    all_of = staticmethod(lambda conds: functools.reduce(operator.and_, conds))
    any_of = staticmethod(lambda conds: functools.reduce(operator.or_, conds))


def to_condition(node):
    """Translate a query tree from :mod:`dcorlite.query` into a peewee condition.

    :raises SearchError: for unknown fields or invalid values
    """
    return qp.translate(node, _SQLTarget)


_SORT_COLUMNS = {"metadata_modified": Dataset.modified, "metadata_created": Dataset.created,
                 "name": Dataset.name, "title": Dataset.title, "title_string": Dataset.title}


def search(query, user):
    """Run a :class:`dcorlite.search.SearchQuery` against the database."""
    visible = authz.visible_datasets_condition(user, query.include_private,
                                               query.include_drafts)
    # The visibility condition also limits states (active, plus drafts when
    # asked for), so "state:draft" without include_drafts finds nothing, as in CKAN.
    cond = visible & to_condition(query.q) & to_condition(query.fq)
    base = Dataset.select(Dataset.id).where(cond)
    order = []
    for field, direction in query.sort:
        if field == "score":
            continue
        column = _SORT_COLUMNS[field]
        order.append(column.desc() if direction == "desc" else column.asc())
    order += [Dataset.modified.desc(), Dataset.id]
    count = base.count()
    page = base.order_by(*order).offset(query.start).limit(query.rows)
    ids = [d.id for d in page]
    facets = _facets(query.facet_fields, base) if query.facet_fields else {}
    return SearchResult(count=count, ids=ids, facets=facets)


def _facets(fields, base):
    result = {}
    for field in fields:
        if field == "organization":
            rows = (Group.select(Group.name.alias("value"), pw.fn.COUNT(Dataset.id).alias("n"))
                    .join(Dataset, on=(Dataset.owner_org == Group.id))
                    .where(Dataset.id.in_(base)).group_by(Group.name))
        elif field == "groups":
            rows = (Group.select(Group.name.alias("value"),
                                 pw.fn.COUNT(DatasetGroup.id).alias("n"))
                    .join(DatasetGroup, on=(DatasetGroup.group == Group.id))
                    .where(DatasetGroup.dataset.in_(base)).group_by(Group.name))
        elif field == "tags":
            rows = (Tag.select(Tag.name.alias("value"), pw.fn.COUNT(Tag.id).alias("n"))
                    .where(Tag.dataset.in_(base)).group_by(Tag.name))
        elif field in ("license_id", "state"):
            column = getattr(Dataset, field)
            rows = (Dataset.select(column.alias("value"), pw.fn.COUNT(Dataset.id).alias("n"))
                    .where(Dataset.id.in_(base)).group_by(column))
        else:
            raise SearchError(f"Cannot facet on field '{field}'")
        result[field] = {row["value"]: row["n"] for row in rows.dicts()}
    return result
