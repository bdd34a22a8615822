"""One readable line for an exception that ends a ``dcorlite`` command.

:func:`describe` names what is wrong and where (the setting, the file and
line, the database, the address to listen on); :class:`CommandFailed`
prints it as ``dcorlite: error: …`` with exit status 1. The group in
:mod:`dcorlite.cli` applies both to every command unless ``--debug`` asks
for the traceback.
"""
import errno
import linecache
import os
import re
import traceback

import click

from .errors import DcorliteError, StartupError, ValidationError

PREFIX = "dcorlite: error: "
DEBUG_HINT = "(run with --debug for the traceback)"

_PASSWORD_IN_URL = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s/@:]*:)[^\s/@]+@", re.I)
# the value stops before a trailing ":" (the one after the URL in a message)
_PASSWORD_PARAM = re.compile(r"(\bpassword=)[^\s&]*[^\s&:]", re.I)
# libpq starts every connection failure with the address the URL already names
_LIBPQ_ADDRESS = re.compile(r"^connection to server (?:at|on) .*? failed:\s*")
_LIBPQ_SEVERITY = re.compile(r"^(?:FATAL|ERROR):\s*")
_SETTING_ITEM = re.compile(r"""\[["']([A-Z][A-Z0-9_]*)["']\]""")
_SECRET_SETTING = re.compile(r"SECRET|PASSWORD|TOKEN|KEY")
#: packages whose errors are database errors (besides peewee's own exceptions)
_DRIVER_PACKAGES = {"playhouse", "sqlite3", "psycopg2", "psycopg"}


class CommandFailed(click.ClickException):
    """A command failed for a reason :func:`describe` put into one line."""

    def show(self, file=None):
        """Print ``dcorlite: error: <message>`` to stderr."""
        click.echo(PREFIX + self.format_message(), file=file, err=file is None)


def keeps_click_handling(exc):
    """Whether click's own handling of ``exc`` should stay (usage errors, Abort, …)."""
    if isinstance(exc, (click.ClickException, click.exceptions.Exit,
                        click.exceptions.Abort, EOFError)):
        return True
    return isinstance(exc, OSError) and exc.errno == errno.EPIPE


def describe(exc, *, instance=None, app=None):
    """Return one line that says what went wrong, without the traceback.

    :param exc: the exception that ended the command
    :param instance: the instance folder (to recognise ``<instance>/config.py``)
    :param app: the app the command built, if any; otherwise the app being
        built when ``exc`` was raised is taken from the traceback
    """
    from flask import Flask
    app = app if app is not None else _innermost_local(exc, Flask)
    for explain in (_config_file_error, _database_error, _listen_error, _file_error,
                    _setting_error, _startup_error, _dcorlite_error):
        text = explain(exc, instance=instance, app=app)
        if text:
            break
    else:
        text = _unknown(exc)
    return mask_passwords(" ".join(text.split()))


