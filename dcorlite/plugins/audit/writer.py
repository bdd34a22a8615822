"""The in-memory queue of audit events and the thread that writes it in batches.

A request only appends a dict to a list; a thread of the process writes the
list every ``AUDIT_FLUSH_SECONDS`` (or as soon as ``AUDIT_FLUSH_ENTRIES``
are waiting), and what is left at exit is written by :meth:`Writer.close`
(called when the app stops, or else by an ``atexit`` handler).
Every server process (``serve --processes N``) has its own queue; the chain
stays one because :func:`.chain.append` reads its head under the write lock.
"""
import atexit
import logging
import os
import threading
import time

from . import chain

logger = logging.getLogger(__name__)

#: seconds without events after which the writer thread ends (started again on demand)
IDLE_EXIT = 60
#: seconds between retention prunes by a running writer thread
PRUNE_EVERY = 3600
#: seconds after the writer's creation before its first prune (not in a start-up burst)
FIRST_PRUNE = 300


class Writer:
    """The queue of one app; :meth:`submit` is all a request pays for."""

    def __init__(self, db, interval, batch, retention_days):
        self.db, self.interval, self.batch = db, interval, batch
        self.retention_days = retention_days
        self._next_prune = time.monotonic() + FIRST_PRUNE
        self._pending, self._lock = [], threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread, self._pid = None, os.getpid()
        self._closed = False
        self._failing = False
        atexit.register(self.close)

    def submit(self, event):
        """Queue one event (a dict of :data:`.chain.FIELDS` but ``id``, and ``details``)."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent writes its own events
                self._pending, self._thread, self._pid = [], None, os.getpid()
            self._pending.append(event)
            full = len(self._pending) >= self.batch
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="dcorlite-audit",
                                                daemon=True)
                self._thread.start()
        if full:
            self._wake.set()

    def flush(self):
        """Write every queued event now; returns how many were written."""
        with self._flush_lock:
            with self._lock:
                events, self._pending = self._pending, []
            try:
                written = chain.append(self.db, events)
            except Exception as exc:
                with self._lock:  # keep them for the next round, in order
                    self._pending[:0] = events
                self._log_failure(len(events), exc)
                return 0
            if self._failing:
                self._failing = False
                logger.warning("audit: writing entries works again")
            return written

    def _log_failure(self, count, exc):
        # the thread retries every interval: one traceback per outage, not one per second
        if self._failing:
            logger.warning("audit: still cannot write %d entries: %s", count, exc)
        else:
            self._failing = True
            logger.exception("audit: could not write %d entries", count)

    def close(self):
        """Write what is queued and end the thread; later events are written by :meth:`flush`.

        Called when the app stops (``app_stopping``) and at exit; safe to call twice.
        """
        with self._lock:
            self._closed = True
            thread = self._thread
        atexit.unregister(self.close)
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self.flush()

    def _run(self):
        idle_since = time.monotonic()
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._closed:
                with self._lock:
                    self._thread = None
                return
            if self.flush():
                idle_since = time.monotonic()
            if self.retention_days and time.monotonic() >= self._next_prune:
                self._next_prune = time.monotonic() + PRUNE_EVERY
                try:
                    chain.prune(self.db, self.retention_days)
                except Exception:
                    logger.exception("audit: pruning old entries failed")
            with self._lock:
                if not self._pending and time.monotonic() - idle_since > IDLE_EXIT:
                    self._thread = None
                    return


class Deduper:
    """Remembers which keys were seen in the last ``window`` seconds (in this process)."""

    def __init__(self, window):
        self.window, self._seen, self._lock = window, {}, threading.Lock()
        self._swept = time.monotonic()

    def first(self, key):
        """True if ``key`` was not seen within the window (and note it now)."""
        now = time.monotonic()
        with self._lock:
            if now - self._swept > self.window:
                self._seen = {k: t for k, t in self._seen.items() if now - t < self.window}
                self._swept = now
            last = self._seen.get(key)
            if last is not None and now - last < self.window:
                return False
            self._seen[key] = now
            return True
