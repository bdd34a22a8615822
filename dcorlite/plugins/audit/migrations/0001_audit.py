"""The audit trail: chained entries (``audit_entry``) and the chain's anchor (``audit_anchor``)."""
import peewee as pw

GENESIS = "0" * 64


def up(migrator, db):
    class AuditEntry(pw.Model):
        id = pw.BigIntegerField(primary_key=True)
        at = pw.DateTimeField(index=True)
        action = pw.CharField(max_length=40)
        actor = pw.CharField(default="", index=True)
        token_id = pw.CharField(default="")
        ip = pw.CharField(default="")
        dataset_id = pw.CharField(null=True, index=True)
        resource_id = pw.CharField(null=True)
        details = pw.TextField(default="{}")
        prev_hash = pw.CharField(max_length=64)
        hash = pw.CharField(max_length=64)

        class Meta:
            database = db
            table_name = "audit_entry"

    class AuditAnchor(pw.Model):
        id = pw.IntegerField(primary_key=True)
        head_id = pw.BigIntegerField(default=0)
        head_hash = pw.CharField(max_length=64, default=GENESIS)
        pruned_id = pw.BigIntegerField(default=0)
        pruned_hash = pw.CharField(max_length=64, default=GENESIS)

        class Meta:
            database = db
            table_name = "audit_anchor"

    db.create_tables([AuditEntry, AuditAnchor])
    AuditAnchor.insert(id=1).execute()
