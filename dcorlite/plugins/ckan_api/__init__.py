"""The CKAN action API (``/api/3/action/<name>``) as a built-in plugin."""
from ... import hookimpl
from . import (actions_datasets, actions_groups, actions_search, actions_sharing,
               actions_site, actions_users, search_sql, views)


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
