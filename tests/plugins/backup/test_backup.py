"""Encrypted backups: restore drill, incremental files, pruning, tampering, wrong keys."""
import hashlib
import io
import os

import pytest
from click.testing import CliRunner

from dcorlite import create_app
from dcorlite.app import stop_app
from dcorlite.cli import cli
from dcorlite.db import dispose
from dcorlite.models import ApiToken, Dataset, Resource, User
from dcorlite.plugins.backup import archive, crypto, restore, snapshot
from dcorlite.storage import get_storage, resource_key


@pytest.fixture
def keys(tmp_path):
    """``(private key path, public key path)`` of a new key pair."""
    private, public = tmp_path / "backup.key", tmp_path / "backup.pub.pem"
    crypto.generate_keypair(str(private), str(public))
    return str(private), str(public)


def run(instance, config, *args):
    """``dcorlite --instance INSTANCE ARGS`` with ``config`` as environment settings."""
    env = {f"DCORLITE_{k}": str(v) for k, v in config.items()}
    env["DCORLITE_LOAD_ENTRY_POINTS"] = "false"
    return CliRunner().invoke(cli, ["--instance", str(instance), *args], env=env)


def cli_config(app):
    return {k: app.config[k] for k in ("DATABASE_URL", "STORAGE_URL", "SECRET_KEY")}


def stored_digests(app):
    """``{storage key: SHA-256 of its bytes}`` of every backed-up file."""
    storage = get_storage(app)
    result = {}
    for key in archive.stored_files(storage):
        with storage.open_range(key) as fh:
            result[key] = hashlib.sha256(fh.read()).hexdigest()
    return result


def database_state():
    return {
        "users": sorted((u.id, u.name, u.email, u.password_hash, u.sysadmin)
                        for u in User.select()),
        "tokens": sorted((t.id, t.user_id, t.secret_hash) for t in ApiToken.select()),
        "datasets": sorted((d.id, d.name, d.title, d.private, d.state, d.owner_org_id)
                           for d in Dataset.select()),
        "resources": sorted((r.id, r.dataset_id, r.name, r.size, r.sha256)
                            for r in Resource.select()),
    }


def wipe(app):
    """Take away the instance's database tables and stored files."""
    stop_app(app)
    dispose()
    url = app.config["DATABASE_URL"]
    if snapshot.kind(url) == "sqlite":
        path = url[len("sqlite:///"):]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    else:
        conn, schema = snapshot._pg_target(url)
        snapshot._drop_tables(conn, schema)
    storage = get_storage(app)
    for key in archive.stored_files(storage):
        storage.delete(key)


def test_restore_drill_brings_back_every_dataset_file_user_and_token(
        app, app_config, tmp_path, keys, make_user, make_circle, make_dataset, make_resource):
    admin = make_user("admin", sysadmin=True)
    alice = make_user("alice")
    circle = make_circle(admin, members={alice: "editor"})
    make_dataset(alice, circle)
    private = make_dataset(alice, circle, private=True)
    folder = tmp_path / "backups"
    first = run(app.instance_path, cli_config(app), "backup", "create", "--recipient", keys[1],
                "--to", str(folder))
    assert first.exit_code == 0, first.output
    assert ": full," in first.output

    new = make_resource(admin, private, b"uploaded after the first backup", name="late.txt")
    second = run(app.instance_path, cli_config(app), "backup", "create", "--recipient",
                 keys[1], "--to", str(folder))
    assert second.exit_code == 0, second.output
    newest = archive.list_backups(str(folder))[-1]
    assert not newest["full"] and newest["carried"] == 1
    path = str(folder / (newest["name"] + archive.SUFFIX))
    carried = restore.read_archive(path, crypto.load_private_key(keys[0])).files
    assert set(carried) == {resource_key(new.id)}

    before_db, before_files = database_state(), stored_digests(app)
    assert len(before_files) >= 3
    wipe(app)

    target = tmp_path / "restored"
    config = dict(cli_config(app), STORAGE_URL=f"file:{tmp_path}/restored-storage")
    result = run(target, config, "backup", "restore", path, "--key", keys[0])
    assert result.exit_code == 0, result.output
    assert "2 datasets indexed" in result.output

    restored = create_app(dict(app_config, STORAGE_URL=config["STORAGE_URL"]),
                          instance_path=str(target))
    try:
        with restored.app_context():
            assert database_state() == before_db
            assert stored_digests(restored) == before_files
            client = restored.test_client()
            answer = client.post("/api/3/action/package_show", json={"id": private.id},
                                 headers={"Authorization": alice.token})
            assert answer.status_code == 200
            assert answer.get_json()["result"]["num_resources"] == 2
            found = client.get("/api/3/action/package_search", query_string={"q": "*:*", "include_private": "true"},
                               headers={"Authorization": alice.token}).get_json()
            assert found["result"]["count"] == 2
    finally:
        stop_app(restored)


