"""What makes an instance one instance on every host: its id and its generated secret.

Both live in the database (migrations 0008 and 0009), which every host and
process of the instance shares.
"""
import os
import secrets

import peewee as pw

from .db import database, own_connection

#: the name of the generated secret's row in ``instance_secret``
SECRET_NAME = "secret_key"


class _InstanceSecret(pw.Model):
    name = pw.CharField(primary_key=True)
    value = pw.TextField()

    class Meta:
        database = database
        table_name = "instance_secret"


def instance_id(app):
    """The id of ``app``'s instance (32 hex digits), read from the database once per app."""
    state = app.extensions["dcorlite"]
    if "instance_id" not in state:
        with own_connection():
            state["instance_id"] = database.execute_sql(
                "SELECT id FROM instance_id").fetchone()[0]
    return state["instance_id"]


def instance_secret(app):
    """The secret that signs sessions and URLs when ``SECRET_KEY`` is not set.

    Made once and kept in the database, so that every host signs and checks
    with the same one. An instance made before keeps the secret of its
    ``<instance>/secret_key`` file, so URLs signed before stay valid. Two hosts
    starting at once both offer one; the first written wins for both.
    """
    with own_connection():
        stored = _InstanceSecret.get_or_none(_InstanceSecret.name == SECRET_NAME)
        if stored is None:
            _InstanceSecret.insert(name=SECRET_NAME, value=_offered_secret(app)) \
                .on_conflict_ignore().execute()
            stored = _InstanceSecret.get(_InstanceSecret.name == SECRET_NAME)
    return stored.value


def _offered_secret(app):
    legacy = os.path.join(app.instance_path, "secret_key")
    try:
        with open(legacy) as fh:
            value = fh.read().strip()
    except FileNotFoundError:
        value = ""
    return value or secrets.token_urlsafe(48)
