"""Token expiry rows count as access changes (see :mod:`dcorlite.changes`)."""
from dcorlite import changes


def up(migrator, db):
    changes.count_changes(db, changes.ACCESS, "api_token_expiry",
                          ("INSERT", "UPDATE", "DELETE"))
