"""Answering a :class:`dcorlite.search.SearchQuery` from the search documents.

One statement answers: from one materialized set of the matching datasets
(permission filter of :func:`dcorlite.authz.visible_datasets_condition`,
``q``, ``fq``; with the ``ts_rank`` of the free text when the order starts
with relevance) it takes the page in the requested order, the count, the
datasets per value of the facets on dataset columns and, for list and
``dc:``/``sp:`` facets, the ids of all matches: those facets are counted
from the values the process keeps (:mod:`.facets`), in the same snapshot.
"""
import functools
import operator

import peewee as pw

from ... import authz, query as qp
from ...db import database
from ...errors import SearchError
from ...models import Dataset, Group
from ...search import SearchResult
from . import facets as facet_values, pg_query
from .models import SearchDocument

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


def search(query, user, kept):
    """Run ``query`` for ``user``; a :class:`dcorlite.search.SearchResult`.

    :param kept: the process's :class:`.facets.FacetValues`
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
    if database.in_transaction():  # its own writes may roll back: keep nothing of them
        kept, transaction = facet_values.FacetValues(), database.atomic()
    else:
        transaction = facet_values.snapshot()
    with transaction:
        # JIT compilation of these statements takes longer (50 ms and more at 10,000
        # datasets) than running them; the default work_mem (4 MB) would sort the page
        # of thousands of matches on disk
        database.execute_sql("SET LOCAL jit = off")
        database.execute_sql("SET LOCAL work_mem = '32MB'")
        return _answer(matches, query, kept, _relevance_first(query))


def _answer(matches, query, kept, relevance):
    """The count, the facets and the page of ``matches``, in one statement.

    For list and ``dc:``/``sp:`` facets the statement also gives the ids of all matches.

    :param relevance: the score to order by first, or None
    """
    fields = list(dict.fromkeys(query.facet_fields))
    valued = [field for field in fields if field not in _COLUMN_FACETS]
    columns = [Dataset.id, Dataset.owner_org, Dataset.license_id, Dataset.state,
               Dataset.modified, Dataset.created, Dataset.name, Dataset.title]
    if relevance is not None:
        columns.append(relevance.alias("score"))
    hits = matches.select(*columns).cte("hits", materialized=True)
    count = pw.fn.COUNT(pw.SQL("*"))
    # rows (facet field, value, count), or with field NULL: (NULL, count), (page id,
    # rank) and (the ids of all matches, 0)
    parts = [pw.Select([hits], [pw.SQL("NULL::text"), pw.SQL("NULL::text"), count])]
    if query.rows:
        order = _order(query, lambda column: getattr(hits.c, column.column_name))
        if relevance is not None:
            order.insert(0, hits.c.score.desc())
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
    if valued:  # dataset ids are uuids: one row with all, for a tenth of the time of rows
        ids = pw.fn.COALESCE(pw.fn.string_agg(hits.c.id, " "), "")
        parts.append(pw.Select([hits], [pw.SQL("NULL::text"), ids, pw.SQL("0")]))
    union = functools.reduce(lambda a, b: a.union_all(b), parts[1:], parts[0])
    total, facets, ranks, hit_ids = 0, {field: {} for field in fields}, {}, []
    # the raw cursor: peewee's row iteration costs more than the statement for 10,000 ids
    for field, value, number in database.execute(union.with_cte(hits)).fetchall():
        if field is not None:
            facets[field][value] = number
        elif value is None:
            total = number
        elif number:
            ranks[value] = number
        else:
            hit_ids = value.split(" ") if value else []
    if valued:
        facets.update(kept.counts(valued, hit_ids))
    for field in ("organization", "groups"):
        if facets.get(field):
            facets[field] = _named(facets[field])
    return SearchResult(count=total, ids=sorted(ranks, key=ranks.get), facets=facets)


def _named(counts):
    """``{group id: n}`` → ``{group name: n}`` (groups gone meanwhile are left out)."""
    names = dict(Group.select(Group.id, Group.name).where(Group.id.in_(list(counts))).tuples())
    return {names[gid]: n for gid, n in counts.items() if gid in names}
