"""The data model: users, tokens, circles/collections, datasets, resources.

Circles (CKAN organizations) and collections (CKAN groups) share one table,
:class:`Group`, because CKAN keeps their names unique across both kinds.
All times are naive UTC.
"""
import datetime
import json
import uuid

import peewee as pw

from . import changes
from .db import database
from .prepared import Prepared


def utcnow():
    """Return the current time as a naive UTC datetime."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def new_id():
    """Return a fresh uuid4 string."""
    return str(uuid.uuid4())


class JSONField(pw.TextField):
    """A JSON document kept in a text column (works on SQLite and PostgreSQL)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False

    @classmethod
    def from_row_values(cls, values):
        """A new object of a row's ``__data__`` (kept by a cache), as if read from the database."""
        obj = cls(__no_default__=True, **values)
        obj._dirty.clear()
        return obj


class User(BaseModel):
    id = pw.CharField(primary_key=True, default=new_id)
    name = pw.CharField(unique=True)
    fullname = pw.CharField(default="")
    email = pw.CharField(default="")
    about = pw.TextField(default="")
    password_hash = pw.CharField(default="")
    sysadmin = pw.BooleanField(default=False)
    state = pw.CharField(default="active")
    created = pw.DateTimeField(default=utcnow)

    @property
    def display_name(self):
        return self.fullname.strip() or self.name


class ApiToken(BaseModel):
    """A named API token; only a SHA-256 digest of its secret part is kept."""

    id = pw.CharField(primary_key=True)  # the public token id (CKAN's "jti")
    user = pw.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    name = pw.CharField()
    secret_hash = pw.CharField()
    created_at = pw.DateTimeField(default=utcnow)
    last_access = pw.DateTimeField(null=True)


class Group(BaseModel):
    """A circle (``is_organization``) or a collection."""

    id = pw.CharField(primary_key=True, default=new_id)
    name = pw.CharField(unique=True)
    title = pw.CharField(default="")
    description = pw.TextField(default="")
    is_organization = pw.BooleanField()
    state = pw.CharField(default="active")
    created = pw.DateTimeField(default=utcnow)

    @property
    def display_name(self):
        return self.title or self.name

    @property
    def kind(self):
        return "organization" if self.is_organization else "group"


