"""Throttling failed logins per account and per client address.

Counts live in the memory of the serving process (one waitress process per
instance); a restart forgets them, which only gives an attacker a new window.
"""
import collections
import threading
import time


class LoginThrottle:
    """Sliding-window counts of failed logins.

    :param per_account: failures of one account name allowed per window
    :param per_ip: failures from one address allowed per window
    :param window: seconds
    """

    def __init__(self, per_account, per_ip, window, clock=time.monotonic):
        self.limits = {"account": int(per_account), "ip": int(per_ip)}
        self.window = float(window)
        self.clock = clock
        self._failures = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def _keys(self, account, ip):
        return [("account", (account or "").strip().lower()), ("ip", ip or "")]

    def _recent(self, key):
        times = self._failures[key]
        limit = self.clock() - self.window
        while times and times[0] <= limit:
            times.popleft()
        return times

    def blocked(self, account, ip):
        """True if the account or the address has used up its failures for now."""
        with self._lock:
            return any(len(self._recent(key)) >= self.limits[key[0]]
                       for key in self._keys(account, ip))

    def failed(self, account, ip):
        """Count one failed login."""
        with self._lock:
            for key in self._keys(account, ip):
                self._recent(key).append(self.clock())

    def succeeded(self, account):
        """Forget the account's failures (the address keeps its count)."""
        with self._lock:
            self._failures.pop(("account", (account or "").strip().lower()), None)
