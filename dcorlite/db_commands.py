"""``dcorlite db copy TARGET``: move the instance's database from SQLite to PostgreSQL."""
import os
import subprocess
import sys

import click

from . import config_file


@click.group("db")
def db_group():
    """The instance's database."""


@db_group.command("copy")
@click.argument("target")
@click.option("--no-switch", is_flag=True, help="copy only; leave DATABASE_URL as it is")
@click.pass_obj
def copy_command(state, target, no_switch):
    """Copy the instance's SQLite database into the new PostgreSQL database TARGET.

    TARGET (postgresql://user@host/name) gets the schema of every migration,
    then every row, in one transaction: a failed copy leaves no rows there.
    Stop the servers and workers first (what they write meanwhile would not be
    copied). Then DATABASE_URL = TARGET is written to <instance>/config.py.
    """
    from .app import stop_app
    from .db import url_kind
    from .db_copy import CopyError, copy
    source = state.app.config["DATABASE_URL"]
    if url_kind(source) != "sqlite":
        raise click.ClickException(f"DATABASE_URL is not an SQLite database: {source}")
    if url_kind(target) != "postgresql":
        raise click.ClickException("TARGET must be a postgresql:// URL")
    stop_app(state.app)  # no background work of this process writes meanwhile
    _make_schema(state.instance, target)
    try:
        copied = copy(source, target)
    except CopyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"copied {sum(copied.values())} rows of {len(copied)} tables")
    if no_switch:
        click.echo("DATABASE_URL left as it is (--no-switch)")
        return
    done, problem = config_file.switch(state.instance, "DATABASE_URL", target, "db copy")
    click.echo(done)
    if problem:
        raise click.ClickException(problem)
    if state.app.config["SEARCH_BACKEND"] == "postgresql":
        click.echo("run 'dcorlite search reindex' to write the search documents")
    click.echo("start the servers and workers again to use it")


def _make_schema(instance, target):
    """``dcorlite init`` on ``target``: every migration, in a process of its own.

    (An app on it in this process would rebind the database of this one.)
    """
    env = dict(os.environ, DCORLITE_DATABASE_URL=target)
    done = subprocess.run([sys.executable, "-c", "from dcorlite.cli import cli; cli()",
                           "--instance", instance, "init"], env=env, capture_output=True,
                          text=True)
    if done.returncode:
        raise click.ClickException(f"making the schema in TARGET failed: "
                                   f"{(done.stderr or done.stdout).strip()}")
