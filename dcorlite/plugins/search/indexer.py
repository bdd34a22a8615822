"""Bringing the index up to date with the marks: moments after a change, and before a search.

Write actions only mark their datasets (:mod:`.pending`); a thread of this
process indexes the marked datasets moments later, all of them in one round
(one Whoosh commit however many changes arrived meanwhile). A search first
makes sure that every mark made before it started is indexed: usually the
thread has done so already; otherwise the search waits for the round in
progress, or runs one itself. So once a write action has returned, every
later search reflects it, also a search in another process that shares the
instance (marks live in the database, the writer lock is an ``flock``).
"""
import logging
import threading
import time

from whoosh.index import LockError

from ...jobs.runner import own_connection
from . import pending
from .index import IndexUnavailable

logger = logging.getLogger(__name__)

#: seconds the thread waits after being woken, so that changes arriving together share a round
GATHER_SECONDS = 0.05
#: seconds without work after which the thread ends (the next mark starts a new one)
IDLE_SECONDS = 10


class Indexer:
    """Indexes marked datasets of one app (``app.extensions["dcorlite"]["search_indexer"]``)."""

    def __init__(self, app, search_index, search_timeout):
        self.app = app
        self.index = search_index
        self.search_timeout = search_timeout
        self._round = threading.Lock()   # one round at a time in this process
        self._wakeup = threading.Event()
        self._guard = threading.Lock()   # protects _thread and _stopped
        self._thread = None
        self._stopped = False

    def catch_up(self, timeout=None, awaited_only=False):
        """Index every mark made before this call; return at once if there is none.

        :param timeout: seconds to wait for the round in progress and for the
            index's write lock (default: the index's writer timeout)
        :param awaited_only: only wait if marks of write actions are there
            (the round then indexes every mark)
        :raises IndexUnavailable: the index cannot be written, or the wait timed out
        """
        target = pending.latest(awaited_only)
        if target is None:
            return
        if not self._round.acquire(timeout=-1 if timeout is None else timeout):
            raise IndexUnavailable(f"indexing did not finish within {timeout} s")
        try:
            if pending.waiting_through(target):  # else the round we waited for did it
                self._index_marked(timeout)
        finally:
            self._round.release()

    def catch_up_for_search(self):
        """Catch up on write actions' marks, waiting ``SEARCH_CATCH_UP_TIMEOUT`` at most."""
        self.catch_up(timeout=self.search_timeout, awaited_only=True)

    def _index_marked(self, timeout):
        through = pending.latest()
        if through is None:
            return
        try:
            self.index.update(pending.datasets_through(through), timeout=timeout)
        except LockError:
            raise IndexUnavailable("the index is being written by another process") from None
        pending.forget_through(through)

    def rebuild(self, progress=None, processes=1):
        """Rebuild the whole index; marks made before it started are done with then.

        :returns: number of datasets indexed
        """
        through = pending.latest()
        count = self.index.rebuild(progress=progress, processes=processes)
        if through is not None:
            pending.forget_through(through)
        return count

    # -- the background thread ------------------------------------------------------

    def wake(self):
        """Have the thread index the marks soon (starting it if it is not running)."""
        with self._guard:
            if self._stopped:
                return
            self._wakeup.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="dcorlite-search-indexer")
                self._thread.start()

    def stop(self):
        """End the thread after its current round (it is not started again)."""
        with self._guard:
            self._stopped = True
            thread = self._thread
            self._wakeup.set()
        if thread is not None:
            thread.join()

    def _run(self):
        while True:
            if not self._wakeup.wait(IDLE_SECONDS):
                with self._guard:
                    if not self._wakeup.is_set():
                        self._thread = None
                        return
                continue
            time.sleep(GATHER_SECONDS)
            with self._guard:
                self._wakeup.clear()
                if self._stopped:
                    self._thread = None
                    return
            try:
                with self.app.app_context(), own_connection():
                    self.catch_up()
            except Exception as exc:
                # The marks stay: the next search indexes them first (or answers
                # from the database), and the next change wakes the thread again.
                logger.warning("indexing marked datasets failed: %r", exc)
                with self._guard:
                    self._thread = None
                    return
