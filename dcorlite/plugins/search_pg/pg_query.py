"""The one translation of :mod:`dcorlite.query` trees into conditions on the search documents.

Conditions are peewee expressions over ``dataset`` (joined with
``search_pg_document`` for free text). Free text is matched like the Whoosh
index matches it (:mod:`dcorlite.search_text`): the stemmed words as a
phrase in ``stems`` or the words without punctuation as a phrase in
``words``, through the GIN indexes of those ``tsvector`` columns. Tags,
collections, resource formats and names and ``dc:``/``sp:`` fields are
subqueries on ``search_pg_value`` through its key ``(key, value, dataset_id)``.
"""
import functools
import json
import operator
import re

import peewee as pw

from ... import query as qp
from ... import search_text
from ...errors import SearchError
from ...models import Dataset, Group, User
from .models import SearchDocument, SearchValue

TRUE = pw.SQL("TRUE")
FALSE = pw.SQL("FALSE")

#: ``field:value`` on a column of the dataset row
_COLUMNS = {"id": Dataset.id, "name": Dataset.name, "state": Dataset.state,
            "owner_org": Dataset.owner_org, "creator_user_id": Dataset.creator,
            "license_id": Dataset.license_id, "title": Dataset.title}
#: ``field:value`` on a list in ``search_pg_value``
_LISTS = ("tags", "res_format", "res_name")
_DATES = {"metadata_modified": Dataset.modified, "metadata_created": Dataset.created}


