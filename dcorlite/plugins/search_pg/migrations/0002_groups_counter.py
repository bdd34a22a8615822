"""The change counter ``search_pg_groups``: every change to table ``group`` (PostgreSQL only).

Cached search results (:mod:`..results`) depend on circle and collection
names (``organization:``/``groups:`` filters, facet values) besides the
datasets and who may read them, whose counters exist already.
"""
import peewee as pw

from dcorlite import changes

COUNTER = "search_pg_groups"


def up(migrator, db):
    if not isinstance(db, pw.PostgresqlDatabase):
        return
    changes.add_counter(db, COUNTER)
    changes.count_changes(db, COUNTER, "group", ("INSERT", "UPDATE", "DELETE"))
