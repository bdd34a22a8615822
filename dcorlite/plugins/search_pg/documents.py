"""Search documents: made from the database, written in the writer's transaction.

:func:`write` runs inside every transaction that changes a dataset (the hook
``dataset_written``), after the core has bumped the dataset's revision: that
``UPDATE`` locks the dataset's row, so two transactions changing one dataset
write its document one after the other, each from what the other committed,
and a search can never see a change without its document. :func:`rebuild`
rewrites every document (``dcorlite search reindex``); :func:`check` compares
them with what :func:`make` gives now (``dcorlite search check``).
"""
import hashlib
import json
import math

import peewee as pw

from ...db import database, lock_rows
from ...loading import chunks, dataset_parts
from ...models import Dataset
from ...search import CheckReport
from ...search_text import dataset_text, normalized_text, stemmed_words
from .models import SearchDocument, SearchValue

#: PostgreSQL's limits of a tsvector: positions, positions per lexeme, bytes per lexeme
MAX_POSITION = 16383
MAX_POSITIONS = 256
MAX_LEXEME_BYTES = 2046
#: longest value (bytes of its JSON) kept in ``search_pg_value``: a btree index entry
#: must stay below about 2,700 bytes; longer values are not searchable by field
MAX_VALUE_BYTES = 1000
#: datasets per transaction of a rebuild
BATCH = 200


def _quoted(lexeme):
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_text(words):
    """The text form of a ``tsvector`` of ``words`` at positions 1, 2, …

    Positions beyond PostgreSQL's last one are given as that one, so that a
    word late in a long text is still found (phrases there may not be).
    """
    positions = {}
    for position, word in enumerate(words, 1):
        if len(word.encode()) <= MAX_LEXEME_BYTES:
            found = positions.setdefault(word, [])
            if len(found) < MAX_POSITIONS:
                found.append(min(position, MAX_POSITION))
    return " ".join(f"{_quoted(word)}:{','.join(map(str, sorted(set(found))))}"
                    for word, found in positions.items())


def _scalar(value):
    if isinstance(value, bool) or isinstance(value, str):
        return True
    return isinstance(value, (int, float)) and math.isfinite(value)


def _identity(value):
    """Equal for values ``jsonb`` holds equal (``20`` and ``20.0``, not ``1`` and ``true``)."""
    if isinstance(value, bool):
        return ("boolean", value)
    return ("number", float(value)) if isinstance(value, (int, float)) else ("string", value)