@pytest.mark.sqlite_only
def test_restore_refuses_a_non_empty_instance(app, tmp_path, keys, make_user):
    make_user("bob")
    result = run(app.instance_path, cli_config(app), "backup", "create", "--recipient", keys[1])
    assert result.exit_code == 0, result.output
    path = os.path.join(app.instance_path, "backups", os.listdir(
        os.path.join(app.instance_path, "backups"))[0].replace(".json", archive.SUFFIX))
    result = run(app.instance_path, cli_config(app), "backup", "restore", path, "--key", keys[0])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "is not empty (1 users" in result.output


@pytest.mark.sqlite_only
def test_verify_fails_for_a_flipped_byte_a_truncated_archive_or_another_key(
        app, tmp_path, keys, make_user, make_circle, make_resource):
    admin = make_user("admin", sysadmin=True)
    circle = make_circle(admin)
    from dcorlite import datasets
    dataset = datasets.create_dataset(admin, {"title": "t", "authors": "a", "owner_org": circle.id,
                                              "license_id": "CC0-1.0"})
    make_resource(admin, dataset, os.urandom(300_000))
    info, _ = archive.create_backup(app, crypto.load_public_key(keys[1]), str(tmp_path), 3)
    path = str(tmp_path / (info["name"] + archive.SUFFIX))
    ok = run(app.instance_path, {}, "backup", "verify", path, "--key", keys[0])
    assert ok.exit_code == 0 and "intact; full" in ok.output, ok.output
    data = open(path, "rb").read()

    other = tmp_path / "other"
    crypto.generate_keypair(f"{other}.key", f"{other}.pub.pem")
    wrong = run(app.instance_path, {}, "backup", "verify", path, "--key", f"{other}.key")
    assert wrong.exit_code == 1 and "wrong key" in wrong.output

    for damaged in (data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 1])
                    + data[len(data) // 2 + 1:], data[:-1000]):
        with open(path, "wb") as fh:
            fh.write(damaged)
        bad = run(app.instance_path, {}, "backup", "verify", path, "--key", keys[0])
        assert bad.exit_code == 1 and ("damaged" in bad.output or "truncated" in bad.output)
        fresh = {"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.sqlite",
                 "STORAGE_URL": f"file:{tmp_path}/fresh-storage", "SECRET_KEY": "x"}
        failed = run(tmp_path / "fresh", fresh, "backup", "restore", path, "--key", keys[0])
        assert failed.exit_code == 1 and failed.output.count("\n") == 1, failed.output
        left = [f for _, _, names in os.walk(tmp_path / "fresh-storage") for f in names]
        assert left == []  # the files read before the damage are removed again


def test_chunks_out_of_order_or_cut_at_a_chunk_boundary_are_detected(monkeypatch, keys):
    monkeypatch.setattr(crypto, "CHUNK_SIZE", 100)
    sink = io.BytesIO()
    writer = crypto.EncryptingWriter(sink, crypto.load_public_key(keys[1]))
    writer.write(bytes(range(250)))
    writer.close()
    data = sink.getvalue()
    key = crypto.load_private_key(keys[0])
    assert crypto.DecryptingReader(io.BytesIO(data), key).read() == bytes(range(250))
    head, size = crypto.HEADER_SIZE, 4 + 100 + crypto.TAG_SIZE
    chunks = [data[head:head + size], data[head + size:head + 2 * size], data[head + 2 * size:]]
    for body in (chunks[1] + chunks[0] + chunks[2], chunks[0] + chunks[1],
                 chunks[0] + chunks[2], chunks[0] + chunks[1] + chunks[2] + chunks[2]):
        with pytest.raises(crypto.BackupCryptoError):
            crypto.DecryptingReader(io.BytesIO(data[:head] + body), key).read()


@pytest.mark.sqlite_only
def test_keep_n_keeps_the_last_n_restorable_and_starts_a_full_backup_every_n(
        app, tmp_path, keys, make_user, make_circle, make_resource):
    admin = make_user("admin", sysadmin=True)
    circle = make_circle(admin)
    from dcorlite import datasets
    dataset = datasets.create_dataset(admin, {"title": "t", "authors": "a", "owner_org": circle.id,
                                              "license_id": "CC0-1.0"})
    public = crypto.load_public_key(keys[1])
    made = []
    for i in range(5):
        make_resource(admin, dataset, f"file {i}".encode(), name=f"f{i}.txt")
        info, _ = archive.create_backup(app, public, str(tmp_path), 2)
        made.append(info)
    assert [b["full"] for b in made] == [True, False, True, False, True]
    kept = [b["name"] for b in archive.list_backups(str(tmp_path))]
    # the last two are #4 (which needs #3) and #5 (full)
    assert kept == [made[2]["name"], made[3]["name"], made[4]["name"]]
    assert made[3]["needs"] == sorted([made[2]["name"], made[3]["name"]])
    assert made[3]["carried"] == 1 and made[4]["carried"] == 5


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path):
    result = CliRunner().invoke(cli, ["backup", "keygen", str(tmp_path / "k")])
    assert result.exit_code == 0, result.output
    assert os.stat(tmp_path / "k.key").st_mode & 0o777 == 0o600
    crypto.load_public_key(str(tmp_path / "k.pub.pem"))
    again = CliRunner().invoke(cli, ["backup", "keygen", str(tmp_path / "k")])
    assert again.exit_code == 1 and "never overwritten" in again.output


