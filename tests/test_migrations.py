"""Migrations: applied once, never destroying data."""
from playhouse.migrations import Runner

from dcorlite.db import CORE_MIGRATIONS, database
from dcorlite.models import CORE_MODELS, Dataset, User


def test_restart_keeps_data_and_applies_nothing_twice(app, app_config, make_user,
                                                      make_circle, make_dataset, another_app):
    owner = make_user("keeper")
    ds = make_dataset(owner, make_circle(owner))
    again = another_app(app_config)
    with again.app_context():
        assert User.get_by_id(owner.id).name == "keeper"
        assert Dataset.get_by_id(ds.id).state == "active"
        status = Runner(database.obj, CORE_MIGRATIONS).status()
        assert status and all(m.applied for m in status)


def test_initial_migration_matches_the_models(app):
    """Every model column exists in the migrated database."""
    for model in CORE_MODELS:
        columns = {c.name for c in database.get_columns(model._meta.table_name)}
        assert set(model._meta.columns) <= columns, model.__name__
