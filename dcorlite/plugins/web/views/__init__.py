"""The pages: one blueprint ``web`` with one child blueprint per area."""
from flask import Blueprint

from . import (account, admin, datasets, editing, groups, home, privacy, resources,
               sharing)

bp = Blueprint("web", __name__.rsplit(".", 1)[0], template_folder="templates")
for _area in (home, account, datasets, editing, resources, sharing, groups, admin, privacy):
    bp.register_blueprint(_area.bp)


def blueprint():
    """The ``web`` blueprint (static files, home, account, datasets, resources, sharing, circles and collections, admin)."""
    return bp
