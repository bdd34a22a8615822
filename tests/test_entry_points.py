"""A real third-party plugin, found through its ``dcorlite.plugins`` entry point.

``tests/example_plugin`` is an installable package (``pip install
./tests/example_plugin``). Installing it for real would change the
environment for every later test, so the ``example_installed`` fixture lays it
out the way pip does — the module and a ``*.dist-info`` folder with
``entry_points.txt``, both taken from its ``setup.py`` — in a temporary folder
on ``sys.path``. ``importlib.metadata`` (and so pluggy) sees it there like any
installed distribution.
"""
import ast
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from dcorlite import create_app
from dcorlite.app import stop_app

EXAMPLE = pathlib.Path(__file__).parent / "example_plugin"


def setup_arguments():
    """The keyword arguments of ``setup()`` in the example's ``setup.py``."""
    tree = ast.parse((EXAMPLE / "setup.py").read_text())
    call = next(node for node in ast.walk(tree)
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup")
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


def install_into(target):
    """Lay the example plugin out in folder ``target`` as ``pip install`` would."""
    args = setup_arguments()
    for module in args["py_modules"]:
        shutil.copy(EXAMPLE / f"{module}.py", target)
    info = target / f"{args['name'].replace('-', '_')}-{args['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {args['name']}\nVersion: {args['version']}\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{entry}\n" for entry in entries) + "\n"
        for group, entries in args["entry_points"].items()))


@pytest.fixture
def example_installed(tmp_path_factory, monkeypatch):
    """The example plugin, importable and visible to ``importlib.metadata``."""
    target = tmp_path_factory.mktemp("site-packages")
    install_into(target)
    monkeypatch.syspath_prepend(str(target))
    yield target
    sys.modules.pop("dcorlite_example", None)


@pytest.fixture
def make_app(app_config, tmp_path):
    """``make_app(**config)`` → a test app (no context pushed), stopped at the end."""
    made = []

    def make(**config):
        made.append(create_app(dict(app_config, **config),
                               instance_path=str(tmp_path / "instance")))
        return made[-1]
    yield make
    for app in made:
        stop_app(app)


def hello(app, **params):
    """GET ``example_hello`` → ``(status, body)``."""
    response = app.test_client().get("/api/3/action/example_hello", query_string=params)
    return response.status_code, response.get_json()


def test_setup_py_declares_the_entry_point():
    args = setup_arguments()
    assert args["entry_points"] == {"dcorlite.plugins": ["example = dcorlite_example"]}
    assert args["py_modules"] == ["dcorlite_example"]


@pytest.mark.sqlite_only
def test_installed_plugin_is_discovered(example_installed, make_app):
    app = make_app(LOAD_ENTRY_POINTS=True)
    status, body = hello(app, name="DCOR")
    assert (status, body["result"]) == (200, "Hello, DCOR!")
    assert hello(app)[1]["result"] == "Hello, world!"
    with app.test_client() as client:
        extensions = client.get("/api/3/action/status_show").get_json()["result"]["extensions"]
    assert "example" in extensions


@pytest.mark.sqlite_only
def test_entry_points_are_not_loaded_when_switched_off(example_installed, make_app):
    status, body = hello(make_app(LOAD_ENTRY_POINTS=False))
    assert (status, body) == (400, "Bad request - Action name not known: example_hello")


@pytest.mark.sqlite_only
def test_installed_plugin_can_be_disabled_by_name(example_installed, make_app):
    app = make_app(LOAD_ENTRY_POINTS=True, DISABLED_PLUGINS=["example"])
    assert hello(app)[0] == 400


@pytest.mark.sqlite_only
def test_plugin_without_installation_is_not_found(make_app):
    """Nothing leaks from the other tests: without the fixture there is no plugin."""
    assert hello(make_app(LOAD_ENTRY_POINTS=True))[0] == 400


def run_cli(site, instance, *args, **env):
    """Run ``dcorlite --instance INSTANCE ARGS`` in a new Python with ``site`` on its path."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DCORLITE_")}
    environ.update(env, PYTHONPATH=os.pathsep.join(
        [str(site)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    return subprocess.run(
        [sys.executable, "-c", "from dcorlite.cli import cli; cli()",
         "--instance", str(instance), *args],
        capture_output=True, text=True, env=environ, timeout=60)


def test_installed_plugin_adds_a_command(example_installed, tmp_path):
    """The plugin's ``register_commands`` puts a command into ``dcorlite``."""
    result = run_cli(example_installed, tmp_path / "instance", "--help")
    assert result.returncode == 0, result.stderr
    assert "example-hello" in result.stdout
    result = run_cli(example_installed, tmp_path / "instance", "example-hello", "DCOR")
    assert (result.returncode, result.stdout) == (0, "Hello, DCOR!\n")

    result = run_cli(example_installed, tmp_path / "instance", "--help",
                     DCORLITE_LOAD_ENTRY_POINTS="false")
    assert result.returncode == 0, result.stderr
    assert "example-hello" not in result.stdout
    assert "token" in result.stdout
