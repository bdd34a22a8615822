"""Every plugin hook, exercised by a throwaway plugin passed to ``create_app``.

Each ``test_hook_<name>`` builds an app with ``make_app(Plugin(), **config)``
and checks what a user of the app would notice. ``test_every_hook_has_a_test``
keeps that list complete when a hook is added to :mod:`dcorlite.hookspecs`.
"""
import contextlib
import logging
import threading

import click
import pluggy
import pytest
from click.testing import CliRunner
from flask import Blueprint, current_app

from dcorlite import create_app, hookimpl, hookspecs
from dcorlite.actions import Action
from dcorlite.app import stop_app
from dcorlite.cli import cli
from dcorlite.datasets import update_dataset
from dcorlite.db import database, open_database
from dcorlite.errors import StartupError, ValidationError
from dcorlite.models import Dataset, Resource, User
from dcorlite.plugins import get_plugin_manager
from dcorlite.plugins.ckan_api.actions_datasets import dc_problems
from dcorlite.search import SearchResult
from dcorlite.storage import get_storage
from dcorlite.storage.local import LocalStorage
from tests.plugins.web.conftest import PASSWORD, login


@pytest.fixture
def make_app(app, app_config, tmp_path):
    """``make_app(*plugins, **config)`` → an app with these extra plugins.

    It shares the database and instance folder of ``app`` and its context is
    pushed, so the factories (``make_user``, ``make_dataset`` …) called after
    it run inside the new app and its plugins see their events.
    """
    with contextlib.ExitStack() as stack:
        def make(*plugins, **config):
            new = create_app(dict(app_config, **config),
                             instance_path=str(tmp_path / "instance"), plugins=plugins)
            stack.callback(stop_app, new)
            stack.enter_context(new.app_context())
            return new
        yield make


def call(app, name, token=None, **data):
    """POST action ``name`` to ``app`` (as the owner of ``token``) → ``(status, body)``."""
    headers = {"Authorization": token} if token else {}
    response = app.test_client().post(f"/api/3/action/{name}", json=data, headers=headers)
    return response.status_code, response.get_json()


def spec_names():
    """Names of all hook specifications in :mod:`dcorlite.hookspecs`."""
    return {name for name, obj in vars(hookspecs).items() if hasattr(obj, "dcorlite_spec")}


# -- the meta-test -----------------------------------------------------------

def test_every_hook_has_a_test():
    """Is there a ``test_hook_<name>`` for every hook, and none for a removed hook?"""
    specs = spec_names()
    hooks_of_a_real_manager = {
        name for name in vars(get_plugin_manager({"LOAD_ENTRY_POINTS": False}).hook)
        if not name.startswith("_")}
    assert specs == hooks_of_a_real_manager
    tests = {name[len("test_hook_"):] for name in globals() if name.startswith("test_hook_")}
    assert sorted(specs - tests) == [], "hooks without a test"
    assert sorted(tests - specs) == [], "tests of hooks that do not exist"


# -- start-up hooks ----------------------------------------------------------

class ColourDefaults:
    @hookimpl
    def config_defaults(self):
        return {"EXAMPLE_COLOUR": "red", "EXAMPLE_SIZE": 3, "EXAMPLE_SHAPE": "round"}


@pytest.mark.sqlite_only
def test_hook_config_defaults(make_app, app, monkeypatch):
    """Plugin defaults fill gaps; instance file, environment and mapping override them."""
    plain = make_app(ColourDefaults())
    assert (plain.config["EXAMPLE_COLOUR"], plain.config["EXAMPLE_SIZE"]) == ("red", 3)
    assert plain.config["UPLOADS_URL_EXPIRY"] == 86400  # built-in uploads plugin, same hook
    assert "EXAMPLE_COLOUR" not in app.config  # only apps with the plugin get its defaults

    with open(f"{app.instance_path}/config.py", "w") as fh:
        fh.write('EXAMPLE_COLOUR = "blue"\nEXAMPLE_SIZE = 5\n')
    monkeypatch.setenv("DCORLITE_EXAMPLE_SIZE", "7")
    layered = make_app(ColourDefaults())
    assert layered.config["EXAMPLE_COLOUR"] == "blue"   # instance config.py
    assert layered.config["EXAMPLE_SIZE"] == 7          # environment beats config.py
    assert layered.config["EXAMPLE_SHAPE"] == "round"   # untouched default
    assert make_app(ColourDefaults(), EXAMPLE_SIZE=9).config["EXAMPLE_SIZE"] == 9


class VaultStorage(LocalStorage):
    """Local files, but under the ``vault:`` scheme."""

    def __init__(self, url, app=None):
        super().__init__("file:" + url.split(":", 1)[1], app)


class VaultBackend:
    @hookimpl
    def register_storage_backends(self):
        return {"vault": VaultStorage}


