"""``search_pending.drafts_only``: the change touched a dataset that is still a draft.

Only searches with ``include_drafts`` can see such a change, so only they wait
for it to be indexed.
"""
import peewee as pw


def up(migrator, db):
    migrator.migrate(migrator.add_column("search_pending", "drafts_only",
                                         pw.BooleanField(default=False)))
