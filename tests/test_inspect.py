"""``dcorlite inspect``: one line per check, FAIL → exit 1, ``--fix`` repairs what is safe."""
import datetime
import os
import re
import stat
import uuid

import pytest

from dcorlite import datasets, tls
from dcorlite.models import Resource, Upload, utcnow
from dcorlite.plugins.deploy.inspection import check_certificate
from dcorlite.plugins.fixity import check as fixity_check
from dcorlite.plugins.fixity.model import FixityRecord
from dcorlite.storage import get_storage, resource_key, upload_key

LINE = re.compile(r"^(OK|WARN|FAIL)\s+([a-z ]+): ", re.MULTILINE)
CHECKS = {"config", "permissions", "orphaned files", "missing files", "stale uploads",
          "fixity", "certificate"}


def statuses(output):
    """``{check name: status}`` of ``dcorlite inspect``'s output (its last line per check)."""
    return {name: status for status, name in LINE.findall(output)}


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def owner_dataset(make_user, make_circle):
    owner = make_user("owner")
    circle = make_circle(owner)
    dataset = datasets.create_dataset(owner, {"title": "T", "authors": "A",
                                              "license_id": "CC0-1.0", "owner_org": circle.id})
    return owner, dataset


def test_a_healthy_instance_is_ok_everywhere(cli_runner, owner_dataset, make_resource):
    owner, dataset = owner_dataset
    make_resource(owner, dataset, b"measurement")
    result = cli_runner("inspect")
    assert result.exit_code == 0, result.output
    assert statuses(result.output) == {name: "OK" for name in CHECKS}
    assert len(result.output.strip().splitlines()) == len(CHECKS)


def test_unknown_settings_warn_and_a_bad_site_url_fails(app, cli_runner):
    config = os.path.join(app.instance_path, "config.py")
    with open(config, "w") as fh:
        fh.write("UPLOADS_STALE_HOUR = 2\n")  # misspelt
    result = cli_runner("inspect")
    assert result.exit_code == 0
    assert statuses(result.output)["config"] == "WARN"
    assert "UPLOADS_STALE_HOUR (config.py)" in result.output
    with open(config, "a") as fh:
        fh.write('SITE_URL = "dcor.clinic.example"\n')
    result = cli_runner("inspect")
    assert result.exit_code == 1
    assert statuses(result.output)["config"] == "FAIL"
    assert "must start with http:// or https://" in result.output


def test_contradicting_settings_fail(app, cli_runner):
    with open(os.path.join(app.instance_path, "config.py"), "w") as fh:
        fh.write("X_ACCEL_REDIRECT = True\nPROXY_COUNT = 0\n")
    result = cli_runner("inspect")
    assert result.exit_code == 1
    assert statuses(result.output)["config"] == "FAIL"
    assert "PROXY_COUNT is 0" in result.output


def test_open_permissions_fail_and_are_narrowed_with_fix(app, cli_runner, owner_dataset,
                                                         make_resource):
    owner, dataset = owner_dataset
    resource = make_resource(owner, dataset, b"patient data")
    stored = get_storage().local_path(resource_key(resource.id))
    os.chmod(stored, 0o644)
    os.chmod(os.path.dirname(stored), 0o755)
    result = cli_runner("inspect")
    assert result.exit_code == 1 and statuses(result.output)["permissions"] == "FAIL"
    assert stored in result.output
    declined = cli_runner("inspect", "--fix", input="n\n")
    assert "fix: narrow 2 path(s)" in declined.output
    assert _mode(stored) == 0o644, "nothing may change without a yes"
    fixed = cli_runner("inspect", "--fix", "--yes")
    assert fixed.exit_code == 0, fixed.output
    assert statuses(fixed.output)["permissions"] == "OK"
    assert (_mode(stored), _mode(os.path.dirname(stored))) == (0o600, 0o700)


def test_the_public_certificate_may_be_world_readable(app, cli_runner):
    tls.create_certificate(tls.certs_dir(app), "dcor.clinic.example")
    assert _mode(tls.cert_path(app)) == 0o644
    result = cli_runner("inspect")
    assert statuses(result.output)["permissions"] == "OK", result.output
    assert statuses(result.output)["certificate"] == "OK"


