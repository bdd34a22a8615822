"""The search page: same answers as ``package_search``, facet links, no leaks."""
import json
import re

import pytest

from tests.plugins.web.conftest import PASSWORD, login

PAGE_PARAMS = {"include_private": True, "rows": 20, "sort": "score desc, metadata_modified desc",
               "facet.field": json.dumps(["organization", "groups", "license_id", "res_format",
                                          "tags", "sp:general:sample type",
                                          "dc:setup:flow rate", "dc:setup:channel width",
                                          "dc:setup:chip region"]), "facet.limit": 10}


def _names(html):
    return re.findall(r'<h3 class="dataset-title"><a href="/dataset/([^"]+)">', html)


def _facet_links(html):
    return dict(re.findall(r'<a href="(/dataset(?:\?[^"]*)?)" class="facet-link[^"]*"[^>]*>'
                           r'(?:<span[^>]*>[^<]*</span>)*([^<]+?) <span class="count">', html))


@pytest.mark.parametrize("who", [None, "member", "outsider", "owner", "admin"])
def test_results_and_facets_equal_package_search(client, api, site, who):
    user = site[who] if who else None
    if user:
        login(client, user)
    html = client.get("/dataset").get_data(as_text=True)
    expected = api("package_search", user, include_drafts=user is not None,
                   **PAGE_PARAMS)[1]["result"]
    assert _names(html) == [d["name"] for d in expected["results"]]
    assert f'<span id="result-count">{expected["count"]}</span>' in html
    for field, facet in expected["search_facets"].items():
        for item in facet["items"]:
            assert f'{item["display_name"]} <span class="count">{item["count"]}</span>' in html


def test_anonymous_sees_no_private_title_name_count_or_facet(client, site):
    html = client.get("/dataset").get_data(as_text=True)
    assert "Secret patient study" not in html and site["private"].name not in html
    assert "patient" not in html  # the private dataset's tag is no facet value
    assert '<span id="result-count">1</span>' in html
    html = client.get("/dataset?q=secret").get_data(as_text=True)
    assert '<span id="result-count">0</span>' in html
    assert client.get("/dataset?tags=patient").get_data(as_text=True).count(
        '<span class="count">0</span>') == 1


def test_outsider_sees_no_private_data_either(client, site):
    login(client, site["outsider"])
    html = client.get("/dataset").get_data(as_text=True)
    assert "Secret patient study" not in html and "Draft in progress" not in html


def test_member_sees_private_badge(client, site):
    login(client, site["member"])
    html = client.get("/dataset?q=secret").get_data(as_text=True)
    assert _names(html) == [site["private"].name]
    assert '<span class="badge badge-private">Private</span>' in html


def test_owner_sees_draft_badge(client, site):
    login(client, site["owner"])
    html = client.get("/dataset?q=progress").get_data(as_text=True)
    assert _names(html) == [site["draft"].name] and "badge-draft" in html


def test_facet_values_are_links_that_toggle(client, site):
    login(client, site["member"])
    html = client.get("/dataset").get_data(as_text=True)
    links = _facet_links(html)
    tag_link = next(url for url, label in links.items() if label.strip() == "blood")
    assert tag_link == "/dataset?tags=blood"
    filtered = client.get(tag_link).get_data(as_text=True)
    assert _names(filtered) == [site["public"].name]
    assert 'aria-current="true"' in filtered
    off = next(url for url, label in _facet_links(filtered).items() if label.strip() == "blood")
    assert off == "/dataset"
    circle = client.get("/dataset?organization=lab&q=cells").get_data(as_text=True)
    assert _names(circle) == [site["public"].name]


def test_rtdc_facets_and_date_range(client, api, site):
    from dcorlite.jobs.queue import drain
    drain(client.application)
    result = api("package_search", None, **{"facet.field": '["dc:setup:channel width"]'})
    width = next(iter(result[1]["result"]["facets"]["dc:setup:channel width"]))
    html = client.get("/dataset", query_string={"dc:setup:channel width": width}).get_data(
        as_text=True)
    assert _names(html) == [site["public"].name]
    assert "Channel width" in html
    none = client.get("/dataset", query_string={"date_from": "2100-01-01"}).get_data(
        as_text=True)
    assert '<span id="result-count">0</span>' in none
    some = client.get("/dataset", query_string={"date_from": "2000-01-01",
                                                "date_to": "2099-12-31"}).get_data(as_text=True)
    assert _names(some) == [site["public"].name]


def test_sort_and_pages(client, make_user, make_circle, make_dataset):
    owner = make_user("pager", password=PASSWORD)
    circle = make_circle(owner)
    for i in range(22):
        make_dataset(owner, circle, active=False, title=f"Paged {i:02d}")
    login(client, owner)
    first = client.get("/dataset?sort=title_string+asc").get_data(as_text=True)
    assert len(_names(first)) == 20 and "Page 1 of 2" in first
    assert 'href="/dataset?sort=title_string%20asc&amp;page=2"' in first
    second = client.get("/dataset?sort=title_string+asc&page=2").get_data(as_text=True)
    assert len(_names(second)) == 2 and "Paged 21" in second


def test_bad_query_is_a_400_page(client):
    response = client.get("/dataset", query_string={"q": "foo:bar"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<main" in html and "Unknown field" in html and 'value="foo:bar"' in html
    bogus = client.get("/dataset?sort=nonsense&page=x")
    assert bogus.status_code == 200  # ignored, defaults used
