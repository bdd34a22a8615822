"""The ``access`` change counter (see :mod:`dcorlite.changes`) and its triggers.

Covered: who a token belongs to and who may read what. A token's
``last_access`` (written once a minute while it is used) and new tokens are
left out: neither changes what a cached entry says.
"""
from dcorlite import changes


def up(migrator, db):
    changes.add_counter(db, changes.ACCESS)
    for table, events in (
            ("user", ("UPDATE", "DELETE")),
            ("api_token", ("DELETE", "UPDATE OF id, user_id, secret_hash")),
            ("membership", ("INSERT", "UPDATE", "DELETE")),
            ("collaborator", ("INSERT", "UPDATE", "DELETE"))):
        changes.count_changes(db, changes.ACCESS, table, events)
