"""The pages in the browser's language (English, German) and a complete, current catalogue."""
import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from dcorlite.jobs.queue import drain
from dcorlite.plugins.web import i18n
from tests.plugins.web.conftest import csrf_token

pytestmark = pytest.mark.sqlite_only

WEB = Path(i18n.__file__).parent
CATALOGUE = i18n.TRANSLATIONS / "de" / "LC_MESSAGES"
UPDATE = ("run in dcorlite/plugins/web: pybabel extract -F babel.cfg -k _l -o "
          "translations/messages.pot --no-location --sort-output --project dcorlite . && "
          "pybabel update -i translations/messages.pot -d translations "
          "--no-fuzzy-matching, translate, then pybabel compile -d translations (docs/web.md)")
DE = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def _extracted_ids():
    """The message ids in the sources now, as pybabel extract finds them with babel.cfg."""
    from babel.messages.frontend import parse_mapping_cfg
    with open(WEB / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None}
    return {message[2] for message in extract_from_dir(
        str(WEB), method_map, options_map, keywords=keywords, comment_tags=())}


def _key(value):
    """Plural ids and strings come as lists from the .mo and as tuples from the .po."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _po():
    with open(CATALOGUE / "messages.po", "rb") as fh:
        return read_po(fh)


def test_every_text_of_the_sources_has_a_german_translation():
    catalogue = _po()
    missing = sorted(str(mid) for mid in _extracted_ids()
                     if mid not in catalogue or not catalogue[mid].string
                     or (isinstance(catalogue[mid].string, tuple)
                         and not all(catalogue[mid].string)))
    assert not missing, f"untranslated texts {missing}; {UPDATE}"
    fuzzy = sorted(str(m.id) for m in catalogue if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy translations to check: {fuzzy}"


#: words that stay as they are in every language
UNTRANSLATED = {"SHA", "DOI", "dclab", "new_dataset", "host"}
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]*>", re.S)
_SHOWN_ATTRIBUTE = re.compile(r'\b(?:aria-label|placeholder|title|alt)="([^"]*)"')
_WORD = re.compile(r"(?:[^\W\d]|_){2,}")


def test_templates_show_no_text_outside_a_translation():
    """Text a page shows (between tags, or in labels read aloud) comes through ``_()``."""
    untranslated = []
    for path in sorted((WEB / "templates").rglob("*.html")):
        source = _JINJA.sub("\x00", path.read_text(encoding="utf-8"))
        shown = [m.group(1) for m in _SHOWN_ATTRIBUTE.finditer(source)]
        shown += re.sub(r"&#?\w+;", " ", _TAG.sub(" ", source)).splitlines()
        for text in shown:
            words = set(_WORD.findall(text)) - UNTRANSLATED
            if words:
                untranslated.append(f"{path.relative_to(WEB)}: {text.strip()[:60]!r}")
    assert not untranslated, untranslated


def test_the_german_catalogue_has_no_texts_the_sources_dropped():
    extracted = _extracted_ids()
    stale = sorted(str(m.id) for m in _po() if m.id and m.id not in extracted)
    assert not stale, f"texts no longer in the sources: {stale}; {UPDATE}"


def test_the_compiled_catalogue_matches_the_po_file():
    def pairs(catalogue):
        return {_key(m.id): _key(m.string) for m in catalogue if m.id}
    with open(CATALOGUE / "messages.mo", "rb") as fh:
        compiled = pairs(read_mo(fh))
    written = pairs(_po())
    assert compiled == written, "messages.mo is older than messages.po: pybabel compile -d " \
        "translations (in dcorlite/plugins/web)"


def test_placeholders_are_kept_in_every_translation():
    for message in _po():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s|\{\w+\}", ids[-1]))
        for text in strings:
            assert set(re.findall(r"%\(\w+\)s|\{\w+\}", text)) == wanted, message.id


def test_the_mo_file_is_shipped_with_the_package():
    setup = (Path(__file__).parents[3] / "setup.py").read_text()
    assert "plugins/web/translations/*/LC_MESSAGES/*" in setup
    assert gettext.GNUTranslations(open(CATALOGUE / "messages.mo", "rb")).gettext(
        "Datasets") == "Datensätze"


@pytest.fixture
def german_site(app, site):
    drain(app)
    return site


def _page(client, url, headers=DE):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_german_browser_gets_german_pages(client, german_site):
    pkg = german_site["public"]
    res = pkg.resources[0]
    home = _page(client, "/")
    assert '<html lang="de">' in home
    assert "Kürzlich geändert" in home and "Datensätze durchsuchen" in home
    assert ">Anmelden</a>" in home and "Recently changed" not in home
    search = _page(client, "/dataset?tags=blood")
    assert '<span id="result-count">1</span> Datensatz</h2>' in search
    assert "Sortieren nach" in search and "<h3>Schlagwörter</h3>" in search
    dataset = _page(client, f"/dataset/{pkg.name}")
    assert "<h2 id=\"files-heading\">Dateien</h2>" in dataset
    assert "Alle als ZIP herunterladen" in dataset and "Zitieren" in dataset
    created = pkg.created.strftime("%d.%m.%Y")
    assert f"Erstellt am {created}" in dataset
    resource = _page(client, f"/dataset/{pkg.name}/resource/{res.id}")
    assert "Original herunterladen" in resource and "DC-Info" in resource
    assert "Streudiagramm" in resource and "Wird geladen" in resource  # plot.js' texts
    assert "Experiment" in resource and "Bildgebung" in resource  # our section titles
    login = _page(client, "/user/login")
    assert "<h1>Anmelden</h1>" in login and ">Benutzername</label>" in login
    assert ">Passwort</label>" in login


def test_german_numbers_and_sizes(client, german_site):
    size = sum(r.size for r in german_site["public"].resources)
    html = _page(client, "/")
    assert re.search(r'<dd id="total-size">\d+,\d kB</dd>', html), html
    assert f"{size / 1000:.1f}".replace(".", ",") in html


def test_a_failed_german_login_says_so_in_german(client, german_site):
    response = client.post("/user/login", headers=DE, data={
        "name": german_site["member"].name, "password": "wrong",
        "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert "Benutzername oder Passwort ist falsch." in response.get_data(as_text=True)


def test_error_pages_are_german(client, german_site):
    response = client.get("/dataset/no-such-dataset", headers=DE)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Nicht gefunden" in html and '<html lang="de">' in html


def test_english_is_the_default(client, german_site):
    html = _page(client, "/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="en">' in html and "Recently changed" in html
    pkg = german_site["public"]
    assert pkg.created.strftime("%b %-d, %Y") in _page(client, f"/dataset/{pkg.name}", {})


def test_each_request_gets_its_own_language(client, german_site):
    """The catalogue a page's texts come from is chosen per request, not kept."""
    for _ in range(2):
        assert "Kürzlich geändert" in _page(client, "/")
        english = _page(client, "/", headers={"Accept-Language": "en"})
        assert "Recently changed" in english and "Kürzlich" not in english


class TestFixedLanguage:
    @pytest.fixture
    def app_config(self, app_config):
        return dict(app_config, WEB_LANGUAGE="en")

    def test_web_language_en_wins_over_the_browser(self, client, german_site):
        pkg = german_site["public"]
        for url in ("/", "/dataset", f"/dataset/{pkg.name}", "/user/login"):
            html = _page(client, url)
            assert '<html lang="en">' in html, url
            assert "Datensätze" not in html and "Anmelden" not in html, url
        assert "Log in" in _page(client, "/user/login")
