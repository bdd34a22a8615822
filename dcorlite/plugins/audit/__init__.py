"""The audit trail: who read, downloaded, changed, shared or purged what, and when.

Entries are chained by SHA-256 (:mod:`.chain`), queued in memory and written
in batches by a thread of each process (:mod:`.writer`).
"""
import os

from ... import hookimpl
from . import actions, commands, pages, record

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


@hookimpl
def config_defaults():
    """Audit settings (see docs/configuration.md)."""
    return {
        "AUDIT_ENABLED": True,
        "AUDIT_RETENTION_DAYS": 395,    # entries older than this are pruned; 0: kept for ever
        "AUDIT_FLUSH_SECONDS": 1.0,     # queued entries are written at least this often
        "AUDIT_FLUSH_ENTRIES": 500,     # … or as soon as this many are waiting
        "AUDIT_DEDUPE_SECONDS": 600,    # one basin/dcserv entry per user and resource per window
    }


@hookimpl
def register_migrations():
    """The ``audit_entry`` and ``audit_anchor`` tables."""
    return ("audit", MIGRATIONS)


@hookimpl
def register_actions(app):
    """``audit_list``."""
    return actions.ACTIONS


@hookimpl
def register_blueprints(app):
    """``/admin/audit`` and ``/admin/audit.csv``."""
    return [pages.bp]


@hookimpl
def admin_pages(app):
    """The trail's table for sysadmins."""
    from flask_babel import lazy_gettext
    return [("audit.index", lazy_gettext("Audit trail"))]


@hookimpl
def register_commands(cli):
    """``dcorlite audit verify|export|prune``."""
    cli.add_command(commands.audit_group)


@hookimpl
def app_ready(app):
    """The writer of this app's queue."""
    record.setup(app)


@hookimpl
def app_stopping(app):
    """Write what is queued and end the writer thread."""
    record.writer(app).close()


@hookimpl
def activity(action, dataset_id, resource_id, details):
    """Queue an entry for the trail."""
    record.record(action, dataset_id, resource_id, details)
