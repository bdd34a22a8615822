"""Initial schema: users, tokens, groups, datasets, resources, uploads.

The models are frozen here as they were when this migration was written, so
that later changes to ``dcorlite/models.py`` never change what it creates.
"""
import json

import peewee as pw


class _JSON(pw.TextField):
    def db_value(self, value):
        return None if value is None else json.dumps(value)


def up(migrator, db):
    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        id = pw.CharField(primary_key=True)
        name = pw.CharField(unique=True)
        fullname = pw.CharField(default="")
        email = pw.CharField(default="")
        about = pw.TextField(default="")
        password_hash = pw.CharField(default="")
        sysadmin = pw.BooleanField(default=False)
        state = pw.CharField(default="active")
        created = pw.DateTimeField()

    class ApiToken(Base):
        id = pw.CharField(primary_key=True)
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        name = pw.CharField()
        secret_hash = pw.CharField()
        created_at = pw.DateTimeField()
        last_access = pw.DateTimeField(null=True)

    class Group(Base):
        id = pw.CharField(primary_key=True)
        name = pw.CharField(unique=True)
        title = pw.CharField(default="")
        description = pw.TextField(default="")
        is_organization = pw.BooleanField()
        state = pw.CharField(default="active")
        created = pw.DateTimeField()

    class Membership(Base):
        group = pw.ForeignKeyField(Group, on_delete="CASCADE")
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        role = pw.CharField()

        class Meta:
            indexes = ((("group", "user"), True),)

    class Dataset(Base):
        id = pw.CharField(primary_key=True)
        name = pw.CharField(unique=True)
        title = pw.CharField(default="")
        notes = pw.TextField(default="")
        authors = pw.TextField(default="")
        doi = pw.CharField(default="")
        references = pw.TextField(default="")
        license_id = pw.CharField(default="")
        private = pw.BooleanField(default=False)
        owner_org = pw.ForeignKeyField(Group, on_delete="RESTRICT")
        state = pw.CharField(default="draft", index=True)
        creator = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        created = pw.DateTimeField(index=True)
        modified = pw.DateTimeField(index=True)

    class Tag(Base):
        dataset = pw.ForeignKeyField(Dataset, on_delete="CASCADE")
        name = pw.CharField(index=True)

        class Meta:
            indexes = ((("dataset", "name"), True),)

    class Resource(Base):
        id = pw.CharField(primary_key=True)
        dataset = pw.ForeignKeyField(Dataset, on_delete="CASCADE")
        position = pw.IntegerField()
        name = pw.CharField()
        size = pw.BigIntegerField(null=True)
        mimetype = pw.CharField(default="")
        format = pw.CharField(default="")
        sha256 = pw.CharField(default="")
        etag = pw.CharField(default="")
        url_type = pw.CharField(default="s3_upload")
        s3_available = pw.BooleanField(default=True)
        description = pw.TextField(default="")
        extras = _JSON(default="{}")
        created = pw.DateTimeField()
        last_modified = pw.DateTimeField()

        class Meta:
            indexes = ((("dataset", "name"), True), (("dataset", "position"), True))

    class Collaborator(Base):
        dataset = pw.ForeignKeyField(Dataset, on_delete="CASCADE")
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        capacity = pw.CharField(default="member")
        modified = pw.DateTimeField()

        class Meta:
            indexes = ((("dataset", "user"), True),)

    class DatasetGroup(Base):
        dataset = pw.ForeignKeyField(Dataset, on_delete="CASCADE")
        group = pw.ForeignKeyField(Group, on_delete="CASCADE")

        class Meta:
            indexes = ((("dataset", "group"), True),)

    class Upload(Base):
        id = pw.CharField(primary_key=True)
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        organization = pw.ForeignKeyField(Group, on_delete="CASCADE")
        file_size = pw.BigIntegerField()
        num_parts = pw.IntegerField()
        parts = _JSON(default="{}")
        etag = pw.CharField(default="")
        sha256 = pw.CharField(default="")
        complete = pw.BooleanField(default=False)
        created = pw.DateTimeField(index=True)

    db.create_tables([User, ApiToken, Group, Membership, Dataset, Tag, Resource,
                      Collaborator, DatasetGroup, Upload])
