"""The table of the instance's generated secret (``instance_secret``), kept in the database.

When ``SECRET_KEY`` is not set, every host and process of the instance signs
sessions and URLs with the one secret stored here (:mod:`dcorlite.identity`),
so that a URL signed by one server is accepted by another. The row is written
at the first start after this migration, from the instance folder's
``secret_key`` file where an older instance has one.
"""
import peewee as pw


def up(migrator, db):
    class InstanceSecret(pw.Model):
        name = pw.CharField(primary_key=True)
        value = pw.TextField()

        class Meta:
            database = db
            table_name = "instance_secret"

    db.create_tables([InstanceSecret])
