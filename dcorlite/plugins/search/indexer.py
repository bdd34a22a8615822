"""Bringing the index up to date with the marks: moments after a change, and before a search.

Write actions only mark their datasets (:mod:`.pending`); a thread of this
process indexes the marked datasets moments later, all of them in one round
(one Whoosh commit however many changes arrived meanwhile). A search first
makes sure that every mark made before it started is indexed: usually the
thread has done so already; otherwise the search waits for the round in
progress, or runs one itself. So once a write action has returned, every
later search reflects it, also a search in another process that shares the
instance (marks live in the database, the writer lock is an ``flock``).

Processes that share an instance can leave the writing to one of them
(``SEARCH_WRITES_INDEX = False``; ``serve --processes N`` does so, its
supervising process indexes): their searches then wait until the marks they
must see are gone, which one thread per process checks for all of them. Two
processes that both write take turns on the index's lock, and under load that
wait was most of a search's time.
"""
import logging
import threading
import time

from whoosh.index import LockError

from ...db import own_connection
from . import pending
from .index import IndexUnavailable

logger = logging.getLogger(__name__)

#: seconds the thread waits after being woken, so that changes arriving together share a round
GATHER_SECONDS = 0.05
#: seconds without work after which the thread ends (the next mark starts a new one)
IDLE_SECONDS = 10
#: seconds between two looks at the marks, by the process that indexes for others and
#: by a process waiting for it
POLL_SECONDS = 0.01


class Indexer:
    """Indexes marked datasets of one app (``app.extensions["dcorlite"]["search_indexer"]``)."""

    def __init__(self, app, search_index, search_timeout, writes=True):
        self.app = app
        self.index = search_index
        self.search_timeout = search_timeout
        self.writes = writes
        self._seen = threading.Condition()  # guards _oldest and _looking
        self._oldest = None   # (time, oldest mark left) as last read by a waiting search
        self._looking = False
        self._round = threading.Lock()   # one round at a time in this process
        self._wakeup = threading.Event()
        self._guard = threading.Lock()   # protects _thread and _stopped
        self._thread = None
        self._stopped = False

    def catch_up(self, timeout=None, awaited_only=False, drafts=True):
        """Index every mark made before this call; return at once if there is none.

        :param timeout: seconds to wait for the round in progress and for the
            index's write lock (default: the index's writer timeout)
        :param awaited_only: only wait if marks of write actions are there
            (the round then indexes every mark)
        :param drafts: False: only wait for marks that searches without
            drafts can see
        :returns: True if this call committed a new index generation
        :raises IndexUnavailable: the index cannot be written, or the wait timed out
        """
        target = pending.latest(awaited_only, drafts)
        if target is None:
            return False
        if not self._round.acquire(timeout=-1 if timeout is None else timeout):
            raise IndexUnavailable(f"indexing did not finish within {timeout} s")
        try:
            if pending.waiting_through(target):  # else the round we waited for did it
                return self._index_marked(timeout)
            return False
        finally:
            self._round.release()

    def catch_up_for_search(self, include_drafts=True):
        """Catch up on write actions' marks, waiting ``SEARCH_CATCH_UP_TIMEOUT`` at most.

        :param include_drafts: the search shows drafts (else it does not wait
            for changes of datasets that are still drafts)
        :raises IndexUnavailable: not caught up in time
        """
        if self.writes:
            self.catch_up(timeout=self.search_timeout, awaited_only=True, drafts=include_drafts)
            return
        started = time.monotonic()
        target = pending.latest(awaited_only=True, drafts=include_drafts)
        if target is not None:
            self._wait_for_writer(target, started)

    def _wait_for_writer(self, target, started):
        """Wait until another process has indexed every mark ``≤ target``.

        One waiting thread reads the oldest mark left; the others wait for what
        it read, so many waiting searches cost one query per poll, not one each.
        Only a reading begun after ``started`` (when ``target`` was read) counts.
        """
        deadline = started + self.search_timeout
        while True:
            with self._seen:
                while self._looking:
                    self._seen.wait(POLL_SECONDS)
                reading = self._oldest
                if reading is not None and reading[0] >= started and reading[1] > target:
                    return
                now = time.monotonic()
                if now >= deadline:
                    raise IndexUnavailable(f"the indexing process did not index mark "
                                           f"{target} within {self.search_timeout} s")
                recent = (reading is not None and reading[0] >= started
                          and now - reading[0] < POLL_SECONDS)
                self._looking = not recent
            if recent:
                time.sleep(POLL_SECONDS)
                continue
            begun, oldest = time.monotonic(), False
            try:
                oldest = pending.oldest()
            finally:
                with self._seen:
                    if oldest is not False:
                        self._oldest = (begun, float("inf") if oldest is None else oldest)
                    self._looking = False
                    self._seen.notify_all()

    def index_for_others(self, stop):
        """Index every mark moments after it is made, until the event ``stop`` is set.

        For the one process that writes the index of an instance whose other
        processes do not (``SEARCH_WRITES_INDEX = False``).
        """
        while not stop.wait(POLL_SECONDS):
            try:
                with self.app.app_context(), own_connection():
                    self.catch_up()
            except Exception as exc:  # the marks stay; searches answer from SQL meanwhile
                logger.warning("indexing marked datasets failed: %r", exc)
                stop.wait(1)

    def _index_marked(self, timeout):
        through = pending.latest()
        if through is None:
            return False
        try:
            committed = self.index.update(pending.datasets_through(through), timeout=timeout)
        except LockError:
            raise IndexUnavailable("the index is being written by another process") from None
        pending.forget_through(through)
        return bool(committed)

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
        """Have the thread index the marks soon (starting it if it is not running).

        Does nothing in a process that leaves the writing to another one.
        """
        with self._guard:
            if self._stopped or not self.writes:
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
                    if self.catch_up():
                        self.index.warm()  # after the round: waiting searches go first
            except Exception as exc:
                # The marks stay: the next search indexes them first (or answers
                # from the database), and the next change wakes the thread again.
                logger.warning("indexing marked datasets failed: %r", exc)
                with self._guard:
                    self._thread = None
                    return
