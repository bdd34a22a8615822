"""Free text, fields, sorting, paging and bad queries, answered by the index.

The tests marked ``search_backends`` also run with ``SEARCH_BACKEND=postgresql``.
"""
import pytest

from dcorlite import datasets
from dcorlite.plugins.ckan_api.actions_datasets import dc_problems
from dcorlite.plugins.ckan_api import search_sql

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def library(make_user, make_circle, make_collection, make_dataset, make_resource, rtdc_path):
    """Three public datasets with distinct words in every searchable field."""
    owner = make_user("owner")
    circle = make_circle(owner, name="optics-lab")
    collection = make_collection(owner, name="reference-cells")
    made = {
        "aid": make_dataset(owner, circle, title="Latex spheres for DCOR-Aid tests",
                            tags=[{"name": "spheres"}], notes="Shipped by Mars"),
        "blood": make_dataset(owner, circle, title="Human blood", authors="Q. Zebrafinch",
                              groups=[{"name": "reference-cells"}]),
        "cells": make_dataset(owner, circle, title="Cell lines in channels",
                              license_id="CC0-1.0", active=False),
    }
    make_resource(owner, made["cells"], b"x", name="hl60_table.csv")
    make_resource(owner, made["cells"], rtdc_path)
    datasets.update_dataset(owner, made["cells"], {"state": "active"}, dc_problems)
    return owner, circle, collection, made


def _ids(result):
    return [d["id"] for d in result["results"]]


@pytest.mark.search_backends
@pytest.mark.parametrize("q,expected", [
    ("dcoraid", ["aid"]),
    ("DCOR-Aid", ["aid"]),
    ("dcor_aid", ["aid"]),
    ("spheres mars", ["aid"]),               # all terms must match (title + notes)
    ("spheres blood", []),
    ("zebrafinch", ["blood"]),              # authors
    ("hl60_table.csv", ["cells"]),          # resource names
    ("hl60", ["cells"]),
    ("channel", ["cells"]),                 # stemmed
    ("reference-cells", ["blood"]),         # collection name
    ("Collection 1", ["blood"]),            # collection title (phrase)
    ('"human blood"', ["blood"]),
    ("optics", ["aid", "blood", "cells"]),  # circle name
    ("tags:spheres", ["aid"]),
    ("text:zebrafinch", ["blood"]),
    ("sphere*", ["aid"]),
])
def test_free_text(index_only, search, library, q, expected):
    made = library[3]
    result = search(q=q, rows=10)
    assert sorted(_ids(result)) == sorted(made[k].id for k in expected)
    assert result["count"] == len(expected)


@pytest.mark.search_backends
@pytest.mark.parametrize("fq,expected", [
    ("organization:optics-lab", ["aid", "blood", "cells"]),
    ("groups:reference-cells", ["blood"]),
    ("license_id:CC0-1.0", ["cells"]),
    ("-license_id:CC0-1.0", ["aid", "blood"]),
    ("res_name:hl60_table.csv OR tags:spheres", ["aid", "cells"]),
    ("name:human-blood", ["blood"]),
    ("metadata_created:[NOW-1HOUR TO NOW]", ["aid", "blood", "cells"]),
    ("metadata_modified:[* TO 2000-01-01T00\\:00\\:00Z]", []),
    ("organization:(optics-lab OR nowhere) AND -groups:reference-cells", ["aid", "cells"]),
])
def test_filters(index_only, search, library, fq, expected):
    made = library[3]
    assert sorted(_ids(search(fq=fq))) == sorted(made[k].id for k in expected)


@pytest.mark.search_backends
def test_same_answers_as_the_sql_search(search, library, monkeypatch, switch_off_backend):
    """The index and the SQL fallback agree on DCOR-Aid style queries."""
    owner = library[0]
    queries = [{"q": "dcoraid"}, {"q": "*:*", "fq": "organization:optics-lab"},
               {"q": "*:*", "fq": f" creator_user_id:{owner.id}"},
               {"q": "*:*", "fq": "groups:reference-cells", "sort": "title_string asc"},
               {"q": "*:*", "sort": "metadata_created desc", "rows": 2, "start": 1}]
    from_index = [search(owner, include_private="True", **q) for q in queries]
    sql_calls = []
    original = search_sql.search
    monkeypatch.setattr(search_sql, "search",
                        lambda query, user: sql_calls.append(query) or original(query, user))
    switch_off_backend()
    from_sql = [search(owner, include_private="True", **q) for q in queries]
    assert len(sql_calls) == len(queries)
    for a, b in zip(from_index, from_sql):
        assert _ids(a) == _ids(b) and a["count"] == b["count"]


