"""A server killed (SIGKILL) during five uploads loses nothing and shows nothing half-made.

After the restart the clients upload again, as DCOR-Aid does (a cut-off file
starts anew with a new upload): all five complete with the right checksums,
no dataset ever shows a resource without its whole file, and the staged
files of the cut-off uploads are gone once the sweep has run.
"""
import datetime
import hashlib
import os
import threading

import pytest
from dcoraid.api import dataset_create
from dcoraid.api.dataset import resource_add

from dcorlite.app import stop_app
from dcorlite.models import Upload, utcnow

CLIENTS = 5
FILE_SIZE = 48 * 2**20


@pytest.fixture
def big_files(tmp_path):
    """Five different files of 48 MiB (large enough to be cut off mid-upload)."""
    paths = []
    for n in range(CLIENTS):
        path = tmp_path / f"measurement{n}.txt"
        with open(path, "wb") as fh:
            for _ in range(FILE_SIZE // 2**20):
                fh.write(os.urandom(2**20))
        paths.append(path)
    return paths


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def _upload_all(served, dataset_ids, paths):
    """Upload ``paths[i]`` into ``dataset_ids[i]``, all at once; return the errors."""
    errors = []

    def upload(dataset_id, path):
        try:
            resource_add(dataset_id, path, api=served.api("alice"), exist_ok=True)
        except Exception as exc:  # the kill cuts the uploads off; collected for the caller
            errors.append(exc)
    threads = [threading.Thread(target=upload, args=args) for args in zip(dataset_ids, paths)]
    for thread in threads:
        thread.start()
    return threads, errors


def _staged_bytes(served):
    folder = served.instance / "storage" / "uploads"
    return sum(f.stat().st_size for f in folder.glob("*")) if folder.exists() else 0


@pytest.mark.sqlite_only
def test_killed_during_uploads_then_uploaded_again(served, big_files, tmp_path):
    api = served.api("alice")
    dataset_ids = [dataset_create({"title": f"Fault {n}", "authors": "A", "license_id":
                                   "CC0-1.0", "owner_org": served.circle["name"]}, api=api)["id"]
                   for n in range(CLIENTS)]
    threads, _ = _upload_all(served, dataset_ids, big_files)
    # kill once the parts are arriving: some bytes staged, not all of them
    for _ in range(2000):
        if _staged_bytes(served) > CLIENTS * FILE_SIZE // 4:
            break
        threads[0].join(0.01)
    staged_at_kill = _staged_bytes(served)
    served.kill()
    for thread in threads:
        thread.join(120)
    assert 0 < staged_at_kill < CLIENTS * FILE_SIZE, "the kill did not come mid-upload"

    served.restart()
    for dataset_id in dataset_ids:  # nothing half-made is visible after the crash
        for res in served.action("package_show", "alice", {"id": dataset_id})["resources"]:
            assert res["size"] == FILE_SIZE and res["sha256"], res
    threads, errors = _upload_all(served, dataset_ids, big_files)
    for thread in threads:
        thread.join(300)
    assert errors == []
    for dataset_id, path in zip(dataset_ids, big_files):
        resources = served.action("package_show", "alice", {"id": dataset_id})["resources"]
        assert [(r["name"], r["size"], r["sha256"]) for r in resources] == [
            (path.name, FILE_SIZE, _sha256(path))]
    served.stop()

    # 31 minutes later the sweep has removed the cut-off uploads and their files
    from dcorlite import create_app
    from dcorlite.plugins.uploads import store
    from dcorlite.storage import get_storage
    app = create_app({"DATABASE_URL": served.database_url, "LOAD_ENTRY_POINTS": False},
                     instance_path=str(served.instance))
    try:
        with app.app_context():
            later = utcnow() + datetime.timedelta(minutes=31)
            store.cleanup_stale(get_storage(), **store.cleanup_settings(app), now=later)
            assert Upload.select().count() == 0
        assert list((served.instance / "storage" / "uploads").glob("*")) == []
    finally:
        stop_app(app)