def _tsquery(words, prefix=False):
    """A ``tsquery`` of ``words`` as a phrase (the last one a prefix if ``prefix``)."""
    quoted = ["'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in words]
    if prefix:
        quoted[-1] += ":*"
    return pw.Cast(pw.Value(" <-> ".join(quoted)), "tsquery")


def _matches(column, query):
    return pw.Expression(column, "@@", query)


def _like_pattern(wildcard):
    """A LIKE pattern of a ``*``/``?`` wildcard (other LIKE characters taken literally)."""
    escaped = re.sub(r"([\\%_])", r"\\\1", wildcard)
    return escaped.replace("*", "%").replace("?", "_")


def _jsonb(value):
    return pw.Cast(pw.Value(json.dumps(value)), "jsonb")


_TYPE = pw.fn.jsonb_typeof(SearchValue.value)
_TEXT = pw.Expression(SearchValue.value, "#>>", pw.SQL("'{}'"))  # a scalar as text


def text_queries(text):
    """``[(column, tsquery)]`` whose matches are the free text ``text`` (no wildcards)."""
    stems = search_text.stemmed_words(text)
    norm = search_text.normalized_text(text).split()
    return ([(SearchDocument.stems, _tsquery(stems))] if stems else []) + (
        [(SearchDocument.words, _tsquery(norm))] if norm else [])


def _text(text):
    if "*" in text:
        pattern = search_text.normalize_word(text)
        if pattern.strip("*") == "":
            return TRUE
        stem = pattern.rstrip("*")
        if "*" not in stem:  # a prefix: through the index
            return _matches(SearchDocument.words, _tsquery([stem], prefix=True))
        # words are [0-9a-z] only: nothing in the pattern needs escaping
        words = pw.fn.array_to_string(pw.fn.tsvector_to_array(SearchDocument.words), " ")
        return pw.Expression(words, "~", "(^| )" + pattern.replace("*", "[^ ]*") + "( |$)")
    options = [_matches(column, query) for column, query in text_queries(text)]
    return functools.reduce(operator.or_, options) if options else TRUE


def _exact(column, value):
    if "*" in value or "?" in value:
        return column % _like_pattern(value)  # % is LIKE in peewee
    return column == value




def _any(conditions):
    return functools.reduce(operator.or_, conditions) if conditions else FALSE


def _group_ids(value, organizations_only):
    query = Group.select(Group.id).where((Group.name == value) | (Group.id == value))
    if organizations_only:
        query = query.where(Group.is_organization)
    return [row[0] for row in query.tuples()]


def _with_value(key, condition):
    """Datasets with a value of ``key`` (a list or a ``dc:``/``sp:`` key) meeting ``condition``."""
    found = SearchValue.select(SearchValue.dataset_id).where(SearchValue.key == key)
    return Dataset.id.in_(found.where(condition) if condition is not None else found)


def _in_list(name, value):
    if "*" in value or "?" in value:
        return _with_value(name, _TEXT % _like_pattern(value))
    return _with_value(name, SearchValue.value == _jsonb(value))


def _meta_term(key, value):
    if "*" in value or "?" in value:  # text values only, as the SQL search
        return _with_value(key, (_TYPE == "string") & (_TEXT % _like_pattern(value)))
    options = [value]
    number = qp.as_number(value)
    if number is not None:
        options.append(number)  # jsonb compares numbers as numbers: 20 = 20.0
    if value in ("true", "false"):
        options.append(value == "true")
    return _with_value(key, SearchValue.value.in_([_jsonb(v) for v in options]))


def _meta_range(node):
    low, high = qp.as_number(node.low), qp.as_number(node.high)
    numeric = ((node.low is None or low is not None) and (node.high is None or high is not None)
               and (low is not None or high is not None))
    if not numeric:  # dates and times in ISO form sort like text
        low, high = node.low, node.high
    if low is None and high is None:
        return _with_value(node.field, None)
    if numeric:  # numbers have their own column (NULL for other values) and index
        column, bound, condition = SearchValue.float_value, float, TRUE
    else:
        # jsonb orders by type first (strings < numbers < booleans): between two strings
        # lie only strings; an open range needs the type tested
        column, bound = SearchValue.value, _jsonb
        condition = TRUE if low is not None and high is not None else _TYPE == "string"
    if low is not None:
        condition &= (column >= bound(low)) if node.inclusive else (column > bound(low))
    if high is not None:
        condition &= (column <= bound(high)) if node.inclusive else (column < bound(high))
    return _with_value(node.field, condition)


def _term(field, value):
    if value == "*":
        return TRUE
    if field in _COLUMNS:
        return _exact(_COLUMNS[field], value)
    if field in _LISTS:
        return _in_list(field, value)
    if field == "organization":
        return _any([Dataset.owner_org == gid for gid in _group_ids(value, True)])
    if field == "groups":
        ids = _group_ids(value, False)
        return _with_value("groups", SearchValue.value.in_([_jsonb(i) for i in ids])) \
            if ids else FALSE
    if field in ("capacity", "private"):
        return Dataset.private == (value.lower() in ("private", "true"))
    if field in _DATES:
        return _range(qp.Range(field, value, value))
    if field == "text":
        return _text(value)
    if field == "creator":
        return _any([Dataset.creator == row[0] for row in
                     User.select(User.id).where(User.name == value).tuples()])
    if qp.is_meta_field(field):
        return _meta_term(field, value)
    raise SearchError(f"Unknown field '{field}'")


def _range(node):
    if node.field in _DATES:
        column = _DATES[node.field]
        low = qp.parse_time(node.low, node.field)
        high = qp.parse_time(node.high, node.field)
        if low is not None and high is not None and low > high:
            return FALSE
        condition = TRUE
        if low is not None:
            condition &= (column >= low) if node.inclusive else (column > low)
        if high is not None:
            condition &= (column <= high) if node.inclusive else (column < high)
        return condition
    if qp.is_meta_field(node.field):
        return _meta_range(node)
    raise SearchError(f"Range queries are not supported for field '{node.field}'")


class _PostgresTarget(qp.BooleanTarget):
    """Conditions for the nodes of a query tree (see :func:`dcorlite.query.translate`)."""

    match_all = staticmethod(lambda: TRUE)
    text = staticmethod(_text)
    term = staticmethod(_term)
    range = staticmethod(_range)


def to_condition(node):
    """Translate a :mod:`dcorlite.query` tree into a condition on dataset and document.

    :raises SearchError: unknown fields, invalid dates or ranges
    """
    return qp.translate(node, _PostgresTarget)


def scored_texts(node):
    """The free texts of ``node`` that make a match relevant (not those under a negation)."""
    if isinstance(node, qp.Text) and "*" not in node.text:
        return [node.text]
    if isinstance(node, qp.Term) and node.field == "text" and "*" not in node.value:
        return [node.value]
    if isinstance(node, (qp.And, qp.Or)):
        return [text for child in node.children for text in scored_texts(child)]
    return []


def needs_document(node):
    """True if the condition of ``node`` reads ``search_pg_document`` (else a join is waste)."""
    if isinstance(node, qp.Text):
        return True
    if isinstance(node, qp.Term):
        return node.value != "*" and node.field == "text"
    if isinstance(node, (qp.And, qp.Or)):
        return any(needs_document(child) for child in node.children)
    if isinstance(node, qp.Not):
        return needs_document(node.child)
    return False
