"""When an upload last received bytes (column ``upload.last_activity``)."""
import peewee as pw


def up(migrator, db):
    migrator.migrate(migrator.add_column("upload", "last_activity",
                                         pw.DateTimeField(null=True)))
