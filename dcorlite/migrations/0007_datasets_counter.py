"""The ``datasets`` change counter (see :mod:`dcorlite.changes`): every change to a dataset row."""
from dcorlite import changes


def up(migrator, db):
    changes.add_counter(db, changes.DATASETS)
    changes.count_changes(db, changes.DATASETS, "dataset", ("INSERT", "UPDATE", "DELETE"))