class FileBackendCopy:
    __name__ = "file_copy"  # the plugin's name in pluggy and in error messages

    @hookimpl
    def register_storage_backends(self):
        return {"file": LocalStorage}


@pytest.mark.sqlite_only
def test_hook_register_storage_backends(make_app, tmp_path, make_user, make_circle,
                                        make_dataset, make_resource):
    """The scheme of STORAGE_URL picks the plugin's class; files end up there."""
    vault = tmp_path / "vault"
    app = make_app(VaultBackend(), STORAGE_URL=f"vault:{vault}")
    assert type(get_storage(app)) is VaultStorage
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner), active=False)
    resource = make_resource(owner, dataset, b"kept in the vault", name="notes.txt")
    assert any(p.read_bytes() == b"kept in the vault" for p in vault.rglob("*") if p.is_file())
    assert resource.size == len(b"kept in the vault")


@pytest.mark.sqlite_only
def test_unknown_storage_scheme_or_second_backend_for_a_scheme_fails_start(make_app):
    with pytest.raises(StartupError, match="scheme 'nosuch'"):
        make_app(VaultBackend(), STORAGE_URL="nosuch:/somewhere")
    with pytest.raises(StartupError, match="'file' is provided by both") as excinfo:
        make_app(FileBackendCopy())
    assert "'local'" in str(excinfo.value) and "'file_copy'" in str(excinfo.value)


MIGRATION = '''
def up(migrator, db):
    db.execute_sql("CREATE TABLE example_note (text VARCHAR(50))")
    db.execute_sql("INSERT INTO example_note (text) VALUES ('{text}')")
'''


class NoteMigrations:
    def __init__(self, directory):
        self.directory = str(directory)

    @hookimpl
    def register_migrations(self):
        return ("example", self.directory)


def rows(sql):
    """All rows of ``sql`` as a list of tuples."""
    with database.connection_context():
        return [tuple(r) for r in database.execute_sql(sql).fetchall()]


def test_hook_register_migrations(make_app, tmp_path):
    """A plugin's migrations run once each, with their own history table."""
    directory = tmp_path / "example_migrations"
    directory.mkdir()
    (directory / "0001_x.py").write_text(MIGRATION.format(text="created once"))
    make_app(NoteMigrations(directory))
    make_app(NoteMigrations(directory))  # a restart: CREATE TABLE again would fail
    assert rows("SELECT text FROM example_note") == [("created once",)]
    assert rows("SELECT name FROM migrations_example") == [("0001_x",)]

    (directory / "0002_y.py").write_text(
        "def up(migrator, db):\n"
        "    db.execute_sql(\"INSERT INTO example_note (text) VALUES ('added later')\")\n")
    make_app(NoteMigrations(directory))
    assert sorted(rows("SELECT text FROM example_note")) == [("added later",),
                                                            ("created once",)]
    assert sorted(rows("SELECT name FROM migrations_example")) == [("0001_x",), ("0002_y",)]


class EchoAction:
    @hookimpl
    def register_actions(self, app):
        def plugin_echo(context, data):
            user = context["user"]
            return {"echo": data.get("text"), "user": user.name if user else None}
        return [Action("plugin_echo", plugin_echo, get=True)]


class Copycat:
    __name__ = "copycat"  # the plugin's name in pluggy and in error messages

    @hookimpl
    def register_actions(self, app):
        return [Action("package_show", lambda context, data: "stolen", get=True)]


@pytest.mark.sqlite_only
def test_hook_register_actions(make_app, make_user):
    """A plugin's action answers over the API like a built-in one."""
    app = make_app(EchoAction())
    user = make_user("echoer")
    response = app.test_client().get("/api/3/action/plugin_echo?text=hi")
    assert response.status_code == 200
    assert response.get_json()["result"] == {"echo": "hi", "user": None}
    assert call(app, "plugin_echo", user.token, text="ho") == (
        200, {"help": "http://localhost/api/3/action/help_show?name=plugin_echo",
              "success": True, "result": {"echo": "ho", "user": "echoer"}})
    assert "plugin_echo" in call(app, "action_list")[1]["result"]


@pytest.mark.sqlite_only
def test_two_plugins_with_the_same_action_name_fail_start(make_app):
    with pytest.raises(StartupError) as excinfo:
        make_app(Copycat())
    message = str(excinfo.value)
    assert "'package_show' is provided by both" in message
    assert "'ckan_api'" in message and "'copycat'" in message


class HelloPage:
    @hookimpl
    def register_blueprints(self, app):
        bp = Blueprint("hello_page", __name__)
        bp.add_url_rule("/hello/<name>", view_func=lambda name: f"Hello {name}!")
        return [bp]


