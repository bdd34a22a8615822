"""Site actions: ``status_show``, ``site_read``, ``help_show``."""
from flask import current_app

from ... import __version__
from ...actions import Action, get_action, registry
from ...dictization import site_url
from ...params import text
from .params import required

#: The CKAN version we answer like; DCOR-Aid needs ≥ 2.10.1.
CKAN_VERSION = "2.11.3"


def status_show(context, data):
    """Describe this site (title, CKAN version compatibility, plugins)."""
    pm = current_app.extensions["dcorlite"]["pm"]
    return {
        "site_title": current_app.config["SITE_TITLE"],
        "site_description": "dcorlite: deformability cytometry data repository",
        "site_url": site_url(),
        "error_emails_to": None,
        "locale_default": "en",
        "ckan_version": CKAN_VERSION,
        "dcorlite_version": __version__,
        "extensions": sorted(name for name, _ in pm.list_name_plugin()),
    }


def site_read(context, data):
    """Always true (kept for old clients)."""
    return True


def help_show(context, data):
    """Return the docstring of the action ``name``."""
    name = required(data, "name")
    return get_action(name).func.__doc__ or ""


def action_list(context, data):
    """Names of all actions this server answers."""
    return sorted(registry())


ACTIONS = [
    Action("status_show", status_show, get=True),
    Action("site_read", site_read, get=True),
    Action("help_show", help_show, get=True,
           params={"name": text("the action's name", max_length=200, required=True)}),
    Action("action_list", action_list, get=True),
]
