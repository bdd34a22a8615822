"""Prepared queries give exactly what peewee gives, for every argument shape and database."""
import pytest

from dcorlite.models import Dataset, Group, Resource
from dcorlite.prepared import Prepared


@pytest.fixture
def three(make_user, make_circle, make_dataset):
    owner = make_user("owner")
    circle = make_circle(owner, name="lab")
    return owner, circle, [make_dataset(owner, circle, active=False, title=f"D {n}")
                           for n in range(3)]


def test_same_rows_as_the_peewee_query_for_each_shape(three):
    _, circle, made = three
    by_ids = Prepared(lambda ids: Dataset.select().where(Dataset.id.in_(ids))
                      .order_by(Dataset.name))
    for ids in ([made[0].id], [d.id for d in made], [made[2].id, "unknown"], []):
        expected = list(Dataset.select().where(Dataset.id.in_(ids)).order_by(Dataset.name))
        got = by_ids.all(ids)
        assert [(d.id, d.name, d.owner_org_id, d.created) for d in got] == \
            [(d.id, d.name, d.owner_org_id, d.created) for d in expected]
    assert len(by_ids._plans) == 4  # one plan per list length (and database)


def test_one_argument_used_twice_and_joins(three):
    owner, circle, made = three
    by_key = Prepared(lambda key: Dataset.select(Dataset, Group).join(Group)
                      .where((Dataset.id == key) | (Dataset.name == key)))
    assert by_key.first(made[1].name).id == made[1].id
    assert by_key.first(made[1].id).owner_org.name == "lab"  # joined model filled in
    assert by_key.first("no-such-dataset") is None


def test_arguments_peewee_converts_are_never_cached(three):
    """A value peewee changes on the way (here a bool for a boolean column) cannot be a slot."""
    _, _, made = three
    by_private = Prepared(lambda private: Dataset.select().where(Dataset.private == private))
    assert len(by_private.all(False)) == 3
    assert by_private.all(True) == []
    assert by_private._plans[next(iter(by_private._plans))] is None  # built every time


def test_scalar_columns_and_tuples(three, make_resource):
    owner, _, made = three
    make_resource(owner, made[0], b"x", name="a.txt")
    names = Prepared(lambda ids: Resource.select(Resource.dataset, Resource.name)
                     .where(Resource.dataset.in_(ids)).tuples())
    assert names.all([made[0].id]) == [(made[0].id, "a.txt")]
