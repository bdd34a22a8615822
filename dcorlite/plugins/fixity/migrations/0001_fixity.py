"""What fixity checks found, per stored file (table ``fixity_record``)."""
import peewee as pw


def up(migrator, db):
    class FixityRecord(pw.Model):
        key = pw.CharField(primary_key=True)
        resource_id = pw.CharField(index=True)
        artifact = pw.CharField()
        expected_sha256 = pw.CharField()
        size = pw.BigIntegerField()
        mtime = pw.FloatField()
        checked_at = pw.DateTimeField(index=True)
        ok = pw.BooleanField(index=True)
        problem = pw.TextField(default="")

        class Meta:
            database = db
            table_name = "fixity_record"

    db.create_tables([FixityRecord])