@pytest.mark.sqlite_only
def test_hook_register_blueprints(make_app):
    app = make_app(HelloPage())
    client = app.test_client()
    response = client.get("/hello/DCOR")
    assert (response.status_code, response.text) == (200, "Hello DCOR!")
    assert client.get("/api/3/action/status_show").status_code == 200


def logged_in(app, user):
    """A test client of ``app`` with ``user`` logged in through the login form."""
    client = app.test_client()
    login(client, user)
    return client


class MailQueueStatus:
    @hookimpl
    def admin_status(self, app):
        return [{"title": "Mail queue", "rows": [("Waiting", 7), ("Sent", "<b>12</b>")]}]


@pytest.mark.sqlite_only
def test_hook_admin_status(make_app, make_user):
    """A plugin's section appears on /admin/status for sysadmins, escaped, beside the built-ins."""
    app = make_app(MailQueueStatus())
    client = logged_in(app, make_user("root", sysadmin=True, password=PASSWORD))
    html = client.get("/admin/status").get_data(as_text=True)
    assert "<h2" in html and "Mail queue</h2>" in html
    assert '<th scope="row">Waiting</th><td>7</td>' in html and "&lt;b&gt;12&lt;/b&gt;" in html
    assert "Search index</h2>" in html and "Fixity</h2>" in html


class MailQueuePage:
    mail = Blueprint("mail", __name__)

    @staticmethod
    @mail.route("/admin/mail")
    def queue():
        return "7 waiting"

    @hookimpl
    def register_blueprints(self, app):
        return [self.mail]

    @hookimpl
    def admin_pages(self, app):
        return [("mail.queue", "Mail queue")]


@pytest.mark.sqlite_only
def test_hook_admin_pages(make_app, make_user):
    """A plugin's page is linked from /admin for sysadmins, after the web UI's own."""
    app = make_app(MailQueuePage())
    client = logged_in(app, make_user("root", sysadmin=True, password=PASSWORD))
    html = client.get("/admin").get_data(as_text=True)
    assert '<a href="/admin/mail">Mail queue</a>' in html
    assert html.index('href="/admin/users"') < html.index('href="/admin/mail"')
    other = logged_in(app, make_user("nurse", password=PASSWORD))
    assert other.get("/admin").status_code == 403


class StopRecorder:
    def __init__(self):
        self.stopped = []

    @hookimpl
    def app_stopping(self, app):
        self.stopped.append(app)


