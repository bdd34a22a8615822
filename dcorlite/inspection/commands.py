"""``dcorlite inspect [--fix] [--yes]``: one line per check, exit status 1 on FAIL."""
import click

from . import FAIL, MAX_DETAILS, all_checks, worst


def _show(name, finding):
    click.echo(f"{finding.status:<4}  {name}: {finding.summary}")
    for line in finding.details[:MAX_DETAILS]:
        click.echo(f"        {line}")
    if len(finding.details) > MAX_DETAILS:
        click.echo(f"        … and {len(finding.details) - MAX_DETAILS} more")


@click.command("inspect")
@click.option("--fix", is_flag=True, help="offer the safe repairs (permissions, stale "
              "uploads, quarantine of orphaned files)")
@click.option("--yes", is_flag=True, help="with --fix: repair without asking")
@click.pass_obj
def inspect_command(state, fix, yes):
    """Check the instance: configuration, permissions, certificate, fixity, storage.

    Prints OK, WARN or FAIL for every check and exits with status 1 if any
    FAILs. Nothing is changed without --fix; repairs never delete a stored
    file (orphans go to a quarantine folder) and never touch database rows.
    """
    app = state.app
    findings = []
    with app.app_context():
        for check in all_checks(app):
            finding = check.run(app)
            _show(check.name, finding)
            if fix and finding.fix is not None and (
                    yes or click.confirm(f"      fix: {finding.fix_text}?", default=False)):
                click.echo(f"      fixed: {finding.fix()}")
                finding = check.run(app)
                _show(check.name, finding)
            findings.append(finding)
    if worst(findings) == FAIL:
        raise SystemExit(1)