def dcorlite_error_text(exc):
    """The message of a :class:`dcorlite.errors.DcorliteError` for the command line."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{k}: {' '.join(v) if isinstance(v, list) else v}"
                         for k, v in exc.errors.items())
    return str(exc) or exc.__class__.__name__


def mask_passwords(text):
    """Replace the passwords of URLs (``user:secret@``, ``password=secret``) by ``***``."""
    return _PASSWORD_PARAM.sub(r"\1***", _PASSWORD_IN_URL.sub(r"\1***@", text))


# -- the explanations, tried in order; each returns None when it does not apply

def _config_file_error(exc, instance, app):
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename} line {exc.lineno}: {exc.msg}"
    if instance is None:
        return None
    config_file = os.path.join(instance, "config.py")
    lines = [line for frame, line in _frames(exc) if frame.f_code.co_filename == config_file]
    if lines:
        return f"{config_file} line {lines[-1]}: {_unknown(exc, hint=False)}"
    return None


def _setting_error(exc, instance, app):
    """A value that the configuration module could not use, named by its setting."""
    own = [(frame, line) for frame, line in _frames(exc)
           if _module(frame).startswith("dcorlite")]
    if not own or _module(own[-1][0]) != "dcorlite.config":
        return None
    # The failing statement names the setting (config["KEY"] = convert(...));
    # the exception itself only says what was wrong with the value.
    for frame, line in reversed(own):
        match = _SETTING_ITEM.search(linecache.getline(frame.f_code.co_filename, line))
        if match and _module(frame) == "dcorlite.config":
            return f"invalid setting {_setting_origin(match.group(1))}: {_reason(exc)}"
    return f"invalid configuration: {_unknown(exc, hint=False)}"


def _database_error(exc, instance, app):
    url = (app.config.get("DATABASE_URL") if app is not None else None) or ""
    shown = f" {url}" if url else ""
    if _is_driver_error(exc):
        if _raised_while_connecting(exc):
            return f"cannot connect to the database{shown}: {_database_reason(exc)}"
        return f"database error{shown}: {_database_reason(exc)}"
    own = [_module(frame) for frame, _ in _frames(exc)
           if _module(frame).startswith(("dcorlite", "playhouse.db_url"))]
    if isinstance(exc, (ValueError, TypeError)) and own and \
            own[-1] in ("dcorlite.db", "playhouse.db_url"):
        return f"cannot use the database{shown}: {_reason(exc)}"
    return None


def _listen_error(exc, instance, app):
    if not isinstance(exc, (OSError, ValueError)) or \
            not any(_module(frame).startswith("waitress") for frame, _ in _frames(exc)):
        return None
    context = _innermost_local(exc, click.Context)
    params = context.params if context is not None else {}
    if "host" in params and "port" in params:
        host = f"[{params['host']}]" if ":" in str(params["host"]) else params["host"]
        return f"cannot listen on {host}:{params['port']}: {_reason(exc)}"
    return f"cannot listen: {_reason(exc)}"


def _startup_error(exc, instance, app):
    if not isinstance(exc, StartupError):
        return None
    text = str(exc)
    if "STORAGE_URL" in text and "known" not in text and app is not None:
        schemes = _storage_schemes(app)
        if schemes:
            text += f" (known: {', '.join(schemes)})"
    return text


def _dcorlite_error(exc, instance, app):
    return dcorlite_error_text(exc) if isinstance(exc, DcorliteError) else None


def _file_error(exc, instance, app):
    if not isinstance(exc, OSError) or not exc.filename or not exc.strerror:
        return None
    names = exc.filename if exc.filename2 is None else f"{exc.filename} -> {exc.filename2}"
    return f"{names}: {lower_first(exc.strerror)}"


def _unknown(exc, hint=True):
    message = str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return f"{text} {DEBUG_HINT}" if hint else text


# -- helpers

def _frames(exc):
    """``(frame, line number)`` of the traceback of ``exc``, outermost first."""
    return list(traceback.walk_tb(exc.__traceback__))


def _module(frame):
    return frame.f_globals.get("__name__") or ""


def _innermost_local(exc, cls):
    """The innermost local variable of type ``cls`` in the traceback of ``exc``."""
    for frame, _ in reversed(_frames(exc)):
        for value in frame.f_locals.values():
            if isinstance(value, cls):
                return value
    return None


def _setting_origin(key):
    """``KEY``, with the environment variable (and its value) that set it, if any."""
    value = os.environ.get(f"DCORLITE_{key}")
    if value is None:
        return key
    if _SECRET_SETTING.search(key):
        return f"{key} (DCORLITE_{key})"
    return f"{key} (DCORLITE_{key}={value})"


def _is_driver_error(exc):
    import peewee
    return isinstance(exc, peewee.PeeweeException) or \
        type(exc).__module__.split(".")[0] in _DRIVER_PACKAGES


def _raised_while_connecting(exc):
    return any(frame.f_code.co_name in ("connect", "_connect")
               and _module(frame).split(".")[0] in _DRIVER_PACKAGES | {"peewee"}
               for frame, _ in _frames(exc))


def _database_reason(exc):
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lower_first(_LIBPQ_SEVERITY.sub("", _LIBPQ_ADDRESS.sub("", lines[0])))


def _reason(exc):
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return lower_first(text.strip().rstrip(".")) or type(exc).__name__


def lower_first(text):
    """``"Connection refused"`` → ``"connection refused"`` (but ``"SSL …"`` stays)."""
    if text[:1].isupper() and text[1:2].islower():
        return text[0].lower() + text[1:]
    return text


def _storage_schemes(app):
    """The ``STORAGE_URL`` schemes the app's plugins serve (empty if unknown)."""
    from . import host
    try:
        return sorted(key for key, _ in
                      host.collect("register_storage_backends", app=app, unique_by="key"))
    except Exception:  # an explanation must not fail; the message stays without the list
        return []
