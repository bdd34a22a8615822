"""Which unattached uploads the sweep removes: old ones, abandoned ones, never active ones."""
import datetime
import os
import time

import pytest

from dcorlite.models import Upload, utcnow
from dcorlite.plugins.uploads import store
from dcorlite.storage import get_storage, upload_key

pytestmark = pytest.mark.sqlite_only
DEFAULTS = {"max_age_hours": 24, "idle_minutes": 30, "active_minutes": 5}


@pytest.fixture
def make_upload(api, client, make_user, make_circle):
    """``make_upload(parts_sent, parts=2)`` → upload id, with that many parts written."""
    owner = make_user("uploader")
    circle = make_circle(owner)

    def make(parts_sent, parts=2):
        from flask import current_app
        size = 10 * parts
        current_app.config["UPLOADS_PART_SIZE"] = 10
        status, body = api("resource_upload_s3_urls", owner, organization_id=circle.id,
                           file_size=size)
        assert status == 200, body
        for url in body["result"]["upload_urls"][:parts_sent]:
            path = url.split("//", 1)[1].split("/", 1)[1]
            assert client.put("/" + path, data=b"x" * 10).status_code == 200
        upload_id = body["result"]["resource_id"]
        if parts_sent == parts > 1:
            etags = Upload.get_by_id(upload_id).parts
            xml = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{etags[str(n)]}</ETag>"
                          "</Part>" for n in range(1, parts + 1))
            complete = body["result"]["complete_url"].split("//", 1)[1].split("/", 1)[1]
            answer = client.post("/" + complete,
                                 data=f"<CompleteMultipartUpload>{xml}</CompleteMultipartUpload>")
            assert answer.status_code == 200, answer.data
        return upload_id
    return make


def _last_bytes(upload_id, minutes_ago):
    """Make the upload look as if its last bytes came ``minutes_ago`` (and it was made then)."""
    then = utcnow() - datetime.timedelta(minutes=minutes_ago)
    Upload.update(created=then, last_activity=then).where(Upload.id == upload_id).execute()
    path = get_storage().local_path(upload_key(upload_id))
    if os.path.exists(path):
        os.utime(path, (time.time() - 60 * minutes_ago,) * 2)


def _left(*ids):
    return {i for i in ids if Upload.get_or_none(Upload.id == i) is not None}


def test_abandoned_incomplete_uploads_go_after_the_idle_time(make_upload):
    """A cut-off client: half the parts, then silence. Gone after 30 minutes, not after 24 h."""
    cut_off = make_upload(parts_sent=1)
    finished = make_upload(parts_sent=2)  # complete, waiting for package_revise
    quiet_but_recent = make_upload(parts_sent=1)
    _last_bytes(cut_off, minutes_ago=31)
    _last_bytes(finished, minutes_ago=31)
    _last_bytes(quiet_but_recent, minutes_ago=10)
    assert store.cleanup_stale(get_storage(), **DEFAULTS) == 1
    assert _left(cut_off, finished, quiet_but_recent) == {finished, quiet_but_recent}
    assert not os.path.exists(get_storage().local_path(upload_key(cut_off)))


def test_old_uploads_go_but_never_while_bytes_arrive(make_upload):
    """``--hours 0`` takes everything unattached, except what received bytes minutes ago."""
    active = make_upload(parts_sent=1)
    done_long_ago = make_upload(parts_sent=2)
    _last_bytes(done_long_ago, minutes_ago=6)
    removed = store.cleanup_stale(get_storage(), **dict(DEFAULTS, max_age_hours=0))
    assert removed == 1 and _left(active, done_long_ago) == {active}


def test_a_slow_part_that_is_still_being_written_stays(make_upload):
    """The part began long ago, but its file was written to just now."""
    slow = make_upload(parts_sent=1)
    then = utcnow() - datetime.timedelta(hours=30)
    Upload.update(created=then, last_activity=then).where(Upload.id == slow).execute()
    assert store.cleanup_stale(get_storage(), **dict(DEFAULTS, max_age_hours=0)) == 0
    assert _left(slow) == {slow}


def test_stray_staged_files_without_an_upload_go_when_old(app, make_upload):
    stray = make_upload(parts_sent=1)
    Upload.delete().where(Upload.id == stray).execute()  # e.g. a crash between the two
    path = get_storage().local_path(upload_key(stray))
    assert store.cleanup_stale(get_storage(), **DEFAULTS) == 0
    os.utime(path, (time.time() - 25 * 3600,) * 2)
    assert store.cleanup_stale(get_storage(), **DEFAULTS) == 1
    assert not os.path.exists(path)
