"""The paced fixity batches of ``dcorlite serve``, started from requests.

As with the stale-upload sweep, a request looks at the clock only; when
``FIXITY_INTERVAL`` seconds have passed since the last batch (or since the
app started), one batch runs in a thread of its own. Under ``serve
--processes N`` the supervising process runs the batches instead
(:func:`run_every`), once for all server processes.
"""
import logging
import threading
import time

from flask import Blueprint, current_app

from ...db import database
from . import check

logger = logging.getLogger(__name__)
bp = Blueprint("fixity", __name__)
_guard = threading.Lock()


def _state(app):
    return app.extensions["dcorlite"].setdefault(
        "fixity", {"last": time.monotonic(), "running": False})


@bp.before_app_request
def _maybe_start():
    app = current_app._get_current_object()
    interval = app.config["FIXITY_INTERVAL"]
    if not interval:
        return
    state = _state(app)
    if state["running"] or time.monotonic() - state["last"] < interval:
        return  # the usual case, without the lock
    with _guard:
        if state["running"] or time.monotonic() - state["last"] < interval:
            return
        state["running"] = True
    threading.Thread(target=_run, args=(app, state), name="dcorlite-fixity",
                     daemon=True).start()


def _run(app, state):
    try:
        with app.app_context(), database.connection_context():
            check.run_batch(app)
    except Exception:
        logger.exception("fixity batch failed")
    finally:
        state["last"] = time.monotonic()
        state["running"] = False


def run_every(app, interval, stop):
    """Run a batch every ``interval`` seconds until the event ``stop`` is set."""
    state = _state(app)
    while not stop.wait(interval):
        state["running"] = True
        _run(app, state)