@pytest.mark.sqlite_only
def test_hook_app_stopping(make_app, monkeypatch, app_config, tmp_path):
    """Called once per app: by stop_app (tests, serve), and when a CLI command ends."""
    recorder = StopRecorder()
    app = make_app(recorder)
    stop_app(app)
    stop_app(app)
    assert recorder.stopped == [app]
    from dcorlite import app as app_module
    real_create_app = app_module.create_app
    monkeypatch.setattr(app_module, "create_app",
                        lambda *a, **k: real_create_app(*a, plugins=[recorder], **k))
    env = {"DCORLITE_DATABASE_URL": app_config["DATABASE_URL"],
           "DCORLITE_STORAGE_URL": app_config["STORAGE_URL"],
           "DCORLITE_LOAD_ENTRY_POINTS": "false", "DCORLITE_SECRET_KEY": "x"}
    result = CliRunner().invoke(cli, ["--instance", str(tmp_path / "instance"), "user",
                                      "list"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(recorder.stopped) == 2 and recorder.stopped[1] is not app


class Shout:
    @hookimpl
    def register_commands(self, cli):
        @cli.command("shout")
        @click.argument("text")
        def shout(text):
            """Print TEXT in capitals."""
            click.echo(text.upper())


@pytest.mark.sqlite_only
def test_hook_register_commands(cli_runner, make_user, api):
    """Built-in ``token`` and ``uploads`` come through the hook; so would a plugin's."""
    group = click.Group()
    pm = get_plugin_manager({"LOAD_ENTRY_POINTS": False}, extra=[Shout()])
    pm.hook.register_commands(cli=group)
    assert {"token", "uploads", "shout"} <= set(group.commands)
    assert CliRunner().invoke(group, ["shout", "hello"]).output == "HELLO\n"

    without_tokens = click.Group()
    get_plugin_manager({"LOAD_ENTRY_POINTS": False, "DISABLED_PLUGINS": ["tokens"]}
                       ).hook.register_commands(cli=without_tokens)
    assert "token" not in without_tokens.commands

    help_text = cli_runner("--help").output
    assert "token" in help_text and "Manage API tokens." in help_text
    user = make_user("cliuser")
    result = cli_runner("token", "create", "cliuser")
    assert result.exit_code == 0, result.output
    user.token = result.stdout.strip()
    status, body = api("user_show", user)
    assert (status, body["result"]["name"]) == (200, "cliuser")


class BackupAgeCheck:
    """A third-party check: FAIL until the marker file exists; its fix writes the file."""

    @hookimpl
    def inspect_checks(self, app):
        import os

        from dcorlite.inspection import FAIL, Check, Finding, ok
        marker = os.path.join(app.instance_path, "backup-done")

        def run(app):
            if os.path.exists(marker):
                return ok("a backup was made")
            return Finding(FAIL, "no backup yet", fix=lambda: open(marker, "w").close()
                           or "made one", fix_text="make a backup")
        return [Check("backup age", run)]


def test_hook_inspect_checks(make_app, tmp_path):
    """A plugin's check shows in ``dcorlite inspect``; its FAIL sets the exit status."""
    from dcorlite.cli import CliState
    from dcorlite.inspection import all_checks
    from dcorlite.inspection.commands import inspect_command as command
    app = make_app(BackupAgeCheck())
    names = [c.name for c in all_checks(app)]
    assert names[:4] == ["config", "permissions", "orphaned files", "missing files"]
    assert {"backup age", "fixity", "certificate", "stale uploads"} <= set(names[4:])
    state = CliState(app.instance_path)
    state._app = app
    result = CliRunner().invoke(command, [], obj=state)
    assert result.exit_code == 1 and "FAIL  backup age: no backup yet" in result.output
    result = CliRunner().invoke(command, ["--fix", "--yes"], obj=state)
    assert "fixed: made one" in result.output and "OK    backup age" in result.output
    assert result.exit_code == 0, result.output
    with pytest.raises(StartupError, match="backup age"):
        all_checks(make_app(BackupAgeCheck(), BackupAgeCheck()))


class ReadyProbe:
    def __init__(self):
        self.calls = []

    @hookimpl
    def app_ready(self, app):
        # Ask the app itself: everything must be in place when this is called.
        status = app.test_client().get("/api/3/action/status_show").status_code
        self.calls.append((app, status))


@pytest.mark.sqlite_only
def test_hook_app_ready(make_app):
    probe = ReadyProbe()
    app = make_app(probe)
    assert probe.calls == [(app, 200)]


class SharedWork:
    """Does one process's work for all (as a compactor would) and tells the children."""

    def __init__(self):
        self.stopped = threading.Event()

    @hookimpl
    def supervise(self, app, stop):
        def run():
            stop.wait()
            self.stopped.set()
        threading.Thread(target=run, daemon=True).start()
        return {"COMPACT_IN_REQUESTS": False, "COMPACT_NOTE": "by the supervisor"}


def test_hook_supervise(make_app):
    """Its settings reach every child's environment; its work ends with the stop event."""
    from dcorlite import supervisor
    probe = SharedWork()
    app = make_app(probe)
    stop, env = supervisor.start_shared_work(app)
    assert env["DCORLITE_COMPACT_IN_REQUESTS"] == "false"
    assert env["DCORLITE_COMPACT_NOTE"] == '"by the supervisor"'
    assert env["DCORLITE_SEARCH_WRITES_INDEX"] == "false"  # the built-in search plugin's
    assert not probe.stopped.is_set()
    stop.set()
    assert probe.stopped.wait(10)


# -- per-request hooks -------------------------------------------------------

class HeaderLogin:
    """Trusts ``X-Test-User: <name>`` (as a reverse proxy with SSO might)."""

    @hookimpl
    def authenticate_request(self, request):
        name = request.headers.get("X-Test-User")
        return User.get_or_none(User.name == name) if name else None


def test_hook_authenticate_request(make_app, make_user):
    app = make_app(HeaderLogin())
    make_user("alice")
    bob = make_user("bob")
    client = app.test_client()

    def whoami(**headers):
        response = client.post("/api/3/action/user_show", json={}, headers=headers)
        return response.status_code, (response.get_json().get("result") or {}).get("name")

    assert whoami() == (403, None)
    assert whoami(**{"X-Test-User": "alice"}) == (200, "alice")
    assert whoami(Authorization=bob.token) == (200, "bob")   # built-in tokens still work
    assert whoami(**{"X-Test-User": "nobody"}) == (403, None)
    # The plugin is asked first; its answer wins over the token plugin's.
    assert whoami(Authorization=bob.token, **{"X-Test-User": "alice"}) == (200, "alice")


class FixedSearch:
    """A stand-in search index whose answer the test sets."""

    def __init__(self):
        self.answer = None
        self.asked = []

    @hookimpl
    def search_datasets(self, query, user):
        self.asked.append((query, user))
        return self.answer


def test_hook_search_datasets(make_app, make_user, make_circle, make_dataset):
    index = FixedSearch()
    app = make_app(index)
    owner = make_user("owner")
    circle = make_circle(owner)
    alpha = make_dataset(owner, circle, title="Alpha cells")
    beta = make_dataset(owner, circle, title="Beta cells")

    index.answer = SearchResult(count=41, ids=[beta.id], facets={"tags": {"blood": 41}})
    status, body = call(app, "package_search", owner.token, q="alpha", rows=5)
    assert status == 200
    assert body["result"]["count"] == 41
    assert [d["id"] for d in body["result"]["results"]] == [beta.id]
    assert body["result"]["facets"] == {"tags": {"blood": 41}}
    query, user = index.asked[-1]
    assert (query.rows, user.id) == (5, owner.id)

    index.answer = None  # no answer: the built-in search (index, else SQL) takes over
    status, body = call(app, "package_search", q="alpha")
    assert (status, body["result"]["count"]) == (200, 1)
    assert [d["id"] for d in body["result"]["results"]] == [alpha.id]
    assert index.asked[-1][1] is None


class OwnSearchCommands:
    """Answers ``dcorlite search reindex|check`` in place of the configured backend."""

    def __init__(self):
        self.asked = []

    @hookimpl
    def search_rebuild(self, app, progress, processes):
        self.asked.append(("rebuild", app, processes))
        progress(7)
        return 7

    @hookimpl
    def search_check(self, app):
        from dcorlite.search import CheckReport
        self.asked.append(("check", app, None))
        return CheckReport(missing=["m-1"], outdated=["o-1", "o-2"])


def _search_command(app, *args):
    import types
    from dcorlite.search_commands import search_group
    return CliRunner().invoke(search_group, list(args), obj=types.SimpleNamespace(app=app))


@pytest.mark.sqlite_only
def test_hook_search_rebuild(make_app):
    own = OwnSearchCommands()
    app = make_app(own)
    result = _search_command(app, "reindex", "--processes", "3")
    assert result.exit_code == 0, result.output
    assert "indexed 7 datasets" in result.output
    assert own.asked == [("rebuild", app, 3)]


@pytest.mark.sqlite_only
def test_hook_search_check(make_app):
    own = OwnSearchCommands()
    app = make_app(own)
    result = _search_command(app, "check")
    assert result.exit_code == 1
    assert "missing: 1: m-1" in result.output and "outdated: 2: o-1 o-2" in result.output
    assert own.asked == [("check", app, None)]


# -- notifications -----------------------------------------------------------

class Recorder:
    """Records every lifecycle event and what another connection sees then.

    A second database connection only sees committed rows, so ``seen`` tells
    whether the event came after the commit.
    """

    def __init__(self):
        self.events = []

    def _committed(self, model, row_id):
        other = open_database(current_app.config["DATABASE_URL"])
        try:
            with other.bind_ctx([model]):
                return model.get_or_none(model.id == row_id)
        finally:
            other.close_all()

    def _seen(self, dataset_id):
        row = self._committed(Dataset, dataset_id)
        return row.state if row else None

    @hookimpl
    def resource_created(self, resource):
        seen = self._committed(Resource, resource.id) is not None
        self.events.append(("resource_created", resource.dataset_id, resource.name, seen))

    @hookimpl
    def dataset_changed(self, dataset, changes):
        self.events.append(("dataset_changed", dataset.id, changes, self._seen(dataset.id)))

    @hookimpl
    def dataset_activated(self, dataset):
        self.events.append(("dataset_activated", dataset.id, self._seen(dataset.id)))

    @hookimpl
    def dataset_deleted(self, dataset, purged):
        self.events.append(("dataset_deleted", dataset.id, purged, self._seen(dataset.id)))

    def of(self, hook_name):
        """The recorded events of ``hook_name`` without the name."""
        return [e[1:] for e in self.events if e[0] == hook_name]


class Broken:
    """A listener that fails on every event."""

    @hookimpl
    def dataset_changed(self, dataset, changes):
        raise RuntimeError("listener broke")

    @hookimpl
    def resource_created(self, resource):
        raise RuntimeError("listener broke")


def test_hook_resource_created(make_app, make_user, make_circle, make_dataset, make_resource):
    recorder = Recorder()
    make_app(recorder)
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner), active=False)
    make_resource(owner, dataset, b"first", name="a.txt")
    make_resource(owner, dataset, b"second", name="b.txt")
    assert recorder.of("resource_created") == [(dataset.id, "a.txt", True),
                                               (dataset.id, "b.txt", True)]


