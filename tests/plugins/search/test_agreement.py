"""The index and the SQL search give the same answers on varied data.

They are independent implementations of ``package_search`` (Whoosh postings
evaluated as document sets, or PostgreSQL full-text search documents with
``SEARCH_BACKEND=postgresql``; SQL over the tables and the resources' JSON
metadata), so agreement on many queries, callers and flags checks both: the
ids in order, the counts and every facet count.
"""
import datetime
import random

import pytest

from dcorlite import models as m
from dcorlite.plugins.ckan_api import search_sql
from dcorlite.plugins.search import index, search_index
from dcorlite.search import parse_search_params

FLOW_RATES = (0.02, 0.04, 0.06, 0.12)
SAMPLE_TYPES = ("primary cells", "cell line", "artificial")
WORDS = ("blood", "beads", "leukocytes", "reference", "channel", "hl60")


@pytest.fixture
def world(app, make_user, rebuild):
    """60 datasets in 3 circles and 2 collections, with resources carrying dc:/sp: metadata."""
    rng = random.Random(7)
    people = {name: make_user(name) for name in ("editor", "member", "collab", "outsider")}
    people["admin"] = make_user("admin", sysadmin=True)
    circles = [m.Group.create(name=f"lab-{i}", title=f"Lab {i}", is_organization=True)
               for i in range(3)]
    collections = [m.Group.create(name=f"set-{i}", title=f"Set {i}", is_organization=False)
                   for i in range(2)]
    m.Membership.create(group=circles[0], user=people["editor"], role="editor")
    m.Membership.create(group=circles[1], user=people["member"], role="member")
    m.Membership.create(group=collections[0], user=people["member"], role="member")
    start = datetime.datetime(2024, 3, 1)
    for i in range(60):
        words = rng.sample(WORDS, 2)
        when = start + datetime.timedelta(days=i // 2)  # pairs share their times
        dataset = m.Dataset.create(
            name=f"measurement-{i:02d}", title=f"{words[0].title()} {words[1]}",
            notes="Measured with DCOR-Aid" if i % 5 == 0 else "", authors=f"Author {i % 4}",
            license_id=rng.choice(("CC0-1.0", "CC-BY-4.0")), private=rng.random() < 0.4,
            owner_org=circles[i % 3], state=rng.choice(("active",) * 4 + ("draft",)),
            creator=people["editor"] if i % 4 == 0 else people["outsider"],
            created=when, modified=when)
        m.Tag.create(dataset=dataset, name=words[1])
        if i % 4 == 1:
            m.DatasetGroup.create(dataset=dataset, group=collections[i % 2])
        if i % 6 == 2:
            m.Collaborator.create(dataset=dataset, user=people["collab"],
                                  capacity=rng.choice(("member", "editor")))
        sample_type = rng.choice(SAMPLE_TYPES)
        for position in range(i % 4):
            extras = {"dc:setup:flow rate": rng.choice(FLOW_RATES),
                      "dc:setup:channel width": rng.choice((20.0, 30.0)),
                      "dc:experiment:date": f"20{20 + i % 5}-0{1 + position}-15",
                      "dc:experiment:event count": rng.randint(100, 999),
                      "dc:setup:flag": rng.random() < 0.5,
                      "sp:general:sample type": sample_type}
            m.Resource.create(id=f"{dataset.id[:30]}-{position}", dataset=dataset,
                              position=position, name=f"M{position}_data.rtdc",
                              mimetype="RT-DC", format="RT-DC", extras=extras)
        if i % 4 == 3:
            m.Resource.create(id=f"{dataset.id[:30]}-t", dataset=dataset, position=9,
                              name="table.csv", mimetype="text/csv", format="CSV")
    rebuild()
    people["anonymous"] = None
    return people


QUERIES = [
    {},
    {"q": "*:*", "sort": "title_string asc"},
    {"q": "*:*", "sort": "title_string desc", "rows": 7, "start": 3},
    {"q": "*:*", "sort": "metadata_created asc", "rows": 5, "start": 10},
    {"q": "*:*", "sort": "name desc", "rows": 100},
    {"q": "blood", "sort": "metadata_modified desc"},
    {"q": "blood beads", "sort": "title_string asc"},
    {"q": "dcoraid", "sort": "name asc"},
    {"fq": "organization:lab-1", "sort": "metadata_created desc"},
    {"fq": "groups:set-0 OR tags:hl60", "rows": 50},
    {"fq": "-license_id:CC0-1.0 AND organization:(lab-0 OR lab-2)", "rows": 50},
    {"fq": "res_format:CSV", "rows": 50},
    {"fq": "dc\\:setup\\:flow\\ rate:[0.03 TO 0.1]", "rows": 50},
    {"fq": "dc\\:setup\\:flow\\ rate:{0.04 TO *]", "rows": 50},
    {"fq": "dc\\:setup\\:channel\\ width:20 AND -dc\\:setup\\:flow\\ rate:0.02", "rows": 50},
    {"fq": 'sp\\:general\\:sample\\ type:"cell line"', "rows": 50},
    {"fq": "dc\\:experiment\\:date:[2021-01-01 TO 2022-12-31]", "rows": 50},
    {"fq": "dc\\:setup\\:flag:true", "rows": 50},
    {"fq": "dc\\:experiment\\:event\\ count:[* TO 500]", "rows": 50},
    {"fq": "metadata_created:[2024-03-10T00\\:00\\:00Z TO 2024-03-20T00\\:00\\:00Z]",
     "rows": 50},
    {"q": "*:*", "rows": 0,
     "facet.field": '["organization", "groups", "tags", "license_id", "res_format",'
                    ' "dc:setup:flow rate", "dc:setup:channel width", "dc:setup:flag",'
                    ' "sp:general:sample type"]'},
    {"fq": "organization:lab-0", "rows": 3,
     "facet.field": '["tags", "dc:setup:flow rate", "sp:general:sample type"]'},
]


FLAGS = [("false", "false"), ("true", "false"), ("true", "true")]


@pytest.mark.search_backends
@pytest.mark.parametrize("caller", ["anonymous", "outsider", "member", "editor", "collab",
                                    "admin"])
def test_index_and_sql_agree(world, backend_search, caller):
    user = world[caller]
    checked = 0
    for private, drafts in FLAGS:
        for params in QUERIES:
            query = parse_search_params(dict(params, include_private=private,
                                             include_drafts=drafts))
            from_index = backend_search(query, user)
            from_sql = search_sql.search(query, user)
            label = (caller, private, drafts, params)
            assert from_index.count == from_sql.count, label
            assert from_index.ids == from_sql.ids, label
            assert from_index.facets == from_sql.facets, label
            checked += from_index.count
    assert checked > 0  # the callers see something: the comparison is not vacuous


def test_index_sees_changes_after_a_commit(app, world):
    """Cached document sets belong to one index generation; a commit makes new ones."""
    query = parse_search_params({"fq": "organization:lab-2", "rows": 100})
    admin = world["admin"]
    before = index.search(search_index(), query, admin)
    dataset = m.Dataset.get(m.Dataset.id == before.ids[0])
    dataset.owner_org = m.Group.get(m.Group.name == "lab-0")
    dataset.save()
    search_index().update([dataset.id])
    after = index.search(search_index(), query, admin)
    assert after.count == before.count - 1
    assert dataset.id not in after.ids
    assert after.ids == search_sql.search(query, admin).ids
