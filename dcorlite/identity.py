"""The instance's id: made once with its database (migration 0008), the same on every host."""
from .db import database


def instance_id(app):
    """The id of ``app``'s instance (32 hex digits), read from the database once per app."""
    state = app.extensions["dcorlite"]
    if "instance_id" not in state:
        opened = database.connect(reuse_if_open=True)
        try:
            state["instance_id"] = database.execute_sql(
                "SELECT id FROM instance_id").fetchone()[0]
        finally:
            if opened:
                database.close()
    return state["instance_id"]
