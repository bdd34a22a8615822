"""The documentation keeps up with the code."""
import inspect
import pathlib
import re

from dcorlite import hookspecs
from dcorlite.config import DEFAULTS
from dcorlite.plugins import get_plugin_manager

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def _specs():
    return {name: func for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
            if hasattr(func, "dcorlite_spec")}


def test_every_hook_is_documented_with_its_signature():
    text = (DOCS / "plugin_hooks.md").read_text()
    headings = set(re.findall(r"^### (\w+\(.*\))$", text, re.MULTILINE))
    for name, func in _specs().items():
        args = ", ".join(inspect.signature(func).parameters)
        assert f"{name}({args})" in headings, f"docs/plugin_hooks.md lacks '{name}({args})'"


def test_every_config_key_is_documented():
    text = (DOCS / "configuration.md").read_text()
    pm = get_plugin_manager({"LOAD_ENTRY_POINTS": False})
    keys = set(DEFAULTS)
    for defaults in pm.hook.config_defaults():
        keys |= set(defaults)
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, f"docs/configuration.md lacks {missing}"
