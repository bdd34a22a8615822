"""The tables of the PostgreSQL search backend (made by ``migrations/0001_documents.py``).

``search_pg_document`` holds one row per dataset: its free text as two
``tsvector`` columns with GIN indexes (stemmed words; words without
punctuation), the dataset revision it was made from and a fingerprint of
the whole document. ``search_pg_value`` holds one row per dataset, field and
value for the multi-valued fields: every ``dc:``/``sp:`` key of the
resources, ``tags``, ``groups`` (collection ids), ``res_format`` and
``res_name``, the value as ``jsonb`` (a string, number or boolean). Its
primary key ``(key, value, dataset_id)`` serves equality (one index lookup),
ranges (jsonb orders numbers as numbers) and facets (an index-only scan of
the key). Everything else (state, visibility, circle, dates, titles) is read
from the ``dataset`` table itself.
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

    class Meta:
        table_name = "search_pg_document"


class SearchValue(BaseModel):
    """One value of one multi-valued field of one dataset."""

    key = pw.TextField()
    value = _JSONB()
    dataset_id = pw.CharField()

    class Meta:
        table_name = "search_pg_value"
        primary_key = pw.CompositeKey("key", "value", "dataset_id")
