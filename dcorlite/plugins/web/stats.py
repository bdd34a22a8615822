"""What a user can see in numbers: datasets, resources, bytes."""
import threading

from cachetools import TTLCache
from flask import current_app
from peewee import SQL, fn

from ... import authz
from ...models import Dataset, Resource

#: users whose totals are kept at once
CACHED_USERS = 1000
_guard = threading.Lock()


def visible_totals(user):
    """``{"datasets", "resources", "size"}`` over the datasets ``user`` may list.

    The condition is :func:`dcorlite.authz.visible_datasets_condition`, the
    one ``package_search`` applies, with private datasets and the user's drafts.
    The answer is kept for ``WEB_TOTALS_SECONDS`` per user (0: counted every
    time): the home page shows it, and at 10,000 datasets counting takes longer
    than the rest of the page.
    """
    seconds = current_app.config["WEB_TOTALS_SECONDS"]
    if not seconds:
        return _count(user)
    state = current_app.extensions["dcorlite"]
    with _guard:
        cache = state.get("web_totals")
        if cache is None or cache.ttl != seconds:
            cache = state["web_totals"] = TTLCache(CACHED_USERS, seconds)
        key = user.id if user is not None else None
        found = cache.get(key)
    if found is None:
        found = _count(user)
        with _guard:
            cache[key] = found
    return found


def _count(user):
    condition = authz.visible_datasets_condition(user, True, True)
    datasets = Dataset.select().where(condition).count()
    resources, size = (Resource.select(fn.COUNT(SQL("*")), fn.SUM(Resource.size))
                       .join(Dataset).where(condition).scalar(as_tuple=True))
    return {"datasets": datasets, "resources": resources or 0, "size": size or 0}
