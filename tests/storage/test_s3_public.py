"""Public data readable at their ``s3_url`` without credentials (a real SeaweedFS)."""
import pytest
import requests

from dcorlite.jobs.queue import drain
from dcorlite.storage import get_storage, resource_key, s3_public


@pytest.fixture
def app_config(app_config, s3_config):
    return dict(app_config, **s3_config)


def _status(url):
    """The status of an anonymous GET of ``url``."""
    return requests.get(url, timeout=30).status_code


@pytest.fixture
def lab(make_user, make_circle):
    owner = make_user("owner")
    return owner, make_circle(owner, name="lab")


def _url(seaweedfs, app, circle, dataset, artifact="resource"):
    bucket = app.config["S3_BUCKET_TEMPLATE"].format(circle_id=circle.id)
    return f"{seaweedfs.endpoint}/{bucket}/{resource_key(dataset.resources[0].id, artifact)}"


def test_anyone_reads_public_objects_straight_from_s3_and_no_private_ones(
        app, api, lab, make_dataset, rtdc_path, seaweedfs):
    owner, circle = lab
    public = make_dataset(owner, circle)
    private = make_dataset(owner, circle, private=True)
    drain(app)  # the condensed copies, written after activation
    status, body = api("resource_show", None, id=public.resources[0].id)
    assert status == 200, body
    answer = requests.get(body["result"]["s3_url"], timeout=30)
    assert answer.status_code == 200 and answer.content == rtdc_path.read_bytes()
    assert _status(_url(seaweedfs, app, circle, public, "condensed")) == 200
    for artifact in ("resource", "condensed"):
        assert _status(_url(seaweedfs, app, circle, private, artifact)) == 403
    status, body = api("package_patch", owner, id=private.id, private=False)
    assert status == 200, body
    assert _status(_url(seaweedfs, app, circle, private)) == 200


def test_the_statement_follows_purges_and_leaves_other_statements_alone(
        app, api, lab, make_user, make_dataset, seaweedfs):
    owner, circle = lab
    first, second = make_dataset(owner, circle), make_dataset(owner, circle)
    bucket = app.config["S3_BUCKET_TEMPLATE"].format(circle_id=circle.id)
    storage = get_storage()
    own = {"Sid": "admin-listing", "Effect": "Allow", "Principal": "*",
           "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}
    policy = storage.bucket_policy(bucket)
    storage.set_bucket_policy(bucket, dict(policy, Statement=policy["Statement"] + [own]))

    def named():
        found = storage.bucket_policy(bucket) or {"Statement": []}
        statements = {s.get("Sid"): s for s in found["Statement"]}
        public = statements.get(s3_public.SID, {}).get("Resource", [])
        return ([public] if isinstance(public, str) else public), statements.get("admin-listing")
    arns, kept = named()
    assert len(arns) == 2 and kept is not None
    admin = make_user("admin", sysadmin=True)
    status, body = api("dataset_purge", admin, id=first.id)
    assert status == 200, body
    arns, kept = named()
    assert arns == [s3_public.statement(bucket, [second.resources[0].id])["Resource"][0]]
    assert kept is not None
    assert _status(_url(seaweedfs, app, circle, second)) == 200
    status, body = api("dataset_purge", admin, id=second.id)
    assert status == 200, body
    assert named() == ([], kept)


@pytest.fixture
def closed(app_config):
    return dict(app_config, S3_PUBLIC_READ=False)


def test_without_public_read_every_object_needs_credentials(app, another_app, closed, lab,
                                                           make_dataset, seaweedfs):
    owner, circle = lab
    other = another_app(closed)
    with other.app_context():
        dataset = make_dataset(owner, circle)
        assert _status(_url(seaweedfs, other, circle, dataset)) == 403


def test_public_read_command_makes_every_circles_statement(app, cli_runner, lab,
                                                          make_dataset, seaweedfs):
    owner, circle = lab
    dataset = make_dataset(owner, circle)
    bucket = app.config["S3_BUCKET_TEMPLATE"].format(circle_id=circle.id)
    get_storage().set_bucket_policy(bucket, None)  # the store was away at the change
    assert _status(_url(seaweedfs, app, circle, dataset)) == 403
    result = cli_runner("storage", "public-read")
    assert result.exit_code == 0, result.output
    assert "public-read policy of 1 circle(s)" in result.output
    assert _status(_url(seaweedfs, app, circle, dataset)) == 200
