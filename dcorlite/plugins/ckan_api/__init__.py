"""The CKAN action API (``/api/3/action/<name>``) as a built-in plugin."""
from ... import hookimpl
from . import (actions_datasets, actions_groups, actions_search, actions_sharing,
               actions_site, actions_users, search_sql, views)


@hookimpl
def config_defaults():
    """Settings of the action API (see docs/configuration.md)."""
    return {
        "CKAN_API_MAX_BODY": 16 * 2**20,         # bytes of a JSON or form request body
        "CKAN_API_MIN_DCORAID_VERSION": None,    # e.g. "1.1.0": older DCOR-Aid gets 400
    }


@hookimpl
def register_actions(app):
    """CKAN's site, user, circle, collection, dataset, resource and search actions."""
    return (actions_site.ACTIONS + actions_users.ACTIONS + actions_groups.ACTIONS
            + actions_datasets.ACTIONS + actions_search.ACTIONS + actions_sharing.ACTIONS)


@hookimpl
def register_blueprints(app):
    """The ``/api`` routes."""
    return [views.bp]


@hookimpl(trylast=True)
def search_datasets(query, user):
    """Answer searches from the database when no index plugin does."""
    return search_sql.search(query, user)
