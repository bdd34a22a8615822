"""``dcorlite audit verify|export|prune``."""
import sys

import click

from ...db import database
from . import chain, listing


@click.group("audit")
def audit_group():
    """The audit trail: check its hash chain, export it, prune it."""


@audit_group.command("verify")
@click.pass_obj
def verify_command(state):
    """Check every entry's hash and link; exit status 1 names the first bad entry."""
    app = state.app
    with app.app_context():
        checked, problem = chain.verify(database.obj)
        head_id, head_hash = chain.head(database.obj)
    if problem:
        click.echo(f"audit trail damaged after {checked} good entries: {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"audit trail intact: {checked} entries; last entry {head_id}, hash {head_hash}")


@audit_group.command("export")
@click.option("--since", required=True, help="first day, e.g. 2026-01-01 (UTC)")
@click.option("--until", default=None, help="last day, included")
@click.option("--dataset", "dataset_id", default=None, help="only this dataset id")
@click.option("--user", default=None, help="only this user name")
@click.option("--action", default=None, help="only this action (read, download, …)")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="write to this file (mode 0600) instead of stdout")
@click.pass_obj
def export_command(state, since, until, dataset_id, user, action, output):
    """Write the entries as CSV (oldest first)."""
    app = state.app
    with app.app_context():
        try:
            query = listing.select(since=listing.parse_day(since, "since"),
                                   until=listing.parse_day(until, "until", end=True),
                                   dataset_id=dataset_id, user=user, action=action)
        except Exception as exc:
            raise click.UsageError(str(getattr(exc, "errors", exc))) from None
        if output is None:
            listing.write_csv(query, sys.stdout)
            return
        with open(output, "w", newline="", encoding="utf-8") as fh:
            count = listing.write_csv(query, fh)
    click.echo(f"{count} entries written to {output}", err=True)


@audit_group.command("prune")
@click.option("--days", type=click.IntRange(0), default=None,
              help="keep this many days (default AUDIT_RETENTION_DAYS)")
@click.pass_obj
def prune_command(state, days):
    """Remove entries older than the retention period (the chain stays verifiable)."""
    app = state.app
    with app.app_context():
        removed = chain.prune(database.obj, app.config["AUDIT_RETENTION_DAYS"]
                              if days is None else days)
    click.echo(f"{removed} entries removed")
