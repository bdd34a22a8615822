"""The configuration check: unknown keys, the form of ``SITE_URL``, contradictions."""
import os
import urllib.parse

from flask import Config, Flask

from .. import host
from ..config import DEFAULTS
from . import FAIL, WARN, Finding, ok

#: ``DCORLITE_*`` variables that are not settings (read by the CLI and the tests)
NOT_SETTINGS = ("INSTANCE", "DEBUG")
NOT_SETTINGS_PREFIXES = ("TEST_",)
#: settings of the Flask extensions dcorlite uses
EXTENSION_PREFIXES = ("WTF_", "BABEL_")


def known_keys(app):
    """Every setting some part of ``app`` reads: core, plugins and Flask."""
    keys = set(DEFAULTS) | set(Flask.default_config)
    keys |= {key for key, _ in host.collect("config_defaults", app=app)}
    return keys


def given_keys(app):
    """``{key: where}`` of the settings the instance file and the environment give."""
    given = {}
    path = os.path.join(app.instance_path, "config.py")
    if os.path.isfile(path):
        file_config = Config(app.instance_path)
        file_config.from_pyfile("config.py")
        given.update({key: "config.py" for key in file_config})
    for name in os.environ:
        key = name[len("DCORLITE_"):]
        if name.startswith("DCORLITE_") and key not in NOT_SETTINGS \
                and not key.startswith(NOT_SETTINGS_PREFIXES):
            given[key] = f"${name}"
    return given


def site_url_problem(value):
    """Why ``value`` cannot be a ``SITE_URL`` (None if it can, or is unset)."""
    if not value:
        return None
    parts = urllib.parse.urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"SITE_URL {value!r} must start with http:// or https:// and name a host"
    if parts.query or parts.fragment:
        return f"SITE_URL {value!r} must not have a query or fragment"
    try:
        parts.port
    except ValueError:
        return f"SITE_URL {value!r} has an invalid port"
    return None


def contradictions(config):
    """Settings that cannot both hold, one line each."""
    found = []
    if config.get("X_ACCEL_REDIRECT"):
        if not str(config["STORAGE_URL"]).startswith("file:"):
            found.append("X_ACCEL_REDIRECT needs file: storage, but STORAGE_URL is "
                         f"{config['STORAGE_URL']!r}")
        if not config.get("PROXY_COUNT"):
            found.append("X_ACCEL_REDIRECT is on but PROXY_COUNT is 0: without nginx in "
                         "front, clients get empty file answers")
    site = str(config.get("SITE_URL") or "")
    if site.startswith("http:") and config.get("SESSION_COOKIE_SECURE"):
        found.append("SESSION_COOKIE_SECURE is on but SITE_URL is http:, so browsers "
                     "never send the login cookie back")
    return found


def check_config(app):
    """Unknown keys (WARN), a malformed ``SITE_URL`` or contradicting settings (FAIL)."""
    known = known_keys(app)
    unknown = sorted(f"{key} ({where})" for key, where in given_keys(app).items()
                     if key not in known and not key.startswith(EXTENSION_PREFIXES))
    problems = [p for p in [site_url_problem(app.config.get("SITE_URL"))] if p]
    problems += contradictions(app.config)
    if problems:
        return Finding(FAIL, f"{len(problems)} setting(s) wrong", problems + [
            f"unknown setting {key}" for key in unknown])
    if unknown:
        return Finding(WARN, f"{len(unknown)} unknown setting(s) (misspelt?)",
                       [f"unknown setting {key}" for key in unknown])
    return ok("settings known and consistent")
