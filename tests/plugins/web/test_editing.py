"""The edit form offers only what DCOR's rules allow, and saves through package_patch."""
import re

import pytest

from tests.plugins.web.conftest import csrf_token, login

pytestmark = pytest.mark.sqlite_only


def _licenses(html):
    return re.findall(r'<option (?:selected )?value="([^"]+)"', html)


def test_draft_text_and_license_can_be_changed(client, site, api):
    ds = site["draft"]
    login(client, site["owner"])
    assert f'href="/dataset/{ds.name}/edit"' in client.get(f"/dataset/{ds.name}").get_data(as_text=True)
    html = client.get(f"/dataset/{ds.name}/edit").get_data(as_text=True)
    assert 'name="notes"' in html and 'name="title"' in html
    # DCOR's rule holds for drafts too: only a less restrictive license than CC-BY-4.0
    assert _licenses(html) == ["CC0-1.0", "CC-BY-4.0"]
    response = client.post(f"/dataset/{ds.name}/edit", data={
        "title": "Draft renamed", "notes": "Now with *notes*", "license_id": "CC0-1.0",
        "csrf_token": csrf_token(client, f"/dataset/{ds.name}/edit")})
    assert response.status_code == 302
    shown = api("package_show", site["owner"], id=ds.id)[1]["result"]
    assert (shown["title"], shown["notes"], shown["license_id"]) == \
        ("Draft renamed", "Now with *notes*", "CC0-1.0")


def test_active_dataset_offers_only_less_restrictive_licenses_and_going_public(client, site, api):
    ds = site["private"]  # active, private, CC-BY-4.0
    login(client, site["owner"])
    html = client.get(f"/dataset/{ds.name}/edit").get_data(as_text=True)
    assert 'name="notes"' not in html and 'name="title"' not in html
    assert _licenses(html) == ["CC0-1.0", "CC-BY-4.0"]
    assert 'name="make_public"' in html
    token = csrf_token(client, f"/dataset/{ds.name}/edit")
    refused = client.post(f"/dataset/{ds.name}/edit", data={"license_id": "none",
                                                            "csrf_token": token})
    assert refused.status_code == 400  # not a choice offered
    response = client.post(f"/dataset/{ds.name}/edit", data={
        "license_id": "CC0-1.0", "make_public": "y", "csrf_token": token})
    assert response.status_code == 302
    shown = api("package_show", site["owner"], id=ds.id)[1]["result"]
    assert shown["license_id"] == "CC0-1.0" and shown["private"] is False
    html = client.get(f"/dataset/{ds.name}/edit").get_data(as_text=True)
    assert 'name="make_public"' not in html and _licenses(html) == ["CC0-1.0"]


def test_public_datasets_not_offered_when_the_site_forbids_them(app, client, site):
    app.config["ALLOW_PUBLIC_DATASETS"] = False
    login(client, site["owner"])
    html = client.get(f"/dataset/{site['private'].name}/edit").get_data(as_text=True)
    assert 'name="make_public"' not in html


def test_readers_may_not_edit(client, site):
    ds = site["private"]
    login(client, site["member"])
    assert "/edit" not in client.get(f"/dataset/{ds.name}").get_data(as_text=True)
    assert client.get(f"/dataset/{ds.name}/edit").status_code == 403
    token = csrf_token(client, "/")
    assert client.post(f"/dataset/{ds.name}/edit", data={
        "license_id": "CC0-1.0", "csrf_token": token}).status_code == 403


def test_edit_needs_csrf(client, site, api):
    ds = site["draft"]
    login(client, site["owner"])
    assert client.post(f"/dataset/{ds.name}/edit", data={
        "title": "Sneaky", "license_id": "CC0-1.0"}).status_code == 400
    assert api("package_show", site["owner"], id=ds.id)[1]["result"]["title"] == "Draft in progress"
