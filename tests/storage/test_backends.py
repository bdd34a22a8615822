"""The storage contract, on local disk (``file:``) and on a real S3 server (``s3:``)."""
import hashlib
import io
import json
import types

import pytest

from dcorlite.errors import StartupError
from dcorlite.storage import resource_key, upload_key
from dcorlite.storage.local import LocalStorage
from dcorlite.storage.s3 import PART_SIZE, S3Storage


def s3_storage(config):
    return S3Storage("s3:", types.SimpleNamespace(config=dict(config, S3_REGION="")))


@pytest.fixture(params=["file", "s3"])
def storage(request, tmp_path):
    if request.param == "file":
        return LocalStorage(f"file:{tmp_path}/store")
    return s3_storage(request.getfixturevalue("s3_config"))


def test_write_stream_hashes_and_sizes(storage):
    data = bytes(range(256)) * 40000
    result = storage.write_stream("uploads/abc", io.BytesIO(data))
    assert result.size == len(data)
    assert result.md5 == hashlib.md5(data).hexdigest()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert storage.size("uploads/abc") == len(data)


def test_large_write_in_parts_and_ranges(storage):
    data = bytes(range(251)) * (PART_SIZE // 251 + 1000)  # more than one S3 part
    sha = hashlib.sha256(b"prefix")
    result = storage.write_stream("uploads/big", io.BytesIO(data), sha256=sha)
    assert result.sha256 == hashlib.sha256(b"prefix" + data).hexdigest()
    assert storage.size("uploads/big") == len(data)
    with storage.open_range("uploads/big", PART_SIZE - 3, 10) as fh:
        assert fh.read(10) == data[PART_SIZE - 3:PART_SIZE + 7]
    with storage.open_range("uploads/big", len(data) - 5) as fh:
        assert fh.read() == data[-5:]


def test_length_limits_what_is_read(storage):
    result = storage.write_stream("uploads/l", io.BytesIO(b"0123456789"), length=4)
    assert result.size == 4
    with storage.open_range("uploads/l") as fh:
        assert fh.read() == b"0123"


def test_empty_object(storage):
    storage.write_stream("uploads/empty", io.BytesIO(b""))
    assert storage.exists("uploads/empty") and storage.size("uploads/empty") == 0
    with storage.open_range("uploads/empty") as fh:
        assert fh.read() == b""


def test_short_stream_is_an_error(storage):
    with pytest.raises(IOError):
        storage.write_stream("uploads/y", io.BytesIO(b"abc"), length=10)


def test_missing_objects(storage):
    assert not storage.exists("uploads/none")
    assert storage.modified("uploads/none") is None
    assert storage.read_json("kernel/nothing") is None
    with pytest.raises(FileNotFoundError):
        storage.size("uploads/none")
    storage.delete("uploads/none")


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "uploads/../../x",
                                 "uploads/a b", "Uploads/X", "uploads/x/../../y", ""])
def test_bad_keys_are_refused(storage, key):
    with pytest.raises(ValueError):
        storage.exists(key)


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
    storage.write_stream("resources/other", io.BytesIO(b"y"))  # not below "resource"
    storage.move("uploads/m", "resource/aaa/bbb/m")
    assert not storage.exists("uploads/m") and storage.exists("resource/aaa/bbb/m")
    listed = list(storage.list_keys("resource"))
    assert [k for k, _ in listed] == ["resource/aaa/bbb/m"]
    assert abs(listed[0][1] - storage.modified("resource/aaa/bbb/m")) < 1
    assert list(storage.list_objects("resource")) == [
        ("resource/aaa/bbb/m", storage.size("resource/aaa/bbb/m"), listed[0][1])]
    storage.delete("resource/aaa/bbb/m")
    storage.delete("resource/aaa/bbb/m")  # deleting twice is fine
    assert not storage.exists("resource/aaa/bbb/m")


def test_json_and_files(storage, tmp_path):
    storage.write_json("kernel/a/b/c", {"x": [1, 2.5, "z"]})
    assert storage.read_json("kernel/a/b/c") == {"x": [1, 2.5, "z"]}
    with storage.open_range("kernel/a/b/c") as fh:
        assert json.load(fh) == {"x": [1, 2.5, "z"]}
    source = tmp_path / "f.bin"
    source.write_bytes(b"file content")
    result = storage.put_file("preview/a/b/c", str(source))
    assert result.md5 == hashlib.md5(b"file content").hexdigest()
    assert not storage.exists("preview/a/b/c.part")
    with storage.open_range("preview/a/b/c", 5) as fh:
        assert fh.read() == b"content"


def test_local_parts_at_offsets_in_any_order(tmp_path):
    storage = LocalStorage(f"file:{tmp_path}/store")
    parts = [b"a" * 10, b"b" * 10, b"c" * 5]
    for index in (2, 0, 1):
        storage.write_stream("uploads/x", io.BytesIO(parts[index]), offset=index * 10,
                             length=len(parts[index]))
    with storage.open_range("uploads/x", 5) as fh:
        assert fh.read() == b"".join(parts)[5:]


def test_s3_refuses_writes_at_an_offset(s3_config):
    storage = s3_storage(s3_config)
    with pytest.raises(ValueError, match="presigned"):
        storage.write_stream("uploads/x", io.BytesIO(b"b" * 10), offset=10, length=10)
    assert not storage.exists("uploads/x")


@pytest.mark.parametrize("change", [{"S3_SECRET_ACCESS_KEY": "wrong"},
                                    {"S3_ENDPOINT_URL": "http://127.0.0.1:9"},
                                    {"S3_BUCKET_TEMPLATE": "circle"}])
def test_s3_misconfiguration_fails_at_start(s3_config, change):
    with pytest.raises(StartupError, match="S3"):
        s3_storage(dict(s3_config, **change))
