"""Uploads: signed S3-style upload URLs, the endpoints behind them, cleanup."""
import click

from ... import hookimpl
from ...jobs import Job
from ...tls import instance_self_signed
from . import actions, checksum, inspection, store, views


@hookimpl
def config_defaults():
    """Upload settings (see docs/configuration.md)."""
    return {
        # "auto": off while the instance serves its own self-signed certificate
        "UPLOADS_S3_URLS": "auto",        # False: answer like a server without the action
        "UPLOADS_PART_SIZE": 2 ** 30,     # DCOR-Aid computes ceil(size / 1 GiB) parts
        "UPLOADS_URL_EXPIRY": 86400,
        "UPLOADS_MAX_SIZE": 2 ** 40,
        "UPLOADS_STALE_HOURS": 24,        # unattached uploads are removed after this
        "UPLOADS_IDLE_MINUTES": 30,       # incomplete uploads without bytes for this long
        "UPLOADS_ACTIVE_MINUTES": 5,      # never removed: bytes arrived this recently
    }


@hookimpl
def register_actions(app):
    """``resource_upload_s3_urls``, unless :func:`offers_s3_urls` says no."""
    return actions.ACTIONS if offers_s3_urls(app) else []


def offers_s3_urls(app):
    """Whether DCOR-Aid gets upload URLs, or (False) falls back to ``package_revise``.

    DCOR-Aid checks upload URLs against the system's CAs only, never against
    the certificate pinned from a ``.dcor-access`` file, so behind the
    instance's self-signed certificate (``dcorlite certs create``) its PUTs
    would fail; ``"auto"`` turns the action off then.
    """
    value = app.config["UPLOADS_S3_URLS"]
    if isinstance(value, str) and value.strip().lower() == "auto":
        return not instance_self_signed(app)
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "")
    return bool(value)


@hookimpl
def register_jobs(app):
    """``uploads.sha256`` for files uploaded straight to storage, before all other jobs."""
    return [Job(checksum.SHA256_JOB, checksum.ensure_sha256, wants=checksum.lacks_sha256,
                priority=-100)]


@hookimpl
def register_blueprints(app):
    """The PUT/POST upload endpoints."""
    return [views.bp]


@click.group("uploads")
def uploads_group():
    """Uploads that were never attached to a dataset."""


@uploads_group.command("cleanup")
@click.option("--hours", type=float, default=None,
              help="age after which an unattached upload is removed "
                   "(default: UPLOADS_STALE_HOURS)")
@click.pass_obj
def cleanup(ctx, hours):
    """Remove unattached uploads older than HOURS, abandoned ones, and their files.

    Uploads that received bytes in the last UPLOADS_ACTIVE_MINUTES always stay.
    """
    from ...storage import get_storage
    app = ctx.app
    with app.app_context():
        removed = store.cleanup_stale(get_storage(app), **store.cleanup_settings(app, hours))
    click.echo(f"removed {removed} stale uploads")


@hookimpl
def register_commands(cli):
    """``dcorlite uploads cleanup``."""
    cli.add_command(uploads_group)


@hookimpl
def inspect_checks(app):
    """``stale uploads``: staged uploads the cleanup would remove."""
    from ...inspection import Check
    return [Check("stale uploads", inspection.check_stale_uploads)]