def float_value(value):
    """A number ``value`` as a float (for ranges), None for other values and huge ints."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:  # an int beyond a double: the SQL search cannot compare it either
        return None


def field_values(parts):
    """``{key: [value, …]}``: the distinct values of the lists and ``dc:``/``sp:`` keys.

    ``dc:``/``sp:`` values are those of the resources that are strings, finite
    numbers or booleans, in the order of the resources.
    """
    resources = parts.resources
    found = {"tags": list(parts.tags), "groups": [g.id for g in parts.collections],
             "res_format": sorted({v for r in resources for v in (r.format, r.mimetype) if v}),
             "res_name": [r.name for r in resources if r.name]}
    for res in resources:
        for key, value in sorted((res.extras or {}).items()):
            if key.startswith(("dc:", "sp:")) and _scalar(value):
                found.setdefault(key, []).append(value)
    distinct = {}
    for key, values in found.items():
        kept = {}
        for value in values:
            if len(json.dumps(value).encode()) <= MAX_VALUE_BYTES:
                kept.setdefault(_identity(value), value)
        if kept:
            distinct[key] = list(kept.values())
    return distinct


def make(dataset, parts):
    """``(document row, value rows)`` of ``dataset`` as dicts for ``insert_many``.

    The value rows lack the ``document_number``, which the database gives.

    :param parts: the dataset's :class:`dcorlite.loading.DatasetParts`
    """
    text = dataset_text(dataset, parts)
    values = field_values(parts)
    stems = tsvector_text(stemmed_words(text))
    words = tsvector_text(normalized_text(text).split())
    content = json.dumps([stems, words, values], sort_keys=True)
    document = {"dataset_id": dataset.id, "revision": dataset.revision or 0,
                "stems": stems, "words": words,
                "fingerprint": hashlib.sha256(content.encode()).hexdigest()}
    rows = [{"key": key, "value": json.dumps(value), "float_value": float_value(value),
             "dataset_id": dataset.id}
            for key, found in values.items() for value in found]
    return document, rows


def _replace(datasets, ids):
    """Delete the documents of ``ids``; write those of ``datasets`` (the ones that exist).

    A document written again keeps its number, so that the facet values the
    processes keep of an unchanged document stay valid. (An upsert would
    take a number from the sequence at every write: the numbers, and with
    them the processes' arrays, would grow with the writes, not the datasets.)
    """
    numbers = dict(SearchDocument.select(SearchDocument.dataset_id, SearchDocument.number)
                   .where(SearchDocument.dataset_id.in_(ids)).tuples())
    SearchValue.delete().where(SearchValue.dataset_id.in_(ids)).execute()
    SearchDocument.delete().where(SearchDocument.dataset_id.in_(ids)).execute()
    parts = dataset_parts(datasets, collaborators=False)
    known, new, values = [], [], []
    for dataset in datasets:
        document, rows = make(dataset, parts[dataset.id])
        if dataset.id in numbers:
            known.append(dict(document, number=numbers[dataset.id]))
        else:
            new.append(document)
        values += rows
    if known:
        SearchDocument.insert_many(known).execute()
    if new:
        numbers.update(SearchDocument.insert_many(new).returning(
            SearchDocument.dataset_id, SearchDocument.number).tuples().execute())
    for row in values:
        row["document_number"] = numbers[row["dataset_id"]]
    for first in range(0, len(values), 1000):
        SearchValue.insert_many(values[first:first + 1000]).execute()


def write(dataset_id):
    """Rewrite the document of ``dataset_id`` in the current transaction (delete it if gone)."""
    _replace(list(Dataset.select().where(Dataset.id == dataset_id)), [dataset_id])


def rebuild(progress=None):
    """Rewrite every dataset's document and remove those of datasets gone; return the count.

    Each batch locks its datasets' rows first, so a write running meanwhile
    waits for the batch, or the batch for the write, and the newer document wins.
    """
    count = 0
    ids = [row[0] for row in Dataset.select(Dataset.id).order_by(Dataset.id).tuples()]
    for first in range(0, len(ids), BATCH):
        batch = ids[first:first + BATCH]
        with database.atomic():
            datasets = lock_rows(Dataset.select().where(Dataset.id.in_(batch))
                                 .order_by(Dataset.id))
            _replace(datasets, batch)
        count += len(datasets)
        if progress:
            progress(len(batch))
    with database.atomic():
        gone = SearchDocument.select(SearchDocument.dataset_id).where(
            SearchDocument.dataset_id.not_in(Dataset.select(Dataset.id)))
        SearchValue.delete().where(SearchValue.dataset_id.in_(gone)).execute()
        SearchDocument.delete().where(SearchDocument.dataset_id.in_(gone)).execute()
    # fresh statistics at once, so that the next searches are planned for the new rows
    database.execute_sql("ANALYZE search_pg_document, search_pg_value")
    return count


def _stale():
    return (Dataset.select(Dataset.id)
            .join(SearchDocument, pw.JOIN.LEFT_OUTER, on=(SearchDocument.dataset_id == Dataset.id))
            .where(SearchDocument.revision.is_null()
                   | (SearchDocument.revision != Dataset.revision)))


def stale_exists():
    """True if a dataset lacks a document made from its current revision."""
    return _stale().exists()


def stale_count():
    """How many datasets lack a document made from their current revision."""
    return _stale().count()


def check():
    """Compare every document with the one :func:`make` gives now (a :class:`CheckReport`)."""
    report = CheckReport()
    stored = dict(SearchDocument.select(SearchDocument.dataset_id, SearchDocument.fingerprint)
                  .tuples())
    for batch in chunks(Dataset.select().order_by(Dataset.created, Dataset.id)):
        parts = dataset_parts(batch, collaborators=False)
        for dataset in batch:
            fingerprint = stored.pop(dataset.id, None)
            if fingerprint is None:
                report.missing.append(dataset.id)
            elif fingerprint != make(dataset, parts[dataset.id])[0]["fingerprint"]:
                report.outdated.append(dataset.id)
    report.extra = sorted(stored)
    return report
