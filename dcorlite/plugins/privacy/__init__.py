"""Patient-data care: scans of metadata and logs for personal data, and deletion requests.

Every RT-DC resource is scanned in the background (job ``privacy.scan``) for the
names of the instance's users, ``PRIVACY_WORDS`` and ``PRIVACY_PATTERNS``; the
result is the ``privacy_scan`` field of its resource dict. With
``PRIVACY_BLOCKS_ACTIVATION`` a hit blocks activation until an editor confirms it.
Dataset editors file deletion requests; a sysadmin approves them, which purges.
"""
import os

from ... import hookimpl
from ...dcfiles import is_dc_resource
from ...jobs import Job
from . import actions, commands, patterns, review, scan

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


@hookimpl
def config_defaults():
    """Patient-data settings (see docs/configuration.md)."""
    return {
        "PRIVACY_BLOCKS_ACTIVATION": False,   # False: hits are only reported
        "PRIVACY_WORDS": list(patterns.DEFAULT_WORDS),
        "PRIVACY_PATTERNS": list(patterns.DEFAULT_PATTERNS),
        "PRIVACY_MIN_NAME_LENGTH": 4,         # shorter user names are not looked for
    }


@hookimpl
def register_migrations():
    """The ``privacy_scan`` and ``privacy_deletion_request`` tables."""
    return ("privacy", MIGRATIONS)


@hookimpl
def register_actions(app):
    """``resource_privacy_confirm`` and ``dataset_deletion_request_*``."""
    return actions.ACTIONS


@hookimpl
def register_jobs(app):
    """``privacy.scan``, first of all jobs: activation may wait for it."""
    return [Job("privacy.scan", scan.ensure_scan, wants=is_dc_resource, priority=-10)]


@hookimpl
def resource_dict_fields(resource_ids):
    """``privacy_scan`` of every resource."""
    return review.dict_fields(resource_ids)


@hookimpl
def dataset_activating(dataset, resources):
    """Refuse activation while scans are pending or hits unconfirmed (if configured)."""
    review.check_activation(resources)


@hookimpl
def register_commands(cli):
    """``dcorlite dataset purge``."""
    cli.add_command(commands.dataset_group)