class Membership(BaseModel):
    """A user's role (admin/editor/member) in a circle or collection."""

    group = pw.ForeignKeyField(Group, backref="memberships", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    role = pw.CharField()

    class Meta:
        indexes = ((("group", "user"), True),)


class Dataset(BaseModel):
    id = pw.CharField(primary_key=True, default=new_id)
    name = pw.CharField(unique=True)
    title = pw.CharField(default="")
    notes = pw.TextField(default="")
    authors = pw.TextField(default="")
    doi = pw.CharField(default="")
    references = pw.TextField(default="")
    license_id = pw.CharField(default="")
    private = pw.BooleanField(default=False)
    owner_org = pw.ForeignKeyField(Group, backref="datasets", on_delete="RESTRICT")
    state = pw.CharField(default="draft", index=True)
    creator = pw.ForeignKeyField(User, backref="datasets", null=True, on_delete="SET NULL")
    created = pw.DateTimeField(default=utcnow, index=True)
    modified = pw.DateTimeField(default=utcnow, index=True)
    #: grows with every change to what the dataset's dict shows (see dcorlite.revisions)
    revision = pw.IntegerField(default=0)

    @classmethod
    def by_id_or_name(cls, key):
        """The dataset with this id or name, or None (a new object; the row may be cached)."""
        if not isinstance(key, str):
            return _DATASET_BY_KEY.first(key)

        def load():
            row = _DATASET_BY_KEY.first(key)
            return dict(row.__data__) if row is not None else None
        data = _DATASET_ROWS.get(key, load)
        return cls.from_row_values(data) if data is not None else None


class Tag(BaseModel):
    dataset = pw.ForeignKeyField(Dataset, backref="tags", on_delete="CASCADE")
    name = pw.CharField(index=True)

    class Meta:
        indexes = ((("dataset", "name"), True),)


class Resource(BaseModel):
    """A file of a dataset. ``extras`` holds the ``dc:*``/``sp:*`` metadata."""

    id = pw.CharField(primary_key=True)
    dataset = pw.ForeignKeyField(Dataset, backref="resources", on_delete="CASCADE")
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
    extras = JSONField(default=dict)
    created = pw.DateTimeField(default=utcnow)
    last_modified = pw.DateTimeField(default=utcnow)

    class Meta:
        # (dataset, size) covers the count and sum of the files a user may see
        indexes = ((("dataset", "name"), True), (("dataset", "position"), True),
                   (("dataset", "size"), False))

    @classmethod
    def by_id(cls, resource_id):
        """The resource with this id, or None (its SQL is made once)."""
        return _RESOURCE_BY_ID.first(str(resource_id))

    @classmethod
    def file_facts(cls, resource_id):
        """Only ``id``, ``dataset_id``, ``size``, ``etag`` and ``sha256`` of a resource, or None.

        For the byte-serving route, which dclab calls once per HDF5 chunk: the
        whole row carries the file's metadata, and reading it took a third of
        that route's time.
        """
        return _RESOURCE_FILE.first(str(resource_id))


class Collaborator(BaseModel):
    """A user with whom a single dataset is shared."""

    dataset = pw.ForeignKeyField(Dataset, backref="collaborators", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="collaborations", on_delete="CASCADE")
    capacity = pw.CharField(default="member")
    modified = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("dataset", "user"), True),)


class DatasetGroup(BaseModel):
    """Membership of a dataset in a collection."""

    dataset = pw.ForeignKeyField(Dataset, backref="group_links", on_delete="CASCADE")
    group = pw.ForeignKeyField(Group, backref="dataset_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("dataset", "group"), True),)


class Upload(BaseModel):
    """An upload in progress or finished but not yet attached to a dataset.

    Its id is the id the resource will get. ``parts`` holds the MD5 of every
    part received, keyed by part number.
    """

    id = pw.CharField(primary_key=True)
    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    organization = pw.ForeignKeyField(Group, on_delete="CASCADE")
    file_size = pw.BigIntegerField()
    num_parts = pw.IntegerField()
    parts = JSONField(default=dict)
    etag = pw.CharField(default="")
    sha256 = pw.CharField(default="")
    complete = pw.BooleanField(default=False)
    created = pw.DateTimeField(default=utcnow, index=True)
    last_activity = pw.DateTimeField(null=True)  # a part started or ended


class JobState(BaseModel):
    """Progress of one background job for one resource (pending/running/done/error)."""

    resource = pw.ForeignKeyField(Resource, backref="job_states", on_delete="CASCADE")
    job = pw.CharField()
    state = pw.CharField(default="pending", index=True)
    attempts = pw.IntegerField(default=0)
    error = pw.TextField(default="")
    updated = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("resource", "job"), True),)


#: id or name → a dataset row's values, while no dataset row changed (see dcorlite.changes)
_DATASET_ROWS = changes.CounterCache(changes.DATASETS, maxsize=4096)
_DATASET_BY_KEY = Prepared(lambda key: Dataset.select().where((Dataset.id == key)
                                                             | (Dataset.name == key)))
_RESOURCE_BY_ID = Prepared(lambda rid: Resource.select().where(Resource.id == rid))
_RESOURCE_FILE = Prepared(lambda rid: Resource.select(
    Resource.id, Resource.dataset, Resource.size, Resource.etag, Resource.sha256)
    .where(Resource.id == rid))

CORE_MODELS = [User, ApiToken, Group, Membership, Dataset, Tag, Resource,
               Collaborator, DatasetGroup, Upload, JobState]
