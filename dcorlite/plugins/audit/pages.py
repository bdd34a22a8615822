"""``/admin/audit``: the trail as a table for sysadmins, and its CSV download."""
from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...actions import call_action
from ...errors import NotAuthorized, ValidationError
from . import listing, record

bp = Blueprint("audit", __name__, url_prefix="/admin")
PAGE = 100
FILTERS = ("since", "until", "dataset_id", "user", "action")


def _sysadmin():
    user = g.get("user")
    if user is None:
        abort(redirect(url_for("web.account.login", next=request.full_path.rstrip("?"))))
    return user


def _filters():
    return {k: request.args[k].strip() for k in FILTERS if request.args.get(k, "").strip()}


@bp.route("/audit")
def index():
    """The newest entries matching the filters, a page at a time."""
    user = _sysadmin()
    filters = _filters()
    page = max(1, request.args.get("page", 1, type=int))
    try:
        found = call_action("audit_list", user,
                            dict(filters, limit=PAGE, offset=(page - 1) * PAGE))
    except NotAuthorized:
        abort(403)
    except ValidationError as exc:
        found = {"count": 0, "results": []}
        error = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
    else:
        error = None
    return render_template("web/admin/audit.html", found=found, filters=filters, page=page,
                           error=error,
                           pages=max(1, -(-found["count"] // PAGE)),
                           title=_("Audit trail"))


@bp.route("/audit.csv")
def export_csv():
    """The entries matching the filters as CSV (oldest first), streamed."""
    user = _sysadmin()
    if not user.sysadmin:
        abort(403)
    filters = _filters()
    record.writer().flush()
    try:
        query = listing.select(since=listing.parse_day(filters.get("since"), "since"),
                               until=listing.parse_day(filters.get("until"), "until", end=True),
                               dataset_id=filters.get("dataset_id"), user=filters.get("user"),
                               action=filters.get("action"))
    except ValidationError:
        abort(400)
    return Response(listing.csv_lines(query), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="audit.csv"'})
