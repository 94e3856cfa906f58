"""Client-side pacing: never more than `qps` calls in any one-second window (and, when
the platform states one, never more than `qpm` in any sixty-second window).

Calls are spaced evenly (one every 1/qps seconds, or 60/qpm if that is longer) rather
than sent in bursts, and the schedule is shared by every fetch in the process for the
same platform, whichever thread or event loop it runs on. The clock is injected, so a
test can check the schedule without real time passing.
"""
from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from typing import Awaitable, Callable

# Timers wake a few milliseconds late and networks add jitter, so calls booked exactly
# 1/qps apart can arrive closer together at the gateway; pacing a little under the limit
# keeps every one-second window there within it.
SAFETY_MARGIN = 0.05
# A task that woke late re-checks until the spacing holds. Only when the clock does not
# move across its sleeps (a frozen test clock) does it give up and go after this many.
MAX_RECHECKS = 3


class _Schedule:
    """Times of calls (booked or sent) and the rule: spacing plus sliding windows."""

    def __init__(self, interval: float, windows: list[tuple[float, int]]) -> None:
        self.interval = interval
        self.last = float("-inf")
        self.windows = [(span, deque(maxlen=cap)) for span, cap in windows]

    def earliest(self, now: float) -> float:
        """The earliest moment at or after `now` a call keeps every rule."""
        moment = max(now, self.last + self.interval)
        for span, times in self.windows:
            if len(times) == times.maxlen:
                # The call `cap` places back must have left the window: t >= it + span.
                moment = max(moment, times[0] + span)
        return moment

    def record(self, moment: float) -> None:
        self.last = max(self.last, moment)
        for _, times in self.windows:
            times.append(moment)


class RateLimiter:
    def __init__(self, qps: float, *, qpm: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if qps <= 0:
            raise ValueError("qps must be positive")
        if qpm is not None and qpm <= 0:
            raise ValueError("qpm must be positive")
        self.qps = float(qps)
        self.qpm = float(qpm) if qpm else None
        spacing = 1.0 / self.qps
        windows = [(1.0, max(1, math.floor(self.qps)))]
        if self.qpm:
            spacing = max(spacing, 60.0 / self.qpm)
            windows.append((60.0, max(1, math.floor(self.qpm))))
        self.interval = spacing / (1 - SAFETY_MARGIN)
        self.clock = clock
        self.sleep = sleep
        self._booked = _Schedule(self.interval, windows)
        # Sends are held to the windows' counts and to half the spacing: enough to stop
        # bunching, without turning every late wake-up into drift for all later calls.
        self._sent = _Schedule(self.interval / 2, windows)
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next free slot; returns how long to wait for it."""
        with self._lock:
            now = self.clock()
            slot = self._booked.earliest(now)
            self._booked.record(slot)
            return slot - now

    def clear_to_send(self) -> float:
        """0 when a call may go out now (and records it as sent now); else how much
        longer to wait. A task that woke late from its booked slot must not go out
        right behind one that woke on time."""
        with self._lock:
            now = self.clock()
            wait = self._sent.earliest(now) - now
            if wait > 0:
                return wait
            self._sent.record(now)
            return 0.0

    def _send_anyway(self) -> None:
        with self._lock:
            self._sent.record(self.clock())

    async def wait(self, sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        """Wait for the booked slot, then until the spacing to the last call holds."""
        sleep = sleep or self.sleep
        delay = self.reserve()
        frozen = 0
        while frozen <= MAX_RECHECKS:
            before = self.clock()
            if delay > 0:
                await sleep(delay)
            delay = self.clear_to_send()
            if delay <= 0:
                return
            frozen = frozen + 1 if self.clock() <= before else 0
        self._send_anyway()


_SHARED: dict[tuple[str, float, float | None], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(platform: str, qps: float, qpm: float | None = None) -> RateLimiter:
    """The process-wide schedule of one platform (real monotonic time)."""
    with _SHARED_LOCK:
        key = (platform, float(qps), float(qpm) if qpm else None)
        if key not in _SHARED:
            _SHARED[key] = RateLimiter(qps, qpm=qpm)
        return _SHARED[key]
