"""A per-client sliding window, in process: enough to keep one reader from flooding a counter.

Each API process keeps its own window, so N processes allow N times the rate; the limit is a
brake on abuse, not an exact quota.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_CLIENTS = 10_000
"""Clients remembered at once; the least recently seen is forgotten first, so memory is bounded."""


class SlidingWindowLimiter:
    """At most `limit` events per client in any `window_seconds`."""

    def __init__(
        self,
        limit: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self.max_clients = max_clients
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """Record an event and return 0, or return the seconds to wait if the client is over."""
        now = self.clock()
        with self._lock:
            events = self._events.pop(client, None) or deque()
            while events and events[0] <= now - self.window:
                events.popleft()
            self._events[client] = events
            while len(self._events) > self.max_clients:
                self._events.popitem(last=False)
            if len(events) >= self.limit:
                return max(0.001, events[0] + self.window - now)
            events.append(now)
            return 0.0
