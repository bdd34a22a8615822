"""Answering a :class:`dcorlite.search.SearchQuery` from the search documents.

One statement finds the page: the matching datasets (permission filter of
:func:`dcorlite.authz.visible_datasets_condition`, ``q``, ``fq``) in the
requested order, relevance (``ts_rank`` of the free text) first when the
order starts with ``score``. A second statement counts them and, for each
facet, counts the datasets per value, all from one materialized set of the
matches.
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
from .models import SearchDocument, SearchMeta

_SORT_COLUMNS = {"metadata_modified": Dataset.modified, "metadata_created": Dataset.created,
                 "name": Dataset.name, "title": Dataset.title, "title_string": Dataset.title}
#: facets on a list in the document's ``fields`` (``groups`` holds ids, named afterwards)
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
    matches = (Dataset.select(Dataset.id)
               .join(SearchDocument, on=(SearchDocument.dataset_id == Dataset.id))
               .where(condition))
    ids = []
    if query.rows:
        page = matches.order_by(*_order(query)).offset(query.start).limit(query.rows)
        ids = [row[0] for row in page.tuples()]
    count, facets = _count_and_facets(matches, query.facet_fields)
    return SearchResult(count=count, ids=ids, facets=facets)


def _count_and_facets(matches, fields):
    """The number of matches and ``{field: {value: datasets}}``, in one statement."""
    hits = (matches.select(Dataset.id, Dataset.owner_org, Dataset.license_id, Dataset.state,
                           SearchDocument.fields)
            .cte("hits", materialized=True))
    parts = [pw.Select([hits], [pw.Value(""), pw.SQL("NULL::text"),
                                pw.fn.COUNT(pw.SQL("*"))])]
    for index, field in enumerate(fields):
        parts.append(_facet_counts(hits, str(index), field))
    union = functools.reduce(lambda a, b: a.union_all(b), parts[1:], parts[0])
    rows = union.with_cte(hits).bind(database).tuples()
    count, facets = 0, {field: {} for field in fields}
    for index, value, number in rows:
        if index == "":
            count = number
        else:
            facets[fields[int(index)]][value] = number
    for field in ("organization", "groups"):
        if facets.get(field):
            facets[field] = _named(facets[field])
    return count, facets


def _facet_counts(hits, index, field):
    """``(index, value, datasets)`` rows of one facet over the ``hits`` CTE."""
    label = pw.Value(index)
    if field in _COLUMN_FACETS:
        column = getattr(hits.c, _COLUMN_FACETS[field].column_name)
        return (pw.Select([hits], [label, column, pw.fn.COUNT(pw.SQL("*"))])
                .where(column != "").group_by(column))
    if field in _LIST_FACETS:
        values = pw.fn.jsonb_array_elements_text(
            pw.Expression(hits.c.fields, "->", field)).alias("value")
        listed = pw.Select([hits], [values]).alias("listed")
        return pw.Select([listed], [label, listed.c.value, pw.fn.COUNT(pw.SQL("*"))]).group_by(
            listed.c.value)
    values = pw.fn.jsonb_array_elements_text(SearchMeta.vals).alias("value")
    listed = (SearchMeta.select(values)
              .join(hits, on=(SearchMeta.dataset_id == hits.c.id))
              .where(SearchMeta.key == field)).alias("listed")
    return pw.Select([listed], [label, listed.c.value, pw.fn.COUNT(pw.SQL("*"))]).group_by(
        listed.c.value)


def _named(counts):
    """``{group id: n}`` → ``{group name: n}`` (groups gone meanwhile are left out)."""
    names = dict(Group.select(Group.id, Group.name).where(Group.id.in_(list(counts))).tuples())
    return {names[gid]: n for gid, n in counts.items() if gid in names}
