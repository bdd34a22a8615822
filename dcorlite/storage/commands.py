"""``dcorlite storage migrate SOURCE TARGET``: move the stored files to another storage;
``settle``: finish what an interrupted restore left in the instance bucket; ``public-read``:
make the public-read bucket policies of S3 (:mod:`.s3_public`)."""
import os

import click

from .. import config_file, host
from . import get_storage, migrate, s3_public


def _same_url(a, b):
    """Whether two storage URLs name the same place (``file:`` paths compared absolute)."""
    def normal(url):
        scheme, _, rest = url.partition(":")
        if scheme == "file":
            return f"file:{os.path.abspath(rest[2:] if rest.startswith('//') else rest)}"
        return url.rstrip("/")
    return normal(a) == normal(b)


@click.group("storage")
def storage_group():
    """Where the instance keeps its files."""


@storage_group.command("migrate")
@click.argument("source")
@click.argument("target")
@click.option("--no-switch", is_flag=True,
              help="copy and verify only; leave STORAGE_URL as it is")
@click.pass_obj
def migrate_command(state, source, target, no_switch):
    """Copy every stored file from SOURCE (the instance's STORAGE_URL) to TARGET.

    Each file is verified by its SHA-256 after it is stored. Run it again
    after an interruption: it goes on where it stopped. Once every file is
    copied and verified, STORAGE_URL = TARGET is written to
    <instance>/config.py; restart the servers and workers then. Files written
    while it runs are copied by the next run, so stop the servers for the
    last run (it copies only what changed).
    """
    app = state.app
    current = app.config["STORAGE_URL"]
    if not _same_url(source, current):
        raise click.ClickException(f"SOURCE must be the instance's storage; "
                                   f"STORAGE_URL is {current}")
    if _same_url(source, target):
        raise click.ClickException("SOURCE and TARGET are the same storage")
    backends = dict(host.collect("register_storage_backends", app=app, unique_by="key"))
    scheme = target.split(":", 1)[0]
    if scheme not in backends:
        raise click.ClickException(f"no storage backend for TARGET scheme '{scheme}'")
    with app.app_context():
        destination = backends[scheme](target, app)
        journal = migrate.Journal(app.instance_path, target)
        report = migrate.migrate(get_storage(app), destination, journal)
    click.echo(f"copied and verified {len(report.copied)} file(s); "
               f"{len(report.skipped)} verified before")
    for key, reason in report.failed.items():
        click.echo(f"failed: {key}: {reason}", err=True)
    if not report.complete:
        raise click.ClickException("not every file is copied: run it again "
                                   "(nothing was switched)")
    if no_switch:
        click.echo("every file is copied; STORAGE_URL left as it is (--no-switch)")
        return
    _switch(app, target)


@storage_group.command("settle")
@click.pass_obj
def settle_command(state):
    """Move the files a restore wrote before its database to where their rows say.

    A restore into S3 writes every file into the instance bucket, loads the
    database, then moves each file into its circle's bucket; if that last step
    failed (the restore says so), this finishes it. Safe to run at any time.
    """
    app = state.app
    with app.app_context():
        storage = get_storage(app)
        keys = storage.unsettled_keys()
        storage.settle(keys)
    click.echo(f"moved {len(keys)} file(s) to where their rows say")


@storage_group.command("public-read")
@click.pass_obj
def public_read_command(state):
    """Let anyone read the objects of public datasets on S3 (S3_PUBLIC_READ).

    Each circle's bucket policy is made from the database; this runs by itself
    at every change and is needed only after the object store was unreachable.
    """
    app = state.app
    with app.app_context():
        if s3_public.public_read_storage(app) is None:
            raise click.ClickException("STORAGE_URL is not s3: or S3_PUBLIC_READ is off")
        count = s3_public.ensure_all(app)
    click.echo(f"public-read policy of {count} circle(s) made from the database")


def _switch(app, target):
    done, problem = config_file.switch(app.instance_path, "STORAGE_URL", target,
                                       "storage migrate")
    click.echo(f"every file is copied; {done}")
    if problem:
        raise click.ClickException(problem)
    click.echo("restart the servers and workers to use it")
