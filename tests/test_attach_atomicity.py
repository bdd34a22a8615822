"""Attaching an upload never leaves a resource without its file, nor loses the file."""
import io

import peewee
import pytest

from dcorlite import resources
from dcorlite.models import Resource, Upload
from dcorlite.storage import get_storage, resource_key, upload_key


@pytest.fixture
def staged(app, make_user, make_circle, make_dataset):
    """A draft and a finished upload for it (as resource_upload_s3_urls + PUT leave it)."""
    owner = make_user("atom")
    circle = make_circle(owner)
    draft = make_dataset(owner, circle, active=False)
    upload = Upload.create(id="11111111-2222-4333-8444-555555555555", user=owner,
                           organization=circle, file_size=5, num_parts=1)
    written = get_storage().write_stream(upload_key(upload.id), io.BytesIO(b"hello"))
    Upload.update(etag=written.md5, sha256=written.sha256, complete=True).where(
        Upload.id == upload.id).execute()
    return owner, draft, Upload.get_by_id(upload.id)


def test_failed_commit_moves_the_file_back(staged, monkeypatch):
    owner, draft, upload = staged
    storage = get_storage()

    def crash(*args, **kwargs):
        raise peewee.OperationalError("database went away")

    monkeypatch.setattr(Resource, "create", crash)
    with pytest.raises(peewee.OperationalError):
        resources.attach_upload(owner, draft, upload.id, "x.txt", {}, storage)
    monkeypatch.undo()
    assert not Resource.select().where(Resource.id == upload.id).exists()
    assert storage.exists(upload_key(upload.id))
    assert not storage.exists(resource_key(upload.id))
    res = resources.attach_upload(owner, draft, upload.id, "x.txt", {}, storage)
    assert res.sha256 == upload.sha256 and storage.exists(resource_key(upload.id))


def test_attach_retried_after_crash_between_move_and_commit(staged):
    """A process killed after moving the file: the retry finds it in its final place."""
    owner, draft, upload = staged
    storage = get_storage()
    storage.move(upload_key(upload.id), resource_key(upload.id))
    res = resources.attach_upload(owner, draft, upload.id, "y.txt", {}, storage)
    assert res.size == 5
    with storage.open_range(resource_key(res.id)) as fh:
        assert fh.read() == b"hello"
    assert not Upload.select().where(Upload.id == upload.id).exists()
