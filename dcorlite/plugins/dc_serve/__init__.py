"""Serving DC data: download routes (the dcserv API comes with processing)."""
from ... import hookimpl
from . import routes


@hookimpl
def register_blueprints(app):
    """The download routes."""
    return [routes.bp]
