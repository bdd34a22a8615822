"""Scan results (``privacy_scan``) and deletion requests (``privacy_deletion_request``)."""
import peewee as pw


def up(migrator, db):
    class PrivacyScan(pw.Model):
        resource_id = pw.CharField(primary_key=True)
        dataset_id = pw.CharField(index=True)
        state = pw.CharField()
        hits = pw.TextField(default="[]")
        error = pw.TextField(default="")
        scanned_at = pw.DateTimeField()
        confirmed_by = pw.CharField(null=True)
        confirmed_at = pw.DateTimeField(null=True)
        statement = pw.TextField(default="")

        class Meta:
            database = db
            table_name = "privacy_scan"

    class DeletionRequest(pw.Model):
        id = pw.CharField(primary_key=True)
        dataset_id = pw.CharField(index=True)
        dataset_name = pw.CharField()
        dataset_title = pw.TextField(default="")
        requested_by = pw.CharField()
        statement = pw.TextField()
        created = pw.DateTimeField()
        state = pw.CharField(default="open", index=True)
        reason = pw.TextField(default="")
        actor = pw.CharField(default="")
        decided_at = pw.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "privacy_deletion_request"

    db.create_tables([PrivacyScan, DeletionRequest])
