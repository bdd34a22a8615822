"""Fixity: stored files and condensed copies re-verified by SHA-256, in paced batches."""
import os
import threading

from ... import hookimpl
from . import background, check, commands, inspection

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


@hookimpl
def config_defaults():
    """Fixity settings (see docs/configuration.md)."""
    return {
        "FIXITY_DAYS": 14,          # every file is re-verified within this many days
        "FIXITY_INTERVAL": 3600,    # seconds between batches in 'dcorlite serve'; 0: none
    }


@hookimpl
def register_migrations():
    """The ``fixity_record`` table."""
    return ("fixity", MIGRATIONS)


@hookimpl
def register_blueprints(app):
    """Starts the paced batches from requests (no routes of its own)."""
    return [background.bp]


@hookimpl
def supervise(app, stop):
    """Under ``serve --processes N``: the batches run here, not in every server process."""
    interval = app.config["FIXITY_INTERVAL"]
    if interval:
        threading.Thread(target=background.run_every, args=(app, interval, stop),
                         name="dcorlite-fixity", daemon=True).start()
    return {"FIXITY_INTERVAL": 0}


@hookimpl
def register_commands(cli):
    """``dcorlite fixity check|report``."""
    cli.add_command(commands.fixity_group)


@hookimpl
def inspect_checks(app):
    """``fixity``: mismatches found, files never checked or overdue."""
    from ...inspection import Check
    return [Check("fixity", inspection.check_fixity)]


@hookimpl
def admin_status(app):
    """Files checked so far, mismatches, the latest check."""
    from flask_babel import gettext as _
    checked, bad, latest = check.summary()
    when = latest.strftime("%Y-%m-%d %H:%M UTC") if latest else "-"
    return [{"title": _("Fixity"), "rows": [(_("Files checked"), checked),
                                            (_("Mismatches at the last check"), bad),
                                            (_("Latest check"), when)]}]
