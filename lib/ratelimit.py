"""Client-side pacing: never more than `qps` calls in any one-second window (and, when
the platform states one, never more than `qpm` in any sixty-second window).

Calls are spaced evenly (one every 1/qps seconds, or 60/qpm if that is longer) rather
than sent in bursts, and the schedule is shared by every fetch in the process for the
same platform, whichever thread or event loop it runs on. The clock is injected, so a
test can check the schedule without real time passing.

Background calls (a job's) book a slot only when none is booked ahead: an interactive
call arriving while a 300-item job runs waits at most one slot behind it, not behind
every call the job's workers have booked. Background callers take free slots in the
order they asked (so a job's items go out in its order, and two jobs share the rate).
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
        # Background callers waiting for a free slot, first come first served: else the
        # workers of a job (or two jobs) race for each slot and one can lose many in a row.
        self._line: deque[object] = deque()
        self._lock = threading.Lock()

    def reserve(self, background: bool = False) -> float:
        """Book the next free slot; returns how long to wait for it. A background call
        books only a slot that is free now and that no background call waiting before
        it is owed; else it gets -(how long until it may ask again), booking nothing."""
        return self._reserve(background, None)

    def _reserve(self, background: bool, ticket: object | None) -> float:
        with self._lock:
            now = self.clock()
            slot = self._booked.earliest(now)
            if background:
                ahead = self._line.index(ticket) if ticket in self._line else len(self._line)
                # The first in line takes the free slot; the others look again at the
                # next one (not later: one ahead may leave the line, cancelled).
                turn = slot if slot > now or not ahead else slot + self.interval
                if turn > now:
                    return -(turn - now)
            if ticket in self._line:
                self._line.remove(ticket)
            self._booked.record(slot)
            return slot - now

    async def _wait_in_line(self, sleep: Callable[[float], Awaitable[None]]) -> float:
        """A background call's booking: in line until a slot is free now and its turn;
        how long until that slot (0, or a little on a frozen test clock)."""
        ticket = object()
        with self._lock:
            self._line.append(ticket)
        try:
            delay = self._reserve(True, ticket)
            stuck = 0
            while delay < 0:
                before = self.clock()
                await sleep(-delay)
                stuck = stuck + 1 if self.clock() <= before else 0
                delay = self._reserve(stuck <= MAX_RECHECKS, ticket)
            return delay
        finally:                             # cancelled while in line: leave it
            with self._lock:
                if ticket in self._line:
                    self._line.remove(ticket)

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

    async def wait(self, sleep: Callable[[float], Awaitable[None]] | None = None, *,
                   background: bool = False) -> None:
        """Wait for the booked slot, then until the spacing to the last call holds."""
        sleep = sleep or self.sleep
        if background:
            delay = await self._wait_in_line(sleep)
        else:
            delay = self._reserve(False, None)
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