def test_orphaned_files_are_quarantined_never_deleted(cli_runner, owner_dataset,
                                                      make_resource):
    owner, dataset = owner_dataset
    kept = make_resource(owner, dataset, b"kept")
    storage = get_storage()
    stray_id = str(uuid.uuid4())
    orphans = [resource_key(stray_id), resource_key(stray_id, "condensed")]
    for key in orphans:
        with open(_new_file(storage, key), "wb") as fh:
            fh.write(b"lost " + key.encode())
    result = cli_runner("inspect")
    assert result.exit_code == 0
    assert statuses(result.output)["orphaned files"] == "WARN"
    assert all(key in result.output for key in orphans)
    fixed = cli_runner("inspect", "--fix", "--yes")
    assert statuses(fixed.output)["orphaned files"] == "OK", fixed.output
    quarantined = [key for key, _ in storage.list_keys("quarantine")]
    assert sorted(k.split("/", 2)[2] for k in quarantined) == sorted(orphans)
    for key in quarantined:
        with storage.open_range(key) as fh:
            assert fh.read() == b"lost " + key.split("/", 2)[2].encode()
    assert storage.exists(resource_key(kept.id))


def _new_file(storage, key):
    path = storage.local_path(key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def test_a_staged_upload_is_not_an_orphan(cli_runner, api, make_user, make_circle):
    owner = make_user("uploader")
    circle = make_circle(owner)
    status, body = api("resource_upload_s3_urls", owner, organization_id=circle.id,
                       file_size=10)
    assert status == 200
    # a crashed attach leaves the file at its final key while the upload row remains
    rid = body["result"]["resource_id"]
    with open(_new_file(get_storage(), resource_key(rid)), "wb") as fh:
        fh.write(b"x" * 10)
    assert statuses(cli_runner("inspect").output)["orphaned files"] == "OK"


def test_a_resource_without_its_file_fails_and_is_left_alone(cli_runner, owner_dataset,
                                                             make_resource):
    owner, dataset = owner_dataset
    resource = make_resource(owner, dataset, b"gone")
    os.remove(get_storage().local_path(resource_key(resource.id)))
    result = cli_runner("inspect", "--fix", "--yes")
    assert result.exit_code == 1
    assert statuses(result.output)["missing files"] == "FAIL"
    assert resource.id in result.output
    assert Resource.get_or_none(Resource.id == resource.id) is not None


def test_stale_staged_uploads_warn_and_are_removed_with_fix(cli_runner, api, make_user,
                                                            make_circle, client):
    owner = make_user("uploader")
    circle = make_circle(owner)
    status, body = api("resource_upload_s3_urls", owner, organization_id=circle.id,
                       file_size=10)
    upload_id = body["result"]["resource_id"]
    path = body["result"]["upload_urls"][0].split("//", 1)[1].split("/", 1)[1]
    assert client.put("/" + path, data=b"x" * 10).status_code == 200
    fresh = cli_runner("inspect")
    assert statuses(fresh.output)["stale uploads"] == "OK"
    then = utcnow() - datetime.timedelta(hours=48)
    Upload.update(created=then, last_activity=then).where(Upload.id == upload_id).execute()
    staged = get_storage().local_path(upload_key(upload_id))
    os.utime(staged, (then.timestamp() - 7200,) * 2)
    result = cli_runner("inspect")
    assert statuses(result.output)["stale uploads"] == "WARN" and upload_id in result.output
    fixed = cli_runner("inspect", "--fix", "--yes")
    assert statuses(fixed.output)["stale uploads"] == "OK", fixed.output
    assert Upload.get_or_none(Upload.id == upload_id) is None and not os.path.exists(staged)


def test_fixity_mismatch_fails_and_overdue_files_warn(cli_runner, owner_dataset,
                                                      make_resource):
    owner, dataset = owner_dataset
    resource = make_resource(owner, dataset, b"original bytes")
    fixity_check.run_check()
    assert statuses(cli_runner("inspect").output)["fixity"] == "OK"
    FixityRecord.update(checked_at=utcnow() - datetime.timedelta(days=20)).execute()
    overdue = cli_runner("inspect")
    assert overdue.exit_code == 0 and statuses(overdue.output)["fixity"] == "WARN"
    assert "not verified for more than FIXITY_DAYS (14 days)" in overdue.output
    with open(get_storage().local_path(resource_key(resource.id)), "r+b") as fh:
        fh.write(b"X")
    fixity_check.run_check()
    broken = cli_runner("inspect")
    assert broken.exit_code == 1 and statuses(broken.output)["fixity"] == "FAIL"
    assert resource.id in broken.output


def test_certificate_warns_before_and_fails_after_expiry(app):
    cert = tls.create_certificate(tls.certs_dir(app), "dcor.clinic.example", days=100)
    expiry = cert.not_valid_after_utc
    assert check_certificate(app).status == "OK"
    assert check_certificate(app, now=expiry - datetime.timedelta(days=29)).status == "WARN"
    assert check_certificate(app, now=expiry + datetime.timedelta(seconds=1)).status == "FAIL"
