"""Local-disk storage: streaming writes with hashes, ranges, safe keys."""
import hashlib
import io

import pytest

from dcorlite.storage import resource_key, upload_key
from dcorlite.storage.local import LocalStorage


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(f"file:{tmp_path}/store")


def test_write_stream_hashes_and_sizes(storage):
    data = bytes(range(256)) * 40000
    result = storage.write_stream("uploads/abc", io.BytesIO(data))
    assert result.size == len(data)
    assert result.md5 == hashlib.md5(data).hexdigest()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert storage.size("uploads/abc") == len(data)


def test_write_at_offset_assembles_parts_in_any_order(storage):
    parts = [b"a" * 10, b"b" * 10, b"c" * 5]
    for index in (2, 0, 1):
        storage.write_stream("uploads/x", io.BytesIO(parts[index]), offset=index * 10,
                             length=len(parts[index]))
    with storage.open_range("uploads/x", 5) as fh:
        assert fh.read() == b"".join(parts)[5:]


def test_short_stream_is_an_error(storage):
    with pytest.raises(IOError):
        storage.write_stream("uploads/y", io.BytesIO(b"abc"), length=10)


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "uploads/../../x",
                                 "uploads/a b", "Uploads/X", "uploads/x/../../y", ""])
def test_keys_cannot_leave_the_root(storage, key):
    with pytest.raises(ValueError):
        storage.path(key)


@pytest.mark.parametrize("bad", ["../x", "x" * 36, "not-a-uuid", None])
def test_key_builders_accept_only_uuids(bad):
    with pytest.raises(ValueError):
        resource_key(bad)
    with pytest.raises(ValueError):
        upload_key(bad)


def test_resource_key_layout():
    rid = "0123abcd-4567-89ab-cdef-0123456789ab"
    assert resource_key(rid) == "resource/012/3ab/cd-4567-89ab-cdef-0123456789ab"
    assert resource_key(rid, "condensed").startswith("condensed/012/3ab/")


def test_move_delete_exists_list(storage):
    storage.write_stream("uploads/m", io.BytesIO(b"x"))
    storage.move("uploads/m", "resource/aaa/bbb/m")
    assert not storage.exists("uploads/m") and storage.exists("resource/aaa/bbb/m")
    assert [k for k, _ in storage.list_keys("resource")] == ["resource/aaa/bbb/m"]
    storage.delete("resource/aaa/bbb/m")
    storage.delete("resource/aaa/bbb/m")  # deleting twice is fine
    assert not storage.exists("resource/aaa/bbb/m")
