"""Serving DC data: downloads, the ``dcserv`` API, basins, the condensed copy."""
from ... import hookimpl
from ...dcfiles import is_dc_resource
from ...jobs import Job
from . import condense, dcserv, kernel, routes


@hookimpl
def config_defaults():
    """Settings of dc_serve (see docs/configuration.md)."""
    return {
        "DC_SERVE_URL_EXPIRY": 3600,     # lifetime of signed basin URLs (s)
    }


@hookimpl
def register_actions(app):
    """``dcserv``."""
    return dcserv.ACTIONS


@hookimpl
def register_blueprints(app):
    """Download, condensed and basin file routes."""
    return [routes.bp]


@hookimpl
def register_jobs(app):
    """``dc_serve.kernel`` (metadata, logs, tables) and ``dc_serve.condense``."""
    return [Job(kernel.KERNEL_JOB, kernel.ensure_kernel, wants=is_dc_resource),
            Job(kernel.CONDENSE_JOB, condense.ensure_condensed, wants=is_dc_resource,
                depends_on=(kernel.KERNEL_JOB,), priority=10)]
