"""The tables of the audit trail: ``audit_entry`` (one row per event) and ``audit_anchor``."""
import peewee as pw

from ...models import BaseModel

#: the previous hash of the very first entry
GENESIS = "0" * 64


class AuditEntry(BaseModel):
    """One event; ``hash`` is SHA-256 over its canonical content and ``prev_hash``."""

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
        table_name = "audit_entry"


class AuditAnchor(BaseModel):
    """The one row (id 1) that holds the chain's ends; writers lock it.

    ``head_*`` is the last entry written, ``pruned_*`` the last entry removed
    by retention: the first entry left must follow it.
    """

    id = pw.IntegerField(primary_key=True)
    head_id = pw.BigIntegerField(default=0)
    head_hash = pw.CharField(max_length=64, default=GENESIS)
    pruned_id = pw.BigIntegerField(default=0)
    pruned_hash = pw.CharField(max_length=64, default=GENESIS)

    class Meta:
        table_name = "audit_anchor"
