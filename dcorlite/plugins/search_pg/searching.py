"""Answering a :class:`dcorlite.search.SearchQuery` from the search documents.

One statement answers: from one materialized set of the matching datasets
(permission filter of :func:`dcorlite.authz.visible_datasets_condition`,
``q``, ``fq``) it takes the page in the requested order, the count and the
datasets per value of each facet (those of ``search_pg_value`` in a single
join). When the order starts with relevance (``ts_rank`` of the free text),
the page is a statement of its own, so that only the page is ranked.
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


def _relevance_first(query):
    """The relevance of ``query``'s free text if the order starts with it, else None."""
    first = query.sort[0][0] if query.sort else "score"
    return _relevance(query.q) if first == "score" else None


def _order(query, columns):
    """The requested sort, then ``metadata_modified desc, id``, over ``columns``.

    :param columns: a function from a :class:`Dataset` field to the column to sort by
    """
    order = []
    for field, direction in query.sort:
        if field != "score":
            column = columns(_SORT_COLUMNS[field])
            order.append(column.desc() if direction == "desc" else column.asc())
    return order + [columns(Dataset.modified).desc(), columns(Dataset.id)]


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
    relevance = _relevance_first(query)
    with database.atomic():
        # JIT compilation of these statements takes longer (50 ms and more at 10,000
        # datasets) than running them, and the planner's cost estimate of the facet
        # statement passes jit_above_cost; with the default work_mem (4 MB) the facet
        # counts are sorted instead of hashed (150 ms instead of 70 at 10,000 datasets)
        database.execute_sql("SET LOCAL jit = off")
        database.execute_sql("SET LOCAL work_mem = '32MB'")
        if relevance is None:  # the page comes from the same set of matches
            return _answer(matches, query, page=bool(query.rows))
        order = [relevance.desc(), *_order(query, lambda column: column)]
        page = matches.order_by(*order).offset(query.start).limit(query.rows)
        ids = [row[0] for row in page.tuples()] if query.rows else []
        result = _answer(matches, query, page=False)
    result.ids = ids
    return result


def _answer(matches, query, page):
    """The count, the facets and (if ``page``) the page of ``matches``, in one statement."""
    fields = list(dict.fromkeys(query.facet_fields))
    hits = (matches.select(Dataset.id, Dataset.owner_org, Dataset.license_id, Dataset.state,
                           Dataset.modified, Dataset.created, Dataset.name, Dataset.title)
            .cte("hits", materialized=True))
    count = pw.fn.COUNT(pw.SQL("*"))
    parts = [pw.Select([hits], [pw.SQL("NULL::text"), pw.SQL("NULL::text"), count])]
    if page:
        order = _order(query, lambda column: getattr(hits.c, column.column_name))
        number = pw.fn.ROW_NUMBER().over(order_by=order).alias("n")
        ranked = (pw.Select([hits], [hits.c.id, number])
                  .order_by(*order).offset(query.start).limit(query.rows))
        parts.append(pw.Select([ranked.alias("page")],
                               [pw.SQL("NULL::text"), pw.SQL("page.id"), pw.SQL("page.n")]))
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
    total, facets, ranks = 0, {field: {} for field in fields}, {}
    for field, value, number in union.with_cte(hits).bind(database).tuples():
        if field is not None:
            facets[field][value] = facets[field].get(value, 0) + number
        elif value is None:
            total = number
        else:
            ranks[value] = number
    for field in ("organization", "groups"):
        if facets.get(field):
            facets[field] = _named(facets[field])
    return SearchResult(count=total, ids=sorted(ranks, key=ranks.get), facets=facets)


def _named(counts):
    """``{group id: n}`` → ``{group name: n}`` (groups gone meanwhile are left out)."""
    names = dict(Group.select(Group.id, Group.name).where(Group.id.in_(list(counts))).tuples())
    return {names[gid]: n for gid, n in counts.items() if gid in names}
