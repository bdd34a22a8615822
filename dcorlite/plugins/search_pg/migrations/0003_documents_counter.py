"""The change counter ``search_pg_documents``: every change to ``search_pg_document``.

The facet values each process keeps (:mod:`..facets`) are current while it
stands still; values are only ever written together with their document.
PostgreSQL only, as the tables.
"""
import peewee as pw

from dcorlite import changes

COUNTER = "search_pg_documents"


def up(migrator, db):
    if not isinstance(db, pw.PostgresqlDatabase):
        return
    changes.add_counter(db, COUNTER)
    changes.count_changes(db, COUNTER, "search_pg_document", ("INSERT", "UPDATE", "DELETE"))