@pytest.mark.search_backends
def test_sorting_and_paging(index_only, search, library):
    made = library[3]
    by_title = _ids(search(sort="title_string asc", rows=10))
    assert by_title == [made[k].id for k in ("cells", "blood", "aid")]
    assert _ids(search(sort="name desc", rows=10)) == \
        [made[k].id for k in ("aid", "blood", "cells")]
    created = [made[k].id for k in ("cells", "blood", "aid")]
    seen = []
    for start in range(4):
        page = search(sort="metadata_created desc", rows=1, start=start)
        assert page["count"] == 3
        seen += _ids(page)
    assert seen == created
    assert search(rows=0)["results"] == [] and search(rows=0)["count"] == 3
    # relevance: a title hit ranks before a hit in the notes only
    assert _ids(search(q="mars OR human"))[0] in {made["aid"].id, made["blood"].id}


@pytest.mark.search_backends
@pytest.mark.parametrize("params,status,error_type", [
    ({"q": "(cells"}, 409, "Search Error"),
    ({"fq": "organization:(a OR b"}, 409, "Search Error"),
    ({"fq": "no_such_field:x"}, 409, "Search Error"),
    ({"fq": "tags:[a TO b]"}, 409, "Search Error"),
    ({"fq": "dc\\:setup\\:flow\\ rate:[0.1 TO"}, 409, "Search Error"),
    ({"fq": "metadata_modified:[NOW-99999999999DAYS TO NOW]"}, 409, "Search Error"),
    ({"facet.field": '["notes"]'}, 409, "Search Error"),
    ({"sort": "dc:setup:flow rate asc"}, 400, "Search Query Error"),
])
def test_bad_queries_are_errors_not_500(index_only, api, library, params, status,
                                        error_type):
    got, body = api("package_search", library[0], method="GET", **params)
    assert got == status, body
    assert body["success"] is False and body["error"]["__type"] == error_type
    assert body["error"]["message"]


@pytest.mark.search_backends
def test_huge_rows_and_start(index_only, api, library):
    """``rows`` is capped at 1000 like CKAN; a start beyond the end gives an empty page."""
    for method in ("GET", "POST"):
        status, body = api("package_search", None, method=method, rows=str(10 ** 30))
        assert status == 200, body
        assert body["result"]["count"] == 3 and len(body["result"]["results"]) == 3
        status, body = api("package_search", None, method=method, start=str(10 ** 15))
        assert status == 200, body
        assert body["result"]["count"] == 3 and body["result"]["results"] == []
    status, body = api("package_search", None, rows=2 ** 70)
    assert status == 200 and body["result"]["count"] == 3
    status, body = api("package_search", None, start=2 ** 70)
    assert status == 409 and body["error"]["start"]


@pytest.mark.search_backends
def test_relevance_ranks_before_time(index_only, search, make_user, make_circle, make_dataset):
    """More and denser hits rank first, even before newer datasets (score desc, then time)."""
    owner = make_user("ranker")
    circle = make_circle(owner, name="rank-lab")
    dense = make_dataset(owner, circle, title="Blood blood blood")
    sparse = make_dataset(owner, circle, title="Cells",
                          notes="Measured in a channel " * 20 + "with some blood")
    make_dataset(owner, circle, title="No match here")
    assert _ids(search(q="blood")) == [dense.id, sparse.id]
    # the newest first when the order is by time only
    assert _ids(search(q="blood", sort="metadata_created desc")) == [sparse.id, dense.id]


def test_relevance_is_whooshs_bm25(index_only, search, library):
    """The array-based relevance equals Whoosh's own BM25F scores for the same words."""
    from whoosh import query as wq
    from dcorlite.plugins.search import search_index
    assert search(q="nothing-matches-this")["count"] == 0  # an empty result scores nothing
    searcher, docsets = search_index().searcher_and_docsets()
    for word in ("blood", "cell", "sphere"):
        ours = docsets.relevance(searcher, wq.Term("text", word), ("text",))
        hits = searcher.search(wq.Term("text", word), limit=None)
        assert len(hits) > 0
        for hit in hits:
            assert ours[hit.docnum] == pytest.approx(hit.score)
        assert (ours > 0).sum() == len(hits)


@pytest.mark.search_backends
def test_free_text_on_an_empty_index(index_only, search):
    """No datasets yet: words find nothing, answered by the (empty) index."""
    assert search(q="blood")["count"] == 0
    assert search(q="blood", **{"facet.field": '["tags"]'})["facets"] == {"tags": {}}
