"""The audit trail: who read, downloaded, changed or purged what, chained by hash."""
import csv
import datetime
import threading
import time

import dclab
import peewee
import pytest
import requests
from dclab.rtdc_dataset.fmt_dcor.api import APIHandler

from dcorlite import host
from dcorlite.app import stop_app
from dcorlite.db import database
from dcorlite.jobs.queue import drain
from dcorlite.models import utcnow
from dcorlite.plugins.audit import chain, record
from dcorlite.plugins.audit.model import AuditEntry
from dcorlite.plugins.audit.writer import Writer


def today():
    return utcnow().strftime("%Y-%m-%d")


def export(cli_runner, tmp_path, *args):
    out = tmp_path / "audit.csv"
    result = cli_runner("audit", "export", "--since", today(), "-o", str(out), *args)
    assert result.exit_code == 0, result.output
    with open(out, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def shared(app, make_user, make_circle, make_dataset):
    """A private dataset of ``owner`` in a circle where ``reader`` is a member."""
    owner, reader = make_user("owner"), make_user("reader")
    circle = make_circle(owner, members={reader: "member"})
    dataset = make_dataset(owner, circle, private=True)
    resource = dataset.resources.get()
    record.writer(app).flush()
    return owner, reader, dataset, resource


def download_url(base, dataset, resource):
    return f"{base}/dataset/{dataset.id}/resource/{resource.id}/download/{resource.name}"


def test_a_download_by_another_user_is_exported_with_user_address_and_resource(
        app, live_server, shared, cli_runner, tmp_path):
    owner, reader, dataset, resource = shared
    response = requests.get(download_url(live_server, dataset, resource),
                            headers={"Authorization": reader.token}, timeout=30)
    assert response.status_code == 200
    requests.get(download_url(live_server, dataset, resource), timeout=30)  # 404, not recorded
    record.writer(app).flush()
    rows = [r for r in export(cli_runner, tmp_path) if r["action"] == "download"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["actor"], row["ip"], row["dataset_id"], row["resource_id"]) == (
        "reader", "127.0.0.1", dataset.id, resource.id)
    assert row["token_id"] == reader.token.split(".")[0]
    assert '"artifact":"resource"' in row["details"]
    assert export(cli_runner, tmp_path, "--user", "owner", "--action", "download") == []
    assert [r["action"] for r in export(cli_runner, tmp_path, "--dataset", dataset.id)
            if r["actor"] == "owner"][:1] == ["change"]


@pytest.mark.sqlite_only
def test_dclab_opening_a_private_resource_records_its_user_once_per_basin(
        app, shared, app_server, patient_basin_checks, cli_runner, tmp_path):
    owner, reader, dataset, resource = shared
    drain(app)
    APIHandler.api_keys.clear()
    try:
        with dclab.new_dataset(resource.id, host=app_server.url.split("://")[1],
                               api_key=reader.token, use_ssl=False) as ds:
            assert len(ds["deform"][:]) == len(ds)
            ds["image"][0]
            ds["image"][len(ds) - 1]
    finally:
        APIHandler.api_keys.clear()
    app_server.stop()  # a clean stop writes the server's queued entries
    rows = export(cli_runner, tmp_path, "--user", "reader")
    basins = [r for r in rows if r["action"] == "basin"]
    assert basins and all(r["resource_id"] == resource.id for r in basins)
    # one entry per artifact and window, however many ranged requests dclab made
    assert len(basins) == len({r["details"] for r in basins}) <= 2
    reads = [r for r in rows if r["action"] == "read" and r["resource_id"] == resource.id]
    assert len(reads) == 1 and '"via":"dcserv"' in reads[0]["details"]


def test_private_package_show_changes_and_sharing_are_recorded(
        app, api, shared, make_user, cli_runner, tmp_path):
    owner, reader, dataset, _ = shared
    other = make_user("other")
    assert api("package_show", reader, id=dataset.id)[0] == 200
    assert api("package_patch", owner, id=dataset.id, private=False)[0] == 200
    assert api("package_collaborator_create", owner, id=dataset.id, user_id=other.id,
               capacity="member")[0] == 200
    record.writer(app).flush()
    got = [(r["action"], r["actor"]) for r in export(cli_runner, tmp_path, "--dataset", dataset.id)]
    assert ("read", "reader") in got
    assert ("change", "owner") in got
    assert ("share", "owner") in got


def test_repeated_reads_of_a_dataset_are_one_entry_per_window(app, api, shared, cli_runner,
                                                              tmp_path):
    """DCOR-Aid polls package_show while it waits; the trail keeps who read it, once."""
    owner, reader, dataset, _ = shared
    for _ in range(5):
        assert api("package_show", reader, id=dataset.id)[0] == 200
    assert api("package_show", owner, id=dataset.id)[0] == 200
    record.writer(app).flush()
    reads = [r["actor"] for r in export(cli_runner, tmp_path, "--dataset", dataset.id)
             if r["action"] == "read" and not r["resource_id"]]
    assert sorted(reads) == ["owner", "reader"]


def test_purge_details_from_the_command_line_are_stored_and_exported(app, cli_runner, tmp_path):
    host.notify("activity", action="purge", dataset_id="d-1", resource_id=None,
                details={"reason": "patient withdrew consent", "request": "DR-7",
                         "actor": "curator"})
    rows = export(cli_runner, tmp_path)
    assert [(r["action"], r["actor"], r["dataset_id"]) for r in rows] == [
        ("purge", "curator", "d-1")]
    assert '"reason":"patient withdrew consent"' in rows[0]["details"]
    assert '"request":"DR-7"' in rows[0]["details"]


def add_entries(n, start=0):
    for i in range(start, start + n):
        host.notify("activity", action="change", dataset_id=f"d-{i}", resource_id=None,
                    details={"actor": f"u{i}", "n": i})


def test_verify_names_an_edited_entry_and_a_removed_middle_entry(app, cli_runner):
    add_entries(6)
    result = cli_runner("audit", "verify")
    assert result.exit_code == 0 and "intact: 6 entries" in result.output
    database.execute_sql("UPDATE audit_entry SET actor = 'someone else' WHERE id = 3")
    result = cli_runner("audit", "verify")
    assert result.exit_code == 1 and "entry 3 was changed" in result.output

    database.execute_sql("UPDATE audit_entry SET actor = 'u2' WHERE id = 3")
    assert cli_runner("audit", "verify").exit_code == 0
    database.execute_sql("DELETE FROM audit_entry WHERE id = 4")
    result = cli_runner("audit", "verify")
    assert result.exit_code == 1 and "entry 5: its previous hash does not match entry 3" \
        in result.output


def test_a_removed_last_entry_is_found_too(app, cli_runner):
    add_entries(3)
    database.execute_sql("DELETE FROM audit_entry WHERE id = 3")
    result = cli_runner("audit", "verify")
    assert result.exit_code == 1 and "the last entry written was 3" in result.output


def test_pruning_by_retention_keeps_verify_working(app, cli_runner):
    add_entries(3)
    middle = utcnow()
    add_entries(3, start=3)
    removed = chain.prune(database.obj, days=1, now=middle + datetime.timedelta(days=1))
    assert removed == 3
    assert [e.id for e in AuditEntry.select().order_by(AuditEntry.id)] == [4, 5, 6]
    result = cli_runner("audit", "verify")
    assert result.exit_code == 0 and "intact: 3 entries" in result.output
    add_entries(1, start=6)
    assert cli_runner("audit", "prune").output.startswith("0 entries removed")
    assert cli_runner("audit", "verify").exit_code == 0
    database.execute_sql("DELETE FROM audit_entry WHERE id = 4")  # the first one left
    result = cli_runner("audit", "verify")
    assert result.exit_code == 1 and "entry 5" in result.output
    chain.prune(database.obj, days=0, now=utcnow() + datetime.timedelta(seconds=1))
    assert AuditEntry.select().count() == 0
    assert "intact: 0 entries" in cli_runner("audit", "verify").output


def test_audit_list_is_for_sysadmins_only(app, api, client, make_user):
    admin, user = make_user("admin", sysadmin=True), make_user("plain")
    add_entries(5)
    status, body = api("audit_list", user)
    assert status == 403 and body["success"] is False
    assert body["error"]["__type"] == "Authorization Error"
    assert api("audit_list", None)[0] == 403
    status, body = api("audit_list", admin, method="GET", limit=2, offset=1)
    assert status == 200 and body["success"] is True
    result = body["result"]
    assert result["count"] == 5 and [e["actor"] for e in result["results"]] == ["u3", "u2"]
    body = client.post("/api/3/action/audit_list", headers={"Authorization": admin.token},
                       json={"user": "u1", "since": today(), "until": today()}).get_json()
    assert [e["dataset_id"] for e in body["result"]["results"]] == ["d-1"]
    status, body = api("audit_list", admin, since="yesterday")
    assert status == 409 and "since" in body["error"]


def test_the_admin_page_shows_the_trail_and_its_csv(app, client, make_user):
    admin, user = make_user("admin", sysadmin=True), make_user("plain")
    add_entries(2)
    page = client.get("/admin/audit", headers={"Authorization": admin.token})
    assert page.status_code == 200 and b"u1" in page.data and b"/admin/audit.csv" in page.data
    assert client.get("/admin/audit", headers={"Authorization": user.token}).status_code == 403
    assert client.get("/admin/audit").status_code == 302
    data = client.get("/admin/audit.csv?user=u0", headers={"Authorization": admin.token})
    rows = list(csv.DictReader(data.get_data(as_text=True).splitlines()))
    assert [r["dataset_id"] for r in rows] == ["d-0"]
    assert client.get("/admin/audit.csv", headers={"Authorization": user.token}).status_code == 403


def test_concurrent_downloads_all_land_and_the_chain_verifies(
        app, live_server, shared, make_user, cli_runner, tmp_path):
    owner, reader, dataset, resource = shared
    url = download_url(live_server, dataset, resource)
    errors = []

    def fetch(token):
        with requests.Session() as session:
            for _ in range(10):
                if session.get(url, headers={"Authorization": token}, timeout=60).status_code != 200:
                    errors.append(token)

    threads = [threading.Thread(target=fetch, args=(t,)) for t in (owner.token, reader.token) * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    record.writer(app).flush()
    rows = [r for r in export(cli_runner, tmp_path) if r["action"] == "download"]
    assert len(rows) == 80
    assert cli_runner("audit", "verify").exit_code == 0


def test_writers_of_several_processes_keep_one_chain(app, cli_runner):
    """Two queues (as in two server processes) flushing at once still make one chain."""
    writers = [Writer(database.obj, 60, 10 ** 6, 0) for _ in range(4)]
    for n, w in enumerate(writers):
        for i in range(50):
            w.submit({"at": utcnow(), "action": "read", "actor": f"w{n}", "token_id": "",
                      "ip": "", "dataset_id": str(i), "resource_id": None, "details": "{}"})
    barrier = threading.Barrier(len(writers))

    def flush(w):
        barrier.wait()
        assert w.flush() == 50

    threads = [threading.Thread(target=flush, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert AuditEntry.select().count() == 200
    result = cli_runner("audit", "verify")
    assert result.exit_code == 0 and "intact: 200 entries" in result.output


def test_nothing_is_recorded_when_disabled(app, api, make_user):
    admin = make_user("admin", sysadmin=True)
    app.config["AUDIT_ENABLED"] = False
    add_entries(2)
    app.config["AUDIT_ENABLED"] = True
    assert api("audit_list", admin)[1]["result"]["count"] == 0


def _event(n):
    return {"at": utcnow(), "action": "read", "actor": "w", "token_id": "", "ip": "",
            "dataset_id": str(n), "resource_id": None, "details": "{}"}


def test_stopping_the_app_writes_the_queue_and_ends_the_thread(app):
    writer = record.writer(app)
    writer.submit(_event(1))
    thread = writer._thread
    assert thread is not None and thread.is_alive()
    stop_app(app)
    assert not thread.is_alive()
    assert AuditEntry.select().count() == 1


def test_a_database_that_is_gone_gives_one_traceback_not_one_per_retry(tmp_path, caplog):
    """The thread retries every interval; its log says so once, then briefly, and it stops."""
    gone = peewee.SqliteDatabase(str(tmp_path / "no-audit-tables.sqlite"))
    writer = Writer(gone, 0.02, 10 ** 6, 0)
    writer.submit(_event(1))
    deadline = time.monotonic() + 10
    while (len([r for r in caplog.records if r.name == "dcorlite.plugins.audit.writer"]) < 4
           and time.monotonic() < deadline):
        time.sleep(0.02)
    thread = writer._thread
    writer.close()
    ours = [r for r in caplog.records if r.name == "dcorlite.plugins.audit.writer"]
    assert len(ours) >= 4
    assert [r.exc_info is not None for r in ours] == [True] + [False] * (len(ours) - 1)
    assert "still cannot write 1 entries" in ours[-1].getMessage()
    assert thread is not None and not thread.is_alive()
    assert writer._pending and writer._pending[0]["dataset_id"] == "1"  # kept, not dropped
    logged = len(caplog.records)
    time.sleep(0.2)
    assert len(caplog.records) == logged
