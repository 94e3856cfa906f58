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

Across processes (app replicas, workers), `use_shared_pacing(engine)` puts the schedule
of every `shared_limiter` made afterwards in one PostgreSQL row per platform and account
(lib/pacing_store.py): every decision below reads and changes "the state" in one
`transact(fn)` of a pacing backend, in memory here, in a locked row there (on the
database's clock). The line of background callers stays per process. A shared limiter
lets a background call book one slot ahead (never more than one background slot lies
ahead): else a database round trip and a poller's late wake-up are lost from every slot
(measured: 83 % of the limit at 40/s across two processes, 95 % with it), and an
interactive call waits at most about two slots, behind that one. When the database
cannot be reached a shared limiter paces on its own, locally, at the platform's limit,
and tries the database again a few seconds later (one warning in the log).
"""
from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from typing import Any, Awaitable, Callable, Protocol

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


class PacingState:
    """What every pacing decision reads and changes: the booked and the sent schedule,
    and the latest slot a background call booked (at most one may lie ahead)."""

    def __init__(self, booked: _Schedule, sent: _Schedule) -> None:
        self.booked = booked
        self.sent = sent
        self.background_until = float("-inf")


class Pacing(Protocol):
    def transact(self, fn: Callable[[PacingState, float], Any]) -> Any:
        """fn(state, now) in one step no other caller sees half done; fn's result."""


class LocalPacing:
    """The schedule in this process's memory, on the limiter's clock (the caller holds
    the limiter's lock)."""

    def __init__(self, new_state: Callable[..., PacingState], clock: Callable[[], float]):
        self.state = new_state()
        self.clock = clock

    def transact(self, fn: Callable[[PacingState, float], Any]) -> Any:
        return fn(self.state, self.clock())


PacingFactory = Callable[[Callable[..., PacingState], Callable[[], float]], Pacing]


class RateLimiter:
    def __init__(self, qps: float, *, qpm: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 book_ahead: int = 0, pacing: PacingFactory | None = None) -> None:
        """book_ahead: how many slots ahead a background call may book (0 or 1; never
        more than one background slot lies ahead). pacing: where the state lives
        (default: this process's memory)."""
        if qps <= 0:
            raise ValueError("qps must be positive")
        if qpm is not None and qpm <= 0:
            raise ValueError("qpm must be positive")
        self.qps = float(qps)
        self.qpm = float(qpm) if qpm else None
        spacing = 1.0 / self.qps
        self._windows = [(1.0, max(1, math.floor(self.qps)))]
        if self.qpm:
            spacing = max(spacing, 60.0 / self.qpm)
            self._windows.append((60.0, max(1, math.floor(self.qpm))))
        self.interval = spacing / (1 - SAFETY_MARGIN)
        self.book_ahead = book_ahead
        self.clock = clock
        self.sleep = sleep
        self._pacing: Pacing = (pacing or LocalPacing)(self.new_state, clock)
        # Background callers waiting for a free slot, first come first served: else the
        # workers of a job (or two jobs) race for each slot and one can lose many in a row.
        self._line: deque[object] = deque()
        self._lock = threading.Lock()

    def new_state(self, send_margin: float = 0.0) -> PacingState:
        """Empty schedules for this limit. A booked window the spacing alone keeps (cap
        calls spaced `interval` apart span at least the window) is left out: less to
        store. send_margin widens the sent windows (for jitter after the decision)."""
        booked = [(span, cap) for span, cap in self._windows
                  if cap * self.interval < span]
        # Sends are held to the windows' counts and to half the spacing: enough to stop
        # bunching, without turning every late wake-up into drift for all later calls.
        sent = [(span + send_margin, cap) for span, cap in self._windows]
        return PacingState(_Schedule(self.interval, booked),
                           _Schedule(self.interval / 2, sent))

    def reserve(self, background: bool = False) -> float:
        """Book the next free slot; returns how long to wait for it. A background call
        books only a slot that is free now (or within book_ahead slots, when no other
        background slot lies ahead) and that no background call waiting before it is
        owed; else it gets -(how long until it may ask again), booking nothing."""
        return self._reserve(background, None)

    def _reserve(self, background: bool, ticket: object | None) -> float:
        with self._lock:
            ahead = (self._line.index(ticket) if ticket in self._line
                     else len(self._line)) if background else 0
            delay, booked = self._pacing.transact(
                lambda state, now: self._book(state, now, background, ahead))
            if booked and ticket in self._line:
                self._line.remove(ticket)
            return delay

    def _book(self, state: PacingState, now: float, background: bool,
              ahead: int) -> tuple[float, bool]:
        """(wait, booked): the decision of _reserve on one state, no side effect else."""
        slot = state.booked.earliest(now)
        if background:
            # How far ahead it may book: book_ahead slots, once no background slot
            # booked earlier lies ahead any more.
            lookahead = self.book_ahead * self.interval
            reach = now + lookahead if state.background_until <= now else now
            # The first in line takes the free slot; the others look again at the
            # next one (not later: one ahead may leave the line, cancelled).
            turn = slot if slot > reach or not ahead else slot + self.interval
            ready = max(turn - lookahead, state.background_until) if lookahead else turn
            if ready > now:
                return -(ready - now), False
            state.background_until = slot
        state.booked.record(slot)
        return slot - now, True

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
            return self._pacing.transact(_clear)

    def _send_anyway(self) -> None:
        with self._lock:
            self._pacing.transact(lambda state, now: state.sent.record(now))

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


def _clear(state: PacingState, now: float) -> float:
    wait = state.sent.earliest(now) - now
    if wait > 0:
        return wait
    state.sent.record(now)
    return 0.0


_SHARED: dict[tuple[str, float, float | None, str], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()
_SHARED_ENGINE: Any = None          # set by use_shared_pacing: the pacing rows' engine


def use_shared_pacing(engine: Any) -> bool:
    """Every shared_limiter made from now on in this process keeps its schedule in the
    PostgreSQL database of `engine` (an Engine or a URL; the store's, migrated), or in
    this process's memory when `engine` is None or not PostgreSQL (the embedded SQLite
    store serves one process). Drops the limiters made so far. True when shared."""
    global _SHARED_ENGINE
    from lib import pacing_store

    made = pacing_store.pacing_engine(engine) if engine is not None else None
    with _SHARED_LOCK:
        previous, _SHARED_ENGINE = _SHARED_ENGINE, made
        _SHARED.clear()
    if previous is not None:
        previous.dispose()
    return made is not None


def shared_limiter(platform: str, qps: float, qpm: float | None = None,
                   account: str = "") -> RateLimiter:
    """The schedule of one platform and account (lib.client.pacing_account) for the
    whole process, or for every process on the database use_shared_pacing named (real
    monotonic time for the waits)."""
    with _SHARED_LOCK:
        key = (platform, float(qps), float(qpm) if qpm else None, account)
        if key not in _SHARED:
            if _SHARED_ENGINE is None:
                _SHARED[key] = RateLimiter(qps, qpm=qpm)
            else:
                from lib import pacing_store
                # Background calls book one slot ahead here: the database round trip
                # and the wake-up of a poller would otherwise cost a part of every slot.
                _SHARED[key] = RateLimiter(qps, qpm=qpm, book_ahead=1, pacing=pacing_store.
                                           shared_pacing(_SHARED_ENGINE, platform, account))
        return _SHARED[key]


# --- the CPU too: background work waits while a page is being drawn ------------------
# Pacing gives an interactive call the next slot, but in the default deployment a job
# runs in the app server's process, and its parsing, summaries and saves (about 45 ms of
# CPU per product, 10 products a second: half a core) hold the GIL for as long as the
# page's script run itself: measured, a page's CPU-bound work ran 2-2.5x slower during a
# 300-item job. A job's CPU-heavy steps therefore wait (never longer than
# YIELD_MAX_S per step, so a job always goes on) while this process is "in the
# foreground": an interactive fetch in flight (lib.client marks it), anything inside
# `foreground()` (a page's script run, say), a Streamlit script thread running (a page
# or fragment being drawn: found by its thread name, Streamlit is not imported here),
# and FOREGROUND_GRACE_S after the last of these ended (what a page draws after its
# fetch). The job's calls keep their pacing slots meanwhile; only the work on what they
# brought back waits.
FOREGROUND_GRACE_S = 0.25
YIELD_MAX_S = 0.75
YIELD_POLL_S = 0.02
SCRIPT_THREAD_NAMES = ("ScriptRunner.scriptThread",)


class Foreground:
    """Whether interactive work is going on in this process (see above)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 grace_s: float = FOREGROUND_GRACE_S,
                 thread_names: tuple[str, ...] = SCRIPT_THREAD_NAMES) -> None:
        self.clock = clock
        self.grace_s = grace_s
        self.thread_names = thread_names
        self._lock = threading.Lock()
        self._active = 0
        self._ended = float("-inf")
        self.waited_s = 0.0                   # how long background steps waited, in all

    def enter(self) -> None:
        with self._lock:
            self._active += 1

    def leave(self) -> None:
        with self._lock:
            self._active = max(0, self._active - 1)
            self._ended = self.clock()

    def __enter__(self) -> "Foreground":
        self.enter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.leave()

    def busy(self) -> bool:
        """True while interactive work runs, or ended less than grace_s ago."""
        with self._lock:
            if self._active or self.clock() - self._ended < self.grace_s:
                return True
        if not self.thread_names:
            return False
        current = threading.current_thread()
        for thread in threading.enumerate():
            if thread is not current and thread.name in self.thread_names:
                with self._lock:
                    self._ended = self.clock()   # its end starts the grace period
                return True
        return False

    async def yield_to(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                       max_wait_s: float | None = None) -> float:
        """For a background step: wait while busy(), at most max_wait_s (default
        YIELD_MAX_S); how long it waited."""
        max_wait_s = YIELD_MAX_S if max_wait_s is None else max_wait_s
        start = self.clock()
        waited = 0.0
        while waited < max_wait_s and self.busy():
            await sleep(YIELD_POLL_S)
            waited = self.clock() - start
        with self._lock:
            self.waited_s += waited
        return waited

    def wait_quiet(self, max_wait_s: float | None = None) -> float:
        """yield_to for a plain thread (blocking); how long it waited."""
        max_wait_s = YIELD_MAX_S if max_wait_s is None else max_wait_s
        start = self.clock()
        waited = 0.0
        while waited < max_wait_s and self.busy():
            time.sleep(YIELD_POLL_S)
            waited = self.clock() - start
        with self._lock:
            self.waited_s += waited
        return waited


FOREGROUND = Foreground()


def foreground() -> Foreground:
    """`with foreground():` marks interactive work (background steps wait meanwhile)."""
    return FOREGROUND
