"""The dataset page, its short URL, citation exports and the whole-dataset ZIP."""
import hashlib
import io
import json
import re
import zipfile

import pytest

from tests.plugins.web.conftest import login

pytestmark = pytest.mark.sqlite_only


def test_dataset_page_shows_metadata_files_and_citation(client, site):
    ds = site["public"]
    res = ds.resources[0]
    html = client.get(f"/dataset/{ds.name}").get_data(as_text=True)
    assert "<h1>Public blood cells" in html and "A. Tester" in html
    assert "<strong>HL60</strong>" in html  # Markdown rendered …
    assert "<script>alert(1)</script>" not in html  # … and raw HTML escaped
    assert res.name in html and res.sha256 in html and "Copy" in html
    assert f'href="/dataset/{ds.name}/resource/{res.id}"' in html
    assert 'id="total-size"' in html and 'rel="license"' in html
    assert f"A. Tester ({ds.created.year}). Public blood cells, dcorlite http://localhost/{ds.id}" in html
    for fmt in ("bibtex", "ris", "csl-json", "datacite-json"):
        assert f'href="/dataset/{ds.name}/export/{fmt}"' in html
    assert f'href="/dataset/{ds.name}/download.zip"' in html
    assert 'href="/dataset?tags=blood"' in html and 'href="/circle/lab"' in html


def test_processing_state_is_shown(client, site):
    from dcorlite.jobs.queue import drain
    ds = site["public"]
    html = client.get(f"/dataset/{ds.id}").get_data(as_text=True)
    assert 'class="state state-pending">queued' in html
    drain(client.application)
    html = client.get(f"/dataset/{ds.id}").get_data(as_text=True)
    assert 'class="state state-done">ready' in html


def test_schema_org_json_ld(client, site):
    ds = site["public"]
    html = client.get(f"/dataset/{ds.name}").get_data(as_text=True)
    doc = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html,
                               re.S).group(1))
    assert doc["@type"] == "Dataset" and doc["name"] == "Public blood cells"
    assert doc["url"] == f"http://localhost/{ds.id}"
    assert doc["creator"] == [{"@type": "Person", "name": "A. Tester"}]
    assert doc["distribution"][0]["name"] == ds.resources[0].name
    # the description's HTML is data, escaped so that it cannot end the script element
    assert doc["description"].endswith("<script>alert(1)</script>")


def test_private_and_draft_pages_are_not_found_for_others(client, site):
    for ds in (site["private"], site["draft"]):
        for url in (f"/dataset/{ds.name}", f"/dataset/{ds.id}/export/bibtex",
                    f"/dataset/{ds.id}/download.zip", f"/{ds.id}"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert ds.title not in response.get_data(as_text=True)
    login(client, site["outsider"])
    assert client.get(f"/dataset/{site['private'].name}").status_code == 404
    login(client, site["member"])
    html = client.get(f"/dataset/{site['private'].name}").get_data(as_text=True)
    assert "Secret patient study" in html and "badge-private" in html


def test_short_url_redirects_to_the_page(client, site):
    ds = site["public"]
    response = client.get(f"/{ds.id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/dataset/{ds.name}"
    assert client.get("/00000000-0000-0000-0000-000000000000").status_code == 404


def test_exports(client, site):
    ds = site["public"]
    bib = client.get(f"/dataset/{ds.name}/export/bibtex")
    assert bib.mimetype == "application/x-bibtex"
    assert bib.headers["Content-Disposition"] == f'attachment; filename="{ds.name}.bib"'
    text = bib.get_data(as_text=True)
    assert text.startswith(f"@misc{{{ds.name},") and "author = {A. Tester}" in text
    assert f"url = {{http://localhost/{ds.id}}}" in text and f"year = {{{ds.created.year}}}" in text
    ris = client.get(f"/dataset/{ds.name}/export/ris").get_data(as_text=True)
    assert ris.startswith("TY  - DATA\r\nAU  - A. Tester\r\n") and ris.endswith("ER  - \r\n")
    csl = client.get(f"/dataset/{ds.name}/export/csl-json").get_json()
    assert csl[0]["type"] == "dataset" and csl[0]["title"] == "Public blood cells"
    assert csl[0]["issued"]["date-parts"][0][0] == ds.created.year
    datacite = json.loads(client.get(f"/dataset/{ds.name}/export/datacite-json").data)
    assert datacite["types"]["resourceTypeGeneral"] == "Dataset"
    assert datacite["creators"] == [{"name": "A. Tester", "nameType": "Personal"}]
    assert client.get(f"/dataset/{ds.name}/export/docx").status_code == 404


def test_bibtex_escapes_special_characters(make_user, make_circle, make_dataset, client):
    owner = make_user("escaper")
    ds = make_dataset(owner, make_circle(owner), title="50% of {cells} & more_x",
                      authors="Jane Doe, John Roe")
    text = client.get(f"/dataset/{ds.name}/export/bibtex").get_data(as_text=True)
    assert r"title = {50\% of \{cells\} \& more\_x}" in text
    assert "author = {Jane Doe and John Roe}" in text


def test_whole_dataset_zip(client, site, make_resource):
    owner, ds = site["owner"], site["draft"]
    make_resource(owner, ds, b"a,b\n1,2\n", name="table.csv")
    make_resource(owner, ds, b"notes", name="notes.txt")
    login(client, owner)
    response = client.get(f"/dataset/{ds.id}/download.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert int(response.headers["Content-Length"]) == len(response.data)
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names == [f"{ds.name}/SHA256SUMS", f"{ds.name}/table.csv", f"{ds.name}/notes.txt"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        manifest = zf.read(names[0]).decode().splitlines()
        for line in manifest:
            digest, name = line.split("  ")
            assert hashlib.sha256(zf.read(f"{ds.name}/{name}")).hexdigest() == digest
        assert len(manifest) == 2


def test_zip_of_private_dataset_for_member(client, site):
    ds = site["private"]
    login(client, site["member"])
    response = client.get(f"/dataset/{ds.name}/download.zip")
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        data = zf.read(f"{ds.name}/{ds.resources[0].name}")
    assert hashlib.sha256(data).hexdigest() == ds.resources[0].sha256
