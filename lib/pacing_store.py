"""One call schedule for every process: the pacing state of lib/ratelimit.py in one
PostgreSQL row per platform and account (table `pacing`, migration 0003).

Each decision is one transaction: lock the row (SELECT ... FOR UPDATE; a missing row
is inserted first), read the database's clock after the lock is held, apply the
decision, write the row back, commit. Every process on every machine so shares one
schedule and one clock: GCRA-style virtual scheduling (the next booked moment, the
"theoretical arrival time") plus the sliding-window check of what was sent. The waits
a decision returns are durations, slept locally.

If the database cannot be read (down, unreachable, the table missing) the limiter paces
on its own at the platform's limit, logs one warning, and tries the database again
after RETRY_S seconds: fetching never stops because of pacing. With N processes cut off
at once, N times the limit can go out until the database is back.

The row key is f"{platform}|{account}", the account as lib.client.pacing_account makes
it (a short hash of the app key or client id, "demo" for the demo credentials): no
secret and no key in clear is ever written.
"""
from __future__ import annotations

import functools
import json
import logging
import math
import time
from typing import Any, Callable

import sqlalchemy as sa

from lib.ratelimit import LocalPacing, PacingState, _Schedule

log = logging.getLogger(__name__)

RETRY_S = 5.0               # after a database error, pace locally this long, then retry
# Sends are judged on the database's clock when the row is locked, but arrive at the
# gateway later: the commit, signing, the HTTP write. Measured in the team test on a busy
# 2-core machine (two app servers, two workers, Chromium): median 4 ms, 99th percentile
# 40 ms, worst 135 ms. The sent windows are this much longer than the platform's, which
# caps the rate at 1 / (1 + SEND_MARGIN_S) of the limit (89 % at 0.12 s); at 0.03 s a
# one-second window at the gateway held 11 calls now and then (a ban).
SEND_MARGIN_S = 0.12
# A moment further ahead than this can only come from a clock stepped back: start again.
MAX_AHEAD_S = 3600.0
# Fail fast rather than stall every fetch: a connection, a lock and a transaction left
# open (a process frozen while holding the row) each have a limit.
CONNECT_TIMEOUT_S = 3
SESSION_OPTIONS = ("-c lock_timeout=3000 -c statement_timeout=5000 "
                   "-c idle_in_transaction_session_timeout=2000")

_LOCK = sa.text("WITH locked AS (SELECT state FROM pacing WHERE key = :key FOR UPDATE) "
                "SELECT state, extract(epoch FROM clock_timestamp())::float8 FROM locked")
_INSERT = sa.text("INSERT INTO pacing (key, state) VALUES (:key, '{}') "
                  "ON CONFLICT (key) DO NOTHING")
_UPDATE = sa.text("UPDATE pacing SET state = :state WHERE key = :key")


def pacing_key(platform: str, account: str) -> str:
    return f"{platform}|{account}"


def pacing_engine(source: Any) -> sa.Engine | None:
    """An engine of its own for the pacing rows (short timeouts, no ping per checkout:
    a round trip less per call) on the database of `source` (an Engine or a URL); None
    when that is not PostgreSQL."""
    url = source.url if isinstance(source, sa.Engine) else sa.make_url(str(source))
    if url.get_backend_name() != "postgresql":
        return None
    return sa.create_engine(url, pool_size=2, max_overflow=4, pool_timeout=CONNECT_TIMEOUT_S,
                            connect_args={"connect_timeout": CONNECT_TIMEOUT_S,
                                          "options": SESSION_OPTIONS})


def shared_pacing(engine: sa.Engine, platform: str, account: str):
    """The pacing factory RateLimiter takes: its schedule in the row of this key."""
    return functools.partial(SharedPacing, engine, pacing_key(platform, account))


