"""Answering a :class:`dcorlite.search.SearchQuery` from the search documents.

One statement finds the page: the matching datasets (permission filter of
:func:`dcorlite.authz.visible_datasets_condition`, ``q``, ``fq``) in the
requested order, relevance (``ts_rank`` of the free text) first when the
order starts with ``score``. A second statement counts them and the
datasets per value of each facet, all from one materialized set of the
matches (the facets of ``search_pg_value`` in a single join with it).
"""
import functools
import operator

import peewee as pw

from ... import authz, query as qp
from ...db import database
from ...errors import SearchError
from ...models import Dataset, Group
from ...search import SearchResult
from . import pg_query
from .models import SearchDocument, SearchValue

_SORT_COLUMNS = {"metadata_modified": Dataset.modified, "metadata_created": Dataset.created,
                 "name": Dataset.name, "title": Dataset.title, "title_string": Dataset.title}
#: facets on a list in ``search_pg_value`` (``groups`` holds ids, named afterwards)
_LIST_FACETS = ("tags", "res_format", "groups")
_COLUMN_FACETS = {"organization": Dataset.owner_org, "license_id": Dataset.license_id,
                  "state": Dataset.state}


def _relevance(node):
    """The ``ts_rank`` sum of the free text of ``node``, or None if nothing in it scores."""
    ranks = [pw.fn.ts_rank(column, tsquery, 1)
             for text in pg_query.scored_texts(node)
             for column, tsquery in pg_query.text_queries(text)]
    return functools.reduce(operator.add, ranks) if ranks else None


def _order(query):
    first = query.sort[0][0] if query.sort else "score"
    order = []
    if first == "score":
        relevance = _relevance(query.q)
        if relevance is not None:
            order.append(relevance.desc())
    for field, direction in query.sort:
        if field != "score":
            column = _SORT_COLUMNS[field]
            order.append(column.desc() if direction == "desc" else column.asc())
    return order + [Dataset.modified.desc(), Dataset.id]


def _check_facets(fields):
    for field in fields:
        if not (field in _LIST_FACETS or field in _COLUMN_FACETS or qp.is_meta_field(field)):
            raise SearchError(f"Cannot facet on field '{field}'")


def search(query, user):
    """Run ``query`` for ``user``; a :class:`dcorlite.search.SearchResult`.

    :raises SearchError: the query cannot be translated (before anything is read)
    """
    condition = (authz.visible_datasets_condition(user, query.include_private,
                                                  query.include_drafts)
                 & pg_query.to_condition(query.q) & pg_query.to_condition(query.fq))
    _check_facets(query.facet_fields)
    matches = Dataset.select(Dataset.id)
    if pg_query.needs_document(query.q) or pg_query.needs_document(query.fq):
        matches = matches.join(SearchDocument, on=(SearchDocument.dataset_id == Dataset.id))
    matches = matches.where(condition)
    ids = []
    with database.atomic():
        # JIT compilation of these statements takes longer (50 ms and more at 10,000
        # datasets) than running them, and the planner's cost estimate of the facet
        # statement passes jit_above_cost
        database.execute_sql("SET LOCAL jit = off")
        if query.rows:
            page = matches.order_by(*_order(query)).offset(query.start).limit(query.rows)
            ids = [row[0] for row in page.tuples()]
        count, facets = _count_and_facets(matches, query.facet_fields)
    return SearchResult(count=count, ids=ids, facets=facets)


def _count_and_facets(matches, fields):
    """The number of matches and ``{field: {value: datasets}}``, in one statement."""
    fields = list(dict.fromkeys(fields))
    hits = (matches.select(Dataset.id, Dataset.owner_org, Dataset.license_id, Dataset.state)
            .cte("hits", materialized=True))
    count = pw.fn.COUNT(pw.SQL("*"))
    parts = [pw.Select([hits], [pw.SQL("NULL::text"), pw.SQL("NULL::text"), count])]
    for field in fields:
        if field in _COLUMN_FACETS:
            column = getattr(hits.c, _COLUMN_FACETS[field].column_name)
            parts.append(pw.Select([hits], [pw.Value(field), column, count])
                         .where(column != "").group_by(column))
    valued = [field for field in fields if field not in _COLUMN_FACETS]
    if valued:
        text = pw.Expression(SearchValue.value, "#>>", pw.SQL("'{}'"))
        parts.append(SearchValue.select(SearchValue.key, text, count)
                     .join(hits, on=(SearchValue.dataset_id == hits.c.id))
                     .where(SearchValue.key.in_(valued))
                     .group_by(SearchValue.key, text))
    union = functools.reduce(lambda a, b: a.union_all(b), parts[1:], parts[0])
    total, facets = 0, {field: {} for field in fields}
    for field, value, number in union.with_cte(hits).bind(database).tuples():
        if field is None:
            total = number
        else:
            facets[field][value] = facets[field].get(value, 0) + number
    for field in ("organization", "groups"):
        if facets.get(field):
            facets[field] = _named(facets[field])
    return total, facets


def _named(counts):
    """``{group id: n}`` → ``{group name: n}`` (groups gone meanwhile are left out)."""
    names = dict(Group.select(Group.id, Group.name).where(Group.id.in_(list(counts))).tuples())
    return {names[gid]: n for gid, n in counts.items() if gid in names}
