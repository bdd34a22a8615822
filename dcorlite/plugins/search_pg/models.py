"""The tables of the PostgreSQL search backend (made by ``migrations/0001_documents.py``).

``search_pg_document`` holds one row per dataset: its free text as two
``tsvector`` columns (stemmed words; words without punctuation) with GIN
indexes, its multi-valued exact fields (tags, collections, resource formats
and names) as ``jsonb`` with a GIN index, the dataset revision it was made
from and a fingerprint of its content. ``search_pg_meta`` holds one row per
dataset and ``dc:``/``sp:`` key: the distinct values of that key among the
dataset's resources as a ``jsonb`` array, indexed by key. Everything else
(state, visibility, circle, dates, titles) is read from the ``dataset``
table itself.
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
    """What searches match one dataset on, beyond the columns of its row."""

    dataset_id = pw.CharField(primary_key=True)
    revision = pw.IntegerField()
    stems = _TSVector()
    words = _TSVector()
    fields = _JSONB()
    fingerprint = pw.CharField()

    class Meta:
        table_name = "search_pg_document"


class SearchMeta(BaseModel):
    """The values of one ``dc:``/``sp:`` key among one dataset's resources."""

    dataset_id = pw.CharField()
    key = pw.TextField()
    vals = _JSONB()

    class Meta:
        table_name = "search_pg_meta"
        primary_key = pw.CompositeKey("dataset_id", "key")
