"""Home page, site icon, static files and error pages."""
import re

import pytest

from dcorlite.app import stop_app
from dcorlite.plugins.web.filters import filesize
from tests.plugins.web.conftest import login

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def app_config(app_config, tmp_path):
    icon = tmp_path / "clinic.png"
    icon.write_bytes(b"\x89PNG\r\n\x1a\n clinic icon")
    return dict(app_config, SITE_TITLE="Clinic DC data", WEB_INTRO="Data of the *clinic*.",
                WEB_FAVICON=str(icon))


def test_home_shows_title_intro_search_and_public_datasets(client, site):
    html = client.get("/").get_data(as_text=True)
    assert "<h1>Clinic DC data</h1>" in html and "<em>clinic</em>" in html
    assert 'role="search"' in html and 'action="/dataset"' in html
    assert "Public blood cells" in html
    assert "Secret patient study" not in html and "Draft in progress" not in html
    assert '<dd id="total-datasets">1</dd>' in html and '<dd id="total-resources">1</dd>' in html


def test_home_counts_what_the_member_may_see(client, site):
    login(client, site["member"])
    html = client.get("/").get_data(as_text=True)
    assert "Secret patient study" in html and "Private</span>" in html
    assert "Draft in progress" not in html  # a circle member does not see others' drafts
    assert '<dd id="total-datasets">2</dd>' in html
    size = sum(r.size for d in (site["public"], site["private"]) for r in d.resources)
    assert f'<dd id="total-size">{filesize(size)}</dd>' in html and filesize(size).endswith("kB")


def test_home_counts_are_kept_for_a_while_per_user(app, client, site, make_dataset):
    count = '<dd id="total-datasets">{}</dd>'
    assert count.format(1) in client.get("/").get_data(as_text=True)
    make_dataset(site["owner"], site["circle"], title="Another public one")
    html = client.get("/").get_data(as_text=True)
    assert count.format(1) in html and "Another public one" in html  # the list is current
    login(client, site["member"])  # another user: counted now
    assert count.format(3) in client.get("/").get_data(as_text=True)
    app.config["WEB_TOTALS_SECONDS"] = 0
    client.get("/user/logout")
    anonymous = app.test_client()
    assert count.format(2) in anonymous.get("/").get_data(as_text=True)


def test_home_shows_the_owners_draft(client, site):
    login(client, site["owner"])
    html = client.get("/").get_data(as_text=True)
    assert "Draft in progress" in html and "Draft</span>" in html
    assert '<dd id="total-datasets">3</dd>' in html


def test_favicon_is_configurable(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.endswith(b"clinic icon")


def test_shipped_favicon(app_config, tmp_path):
    from dcorlite import create_app
    app = create_app(dict(app_config, WEB_FAVICON=None), instance_path=str(tmp_path / "i2"))
    response = app.test_client().get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/x-icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"
    stop_app(app)


def test_static_files_are_cached_under_their_hash(client):
    html = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/web/css/site\.css\?v=[0-9a-f]{12})"', html).group(1)
    response = client.get(url)
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    stale = client.get("/static/web/css/site.css?v=000000000000")
    assert stale.status_code == 200 and "max-age=0" in stale.headers["Cache-Control"]
    assert client.get("/static/web/../__init__.py").status_code == 404


def test_error_pages_are_in_the_layout_but_the_api_keeps_envelopes(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "<main" in html and "Not found" in html and "Clinic DC data" in html
    api = client.get("/api/3/action/package_show?id=nothing")
    assert api.status_code == 404 and api.get_json()["success"] is False
    assert client.get("/api/no/such").get_json()["success"] is False


def test_unexpected_errors_on_pages_are_a_500_page(app, client, monkeypatch):
    from dcorlite.plugins.web import stats

    def broken(user):
        raise RuntimeError("boom")
    monkeypatch.setattr(stats, "visible_totals", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)
