"""Filters and facets over the ``dc:``/``sp:`` metadata of RT-DC resources.

Every test runs twice: answered by the index and by the SQL search; on
PostgreSQL also with ``SEARCH_BACKEND=postgresql``.
"""
import pytest

from dcorlite.jobs import runner
from tests.fixtures.app import index_pending

pytestmark = pytest.mark.search_backends

#: test file → (dc:setup:flow rate, dc:setup:channel width) as dclab reads them
FILES = {
    "fmt-hdf5_fl-no-contour_2019": (0.04, 20.0),
    "fmt-hdf5_fl_2017": (0.16, 30.0),
    "fmt-hdf5_wide-channel_2023": (0.020000000000000004, 30.0),
    "fmt-hdf5_fl_2018": (0.05999999865889549, 20.0),
}
SAMPLE_TYPES = {"fmt-hdf5_fl-no-contour_2019": "primary cells",
                "fmt-hdf5_fl_2017": "artificial",
                "fmt-hdf5_wide-channel_2023": "cell line",
                "fmt-hdf5_fl_2018": "artificial"}


@pytest.fixture
def measured(app, api, make_user, make_circle, make_dataset, make_resource, rtdc_files):
    """One draft per test file, with dc: metadata and an sp: sample type.

    Drafts, because not every test file passes the sanity check of activation;
    their creator finds them with ``include_drafts``.
    """
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    found = {}
    for stem in FILES:
        draft = make_dataset(owner, circle, active=False, title=f"Measurement {stem}")
        res = make_resource(owner, draft, rtdc_files[stem])
        status, body = api("package_revise", owner, match={"id": draft.id},
                           **{f"update__resources__{res.id}":
                              {"sp:general:sample type": SAMPLE_TYPES[stem]}})
        assert status == 200, body
        runner.process_resource(app, res.id, only={"dc_schemas.dc_metadata"})
        found[stem] = draft.id
    found["owner"] = owner
    index_pending(app)  # job results reach the index moments later, not before each search
    return found


@pytest.fixture
def find(search, measured):
    """``package_search`` as the owner of the measurements, drafts included."""
    return lambda **params: search(measured["owner"], include_drafts="True", **params)


def _ids(result, measured):
    names = {v: k for k, v in measured.items() if k != "owner"}
    return {names[d["id"]] for d in result["results"]}


def test_number_ranges_and_equality(backend, find, measured):
    hits = find(fq="dc\\:setup\\:flow\\ rate:[0.03 TO 0.05]")
    assert _ids(hits, measured) == {"fmt-hdf5_fl-no-contour_2019"}
    assert hits["count"] == 1
    hits = find(fq="dc\\:setup\\:flow\\ rate:{0.04 TO *]")
    assert _ids(hits, measured) == {"fmt-hdf5_fl_2017", "fmt-hdf5_fl_2018"}
    hits = find(fq='dc\\:setup\\:channel\\ width:30 AND organization:lab')
    assert _ids(hits, measured) == {"fmt-hdf5_fl_2017", "fmt-hdf5_wide-channel_2023"}
    hits = find(fq='-dc\\:setup\\:channel\\ width:"30.0"')
    assert _ids(hits, measured) == {"fmt-hdf5_fl-no-contour_2019", "fmt-hdf5_fl_2018"}


def test_date_and_text_ranges(backend, find, measured):
    hits = find(fq="dc\\:experiment\\:date:[2018-01-01 TO 2019-12-31]")
    assert _ids(hits, measured) == {"fmt-hdf5_fl-no-contour_2019", "fmt-hdf5_fl_2018"}


def test_sp_values_filter_and_facet(backend, find, measured):
    hits = find(fq='sp\\:general\\:sample\\ type:"artificial"',
                  **{"facet.field": '["sp:general:sample type", "dc:setup:channel width"]'})
    assert _ids(hits, measured) == {"fmt-hdf5_fl_2017", "fmt-hdf5_fl_2018"}
    assert hits["facets"]["sp:general:sample type"] == {"artificial": 2}
    assert hits["facets"]["dc:setup:channel width"] == {"20.0": 1, "30.0": 1}


def test_facets_over_all_datasets(backend, find, measured):
    result = find(**{"facet.field": '["dc:setup:channel width", "sp:general:sample type",'
                                      ' "organization", "license_id", "res_format", "tags"]',
                       "facet.limit": "2"})
    facets = result["facets"]
    assert facets["dc:setup:channel width"] == {"20.0": 2, "30.0": 2}
    assert facets["sp:general:sample type"] == {"artificial": 2, "primary cells": 1,
                                                "cell line": 1}
    assert facets["organization"] == {"lab": 4}
    assert facets["license_id"] == {"CC-BY-4.0": 4}
    assert result["count"] == 4
    assert sum(facets["res_format"].values()) >= 4
    assert facets["tags"] == {}
    items = result["search_facets"]["sp:general:sample type"]["items"]
    assert [(i["name"], i["count"]) for i in items] == [("artificial", 2), ("cell line", 1)]


def test_metadata_arrives_by_the_job(app, backend, search, make_user, make_circle,
                                     make_dataset):
    """Before dc_schemas.dc_metadata has run, dc: filters find nothing; after, they do."""
    owner = make_user("early")
    dataset = make_dataset(owner, make_circle(owner, name="early-lab"))
    assert search(fq="dc\\:setup\\:channel\\ width:20")["count"] == 0
    from dcorlite.models import Resource
    rid = Resource.get(Resource.dataset == dataset).id
    runner.process_resource(app, rid, only={"dc_schemas.dc_metadata"})
    index_pending(app)  # what the indexer thread does moments after a job's result
    result = search(fq="dc\\:setup\\:channel\\ width:20")
    assert [d["id"] for d in result["results"]] == [dataset.id]
