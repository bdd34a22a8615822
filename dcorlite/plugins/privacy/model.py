"""The plugin's tables: one scan result per resource, and the deletion requests."""
import peewee as pw

from ...models import BaseModel, JSONField, new_id, utcnow


class PrivacyScan(BaseModel):
    """What the patient-data scan found in one resource's metadata and logs.

    ``state`` is ``clean``, ``hits``, ``n/a`` (not RT-DC data) or ``error``; a
    resource without a row is still ``pending``. ``confirmed_by`` names the
    editor who stated that the hits are no patient data (``statement``).
    """

    resource_id = pw.CharField(primary_key=True)
    dataset_id = pw.CharField(index=True)
    state = pw.CharField()
    hits = JSONField(default=list)
    error = pw.TextField(default="")
    scanned_at = pw.DateTimeField(default=utcnow)
    confirmed_by = pw.CharField(null=True)
    confirmed_at = pw.DateTimeField(null=True)
    statement = pw.TextField(default="")

    class Meta:
        table_name = "privacy_scan"


class DeletionRequest(BaseModel):
    """A request to remove a dataset for good (revoked consent), kept after the purge.

    The dataset's id, name and title are copied so that the row still says what
    was removed once the dataset is gone.
    """

    id = pw.CharField(primary_key=True, default=new_id)
    dataset_id = pw.CharField(index=True)
    dataset_name = pw.CharField()
    dataset_title = pw.TextField(default="")
    requested_by = pw.CharField()
    statement = pw.TextField()
    created = pw.DateTimeField(default=utcnow)
    state = pw.CharField(default="open", index=True)
    reason = pw.TextField(default="")
    actor = pw.CharField(default="")
    decided_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "privacy_deletion_request"
