"""``dcorlite search reindex|check`` and what happens to a damaged index."""
import os

import pytest

from dcorlite.models import Dataset, Group
from dcorlite.plugins.search import search_index
from tests.fixtures.app import index_pending


@pytest.fixture
def three(app, make_user, make_circle, make_dataset):
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    made = [make_dataset(owner, circle, title=f"Cells {i}") for i in range(3)]
    index_pending(app)
    return owner, circle, made


@pytest.mark.search_backends
def test_check_finds_missing_extra_and_outdated(app, cli_runner, three):
    owner, circle, made = three
    result = cli_runner("search", "check")
    assert result.exit_code == 0, result.output
    assert "consistent" in result.output
    # changes that bypass the services (and so the events) leave the index stale
    Dataset.update(title="Renamed").where(Dataset.id == made[0].id).execute()
    Dataset.delete().where(Dataset.id == made[1].id).execute()
    hidden = Dataset.create(name="no-event", title="x", owner_org=circle, state="active",
                            creator=owner)
    result = cli_runner("search", "check")
    assert result.exit_code == 1
    assert f"outdated: 1: {made[0].id}" in result.output
    assert f"extra: 1: {made[1].id}" in result.output
    assert f"missing: 1: {hidden.id}" in result.output
    result = cli_runner("search", "reindex")
    assert result.exit_code == 0, result.output
    assert "indexed 3 datasets" in result.output
    assert cli_runner("search", "check").exit_code == 0


@pytest.mark.parametrize("processes", ["1", "3"])
def test_reindex_with_writer_processes(app, api, cli_runner, three, processes):
    """One writer or several (one segment each): the same answers, a consistent index."""
    owner, made = three[0], three[2]
    result = cli_runner("search", "reindex", "--processes", processes)
    assert result.exit_code == 0, result.output
    assert cli_runner("search", "check").exit_code == 0
    status, body = api("package_search", owner, method="GET", q="*:*",
                       include_private="true", sort="name asc")
    assert status == 200, body
    assert body["result"]["count"] == 3
    assert [d["id"] for d in body["result"]["results"]] == [
        d.id for d in sorted(made, key=lambda d: d.name)]


def _live_files(app):
    folder = search_index(app).current_dir()
    return folder, [os.path.join(folder, name) for name in os.listdir(folder)]


@pytest.mark.parametrize("damage", ["segments", "toc", "old-layout"])
def test_damaged_index_falls_back_and_reindex_repairs(app, api, cli_runner, three,
                                                      monkeypatch, damage, caplog):
    owner, circle, made = three
    folder, files = _live_files(app)
    for path in files:
        name = os.path.basename(path)
        if damage == "segments" and not name.startswith("_") \
                and name not in ("WRITELOCK", "LAYOUT"):
            os.remove(path)
        elif damage == "old-layout" and name == "LAYOUT":  # as built by the first release
            os.remove(path)
        elif damage == "toc" and name.endswith(".toc"):
            with open(path, "wb") as fh:
                fh.write(b"garbage")
    search_index(app).close_searcher()  # as after a restart of the server
    status, body = api("package_search", None, method="GET", q="cells",
                       **{"facet.field": '["organization"]'})
    assert status == 200, body
    assert body["result"]["count"] == 3
    assert body["result"]["facets"]["organization"] == {"lab": 3}
    assert "search index unavailable" in caplog.text
    result = cli_runner("search", "check")
    assert result.exit_code == 1
    assert "index unreadable" in result.output
    if damage == "old-layout":
        assert "has layout 1, this version reads layout 2" in result.output
    result = cli_runner("search", "reindex")
    assert result.exit_code == 0, result.output
    assert not os.path.exists(folder)  # built elsewhere, the damaged folder is gone
    assert cli_runner("search", "check").exit_code == 0
    from dcorlite.plugins.ckan_api import search_sql
    monkeypatch.setattr(search_sql, "search", None)  # the index must answer now
    status, body = api("package_search", None, method="GET", q="cells")
    assert status == 200 and body["result"]["count"] == 3


def test_updates_after_a_reindex_go_to_the_new_index(app, api, cli_runner, three,
                                                     index_only):
    owner, circle, made = three
    assert cli_runner("search", "reindex").exit_code == 0
    status, body = api("package_create", owner, title="Zebra now", authors="A",
                       license_id="CC0-1.0", owner_org="lab")
    assert status == 200, body
    new_id = body["result"]["id"]
    status, body = api("package_search", owner, method="GET", q="zebra",
                       include_drafts="true")
    assert [d["id"] for d in body["result"]["results"]] == [new_id]
    assert cli_runner("search", "check").exit_code == 0


def test_new_instance_with_datasets_waits_for_reindex(app, app_config, tmp_path, three,
                                                      caplog, another_app):
    """An index folder that was never built is not created empty over existing datasets."""
    other = another_app(dict(app_config, SEARCH_INDEX_DIR=str(tmp_path / "elsewhere")))
    assert not search_index(other).exists()
    assert "dcorlite search reindex" in caplog.text
    with other.app_context():
        assert search_index(other).check().error
        assert search_index(other).rebuild() == 3
        assert search_index(other).check().consistent
    assert Group.select().count() == 1
