"""A clinic user's journey in a real browser: log in, find, look, download, cite, log out."""
import hashlib
import zipfile

import pytest

from dcorlite.jobs.queue import drain
from tests.plugins.web.conftest import PASSWORD

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def data(app, make_user, make_circle, make_dataset):
    owner = make_user("owner", password=PASSWORD)
    member = make_user("nurse", password=PASSWORD)
    circle = make_circle(owner, name="clinic", members={member: "member"})
    private = make_dataset(owner, circle, private=True, title="Blood of study 7",
                           tags=["blood"])
    make_dataset(owner, circle, title="Beads for calibration", tags=["beads"])
    drain(app)
    return {"member": member, "private": private}


def _plot_png(page):
    return page.locator("#plot").screenshot()


def test_member_journey(page, data):
    ds = data["private"]
    res = ds.resources[0]
    # anonymous: the private dataset is not there
    page.goto("/dataset")
    assert page.locator("#result-count").inner_text() == "1"
    # log in with the form
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("User name").fill("nurse")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dataset")
    assert page.locator("#result-count").inner_text() == "2"
    # search with a facet: the tag "blood"
    page.locator(".facet-link", has_text="blood").click()
    page.wait_for_url("**/dataset?tags=blood")
    assert page.locator("#result-count").inner_text() == "1"
    # the dataset page
    page.get_by_role("link", name="Blood of study 7").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Blood of study 7")
    assert res.sha256[:12] in page.locator("table.resources").inner_text()
    # citation export
    with page.expect_download() as bib:
        page.get_by_role("link", name="BibTeX").click()
    text = open(bib.value.path(), encoding="utf-8").read()
    assert text.startswith("@misc{") and f"/{ds.id}" in text
    # the whole dataset as ZIP
    with page.expect_download() as archive:
        page.get_by_role("link", name="Download all as ZIP").click()
    with zipfile.ZipFile(archive.value.path()) as zf:
        member = zf.read(f"{ds.name}/{res.name}")
    assert hashlib.sha256(member).hexdigest() == res.sha256
    # the resource page with its interactive plot
    page.get_by_role("link", name=res.name).click()
    app = page.locator("#plot-app")
    # plotly.js is loaded when the plot is opened, and from then on by itself
    page.get_by_role("button", name="Show the interactive plot").click()
    page.wait_for_function("() => document.querySelector('#plot-app').dataset.drawn === 'area_um|deform|scatter'")
    page.wait_for_function("() => /events$/.test(document.querySelector('#plot-status').textContent)")
    assert page.locator("#plot canvas").count() >= 1
    before = _plot_png(page)
    page.get_by_label("y axis").select_option("bright_avg")
    page.wait_for_function("() => document.querySelector('#plot-app').dataset.drawn === 'area_um|bright_avg|scatter'")
    page.wait_for_function("() => /events$/.test(document.querySelector('#plot-status').textContent)")
    assert "Brightness" in page.locator("#plot").inner_text()
    assert _plot_png(page) != before
    assert app.get_attribute("data-drawn") == "area_um|bright_avg|scatter"
    # once opened, the plot opens by itself on the next visit
    page.reload()
    page.wait_for_function("() => document.querySelector('#plot-app').dataset.drawn === 'area_um|deform|scatter'")
    assert page.get_by_role("button", name="Show the interactive plot").is_hidden()
    # download the original file
    with page.expect_download() as original:
        page.get_by_role("link", name="Download original").click()
    with open(original.value.path(), "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == res.sha256
    # the owner shares the private dataset with a colleague, who then finds it
    page.goto(f"/dataset/{ds.name}/collaborators")
    assert "Not allowed" in page.get_by_role("heading", level=1).inner_text()  # a reader
    # create an API token: shown once
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Token name").fill("browser test")
    page.get_by_role("button", name="Create").click()
    token = page.locator("#new-token").inner_text()
    assert len(token) == 60
    assert "browser test" in page.locator("table").inner_text()
    # log out: the private dataset is gone again
    page.get_by_role("button", name="Log out").click()
    page.goto(f"/dataset/{ds.name}")
    assert "Not found" in page.get_by_role("heading", level=1).inner_text()


def test_owner_shares_a_dataset(page, data, make_user):
    colleague = make_user("doctor", password=PASSWORD)
    ds = data["private"]
    page.goto("/user/login")
    page.get_by_label("User name").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/dataset/{ds.name}")
    page.get_by_role("link", name="Collaborators").click()
    page.get_by_label("User name").fill(colleague.name)
    page.get_by_label("Role").select_option("member")
    page.get_by_role("button", name="Share").click()
    assert "(doctor)" in page.locator("#collaborators").inner_text()
    page.get_by_role("button", name="Log out").click()
    page.goto("/user/login")
    page.get_by_label("User name").fill("doctor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/dataset/{ds.name}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Blood of study 7")


def test_a_german_browser_gets_the_plot_in_german(browser, live_server, data):
    context = browser.new_context(base_url=live_server, locale="de-DE")
    page = context.new_page()
    try:
        page.goto("/user/login")
        assert page.locator("html").get_attribute("lang") == "de"
        page.get_by_label("Benutzername").fill("nurse")
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        ds = data["private"]
        page.goto(f"/dataset/{ds.name}/resource/{ds.resources[0].id}")
        page.get_by_role("button", name="Interaktives Diagramm anzeigen").click()
        page.wait_for_function("() => / Ereignissen$/.test(document.querySelector('#plot-status').textContent)")
        assert page.locator("#plot").get_attribute("aria-label").startswith("Streudiagramm von ")
    finally:
        context.close()


def test_sysadmin_issues_an_access_token_that_dclab_opens(page, app, data, make_user,
                                                          cli_runner):
    from dclab.rtdc_dataset.fmt_dcor import access_token
    assert cli_runner("certs", "create", "--hostname", "dcor.clinic.example").exit_code == 0
    make_user("root", sysadmin=True, password=PASSWORD)
    page.goto("/user/login")
    page.get_by_label("User name").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Issue an access token for nurse").click()
    page.get_by_label("The token inside expires after").select_option("30d")
    page.get_by_role("button", name="Issue access token").click()
    password = page.locator("#access-password").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download nurse.dcor-access").click()
    assert download.value.suggested_filename == "nurse.dcor-access"
    path = download.value.path()
    assert access_token.get_hostname(path, password) == "dcor.clinic.example"
    token = access_token.get_api_key(path, password)
    shown = page.request.get("/api/3/action/user_show?id=nurse",
                             headers={"Authorization": token}).json()
    assert shown["result"]["email"] == "nurse@example.org"
