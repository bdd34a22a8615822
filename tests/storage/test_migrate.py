"""``dcorlite storage migrate``: every file copied and verified, resumable, then switched."""
import hashlib
import io
import os

import pytest
from click.testing import CliRunner
from flask import Config

from dcorlite import host
from dcorlite.cli import cli
from dcorlite.jobs.queue import drain
from dcorlite.storage import get_storage, migrate, resource_key
from dcorlite.storage.local import LocalStorage

pytestmark = pytest.mark.sqlite_only  # storage does not depend on the database


def sha256_of(storage, key):
    with storage.open_range(key) as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@pytest.fixture
def app_config(app_config, s3_config):
    """The instance stores on local disk, with S3 settings for the target ``s3:``."""
    return dict(app_config, **{k: v for k, v in s3_config.items() if k != "STORAGE_URL"})


def open_storage(app, url):
    """The storage of ``url``, with the app's settings (S3 endpoint, buckets)."""
    backends = dict(host.collect("register_storage_backends", app=app, unique_by="key"))
    return backends[url.split(":", 1)[0]](url, app)


@pytest.fixture
def populated(app, make_user, make_circle, make_dataset, make_resource):
    """Two datasets, processed (condensed copies, previews, documents): their resource ids."""
    owner = make_user("owner")
    circle = make_circle(owner)
    first = make_dataset(owner, circle)
    second = make_dataset(owner, circle, active=False)
    make_resource(owner, second, b"notes of a patient", name="notes.txt")
    drain(app)
    return [r.id for ds in (first, second) for r in ds.resources]


@pytest.fixture
def migrate_cli(app):
    """Run ``dcorlite storage migrate ARGS`` on an instance whose STORAGE_URL is in its
    config.py (where the command switches it), as set up by hand."""
    path = os.path.join(app.instance_path, "config.py")
    with open(path, "w") as fh:
        fh.write(f'SITE_TITLE = "Clinic"\nSTORAGE_URL = {app.config["STORAGE_URL"]!r}\n')
    env = {f"DCORLITE_{key}": str(app.config[key]) for key in (
        "DATABASE_URL", "SECRET_KEY", "S3_ENDPOINT_URL", "S3_BUCKET_TEMPLATE",
        "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")}
    env.update(DCORLITE_STORAGE_URL=None, DCORLITE_LOAD_ENTRY_POINTS="false")

    def run(*args):
        return CliRunner().invoke(cli, ["--instance", app.instance_path, "storage", "migrate",
                                        *args], env=env)
    return run


def stored_keys(storage):
    return {key for key, _, _ in migrate.source_objects(storage)}


def instance_setting(app, key):
    config = Config(app.instance_path)
    config.from_pyfile("config.py")
    return config[key]


@pytest.mark.parametrize("kind", ["file", "s3"])
def test_an_interrupted_migration_resumes_and_switches_with_equal_checksums(
        app, populated, migrate_cli, tmp_path, kind):
    source = get_storage(app)
    keys = stored_keys(source)
    assert {resource_key(rid) for rid in populated} <= keys
    assert any(key.startswith("condensed/") for key in keys)
    target_url = f"file:{tmp_path}/new-storage" if kind == "file" else "s3:"
    target = open_storage(app, target_url)
    journal = migrate.Journal(app.instance_path, target_url)

    def interrupt_after_two(key, done, total):
        if done == 2:
            raise KeyboardInterrupt  # Ctrl+C, or a kill, part-way
    with pytest.raises(KeyboardInterrupt):
        migrate.migrate(source, target, journal, progress=interrupt_after_two)
    first_two = sorted(keys)[:2]
    # the next object was being written when the run was killed: half a file
    half = sorted(keys)[2]
    target.write_stream(half, io.BytesIO(b"half of it"))

    result = migrate_cli(app.config["STORAGE_URL"], target_url)

    assert result.exit_code == 0, result.output
    assert f"copied and verified {len(keys) - 2} file(s); 2 verified before" in result.output
    assert stored_keys(target) == keys
    for key in keys:
        assert sha256_of(target, key) == sha256_of(source, key), key
    assert all(key in journal.entries for key in first_two)
    assert instance_setting(app, "STORAGE_URL") == target_url
    assert instance_setting(app, "SITE_TITLE") == "Clinic"


def test_a_corrupted_original_is_reported_and_nothing_is_switched(app, populated,
                                                                  migrate_cli, tmp_path):
    source = get_storage(app)
    with open(source.path(resource_key(populated[0])), "r+b") as fh:
        fh.seek(100)
        fh.write(b"bit rot")
    target_url = f"file:{tmp_path}/new-storage"

    result = migrate_cli(app.config["STORAGE_URL"], target_url)

    assert result.exit_code == 1
    assert f"failed: {resource_key(populated[0])}: SHA-256" in result.output
    assert "nothing was switched" in result.output
    assert instance_setting(app, "STORAGE_URL") == app.config["STORAGE_URL"]


def test_a_file_written_after_the_copy_is_copied_by_the_next_run(app, populated, migrate_cli,
                                                                 tmp_path, make_user,
                                                                 make_circle, make_dataset):
    target_url = f"file:{tmp_path}/new-storage"
    source_url = app.config["STORAGE_URL"]
    assert migrate_cli("--no-switch", source_url, target_url).exit_code == 0
    assert instance_setting(app, "STORAGE_URL") == source_url
    late = make_user("late")
    later = make_dataset(late, make_circle(late))
    new_key = resource_key(later.resources[0].id)

    result = migrate_cli(source_url, target_url)

    assert result.exit_code == 0, result.output
    assert "copied and verified 1 file(s)" in result.output
    assert LocalStorage(target_url, app).exists(new_key)


def test_a_storage_url_in_the_environment_is_named_as_what_to_change(app, populated,
                                                                     cli_runner, tmp_path):
    target_url = f"file:{tmp_path}/new-storage"
    result = cli_runner("storage", "migrate", app.config["STORAGE_URL"], target_url)
    assert result.exit_code == 1
    assert f"DCORLITE_STORAGE_URL in the environment overrides config.py: set it to " \
        f"{target_url}" in result.output


def test_source_must_be_the_instance_storage(app, cli_runner, tmp_path):
    result = cli_runner("storage", "migrate", f"file:{tmp_path}/elsewhere",
                        f"file:{tmp_path}/new-storage")
    assert result.exit_code == 1 and "SOURCE must be the instance's storage" in result.output