def test_hook_dataset_changed(make_app, make_user, make_circle):
    recorder = Recorder()
    app = make_app(recorder)
    owner = make_user()
    circle = make_circle(owner)
    status, body = call(app, "package_create", owner.token, title="Before",
                        authors="A. Tester", license_id="CC-BY-4.0", owner_org=circle.id)
    assert status == 200, body
    dataset_id = body["result"]["id"]
    assert recorder.of("dataset_changed") == [(dataset_id, {"state": (None, "draft")}, "draft")]

    status, _ = call(app, "package_patch", owner.token, id=dataset_id, title="After")
    assert status == 200
    assert recorder.of("dataset_changed")[1] == (dataset_id, {"title": ("Before", "After")},
                                                 "draft")
    assert recorder.of("dataset_activated") == []


def test_sharing_and_collections_are_dataset_changes(make_app, make_user, make_circle,
                                                    make_collection, make_dataset):
    """Search indexes learn about collaborators and collection membership."""
    recorder = Recorder()
    app = make_app(recorder)
    owner, friend = make_user(), make_user()
    dataset = make_dataset(owner, make_circle(owner), private=True)
    collection = make_collection(owner, name="friends")
    start = len(recorder.of("dataset_changed"))
    for action, data in (("member_create", dict(id="friends", object=dataset.id,
                                                object_type="package", capacity="member")),
                         ("package_collaborator_create", dict(id=dataset.id,
                                                              user_id=friend.id)),
                         ("package_collaborator_delete", dict(id=dataset.id,
                                                              user_id=friend.id)),
                         ("member_delete", dict(id="friends", object=dataset.id,
                                                object_type="package"))):
        assert call(app, action, owner.token, **data)[0] == 200
    changes = [c for _, c, _ in recorder.of("dataset_changed")[start:]]
    assert changes == [{"groups": ([], ["friends"])},
                       {"collaborators": ((friend.id, None), (friend.id, "member"))},
                       {"collaborators": ((friend.id, "shared"), (friend.id, None))},
                       {"groups": (["friends"], [])}]
    assert collection.name == "friends"


