"""Home page, site icon and the static files."""
import os

from flask import Blueprint, current_app, render_template, request, send_file

from ....actions import call_action
from ....app import current_user
from .. import assets, stats

bp = Blueprint("home", __name__)

FAVICON = os.path.join(assets.STATIC_DIR, "favicon.ico")


@bp.route("/")
def home():
    """Site title and intro, search box, what the user can see, the newest datasets."""
    user = current_user()
    recent = call_action("package_search", user, {
        "rows": 6, "sort": "metadata_modified desc", "include_private": True,
        "include_drafts": user is not None})
    return render_template("web/home.html", intro=current_app.config["WEB_INTRO"],
                           recent=recent["results"], totals=stats.visible_totals(user))


@bp.route("/favicon.ico")
def favicon():
    """The site icon (``WEB_FAVICON``, else the shipped one); DCOR-Aid shows it."""
    path = current_app.config.get("WEB_FAVICON") or FAVICON
    mimetype = "image/png" if path.lower().endswith(".png") else "image/x-icon"
    return send_file(path, mimetype=mimetype, max_age=86400)


@bp.route("/static/web/<path:filename>")
def static_file(filename):
    """CSS, scripts and vendored libraries (far-future cache with a content hash)."""
    return assets.serve(filename, request.args.get("v"))
