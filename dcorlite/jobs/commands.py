"""``dcorlite jobs status|run|rerun`` and ``dcorlite worker``."""
import os

import click

from ..models import Resource


@click.group("jobs")
def jobs_group():
    """Background processing of resources."""


@jobs_group.command("status")
@click.argument("resource_id", required=False)
@click.option("--problems", is_flag=True, help="only jobs that are not done")
@click.pass_obj
def status(state, resource_id, problems):
    """Show job states (of RESOURCE_ID, or of all resources)."""
    from .problems import job_states
    with state.app.app_context():
        rows = job_states(resource_id, problems)
        if resource_id and not rows and Resource.get_or_none(Resource.id == resource_id) is None:
            raise click.ClickException(f"no such resource: {resource_id}")
        for row in rows:
            line = (f"{row.resource_id}\t{row.resource.name}\t{row.job}\t{row.state}"
                    f"\t{row.attempts}\t{row.updated.isoformat(timespec='seconds')}")
            click.echo(line + (f"\t{row.error}" if row.error else ""))


@jobs_group.command("run")
@click.option("--resource", "resource_id", default=None, help="only this resource")
@click.option("--force", is_flag=True, help="recompute results that already exist")
@click.pass_obj
def run(state, resource_id, force):
    """Run pending or failed jobs now, in this process (all with --force)."""
    from .runner import process_resource
    app = state.app
    with app.app_context():
        if resource_id:
            if Resource.get_or_none(Resource.id == resource_id) is None:
                raise click.ClickException(f"no such resource: {resource_id}")
            ids = [resource_id]
        else:
            ids = [r.id for r in Resource.select(Resource.id).order_by(Resource.created)]
    failures = 0
    for rid in ids:
        outcome = process_resource(app, rid, force=force)
        if outcome is None:
            click.echo(f"{rid}\tbusy (another worker is processing it)")
            continue
        for job, error in outcome.items():
            failures += bool(error)
            click.echo(f"{rid}\t{job}\t{'error: ' + error if error else 'done'}")
    if failures:
        raise click.ClickException(f"{failures} job(s) failed")


@jobs_group.command("rerun")
@click.argument("resource_id")
@click.pass_obj
def rerun(state, resource_id):
    """Queue the jobs of RESOURCE_ID that are not done again, for the worker."""
    from .problems import rerun as queue_again
    with state.app.app_context():
        if not queue_again(state.app, resource_id):
            raise click.ClickException(f"no such resource: {resource_id}")
    click.echo(f"{resource_id}\tqueued")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="worker processes")
@click.pass_obj
def worker(state, workers):
    """Process the job queue in separate worker processes (for larger sites)."""
    from ..cli import configure_server_logging
    from ..dcfiles import import_dclab
    from .backends import describe
    from .recovery import RecoveringConsumer, recover
    from .scratch import clean_scratch
    configure_server_logging()
    import_dclab()
    app = state.app
    # Jobs (dclab) can take every core; on a machine that also serves, requests go first.
    os.nice(int(app.config["JOBS_NICE"]))
    clean_scratch(app)
    huey = app.extensions["dcorlite"]["huey"]
    recover(app)
    # The consumer forks its worker processes: a database connection opened here
    # (pooled, or huey's own) would be shared by all of them, and their queries
    # would read each other's results (seen on PostgreSQL with two workers).
    from ..db import dispose
    dispose()
    huey.storage.close()
    click.echo(f"dcorlite worker: {workers} process(es) on {describe(app)}")
    # SIGTERM lets every worker finish its current job, for SHUTDOWN_DRAIN_SECONDS at
    # most; a job cut off after that stays "running" and is queued again by the next
    # recovery of any consumer (see recovery.py).
    RecoveringConsumer(app, huey, workers=workers, worker_type="process", periodic=False,
                       graceful_signal="TERM",
                       shutdown_timeout=float(app.config["SHUTDOWN_DRAIN_SECONDS"])).run()
