"""``dcorlite fixity check [--all]`` and ``dcorlite fixity report``."""
import click

from . import check


@click.group("fixity")
def fixity_group():
    """Re-verify the SHA-256 of stored files and condensed copies."""


@fixity_group.command("check")
@click.option("--all", "everything", is_flag=True,
              help="check every file now, not only the batch that is due")
@click.pass_obj
def check_command(state, everything):
    """Check the files that are due (or all); exit status 1 if any differs."""
    app = state.app
    with app.app_context():
        records = check.run_check() if everything else check.run_batch(app)
        bad = [r for r in records if not r.ok]
    click.echo(f"checked {len(records)} files, {len(bad)} mismatched")
    _print(bad)
    if bad:
        raise SystemExit(1)


@fixity_group.command("report")
@click.pass_obj
def report_command(state):
    """List the files whose last check failed; exit status 1 if there are any."""
    app = state.app
    with app.app_context():
        bad = check.problems()
    click.echo(f"{len(bad)} files failed their last fixity check")
    _print(bad)
    if bad:
        raise SystemExit(1)


def _print(records):
    for r in records:
        click.echo(f"MISMATCH {r.artifact} of resource {r.resource_id} ({r.key}), checked "
                   f"{r.checked_at:%Y-%m-%d %H:%M} UTC: {r.problem}")
