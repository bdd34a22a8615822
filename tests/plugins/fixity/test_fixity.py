"""Fixity: a flipped byte in a stored file is found, logged, recorded and reported."""
import logging
import os

import pytest

from dcorlite.plugins.fixity import check
from dcorlite.plugins.fixity.model import FixityRecord
from dcorlite.storage import get_storage, resource_key


def flip_byte(path, offset):
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0x01]))


def test_a_flipped_byte_is_logged_recorded_and_reported(
        app, cli_runner, make_user, make_circle, make_resource, caplog):
    from dcorlite import datasets
    admin = make_user("admin", sysadmin=True)
    dataset = datasets.create_dataset(admin, {"title": "t", "authors": "a", "license_id": "CC0-1.0",
                                              "owner_org": make_circle(admin).id})
    good = make_resource(admin, dataset, os.urandom(10_000), name="good.bin")
    bad = make_resource(admin, dataset, os.urandom(10_000), name="bad.bin")
    result = cli_runner("fixity", "check", "--all")
    assert result.exit_code == 0 and "checked 2 files, 0 mismatched" in result.output

    flip_byte(get_storage().local_path(resource_key(bad.id)), 5_000)
    with caplog.at_level(logging.ERROR, logger="dcorlite.plugins.fixity"):
        result = cli_runner("fixity", "check", "--all")
    assert result.exit_code == 1
    assert "checked 2 files, 1 mismatched" in result.output
    assert f"MISMATCH resource of resource {bad.id}" in result.output
    assert any(bad.id in r.getMessage() for r in caplog.records)
    record = FixityRecord.get(FixityRecord.key == resource_key(bad.id))
    assert not record.ok and "differs from the expected" in record.problem
    assert FixityRecord.get(FixityRecord.key == resource_key(good.id)).ok

    report = cli_runner("fixity", "report")
    assert report.exit_code == 1 and bad.id in report.output and good.id not in report.output


@pytest.mark.sqlite_only
def test_batches_check_the_longest_unchecked_files_at_the_configured_pace(
        app, make_user, make_circle, make_resource):
    from dcorlite import datasets
    admin = make_user("admin", sysadmin=True)
    dataset = datasets.create_dataset(admin, {"title": "t", "authors": "a", "license_id": "CC0-1.0",
                                              "owner_org": make_circle(admin).id})
    for i in range(6):
        make_resource(admin, dataset, f"file {i}".encode(), name=f"f{i}.txt")
    # six files, every file every 2 days, a batch every 12 hours: 6 * 0.5 / 2 = 2 per batch
    app.config.update(FIXITY_DAYS=2, FIXITY_INTERVAL=12 * 3600)
    seen = []
    for _ in range(3):
        seen += [r.key for r in check.run_batch(app)]
    assert len(seen) == 6 and len(set(seen)) == 6
    again = [r.key for r in check.run_batch(app)]
    assert again == seen[:2]


def test_a_rewritten_condensed_copy_is_recorded_anew_not_reported(app, make_user, make_circle,
                                                                  make_resource):
    from dcorlite import datasets
    admin = make_user("admin", sysadmin=True)
    dataset = datasets.create_dataset(admin, {"title": "t", "authors": "a", "license_id": "CC0-1.0",
                                              "owner_org": make_circle(admin).id})
    resource = make_resource(admin, dataset, b"original", name="x.txt")
    storage = get_storage()
    key = resource_key(resource.id, "condensed")
    storage.write_json(key, {"v": 1})
    assert all(r.ok for r in check.run_check())
    path = storage.local_path(key)
    flip_byte(path, 2)
    os.utime(path, (os.path.getatime(path), FixityRecord.get_by_id(key).mtime))
    assert [r.key for r in check.run_check() if not r.ok] == [key]
    storage.write_json(key, {"v": 2})
    os.utime(path, (0, FixityRecord.get_by_id(key).mtime + 10))
    assert all(r.ok for r in check.run_check())


@pytest.mark.sqlite_only
def test_serve_runs_a_batch_once_the_interval_has_passed(app, client, make_user, make_circle,
                                                         make_resource):
    import time
    from dcorlite import datasets
    admin = make_user("admin", sysadmin=True)
    dataset = datasets.create_dataset(admin, {"title": "t", "authors": "a", "license_id": "CC0-1.0",
                                              "owner_org": make_circle(admin).id})
    make_resource(admin, dataset, b"checked by the server", name="x.txt")
    client.get("/api/3/action/status_show")
    assert FixityRecord.select().count() == 0  # the interval starts with the app
    app.extensions["dcorlite"]["fixity"]["last"] -= app.config["FIXITY_INTERVAL"]
    client.get("/api/3/action/status_show")
    deadline = time.monotonic() + 10
    while app.extensions["dcorlite"]["fixity"]["running"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r.ok for r in FixityRecord.select()] == [True]


def test_the_supervising_process_runs_the_batches_for_all(app, make_user, make_circle,
                                                          make_resource):
    """``serve --processes N``: the supervisor's thread checks, the children do not."""
    import time
    from dcorlite import datasets, supervisor
    admin = make_user("admin", sysadmin=True)
    dataset = datasets.create_dataset(admin, {"title": "t", "authors": "a", "license_id": "CC0-1.0",
                                              "owner_org": make_circle(admin).id})
    make_resource(admin, dataset, b"checked by the supervisor", name="x.txt")
    app.config["FIXITY_INTERVAL"] = 0.05
    stop, env = supervisor.start_shared_work(app)
    try:
        assert env["DCORLITE_FIXITY_INTERVAL"] == "0"
        deadline = time.monotonic() + 10
        while not FixityRecord.select().count() and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the table the batch writes
    finally:
        stop.set()
    assert [r.ok for r in FixityRecord.select()] == [True]
