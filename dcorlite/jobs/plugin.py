"""The host's job dispatch, registered like a plugin: settings, events, commands."""
from .. import hookimpl
from . import commands, enqueue_for_resource


@hookimpl
def config_defaults():
    """Job queue settings (see docs/configuration.md)."""
    return {
        "JOBS_DATABASE": None,     # default: <instance>/jobs.sqlite
        "JOBS_URL": None,          # redis://host:port/db: the queue in Redis instead
        "JOBS_QUEUE_NAME": None,   # its name there; default: dcorlite_<instance id>
        "JOBS_RECOVER_SECONDS": 30,  # how often consumers re-queue jobs of dead workers
        "JOBS_IMMEDIATE": False,   # run jobs inside the request (tests only)
        "JOBS_WORKERS": 2,         # worker threads inside `dcorlite serve`
        "JOBS_SCRATCH_DIR": None,  # default: <instance>/tmp
        "JOBS_SCRATCH_MAX_BYTES": None,  # copies of S3 objects held there at once (None: disk)
        "JOBS_SCRATCH_WAIT_SECONDS": 600,  # how long a job waits for that space
        "JOBS_WAIT_SECONDS": 60,   # how long a request waits for a job it needs
        "JOBS_MAX_WAITERS": 4,     # requests that may wait at once (each holds a thread)
        "JOBS_NICE": 10,           # niceness of `dcorlite worker`: requests come first
    }


@hookimpl
def resource_created(resource):
    """Queue the processing of every new resource."""
    enqueue_for_resource(resource.id)


@hookimpl
def register_commands(cli):
    """``dcorlite jobs …`` and ``dcorlite worker``."""
    cli.add_command(commands.jobs_group)
    cli.add_command(commands.worker)


@hookimpl
def admin_status(app):
    """The jobs that are not done, by state."""
    from flask_babel import gettext as _
    from .problems import problem_counts
    counts = problem_counts()
    rows = [(_(state), counts[state]) for state in sorted(counts)] or [(_("not done"), 0)]
    return [{"title": _("Background jobs"), "rows": rows}]
