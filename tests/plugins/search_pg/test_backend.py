"""``SEARCH_BACKEND=postgresql``: start-up checks, several hosts, stale documents.

What searches answer is checked by the search tests marked ``search_backends``
(tests/plugins/search/); these tests check what is particular to the backend.
"""
import json
import os

import pytest

from dcorlite import create_app
from dcorlite.errors import StartupError
from dcorlite.models import Dataset
from dcorlite.plugins import search_pg
from dcorlite.plugins.ckan_api import search_sql
from dcorlite.plugins.search.pending import SearchPending
from dcorlite.plugins.search_pg import facets, searching
from dcorlite.search import parse_search_params
from dcorlite.plugins.search_pg.models import SearchDocument, SearchValue

postgresql_backend = pytest.mark.search_backends("postgresql")


@pytest.mark.sqlite_only
@pytest.mark.parametrize("value,message", [("postgresql", "needs a PostgreSQL database"),
                                           ("solr", "must be one of whoosh, postgresql")])
def test_setting_is_checked_at_start_up(tmp_path, app_config, value, message):
    with pytest.raises(StartupError, match=message):
        create_app(dict(app_config, SEARCH_BACKEND=value),
                   instance_path=str(tmp_path / "other"))


@pytest.mark.sqlite_only
def test_no_tables_on_sqlite(app):
    from dcorlite.db import database
    assert not {"search_pg_document", "search_pg_value"} & set(database.get_tables())


@pytest.fixture
def answered_by(monkeypatch):
    """``answered_by()`` → the searches since the last call, by who answered them."""
    calls = []
    original_pg, original_sql = searching.search, search_sql.search
    monkeypatch.setattr(searching, "search", lambda query, user, kept: calls.append(
        "postgresql") or original_pg(query, user, kept))
    monkeypatch.setattr(search_sql, "search",
                        lambda query, user: calls.append("sql") or original_sql(query, user))

    def taken():
        found = list(calls)
        calls.clear()
        return found
    return taken


def _titles(client, q, user=None, **params):
    headers = {"Authorization": user.token} if user else {}
    response = client.get("/api/3/action/package_search",
                          query_string=dict(params, q=q, rows=50), headers=headers)
    assert response.status_code == 200, response.get_json()
    return sorted(d["title"] for d in response.get_json()["result"]["results"])


@postgresql_backend
def test_whoosh_plugin_stays_idle(app, api, make_user, make_circle, make_dataset,
                                  answered_by):
    """No index folder, indexer or marks; the documents answer, written with each change."""
    owner = make_user("owner")
    dataset = make_dataset(owner, make_circle(owner, name="lab"), title="Quartz beads")
    assert "search_index" not in app.extensions["dcorlite"]
    assert not os.path.exists(os.path.join(app.instance_path, "search_index"))
    assert SearchPending.select().count() == 0
    assert SearchDocument.select().where(SearchDocument.dataset_id == dataset.id).exists()
    assert _titles(app.test_client(), "quartz") == ["Quartz beads"]
    assert answered_by() == ["postgresql"]


@postgresql_backend
def test_another_host_reads_the_writes_at_once(app, app_config, api, another_app, tmp_path,
                                               make_user, make_circle, make_dataset):
    """A second app (another host: its own instance folder) sees each write when it returns."""
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    dataset = make_dataset(owner, circle, title="Granite cells", notes="Obsidian",
                           active=False)
    other = another_app(app_config, instance_path=str(tmp_path / "host-b")).test_client()
    drafts = {"include_drafts": "true"}
    assert _titles(other, "obsidian", owner, **drafts) == ["Granite cells"]
    assert _titles(other, "obsidian") == []  # a draft: only its editors find it
    status, body = api("package_patch", owner, id=dataset.id, notes="Pumice")
    assert status == 200, body
    assert _titles(other, "obsidian", owner, **drafts) == []
    assert _titles(other, "pumice", owner, **drafts) == ["Granite cells"]
    status, body = api("package_patch", owner, id=dataset.id, private=True)
    assert status == 200, body
    assert _titles(other, "pumice", owner, **drafts) == []  # include_private not asked for
    assert _titles(other, "pumice", owner, include_private="true", **drafts) == ["Granite cells"]
    status, body = api("package_delete", owner, id=dataset.id)
    assert status == 200, body
    assert _titles(other, "cells", owner, include_private="true", **drafts) == []