def _digests_on_s3(app_config, s3_config, instance):
    """:func:`stored_digests` of the restored ``instance`` on the test's S3 storage."""
    restored = create_app(dict(app_config, **s3_config), instance_path=str(instance))
    try:
        with restored.app_context():
            return stored_digests(restored)
    finally:
        stop_app(restored)


def _backed_up_then_wiped(app, tmp_path, keys):
    """Back the instance up, take it away; ``(archive path, stored digests before)``."""
    folder = tmp_path / "backups"
    assert run(app.instance_path, cli_config(app), "backup", "create", "--recipient",
               keys[1], "--to", str(folder)).exit_code == 0
    path = str(folder / (archive.list_backups(str(folder))[-1]["name"] + archive.SUFFIX))
    before = stored_digests(app)
    wipe(app)
    return path, before


@pytest.mark.sqlite_only  # where the files go does not depend on the database
def test_a_restore_into_s3_puts_every_file_in_its_circles_bucket(
        app, app_config, tmp_path, keys, make_user, make_circle, make_dataset, s3_config,
        seaweedfs):
    owner = make_user("owner")
    circle = make_circle(owner)
    dataset = make_dataset(owner, circle, private=True)
    path, before = _backed_up_then_wiped(app, tmp_path, keys)

    target = tmp_path / "restored"
    config = dict(cli_config(app), **s3_config)
    result = run(target, config, "backup", "restore", path, "--key", keys[0])
    assert result.exit_code == 0, result.output

    assert _digests_on_s3(app_config, s3_config, target) == before
    s3 = seaweedfs.client()

    def keys_in(bucket):
        try:
            return {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
        except s3.exceptions.NoSuchBucket:
            return set()
    template = s3_config["S3_BUCKET_TEMPLATE"]
    assert keys_in(template.format(circle_id=circle.id)) == set(before)
    assert keys_in(template.format(circle_id="instance")) == set()
    assert resource_key(dataset.resources[0].id) in before


@pytest.mark.sqlite_only
def test_a_restore_whose_files_could_not_be_settled_is_finished_by_storage_settle(
        app, app_config, tmp_path, keys, make_user, make_circle, make_dataset, s3_config,
        seaweedfs, monkeypatch):
    """The object store fails after the database is in: the restore says what to run, and
    ``dcorlite storage settle`` moves every file to its circle's bucket."""
    from dcorlite.storage.s3 import S3Storage
    owner = make_user("owner")
    circle = make_circle(owner)
    make_dataset(owner, circle, private=True)
    path, before = _backed_up_then_wiped(app, tmp_path, keys)

    def unavailable(self, keys):
        raise ConnectionError("object store unavailable")
    target = tmp_path / "restored"
    config = dict(cli_config(app), **s3_config)
    with monkeypatch.context() as patched:
        patched.setattr(S3Storage, "settle", unavailable)
        result = run(target, config, "backup", "restore", path, "--key", keys[0])
    assert result.exit_code != 0
    assert "run 'dcorlite storage settle'" in result.output
    bucket = s3_config["S3_BUCKET_TEMPLATE"].format(circle_id=circle.id)
    instance_bucket = s3_config["S3_BUCKET_TEMPLATE"].format(circle_id="instance")
    s3 = seaweedfs.client()
    assert {i["Key"] for i in s3.list_objects_v2(Bucket=instance_bucket)["Contents"]} == set(
        before)
    result = run(target, config, "storage", "settle")
    assert result.exit_code == 0, result.output
    assert f"moved {len(before)} file(s)" in result.output
    assert {i["Key"] for i in s3.list_objects_v2(Bucket=bucket)["Contents"]} == set(before)
    assert _digests_on_s3(app_config, s3_config, target) == before
    again = run(target, config, "storage", "settle")
    assert again.exit_code == 0 and "moved 0 file(s)" in again.output