def test_hook_dataset_activated(make_app, make_user, make_circle, make_dataset,
                                make_resource, rtdc_path):
    recorder = Recorder()
    make_app(recorder)
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner), private=True, active=False)
    make_resource(owner, dataset, rtdc_path)
    update_dataset(owner, dataset, {"state": "active"}, dc_problems)
    assert recorder.of("dataset_activated") == [(dataset.id, "active")]
    assert recorder.events[-2][:3] == ("dataset_changed", dataset.id,
                                       {"state": ("draft", "active")})
    update_dataset(owner, dataset, {"private": False}, dc_problems)
    assert recorder.events[-1][:3] == ("dataset_changed", dataset.id, {"private": (True, False)})
    assert len(recorder.of("dataset_activated")) == 1  # only the transition counts


class Gatekeeper:
    """Refuses the activation of datasets with a resource called ``draft.rtdc``."""

    def __init__(self):
        self.seen = []

    @hookimpl
    def dataset_activating(self, dataset, resources):
        self.seen.append((dataset.id, [r.name for r in resources]))
        if any(r.name == "draft.rtdc" for r in resources):
            raise ValidationError({"state": ["draft.rtdc cannot be published"]})


@pytest.mark.sqlite_only
def test_hook_dataset_activating(make_app, make_user, make_circle, make_dataset,
                                 make_resource, rtdc_path, api):
    gate = Gatekeeper()
    app = make_app(gate)
    owner = make_user()
    refused = make_dataset(owner, make_circle(owner), active=False)
    make_resource(owner, refused, rtdc_path, name="draft.rtdc")
    status, body = call(app, "package_patch", owner.token, id=refused.id, state="active")
    assert status == 409 and body["error"]["state"] == ["draft.rtdc cannot be published"]
    assert Dataset.get_by_id(refused.id).state == "draft"
    accepted = make_dataset(owner, make_circle(owner), active=False)
    make_resource(owner, accepted, rtdc_path, name="final.rtdc")
    status, body = call(app, "package_revise", owner.token, match={"id": accepted.id},
                        update={"state": "active"})
    assert status == 200 and body["result"]["package"]["state"] == "active"
    assert gate.seen == [(refused.id, ["draft.rtdc"]), (accepted.id, ["final.rtdc"])]


class Stamp:
    """Adds ``stamp`` to every resource dict; counts how often it was asked."""

    def __init__(self):
        self.asked = []

    @hookimpl
    def resource_dict_fields(self, resource_ids):
        self.asked.append(sorted(resource_ids))
        return {rid: {"stamp": f"seen {rid[:4]}"} for rid in resource_ids}


