"""Viewing DC data: the preview image of every RT-DC resource."""
from ... import hookimpl
from ...dcfiles import is_dc_resource
from ...jobs import Job
from . import preview


@hookimpl
def register_jobs(app):
    """``dc_view.preview``."""
    return [Job(preview.PREVIEW_JOB, preview.ensure_preview, wants=is_dc_resource,
                depends_on=("dc_serve.kernel",))]


@hookimpl
def register_blueprints(app):
    """``/dataset/<id>/resource/<rid>/preview.jpg``."""
    return [preview.bp]
