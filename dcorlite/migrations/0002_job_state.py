"""Background job progress per resource (table ``job_state``)."""
import peewee as pw


def up(migrator, db):
    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Resource(Base):
        id = pw.CharField(primary_key=True)

    class JobState(Base):
        resource = pw.ForeignKeyField(Resource, on_delete="CASCADE")
        job = pw.CharField()
        state = pw.CharField(default="pending", index=True)
        attempts = pw.IntegerField(default=0)
        error = pw.TextField(default="")
        updated = pw.DateTimeField()

        class Meta:
            indexes = ((("resource", "job"), True),)

    db.create_tables([JobState])
