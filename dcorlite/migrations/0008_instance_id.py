"""The instance's id (table ``instance_id``, one row), made once with the database.

Every process and host on the database reads the same id: the job queue in a
shared Redis and the per-resource advisory locks on PostgreSQL are named
after it, so that two instances sharing one server never see each other's.
"""
import uuid

import peewee as pw


def up(migrator, db):
    class InstanceId(pw.Model):
        id = pw.CharField(primary_key=True)

        class Meta:
            database = db
            table_name = "instance_id"

    db.create_tables([InstanceId])
    InstanceId.insert(id=uuid.uuid4().hex).execute()
