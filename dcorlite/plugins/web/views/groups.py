"""Circles and collections: lists, detail pages with their datasets, members.

Circles are CKAN organizations, collections CKAN groups; both pages are made
by :func:`_area` from the same actions the API serves for each kind.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from .... import authz
from ....actions import call_action
from ....app import current_user
from ....errors import DcorliteError, NotAuthorized, NotFound
from ....models import User
from ..filters import ROLE_NAMES
from ..forms import CollectionDatasetForm, MemberForm, RemoveMemberForm
from .common import error_text, read, require_user

bp = Blueprint("groups", __name__)

KINDS = {
    "circle": {"action": "organization", "facet": "organization", "title": _l("Circles"),
               "one": "circle", "empty": _l("There are no circles yet.")},
    "collection": {"action": "group", "facet": "groups", "title": _l("Collections"),
                   "one": "collection", "empty": _l("There are no collections yet.")},
}


def _kind(kind):
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


@bp.route("/<any(circle, collection):kind>")
def index(kind):
    """All circles or collections, with the number of datasets the user may see in each."""
    info = _kind(kind)
    groups = call_action(f"{info['action']}_list", current_user(), {"all_fields": True})
    return render_template("web/groups/index.html", kind=kind, info=info, groups=groups)


def _members(user, group):
    """``[(user, role)]`` of a group, for its members only (None for others)."""
    if authz.role_in(user, group["id"]) is None:
        return None
    rows = call_action("member_list", user, {"id": group["id"]})
    by_id = {u.id: u for u in User.select().where(User.id.in_([r[0] for r in rows]))}
    return sorted(((by_id[r[0]], r[2]) for r in rows if r[0] in by_id),
                  key=lambda item: item[0].name)


@bp.route("/<any(circle, collection):kind>/<name>")
def show(kind, name):
    """A circle or collection: description, its datasets (search), members and forms."""
    info = _kind(kind)
    user = current_user()
    group = read(f"{info['action']}_show", {"id": name})
    role = authz.role_in(user, group["id"])
    found = call_action("package_search", user, {
        "fq": f'{info["facet"]}:"{group["name"]}"', "rows": 50,
        "sort": "metadata_modified desc", "include_private": True,
        "include_drafts": user is not None})
    return render_template(
        "web/groups/show.html", kind=kind, info=info, group=group, found=found,
        members=_members(user, group), may_manage=role == "admin",
        may_edit_datasets=kind == "collection" and role in authz.WRITE_ROLES,
        member_form=MemberForm(), remove_form=RemoveMemberForm(),
        dataset_form=CollectionDatasetForm())


def _back(kind, group):
    return redirect(url_for(".show", kind=kind, name=group["name"]))


def _run(action, user, data):
    """Call a changing action; its refusal becomes the matching error page."""
    try:
        return call_action(action, user, data)
    except NotFound as exc:
        flash(error_text(exc) or _("Not found."), "error")
    except NotAuthorized:
        abort(403)
    except DcorliteError as exc:
        flash(error_text(exc), "error")
    return False


@bp.route("/<any(circle, collection):kind>/<name>/members", methods=["POST"])
def add_member(kind, name):
    """Give a user a role (the group's admins; the action checks it)."""
    info, user = _kind(kind), require_user()
    group = read(f"{info['action']}_show", {"id": name})
    form = MemberForm()
    if not form.validate_on_submit():
        abort(400)
    if _run(f"{info['action']}_member_create", user, {
            "id": group["id"], "username": form.user.data.strip(), "role": form.role.data}) \
            is not False:
        flash(_("%(name)s is now %(role)s.", name=form.user.data.strip(),
                role=ROLE_NAMES.get(form.role.data, form.role.data)), "info")
    return _back(kind, group)


@bp.route("/<any(circle, collection):kind>/<name>/members/remove", methods=["POST"])
def remove_member(kind, name):
    """Take a user out of the group."""
    info, user = _kind(kind), require_user()
    group = read(f"{info['action']}_show", {"id": name})
    form = RemoveMemberForm()
    if not form.validate_on_submit():
        abort(400)
    if _run(f"{info['action']}_member_delete", user,
            {"id": group["id"], "user_id": form.user_id.data}) is not False:
        flash(_("The member was removed."), "info")
    return _back(kind, group)


@bp.route("/collection/<name>/datasets", methods=["POST"])
def collection_dataset(name):
    """Add a dataset to a collection, or remove it (``?remove=1``): ``member_create/delete``."""
    user = require_user()
    group = read("group_show", {"id": name})
    form = CollectionDatasetForm()
    if not form.validate_on_submit():
        abort(400)
    remove = request.args.get("remove") == "1"
    data = {"id": group["id"], "object": form.dataset.data.strip(), "object_type": "package"}
    if not remove:
        data["capacity"] = "public"
    if _run("member_delete" if remove else "member_create", user, data) is not False:
        flash(_("The dataset was removed from the collection.") if remove
              else _("The dataset was added to the collection."), "info")
    return _back("collection", group)
