"""Turning an ``activity`` call into a queued audit event: who, from where, what, when."""
from flask import current_app, g, has_request_context, request

from ...models import utcnow
from . import chain
from .writer import Deduper, Writer


def setup(app):
    """Create the app's writer and basin deduper (in ``app_ready``)."""
    from ...db import database
    app.extensions["dcorlite"]["audit"] = {
        "writer": Writer(database.obj, app.config["AUDIT_FLUSH_SECONDS"],
                         app.config["AUDIT_FLUSH_ENTRIES"],
                         app.config["AUDIT_RETENTION_DAYS"]),
        "dedupe": Deduper(app.config["AUDIT_DEDUPE_SECONDS"]),
    }


def writer(app=None):
    """The :class:`.writer.Writer` of the app."""
    return (app or current_app).extensions["dcorlite"]["audit"]["writer"]


def _actor(details):
    """``(actor, token id, client address)``: ``details["actor"]`` wins, else the request's."""
    given = details.pop("actor", None)
    if not has_request_context():
        return given or "", "", ""
    user = g.get("user")
    name = user.name if user is not None else ""
    actor = given or name
    token = (g.get("api_token_id") or "") if actor == name else ""
    return actor, token, request.remote_addr or ""


def _deduped(state, event):
    """Basin opens and reads: one entry per user, address, dataset or resource and window.

    dclab makes one ranged request per HDF5 chunk and a dozen ``dcserv``
    queries per opened file; DCOR-Aid asks for a dataset (``package_show``)
    again and again while it waits for an upload or watches a download.
    """
    if event["action"] not in ("basin", "read"):
        return False
    key = (event["action"], event["actor"], event["ip"], event["dataset_id"],
           event["resource_id"], event["details"])
    return not state["dedupe"].first(key)


def record(action, dataset_id, resource_id, details):
    """Queue the event (written at once outside a request: CLI commands, jobs)."""
    app = current_app
    if not app.config["AUDIT_ENABLED"]:
        return
    details = dict(details or {})
    actor, token, ip = _actor(details)
    event = {"at": utcnow(), "action": str(action), "actor": actor, "token_id": token,
             "ip": ip, "dataset_id": dataset_id, "resource_id": resource_id,
             "details": chain.canonical_json(details)}
    state = app.extensions["dcorlite"]["audit"]
    if _deduped(state, event):
        return
    state["writer"].submit(event)
    if not has_request_context():
        state["writer"].flush()
