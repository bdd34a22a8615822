"""What a user can see in numbers: datasets, resources, bytes."""
from peewee import fn

from ... import authz
from ...models import Dataset, Resource


def visible_totals(user):
    """``{"datasets", "resources", "size"}`` over the datasets ``user`` may list.

    The condition is :func:`dcorlite.authz.visible_datasets_condition`, the
    one ``package_search`` applies, with private datasets and the user's drafts.
    """
    condition = authz.visible_datasets_condition(user, True, True)
    datasets = Dataset.select().where(condition).count()
    resources, size = (Resource.select(fn.COUNT(Resource.id), fn.SUM(Resource.size))
                       .join(Dataset).where(condition).scalar(as_tuple=True))
    return {"datasets": datasets, "resources": resources or 0, "size": size or 0}
