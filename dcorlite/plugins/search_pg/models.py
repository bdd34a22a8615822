"""The tables of the PostgreSQL search backend (made by ``migrations/0001_documents.py``).

``search_pg_document`` holds one row per dataset: its free text as two
``tsvector`` columns with GIN indexes (stemmed words; words without
punctuation), the dataset revision it was made from, a fingerprint of the
whole document and a number (``migrations/0004_numbers.py``).
``search_pg_value`` holds one row per dataset, field and value for the
multi-valued fields: every ``dc:``/``sp:`` key of the resources, ``tags``,
``groups`` (collection ids), ``res_format`` and ``res_name``, the value as
``jsonb`` (a string, number or boolean; a number also as ``float_value``),
with the dataset's document number. Its primary key ``(key, value,
dataset_id)`` serves equality (one index lookup) and text ranges, an index
of ``float_value`` number ranges, the index ``(key, value) INCLUDE
(document_number)`` facets. Everything else (state, visibility,
circle, dates, titles) is read from the ``dataset`` table itself.
"""
import peewee as pw

from ...models import BaseModel


class _TSVector(pw.Field):
    """A ``tsvector`` column, written as the text form of its lexemes and positions."""

    field_type = "TSVECTOR"


class _JSONB(pw.Field):
    """A ``jsonb`` column, written as JSON text (made by :mod:`.documents`)."""

    field_type = "JSONB"


class SearchDocument(BaseModel):
    """The free text of one dataset."""

    dataset_id = pw.CharField(primary_key=True)
    revision = pw.IntegerField()
    stems = _TSVector()
    words = _TSVector()
    fingerprint = pw.CharField()
    number = pw.BigIntegerField(null=True)  # given by the database; kept while it exists

    class Meta:
        table_name = "search_pg_document"


class SearchValue(BaseModel):
    """One value of one multi-valued field of one dataset."""

    key = pw.TextField()
    value = _JSONB()
    dataset_id = pw.CharField()
    document_number = pw.BigIntegerField()
    float_value = pw.DoubleField(null=True)  # a number value as a double, else NULL

    class Meta:
        table_name = "search_pg_value"
        primary_key = pw.CompositeKey("key", "value", "dataset_id")
