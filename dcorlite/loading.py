"""Loading what belongs to many datasets at once: a fixed number of queries, not one per dataset.

Search results (a page of dataset dicts) and index builds (every dataset)
need each dataset's circle, resources, tags, collections and collaborators;
:func:`dataset_parts` reads them for any number of datasets in five queries
per :data:`CHUNK` datasets (four without the collaborators).
"""
import dataclasses
import itertools

from .models import Collaborator, DatasetGroup, Group, Resource, Tag
from .prepared import Prepared

#: datasets per query (SQLite limits the number of parameters of one statement)
CHUNK = 500


@dataclasses.dataclass
class DatasetParts:
    """The rows that belong to one dataset, each list in its display order."""

    circle: object = None
    resources: list = dataclasses.field(default_factory=list)    # upload order
    tags: list = dataclasses.field(default_factory=list)         # names, sorted
    collections: list = dataclasses.field(default_factory=list)  # Groups, by name
    collaborators: list = dataclasses.field(default_factory=list)  # by user id


def dataset_parts(datasets, collaborators=True):
    """``{dataset id: DatasetParts}`` for ``datasets`` (model instances).

    :param collaborators: also load the collaborators (the index needs them,
        dataset dicts do not)
    """
    datasets = list(datasets)
    parts = {d.id: DatasetParts() for d in datasets}
    for first in range(0, len(datasets), CHUNK):
        _load_chunk(datasets[first:first + CHUNK], parts, collaborators)
    return parts


def chunks(query, size=CHUNK):
    """The rows of ``query`` (a peewee select) in lists of ``size``, read as they are needed."""
    rows = query.iterator()
    while batch := list(itertools.islice(rows, size)):
        yield batch


_CIRCLES = Prepared(lambda ids: Group.select().where(Group.id.in_(ids)))
_RESOURCES = Prepared(lambda ids: Resource.select().where(Resource.dataset.in_(ids))
                      .order_by(Resource.dataset, Resource.position))
_TAGS = Prepared(lambda ids: Tag.select(Tag.dataset, Tag.name).where(Tag.dataset.in_(ids))
                 .order_by(Tag.name).tuples())
_COLLECTIONS = Prepared(lambda ids: DatasetGroup.select(DatasetGroup, Group)
                        .join(Group, on=(DatasetGroup.group == Group.id))
                        .where(DatasetGroup.dataset.in_(ids)).order_by(Group.name))
_COLLABORATORS = Prepared(lambda ids: Collaborator.select()
                          .where(Collaborator.dataset.in_(ids)).order_by(Collaborator.user))


def _load_chunk(datasets, parts, collaborators):
    ids = [d.id for d in datasets]
    circles = {g.id: g for g in _CIRCLES.cursor(sorted({d.owner_org_id for d in datasets}))}
    for dataset in datasets:
        parts[dataset.id].circle = circles.get(dataset.owner_org_id)
    for res in _RESOURCES.cursor(ids):
        parts[res.dataset_id].resources.append(res)
    for dataset_id, name in _TAGS.cursor(ids):
        parts[dataset_id].tags.append(name)
    for link in _COLLECTIONS.cursor(ids):
        parts[link.dataset_id].collections.append(link.group)
    if not collaborators:
        return
    for collab in _COLLABORATORS.cursor(ids):
        parts[collab.dataset_id].collaborators.append(collab)
