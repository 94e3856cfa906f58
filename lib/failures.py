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
from typing import Any, Callable, Hashable

from lib.errors import FetchError

FAILURE_TTL_S = 60.0
MAX_FAILURES = 256


@dataclass(frozen=True)
class Remembered:
    value: Any
    age_s: float          # seconds since it was remembered

    @property
    def error(self) -> FetchError:
        return self.value


class RecentAnswers:
    """Answers (or failures) by key for ttl_s; the oldest go first past max_entries.
    The freight quotes of the Landed cost page live in one (lib/ui.py)."""

    def __init__(self, ttl_s: float = FAILURE_TTL_S, max_entries: int = MAX_FAILURES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Remembered | None:
        """What was remembered for `key`, if less than ttl_s ago."""
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if now - entry[0] >= self.ttl_s:
                del self._entries[key]
                return None
            return Remembered(entry[1], now - entry[0])

    def remember(self, key: Hashable, value: Any) -> None:
        now = self.clock()
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (now, value)
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


class RecentFailures(RecentAnswers):
    """Failed fetches (FetchError values), kept FAILURE_TTL_S by default."""