class SharedPacing:
    def __init__(self, engine: sa.Engine, key: str, new_state: Callable[..., PacingState],
                 clock: Callable[[], float]) -> None:
        self.engine = engine
        self.key = key
        self.new_state = new_state
        self.fallback = LocalPacing(new_state, clock)
        self.retry_at: float | None = None          # set while the database is out

    def transact(self, fn: Callable[[PacingState, float], Any]) -> Any:
        if self.retry_at is not None and time.monotonic() < self.retry_at:
            return self.fallback.transact(fn)
        try:
            result = self._in_database(fn)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            if self.retry_at is None:
                log.warning("Pacing of %s goes on in this process alone, at the platform's "
                            "limit: the shared schedule cannot be read (%s). Retrying in "
                            "%.0f s.", self.key.split("|")[0], _reason(exc), RETRY_S)
            self.retry_at = time.monotonic() + RETRY_S
            return self.fallback.transact(fn)       # fn changed nothing outside the state
        if self.retry_at is not None:
            log.info("Pacing of %s is shared again.", self.key.split("|")[0])
            self.retry_at = None
        return result

    def _in_database(self, fn: Callable[[PacingState, float], Any]) -> Any:
        with self.engine.begin() as connection:
            row = connection.execute(_LOCK, {"key": self.key}).first()
            if row is None:
                connection.execute(_INSERT, {"key": self.key})
                row = connection.execute(_LOCK, {"key": self.key}).first()
            text, now = row
            state = self.new_state(SEND_MARGIN_S)
            load_state(state, text, now)
            result = fn(state, now)
            changed = dump_state(state, now)
            if changed != text:
                connection.execute(_UPDATE, {"key": self.key, "state": changed})
        return result


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0][:200]


# --- the row's JSON ---------------------------------------------------------------------
# {"booked": {"last": t, "windows": [[t0, d1, d2, ...], ...]}, "sent": {...},
#  "background": t}; t in seconds on the database's clock (null = never), window moments
# as the first one plus steps in whole microseconds (an epoch double holds no finer
# anyway), and only the moments still inside their window.
def dump_state(state: PacingState, now: float) -> str:
    return json.dumps({"booked": _dump_schedule(state.booked, now),
                       "sent": _dump_schedule(state.sent, now),
                       "background": _finite(state.background_until)},
                      separators=(",", ":"))


def load_state(state: PacingState, text: str, now: float) -> None:
    """Fill a fresh state from the row; a row that cannot be read, or that lies far in
    the future (a clock stepped back), starts the schedule again."""
    try:
        doc = json.loads(text or "{}")
        for schedule, part in ((state.booked, doc.get("booked")), (state.sent, doc.get("sent"))):
            if part:
                _load_schedule(schedule, part)
        if doc.get("background") is not None:
            state.background_until = float(doc["background"])
    except (ValueError, TypeError, AttributeError, IndexError):
        log.warning("The shared pacing row could not be read; its schedule starts again.")
        _reset(state)
        return
    moments = [state.booked.last, state.sent.last, state.background_until]
    if max(moments) > now + MAX_AHEAD_S:
        _reset(state)


def _reset(state: PacingState) -> None:
    for schedule in (state.booked, state.sent):
        schedule.last = float("-inf")
        for _, times in schedule.windows:
            times.clear()
    state.background_until = float("-inf")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _dump_schedule(schedule: _Schedule, now: float) -> dict:
    windows = []
    for span, times in schedule.windows:
        kept = [t for t in times if t + span > now]       # the others bind no more
        steps: list[float] = []
        if kept:
            offsets = [round((t - kept[0]) * 1e6) for t in kept]
            steps = [kept[0]] + [b - a for a, b in zip(offsets, offsets[1:])]
        windows.append(steps)
    return {"last": _finite(schedule.last), "windows": windows}


def _load_schedule(schedule: _Schedule, part: dict) -> None:
    if part.get("last") is not None:
        schedule.last = float(part["last"])
    for (_, times), steps in zip(schedule.windows, part.get("windows") or []):
        if not steps:
            continue
        first, offset = float(steps[0]), 0
        moments = [first]
        for step in steps[1:]:
            offset += int(step)
            moments.append(first + offset / 1e6)
        times.extend(moments)        # a deque with maxlen keeps the newest `cap`


__all__ = ["RETRY_S", "SharedPacing", "pacing_engine", "pacing_key", "shared_pacing"]