@pytest.mark.sqlite_only
def test_hook_resource_dict_fields(make_app, make_user, make_circle, make_dataset,
                                   make_resource):
    stamp = Stamp()
    app = make_app(stamp)
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner), active=False)
    first = make_resource(owner, dataset, b"one", name="a.txt")
    second = make_resource(owner, dataset, b"two", name="b.txt")
    status, body = call(app, "package_show", owner.token, id=dataset.id)
    assert [r["stamp"] for r in body["result"]["resources"]] == [
        f"seen {first.id[:4]}", f"seen {second.id[:4]}"]
    assert stamp.asked[-1] == sorted([first.id, second.id])  # one call for the dataset
    asked = len(stamp.asked)
    call(app, "package_show", owner.token, id=dataset.id)
    assert len(stamp.asked) == asked  # the cached dict is reused
    status, body = call(app, "resource_show", owner.token, id=second.id)
    assert body["result"]["stamp"] == f"seen {second.id[:4]}"


class Outbox:
    """Writes a row of its own inside every dataset write; can refuse a write."""

    def __init__(self, refuse_title=None):
        self.refuse_title = refuse_title
        self.calls = []

    @hookimpl
    def dataset_written(self, dataset_id, background):
        self.calls.append(dataset_id)
        self.background = background
        # still in the writer's transaction: another connection cannot see the change yet
        self.committed_yet = Recorder()._committed(Dataset, dataset_id) is not None
        dataset = Dataset.get_or_none(Dataset.id == dataset_id)
        if dataset is not None and dataset.title == self.refuse_title:
            raise RuntimeError("outbox refuses this change")


@pytest.mark.sqlite_only
def test_hook_dataset_written(make_app, make_user, make_circle, make_collection):
    """Called inside the transaction of every kind of dataset write; a failure rolls it back."""
    outbox = Outbox(refuse_title="Refused")
    app = make_app(outbox)
    owner, friend = make_user(), make_user()
    circle = make_circle(owner)
    make_collection(owner, name="friends")
    status, body = call(app, "package_create", owner.token, title="Kept", authors="A",
                        license_id="CC-BY-4.0", owner_org=circle.id)
    assert status == 200, body
    dataset_id = body["result"]["id"]
    assert outbox.calls == [dataset_id] and outbox.committed_yet is False
    for action, data in (("package_patch", dict(id=dataset_id, title="Changed")),
                         ("member_create", dict(id="friends", object=dataset_id,
                                                object_type="package", capacity="member")),
                         ("package_collaborator_create", dict(id=dataset_id,
                                                              user_id=friend.id)),
                         ("package_collaborator_delete", dict(id=dataset_id,
                                                              user_id=friend.id)),
                         ("package_delete", dict(id=dataset_id)),
                         ("dataset_purge", dict(id=dataset_id))):
        before = len(outbox.calls)
        assert call(app, action, owner.token, **data)[0] == 200, action
        assert outbox.calls[before:] == [dataset_id], action
        assert outbox.background is False, action
    from dcorlite.revisions import mark_processed
    kept = call(app, "package_create", owner.token, title="Job results", authors="A",
                license_id="CC-BY-4.0", owner_org=circle.id)[1]["result"]["id"]
    with database.atomic():  # what the dc: metadata job does with its results
        mark_processed(kept)
    assert outbox.calls[-1] == kept and outbox.background is True
    status, body = call(app, "package_create", owner.token, title="Refused", authors="A",
                        license_id="CC-BY-4.0", owner_org=circle.id)
    assert status == 500
    assert Dataset.select().where(Dataset.title == "Refused").count() == 0  # rolled back


def test_hook_dataset_deleted(make_app, make_user, make_circle, make_dataset):
    recorder = Recorder()
    app = make_app(recorder)
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner), active=False)
    assert call(app, "package_delete", owner.token, id=dataset.id)[0] == 200
    assert recorder.of("dataset_deleted") == [(dataset.id, False, "deleted")]
    assert call(app, "dataset_purge", owner.token, id=dataset.id)[0] == 200
    assert recorder.of("dataset_deleted")[1] == (dataset.id, True, None)


def test_failing_listener_does_not_break_the_request(make_app, make_user, make_circle,
                                                     make_dataset, make_resource, caplog):
    recorder = Recorder()
    app = make_app(Broken(), recorder)
    owner = make_user()
    circle = make_circle(owner)
    with caplog.at_level(logging.ERROR, logger="dcorlite.host"):
        status, body = call(app, "package_create", owner.token, authors="A. Tester",
                            license_id="CC-BY-4.0", owner_org=circle.id)
        assert status == 200, body
        dataset = Dataset.get_by_id(body["result"]["id"])
        make_resource(owner, dataset, b"data", name="c.txt")
    assert call(app, "package_show", owner.token, id=dataset.id)[0] == 200
    assert recorder.of("dataset_changed")[0][0] == dataset.id    # others still told
    assert recorder.of("resource_created") == [(dataset.id, "c.txt", True)]
    failures = [r.getMessage() for r in caplog.records if r.name == "dcorlite.host"]
    assert any("failed in dataset_changed" in m for m in failures)
    assert any("failed in resource_created" in m for m in failures)


