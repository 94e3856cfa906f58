"""Failed fetches remembered for a short while, so that reruns do not ask the gateway
again for the same failure.

Streamlit reruns a page on every widget change, and st.cache_data keeps only values,
never exceptions: without this, a product that fails is fetched again on every click,
on the owner's quota. The key says what was asked (query, live or demo, refresh token):
a new refresh token is a new key, so Refresh always tries again.

Pure: no Streamlit; the clock is injectable for tests. Safe across the server's threads.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Hashable

from lib.errors import FetchError

FAILURE_TTL_S = 60.0
MAX_FAILURES = 256


@dataclass(frozen=True)
class Remembered:
    error: FetchError
    age_s: float          # seconds since the failure


class RecentFailures:
    def __init__(self, ttl_s: float = FAILURE_TTL_S, max_entries: int = MAX_FAILURES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, FetchError]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Remembered | None:
        """The failure for `key` if it happened less than ttl_s ago."""
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if now - entry[0] >= self.ttl_s:
                del self._entries[key]
                return None
            return Remembered(entry[1], now - entry[0])

    def remember(self, key: Hashable, error: FetchError) -> None:
        now = self.clock()
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (now, error)
            while len(self._entries) > self.max_entries:      # the oldest go first
                self._entries.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
