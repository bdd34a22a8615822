"""DCOR-Aid falls back to the legacy multipart upload when S3 URLs are switched off.

This is the set-up behind a self-signed certificate, where DCOR-Aid does not
check upload URLs against its pinned certificate.
"""
import hashlib

import pytest
from dcoraid.api import CKANAPI, dataset_activate, dataset_create
from dcoraid.api.dataset import resource_add

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def app_config(app_config):
    return dict(app_config, UPLOADS_S3_URLS=False)


def test_legacy_upload_attaches_with_checksums(live_server, make_user, make_circle,
                                               rtdc_path):
    user = make_user("carol")
    make_circle(user, name="carol-circle")
    api = CKANAPI(live_server, api_key=user.token, ssl_verify=False)
    ds = dataset_create({"title": "Legacy", "authors": "Carol", "license_id": "CC0-1.0",
                         "owner_org": "carol-circle"}, api=api)
    resource_add(ds["id"], rtdc_path, api=api, resource_dict={"sp:chip:comments": "legacy"})
    shown = api.get("package_show", id=ds["id"])
    res = shown["resources"][0]
    content = rtdc_path.read_bytes()
    assert res["name"] == rtdc_path.name
    assert res["sha256"] == hashlib.sha256(content).hexdigest()
    assert res["size"] == len(content) and res["url_type"] == "upload"
    assert res["sp:chip:comments"] == "legacy"
    dataset_activate(ds["id"], api=api)
    assert api.get("package_show", id=ds["id"])["state"] == "active"