# -- plugin management -------------------------------------------------------

class Misspelt:
    @hookimpl
    def register_action(self, app):  # the hook is called register_actions
        return []


@pytest.mark.sqlite_only
def test_hookimpl_without_spec_fails_start(make_app):
    with pytest.raises(pluggy.PluginValidationError, match="register_action"):
        make_app(Misspelt())


@pytest.mark.sqlite_only
def test_disabled_plugin_provides_no_actions(make_app, api):
    assert api("license_list")[0] == 200
    app = make_app(DISABLED_PLUGINS=["dc_schemas"])
    status, body = call(app, "license_list")
    assert status == 400
    assert "Action name not known: license_list" in body
    assert call(app, "package_list")[0] == 200


# -- jobs ----------------------------------------------------------------------

class WordCounter:
    """Counts the words of text resources; a second job always fails."""

    def __init__(self):
        self.counts, self.processed = {}, []

    @hookimpl
    def register_jobs(self, app):
        from dcorlite.jobs import Job
        wants_txt = lambda res: res.name.endswith(".txt")  # noqa: E731
        return [Job("example.count_words", self.count, wants=wants_txt, retries=0),
                Job("example.explode", self.explode, wants=wants_txt, retries=1),
                Job("example.after_explode", self.count, wants=wants_txt,
                    depends_on=("example.explode",), retries=0)]

    def count(self, resource_id):
        from dcorlite.storage import resource_key
        with get_storage().open_range(resource_key(resource_id)) as fh:
            self.counts[resource_id] = len(fh.read().split())

    def explode(self, resource_id):
        raise RuntimeError("boom")

    @hookimpl
    def resource_processed(self, resource, job, error):
        self.processed.append((resource.name, job, error))


def _drain(app):
    """Run every queued task; return how many of them processed a resource.

    The search index's tasks (queued by the same events) run too but are not
    counted: one processing task per resource is what these tests check.
    """
    from dcorlite.jobs.queue import TASK_NAME
    huey = app.extensions["dcorlite"]["huey"]
    count = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        count += task.name == TASK_NAME
    return count


def test_hook_register_jobs(make_app, make_user, make_circle, make_dataset, make_resource):
    from dcorlite.models import JobState
    counter = WordCounter()
    app = make_app(counter)
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner), active=False)
    res = make_resource(owner, dataset, b"three little words", name="a.txt")
    states = {s.job: s.state for s in JobState.select().where(JobState.resource == res.id)}
    assert states == {"example.count_words": "pending", "example.explode": "pending",
                      "example.after_explode": "pending"}
    assert _drain(app) == 1
    assert counter.counts == {res.id: 3}
    states = {s.job: (s.state, s.attempts) for s in
              JobState.select().where(JobState.resource == res.id)}
    assert states["example.count_words"] == ("done", 1)
    assert states["example.explode"] == ("error", 2)  # one retry
    assert states["example.after_explode"][0] == "error"


def test_hook_resource_processed(make_app, make_user, make_circle, make_dataset,
                                 make_resource):
    counter = WordCounter()
    app = make_app(counter)
    owner = make_user()
    dataset = make_dataset(owner, make_circle(owner), active=False)
    make_resource(owner, dataset, b"one two", name="b.txt")
    _drain(app)
    assert counter.processed == [
        ("b.txt", "example.count_words", None),
        ("b.txt", "example.explode", "RuntimeError: boom"),
        ("b.txt", "example.after_explode", "dependency example.explode failed")]


def test_job_with_unknown_dependency_fails_start(make_app):
    from dcorlite.jobs import Job

    class Orphan:
        @hookimpl
        def register_jobs(self, app):
            return [Job("example.orphan", lambda rid: None, depends_on=("example.none",))]

    with pytest.raises(StartupError, match="unknown job 'example.none'"):
        make_app(Orphan())


class ActivityRecorder:
    """Records ``activity`` calls and the request user they were made for."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def activity(self, action, dataset_id, resource_id, details):
        self.calls.append((action, dataset_id, resource_id, dict(details)))


def test_hook_activity(make_app, make_user, make_circle, make_dataset):
    recorder = ActivityRecorder()
    app = make_app(recorder)
    owner, stranger = make_user(), make_user()
    dataset = make_dataset(owner, make_circle(owner), private=True, active=False)
    recorder.calls.clear()
    assert call(app, "package_show", owner.token, id=dataset.id)[0] == 200
    assert call(app, "package_show", stranger.token, id=dataset.id)[0] == 403
    assert recorder.calls == [("read", dataset.id, None, {})]  # after success only
    assert call(app, "package_delete", owner.token, id=dataset.id)[0] == 200
    assert recorder.calls[-1] == ("delete", dataset.id, None, {"actor": owner.name})
