"""Client-side pacing: never more than `qps` calls in any one-second window.

Calls are spaced evenly (one every 1/qps seconds) rather than sent in bursts, and the
schedule is shared by every fetch in the process for the same platform, whichever
thread or event loop it runs on.
"""
from __future__ import annotations

import asyncio
import threading
import time
from typing import Awaitable, Callable


class RateLimiter:
    def __init__(self, qps: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if qps <= 0:
            raise ValueError("qps must be positive")
        self.interval = 1.0 / qps
        self.clock = clock
        self.sleep = sleep
        self._next_free = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next free slot; returns how long to wait for it."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next_free)
            self._next_free = slot + self.interval
            return slot - now

    async def wait(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await self.sleep(delay)


_SHARED: dict[tuple[str, float], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(platform: str, qps: float) -> RateLimiter:
    with _SHARED_LOCK:
        key = (platform, float(qps))
        if key not in _SHARED:
            _SHARED[key] = RateLimiter(qps)
        return _SHARED[key]
