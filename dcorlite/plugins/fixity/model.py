"""The ``fixity_record`` table: one row per checked file, with its last result."""
import peewee as pw

from ...models import BaseModel


class FixityRecord(BaseModel):
    """The last fixity check of one stored file.

    ``expected_sha256`` is the resource's SHA-256 for originals, and for
    condensed copies the digest found when the copy was first checked (or
    rewritten, as its time shows).
    """

    key = pw.CharField(primary_key=True)
    resource_id = pw.CharField(index=True)
    artifact = pw.CharField()
    expected_sha256 = pw.CharField()
    size = pw.BigIntegerField()
    mtime = pw.FloatField()
    checked_at = pw.DateTimeField(index=True)
    ok = pw.BooleanField(index=True)
    problem = pw.TextField(default="")
