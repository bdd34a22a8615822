"""A clean stop of ``dcorlite serve`` on SIGTERM: drain, then exit 0.

On SIGTERM (or SIGINT) the server closes its listening sockets, so new
connections are refused, closes the keep-alive connections that have no
request, and keeps serving the requests in progress (an upload part still
arriving, a response still being sent) until they are done or
``SHUTDOWN_DRAIN_SECONDS`` have passed. waitress reads a request's body
before the app sees it, so a part PUT cut by the drain bound never reaches
storage half-recorded: its upload stays as it was, and the client's retry
after the restart (DCOR-Aid tries each part three times) completes it.
"""
import logging
import select
import signal
import time

from waitress import trigger, wasyncore

logger = logging.getLogger(__name__)

#: seconds one turn of the serving loop waits for network events at most
LOOP_TIMEOUT = 0.5
#: connections queued at the stop signal that are still accepted (a bound, should
#: accepting fail while the socket stays readable)
ACCEPT_AT_STOP = 2048
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


_early = []


def remember_stop_signals():
    """Note a stop signal that comes while the server starts; :class:`Drainer` honours it.

    A server process of ``serve --processes N`` may still be importing when
    the supervisor passes SIGTERM on; it then starts, drains nothing and
    exits 0 like the others, instead of dying of the signal.
    """
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda signum, _frame: _early.append(signum))


class Drainer:
    """Runs one waitress server until a stop signal, then drains it.

    :param server: what :func:`waitress.create_server` returned
    :param drain_seconds: how long requests in progress may take after the signal
    """

    def __init__(self, server, drain_seconds):
        self.server = server
        self.drain_seconds = float(drain_seconds)
        self.signalled = None
        self.deadline = None

    @property
    def _map(self):
        return self.server.map if hasattr(self.server, "map") else self.server._map

    def _listeners(self):
        return [d for d in list(self._map.values()) if getattr(d, "accepting", False)]

    def _channels(self):
        return [d for d in list(self._map.values()) if hasattr(d, "requests")]

    def _on_signal(self, signum, _frame):
        if self.signalled is None:
            self.signalled = signum
            self.deadline = time.monotonic() + self.drain_seconds
            self._wake_loop()

    def _wake_loop(self):
        # select() resumes its wait after a signal (PEP 475): without a wake-up the
        # loop would notice the signal only at the end of its LOOP_TIMEOUT turn
        for dispatcher in list(self._map.values()):
            if isinstance(dispatcher, trigger.trigger):
                try:
                    dispatcher.pull_trigger()
                except OSError:  # already closed: the loop has ended
                    pass

    def run(self, on_stop=None):
        """Serve until a stop signal; drain; return the number of requests cut off.

        :param on_stop: called once right after the listening sockets closed
        """
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        if _early:
            self._on_signal(_early[0], None)
        try:
            while self.signalled is None:
                wasyncore.loop(timeout=LOOP_TIMEOUT, map=self._map, count=1)
            accepted = 0
            for listener in self._listeners():
                accepted += self._accept_queued(listener)
                # not listener.close(): waitress's closes the trigger too (see below)
                wasyncore.dispatcher.close(listener)
            if accepted:  # read what they sent, so that they count as busy, not idle
                wasyncore.loop(timeout=0, map=self._map, count=1)
            busy = self._busy_channels()
            logger.warning("%s: no new connections; finishing %d request(s) within %g s",
                           signal.Signals(self.signalled).name, len(busy), self.drain_seconds)
            if on_stop is not None:
                on_stop()
            cut = self._drain()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.server.task_dispatcher.shutdown(cancel_pending=True,
                                             timeout=max(0.0, self.deadline - time.monotonic()))
        for channel in self._channels():
            channel.close()
        # The trigger stays open: a request thread that is still finishing pulls it
        # with os.write on its bare descriptor, which, once closed and reused by a
        # file opened since (the job queue's database, seen), would be written into.
        return cut

    @staticmethod
    def _accept_queued(listener):
        """Take the connections the kernel has queued for ``listener`` before it closes.

        Closing a listening socket resets the connections in its backlog. A
        client may be far into a request on one (the kernel buffers what it
        sends before the server accepts), and with a socket per server process
        (``serve --processes``) no other process can take it: it is accepted
        here and drained with the rest.

        :returns: how many were taken
        """
        for taken in range(ACCEPT_AT_STOP):
            if not select.select([listener.socket], [], [], 0)[0]:
                return taken
            listener.handle_accept()
        return ACCEPT_AT_STOP

    def _busy_channels(self):
        """Channels with a request in progress; idle keep-alive ones are closed."""
        busy = []
        for channel in self._channels():
            if channel.request is not None or channel.requests or channel.total_outbufs_len:
                busy.append(channel)
            elif channel.connected:
                channel.handle_close()
        return busy

    def _drain(self):
        while time.monotonic() < self.deadline:
            busy = self._busy_channels()
            if not busy:
                return 0
            wasyncore.loop(timeout=min(LOOP_TIMEOUT, max(0.01, self.deadline - time.monotonic())),
                           map=self._map, count=1)
        cut = len(self._busy_channels())
        if cut:
            logger.warning("drain time over: %d request(s) cut off (clients may retry)", cut)
        return cut
