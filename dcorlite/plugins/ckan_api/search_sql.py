"""The SQL fallback for ``search_datasets``: the query tree as a peewee filter.

Used when no search index plugin answers. Free text matches case- and
punctuation-insensitively (``dcoraid`` finds ``DCOR-Aid``) in title, name,
notes, authors, tags, resource names and circle/collection names. ``dc:``/``sp:``
filters and facets read the resources' JSON ``extras`` with the database's
JSON functions (SQLite ``json_extract``, PostgreSQL ``jsonb``).
"""
import re

import peewee as pw

from ... import authz, query as qp
from ...db import database
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


class _MetaValue:
    """SQL expressions for the value of one ``dc:``/``sp:`` key in ``Resource.extras``.

    ``value`` is the value as SQL text (SQLite: its native type), to compare
    where ``is_text``; ``number`` is the value of a JSON number (NULL otherwise
    on PostgreSQL); ``boolean(True)`` matches a JSON ``true``; facets group by
    ``type`` and ``value``. The key was checked by
    :func:`dcorlite.query.is_meta_field`, so it cannot break out of a JSON path.
    """

    def __init__(self, key):
        if isinstance(database.obj, pw.PostgresqlDatabase):
            item = pw.Expression(pw.Cast(Resource.extras, "jsonb"), "->", key)
            self.type = pw.fn.jsonb_typeof(item).coerce(False)
            self.value = pw.Expression(pw.Cast(Resource.extras, "jsonb"), "->>", key)
            self.is_text = self.type == "string"
            self.is_number = self.type == "number"
            self.number = pw.Case(None, [(self.is_number,
                                          pw.Cast(self.value, "double precision"))])
            self._bool = lambda flag: (self.type == "boolean") & (
                self.value == ("true" if flag else "false"))
        else:
            path = f'$."{key}"'
            # coerce(False): not through JSONField.python_value, which peewee
            # applies to functions of a field by default
            self.type = pw.fn.json_type(Resource.extras, path).coerce(False)
            self.value = pw.fn.json_extract(Resource.extras, path).coerce(False)
            self.is_text = self.type == "text"
            self.is_number = self.type.in_(["integer", "real"])
            self.number = self.value
            self._bool = lambda flag: self.type == ("true" if flag else "false")

    def boolean(self, flag):
        """Values that are the JSON boolean ``flag``."""
        return self._bool(flag)

    @staticmethod
    def facet_key(type_name, value):
        """The facet value of a row: JSON booleans as ``true``/``false``, others as text."""
        if type_name in ("true", "false"):
            return type_name
        return str(value)


def _with_metadata(condition):
    """Datasets that have a resource whose metadata meets ``condition``."""
    return Dataset.id.in_(Resource.select(Resource.dataset).where(condition))


def _meta_term(field, value):
    meta = _MetaValue(field)
    if "*" in value or "?" in value:
        matches = meta.value ** value.replace("*", "%").replace("?", "_")
    else:
        matches = meta.value == value
    condition = meta.is_text & matches
    number = qp.as_number(value)
    if number is not None:
        condition |= meta.is_number & (meta.number == number)
    if value in ("true", "false"):
        condition |= meta.boolean(value == "true")
    return _with_metadata(condition)


def _meta_range(node):
    meta = _MetaValue(node.field)
    low, high = qp.as_number(node.low), qp.as_number(node.high)
    numeric = ((node.low is None or low is not None) and (node.high is None or high is not None)
               and (low is not None or high is not None))
    if numeric:
        column, condition = meta.number, meta.is_number
    else:  # dates and times in ISO form sort like text
        column, condition, low, high = meta.value, meta.is_text, node.low, node.high
    if low is not None:
        condition &= (column >= low) if node.inclusive else (column > low)
    if high is not None:
        condition &= (column <= high) if node.inclusive else (column < high)
    return _with_metadata(condition)


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
    if qp.is_meta_field(field):
        return _meta_term(field, value)
    raise SearchError(f"Unknown field '{field}'")


def _range_condition(node):
    columns = {"metadata_modified": Dataset.modified, "metadata_created": Dataset.created}
    if qp.is_meta_field(node.field):
        return _meta_range(node)
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


class _SQLTarget(qp.BooleanTarget):
    """peewee conditions for the nodes of a query tree (see :func:`dcorlite.query.translate`)."""

    match_all = staticmethod(lambda: pw.SQL("1 = 1"))
    text = staticmethod(_text_condition)
    term = staticmethod(_term_condition)
    range = staticmethod(_range_condition)


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
        elif field == "res_format":
            result[field] = _format_facet(base)
            continue
        elif qp.is_meta_field(field):
            result[field] = _meta_facet(field, base)
            continue
        else:
            raise SearchError(f"Cannot facet on field '{field}'")
        result[field] = {row["value"]: row["n"] for row in rows.dicts()}
    return result


def _format_facet(base):
    """Datasets per resource format or mimetype (a dataset counts once per value)."""
    pairs = [Resource.select(Resource.dataset, column.alias("value"))
             .where(Resource.dataset.in_(base) & (column != ""))
             for column in (Resource.format, Resource.mimetype)]
    union = (pairs[0] | pairs[1]).alias("pairs")  # UNION: one row per dataset and value
    rows = (pw.Select([union], [union.c.value, pw.fn.COUNT(pw.SQL("*"))])
            .group_by(union.c.value).bind(database))
    return dict(rows.tuples())


def _meta_facet(field, base):
    """Datasets per value of ``dc:``/``sp:`` ``field`` (a dataset counts once per value)."""
    meta = _MetaValue(field)
    scalar = meta.is_text | meta.is_number | meta.boolean(True) | meta.boolean(False)
    rows = (Resource.select(meta.type.alias("type"), meta.value.alias("value"),
                            pw.fn.COUNT(Resource.dataset.distinct()).alias("n"))
            .where(Resource.dataset.in_(base) & scalar)
            .group_by(meta.type, meta.value).tuples())
    counts = {}
    for type_name, value, count in rows:
        key = _MetaValue.facet_key(type_name, value)
        counts[key] = counts.get(key, 0) + count
    return counts