@postgresql_backend
def test_stale_documents_leave_searches_to_sql_until_reindex(
        app, app_config, another_app, cli_runner, make_user, make_circle, make_dataset,
        answered_by, monkeypatch):
    """Documents missing (a switch from Whoosh): SQL answers; after reindex, the documents."""
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    for word in ("Marble", "Slate"):
        make_dataset(owner, circle, title=f"{word} cells")
    SearchValue.delete().execute()
    SearchDocument.delete().execute()
    monkeypatch.setattr(search_pg, "RECHECK_SECONDS", 0)
    client = another_app(app_config).test_client()
    assert _titles(client, "cells") == ["Marble cells", "Slate cells"]
    assert answered_by() == ["sql"]
    result = cli_runner("search", "reindex")
    assert result.exit_code == 0, result.output
    assert "indexed 2 datasets" in result.output
    assert SearchDocument.select().count() == Dataset.select().count() == 2
    assert _titles(client, "cells") == ["Marble cells", "Slate cells"]
    assert answered_by() == ["postgresql"]


@postgresql_backend
def test_kept_results_last_until_a_change(app, api, make_user, make_circle, make_dataset,
                                          answered_by):
    """Identical searches are answered from the kept result until a write, a membership
    or a circle's name changes what they would find."""
    from dcorlite import groups
    from dcorlite.models import Group
    owner, member = make_user("owner"), make_user("member")
    circle = make_circle(owner, name="lab")
    make_dataset(owner, circle, title="Quartz beads", private=True)
    client = app.test_client()
    find = {"fq": "organization:lab", "include_private": "true"}
    assert _titles(client, "*:*", member, **find) == []
    assert _titles(client, "*:*", member, **find) == []
    assert answered_by() == ["postgresql"]  # the second from the kept result
    groups.set_member(circle, member, "member")
    assert _titles(client, "*:*", member, **find) == ["Quartz beads"]
    assert answered_by() == ["postgresql"]
    make_dataset(owner, circle, title="Slate beads", private=True)
    assert _titles(client, "*:*", member, **find) == ["Quartz beads", "Slate beads"]
    assert answered_by() == ["postgresql"]
    Group.update(name="lab-renamed").where(Group.id == circle.id).execute()
    assert _titles(client, "*:*", member, **find) == []
    assert answered_by() == ["postgresql"]


def _counts(client, field, user=None):
    """``{value: datasets}`` of facet ``field`` over every dataset ``user`` may see."""
    headers = {"Authorization": user.token} if user else {}
    response = client.get("/api/3/action/package_search", headers=headers, query_string={
        "q": "*:*", "rows": 0, "include_private": "true", "facet.field": json.dumps([field])})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["result"]["facets"][field]


def _number(dataset):
    """The number of ``dataset``'s search document."""
    return SearchDocument.get(SearchDocument.dataset_id == dataset.id).number


@postgresql_backend
def test_kept_facet_values_count_every_write_of_another_host(
        app, app_config, api, another_app, tmp_path, make_user, make_circle, make_dataset,
        monkeypatch):
    """A process counts list (and dc:) facets from values it keeps: each write that returned
    on another host is counted by its next search, and only changed documents are read."""
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    first = make_dataset(owner, circle, title="A", tags=[{"name": "beads"}], private=True)
    make_dataset(owner, circle, title="B", tags=[{"name": "beads"}, {"name": "cells"}])
    other = another_app(dict(app_config, SEARCH_PG_RESULTS_CACHE=0),
                        instance_path=str(tmp_path / "host-b")).test_client()
    assert _counts(other, "tags") == {"beads": 1, "cells": 1}  # not the private one
    assert _counts(other, "tags", owner) == {"beads": 2, "cells": 1}
    formats = _counts(other, "res_format", owner)
    assert formats and set(formats.values()) == {2}  # both hold the RT-DC test file
    reread = []
    original = facets.FacetValues._reread
    monkeypatch.setattr(facets.FacetValues, "_reread", lambda self, changed, gone: (
        reread.append((sorted(changed), sorted(gone))), original(self, changed, gone))[1])
    status, body = api("package_patch", owner, id=first.id, private=False)
    assert status == 200, body
    assert _counts(other, "tags") == {"beads": 2, "cells": 1}
    assert reread == []  # its document was written again, the same
    third = make_dataset(owner, circle, title="C", tags=[{"name": "glass"}])
    assert _counts(other, "tags") == {"beads": 2, "cells": 1, "glass": 1}
    assert reread == [([_number(third)], [])]
    assert _counts(other, "res_format", owner) == {v: 3 for v in formats}
    purged = _number(first)
    status, body = api("dataset_purge", make_user("admin", sysadmin=True), id=first.id)
    assert status == 200, body
    assert _counts(other, "tags", owner) == {"beads": 1, "cells": 1, "glass": 1}
    assert _counts(other, "res_format", owner) == formats
    assert reread[-1] == ([], [purged])


