"""A dataset's revision (column ``dataset.revision``), which keys the cache of dataset dicts."""
import peewee as pw


def up(migrator, db):
    migrator.migrate(migrator.add_column("dataset", "revision",
                                         pw.IntegerField(default=0)))
