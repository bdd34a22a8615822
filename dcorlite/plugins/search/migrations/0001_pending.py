"""Datasets marked for indexing (table ``search_pending``)."""
import peewee as pw


def up(migrator, db):
    class SearchPending(pw.Model):
        seq = pw.AutoField()
        dataset_id = pw.CharField()
        marked = pw.DateTimeField()
        awaited = pw.BooleanField(default=True)

        class Meta:
            database = db
            table_name = "search_pending"

    db.create_tables([SearchPending])