@postgresql_backend
def test_a_search_inside_a_transaction_keeps_nothing_of_it(app, make_user, make_circle,
                                                          make_dataset):
    """Searched inside a transaction that then rolls back, its writes are counted for that
    search only: the values the process keeps never held them, also once a committed write
    has raised the counter as far as the rolled-back one had."""
    from dcorlite.db import database
    from dcorlite.models import Tag
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    dataset = make_dataset(owner, circle, tags=[{"name": "beads"}])
    other = make_dataset(owner, circle, tags=[{"name": "cells"}])
    kept = facets.FacetValues()
    query = parse_search_params({"q": "*:*", "facet.field": '["tags"]'})
    assert searching.search(query, None, kept).facets["tags"] == {"beads": 1, "cells": 1}
    with database.atomic() as transaction:
        Tag.create(dataset=dataset, name="glass")
        search_pg.documents.write(dataset.id)
        assert searching.search(query, None, kept).facets["tags"] == {
            "beads": 1, "cells": 1, "glass": 1}
        transaction.rollback()
    with database.atomic():
        search_pg.documents.write(other.id)
    assert searching.search(query, None, kept).facets["tags"] == {"beads": 1, "cells": 1}


@postgresql_backend
def test_status_page_shows_the_documents_and_what_this_process_keeps(
        app, make_user, make_circle, make_dataset):
    from tests.plugins.web.conftest import PASSWORD, login
    owner, admin = make_user("owner"), make_user("admin", sysadmin=True, password=PASSWORD)
    dataset = make_dataset(owner, make_circle(owner, name="lab"))
    client = app.test_client()
    assert _counts(client, "tags") == {}
    login(client, admin)

    def row(label):
        html = client.get("/admin/status").get_data(as_text=True)
        assert "Search (PostgreSQL)" in html
        return html.split(f'<th scope="row">{label}</th><td>', 1)[1].split("</td>", 1)[0]
    assert row("Answers searches") == "yes"
    assert row("Documents") == "1"
    assert row("Facet keys kept by this process") == "1"
    SearchDocument.delete().where(SearchDocument.dataset_id == dataset.id).execute()
    assert row("Answers searches").startswith("no: 1 datasets without a current document")


@postgresql_backend
def test_document_numbers_are_given_to_the_documents_of_an_older_database(
        app, make_user, make_circle, make_dataset, make_resource, rtdc_files):
    """Migration 0004 numbers the documents and values an instance already has and gives
    number values their column: facets and ranges find them; a document written
    afterwards keeps its number."""
    from playhouse.migrations import Runner
    from dcorlite.db import database
    from dcorlite.jobs import runner as jobs
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    first = make_dataset(owner, circle, tags=[{"name": "beads"}], active=False)
    make_dataset(owner, circle, tags=[{"name": "beads"}, {"name": "cells"}], active=False)
    measured = make_resource(owner, first, rtdc_files["fmt-hdf5_fl_2017"])  # flow rate 0.16
    jobs.process_resource(app, measured.id, only={"dc_schemas.dc_metadata"})
    for column in ("document_number", "float_value"):  # their indexes go with them
        database.execute_sql(f"ALTER TABLE search_pg_value DROP COLUMN {column}")
    database.execute_sql("ALTER TABLE search_pg_document DROP COLUMN number")
    runner = Runner(database.obj, search_pg.MIGRATIONS, table_name="migrations_search_pg")
    runner.History.delete().where(runner.History.name.startswith("0004")).execute()
    assert runner.up() == ["0004_numbers"]
    numbers = dict(SearchDocument.select(SearchDocument.dataset_id, SearchDocument.number)
                   .tuples())
    assert len(numbers) == 2 and len(set(numbers.values())) == 2 and None not in numbers.values()
    values = list(SearchValue.select())
    assert {(v.dataset_id, v.document_number) for v in values} == {
        (v.dataset_id, numbers[v.dataset_id]) for v in values}
    query = parse_search_params({"q": "*:*", "facet.field": '["tags"]',
                                 "include_drafts": "true"})
    assert searching.search(query, owner, facets.FacetValues()).facets["tags"] == {
        "beads": 2, "cells": 1}
    for low, high, found in ((0.1, 0.2, 1), (0.2, 1, 0)):
        query = parse_search_params({"q": "*:*", "include_drafts": "true",
                                     "fq": f"dc\\:setup\\:flow\\ rate:[{low} TO {high}]"})
        assert searching.search(query, owner, facets.FacetValues()).count == found
    with database.atomic():
        search_pg.documents.write(first.id)
    assert _number(first) == numbers[first.id]
    third = make_dataset(owner, circle, tags=[{"name": "glass"}])
    assert _number(third) > max(numbers.values())
