"""One rate limit across processes: the pacing schedule in a PostgreSQL row (lib/
pacing_store.py), on a real throwaway PostgreSQL (tests/pg_fixtures.py), with separate
processes pacing real calls in real time. Also: book-ahead of background calls on an
injected clock, the key, no secret in the row, and the database going away.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

import lib.pacing_store as pacing_store
import lib.ratelimit as ratelimit
from lib.client import pacing_account
from lib.ratelimit import RateLimiter, shared_limiter, use_shared_pacing
from test_ratelimit import START, assert_within, max_in_window, run_on

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QPS = 10
RUN_S = 3.0

# One pacing process: background workers (a job's, each "sending" for LATENCY_S after
# its slot) and one interactive caller now and then, all from `start` for `seconds`;
# prints the wall-clock moment each call was cleared to go out.
PROBE = r"""
import asyncio, json, sys, time
from lib.ratelimit import shared_limiter, use_shared_pacing

url, qps, start, seconds, workers = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), \
    float(sys.argv[4]), int(sys.argv[5])
LATENCY_S, INTERACTIVE_EVERY_S = 0.05, 0.7
if url != "local":
    assert use_shared_pacing(url)
    import sqlalchemy as sa
    from lib import ratelimit
    with ratelimit._SHARED_ENGINE.connect() as connection:     # connected before the start
        connection.execute(sa.text("SELECT 1"))
limiter = shared_limiter("aliexpress", qps, account="demo")
sent = []
end = start + seconds

async def worker():
    while True:
        await limiter.wait(background=True)
        if time.time() >= end:
            return
        sent.append((time.time(), "background"))
        await asyncio.sleep(LATENCY_S)

async def interactive():
    while True:
        await asyncio.sleep(INTERACTIVE_EVERY_S)
        await limiter.wait()
        if time.time() >= end:
            return
        sent.append((time.time(), "interactive"))

async def main():
    await asyncio.gather(interactive(), *(worker() for _ in range(workers)))

time.sleep(max(0.0, start - time.time()))
asyncio.run(main())
print(json.dumps(sent))
"""


def run_processes(url: str, processes: int, seconds: float = RUN_S, workers: int = 4,
                  qps: float = QPS) -> list[list[tuple[float, str]]]:
    """Each process's (moment, kind) list; all start pacing at the same wall-clock time."""
    start = time.time() + 4.0 + processes          # imports and connections come first
    env = {**os.environ, "PYTHONPATH": ROOT}
    running = [subprocess.Popen([sys.executable, "-c", PROBE, url, str(qps), str(start),
                                 str(seconds), str(workers)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(processes)]
    results = []
    for process in running:
        out, err = process.communicate(timeout=60 + seconds)
        assert process.returncode == 0, err[-3000:]
        results.append([tuple(item) for item in json.loads(out)])
    return results


def report(label: str, per_process: list[list], seconds: float) -> tuple[list[float], float]:
    moments = sorted(m for calls in per_process for m, _ in calls)
    rates = [len(calls) / seconds for calls in per_process]
    total = len(moments) / seconds
    print(f"{label}: per process {', '.join(f'{r:.2f}/s' for r in rates)}; total "
          f"{total:.2f}/s = {total / QPS:.0%} of {QPS}/s; most in one second "
          f"{max_in_window(moments, 1.0)}; interactive calls "
          f"{sum(kind == 'interactive' for calls in per_process for _, kind in calls)}")
    return moments, total


@pytest.fixture
def migrated(pg_url):
    from lib.store import open_store
    store = open_store(pg_url)
    store.close()
    return pg_url


@pytest.fixture
def shared(migrated, monkeypatch):
    """This process's shared limiters on the test database (local again afterwards)."""
    monkeypatch.setattr(ratelimit, "_SHARED", {})
    assert use_shared_pacing(migrated)
    yield migrated
    use_shared_pacing(None)


def rows(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(sa.text("SELECT key, state FROM pacing")).all())
    finally:
        engine.dispose()


# --- several processes, one limit ----------------------------------------------------------
@pytest.mark.parametrize("processes", [2, 3])
def test_processes_sharing_the_row_keep_to_one_limit_and_use_it(migrated, processes):
    per_process = run_processes(migrated, processes)
    moments, total = report(f"shared, {processes} processes", per_process, RUN_S)
    assert max_in_window(moments, 1.0) <= QPS
    assert total >= 0.85 * QPS
    assert all(calls for calls in per_process)                 # every process got slots
    assert any(kind == "interactive" for calls in per_process for _, kind in calls)


def test_processes_pacing_alone_send_n_times_the_limit():
    """The problem the shared row fixes: each process keeps to the limit by itself."""
    per_process = run_processes("local", 2)
    moments, total = report("local, 2 processes", per_process, RUN_S)
    assert total >= 1.6 * QPS
    assert max_in_window(moments, 1.0) > QPS


# --- the row: key, contents, clock -------------------------------------------------------
def test_the_key_separates_platforms_and_accounts_and_stores_no_secret(shared):
    secret, app_key = "s3cr3t-do-not-store-0123456789", "33445566"
    mine = pacing_account({"app_key": app_key, "app_secret": secret}, demo=False)
    theirs = pacing_account({"app_key": "77889900", "app_secret": secret}, demo=False)
    assert mine != theirs and len(mine) == 12 and app_key not in mine
    assert pacing_account({"client_id": "tuya-client-1", "client_secret": secret},
                          demo=False) not in ("", mine)
    assert pacing_account({"app_key": app_key}, demo=True) == "demo"

    limiters = {key: shared_limiter(key[0], QPS, account=key[1]) for key in
                [("aliexpress", mine), ("aliexpress", theirs), ("alibaba", mine)]}
    assert len({id(limiter) for limiter in limiters.values()}) == 3
    for limiter in limiters.values():          # each its own schedule: all free now
        assert limiter.reserve() == 0
    stored = rows(shared)
    assert set(stored) == {f"aliexpress|{mine}", f"aliexpress|{theirs}", f"alibaba|{mine}"}
    for state in stored.values():
        assert secret not in state and app_key not in state
        assert json.loads(state)["booked"]["last"] is not None
    # The same key again is the same schedule: the next slot is at least one interval
    # later (read from the row, not from the wait, which shrinks by however long this test took).
    key = f"aliexpress|{mine}"
    before = json.loads(stored[key])["booked"]["last"]
    again = limiters[("aliexpress", mine)].reserve()
    after = json.loads(rows(shared)[key])["booked"]["last"]
    interval = limiters[("aliexpress", mine)].interval
    assert after >= before + interval - 1e-6      # later only when this test ran slow
    assert 0 <= again <= interval


def test_now_is_read_on_the_database_clock_after_the_row_is_locked(shared):
    limiter = shared_limiter("aliexpress", QPS, account="demo")
    limiter.reserve()                                    # the row exists
    engine = sa.create_engine(shared)
    released: list[float] = []
    seen: list[float] = []
    locked = threading.Event()

    def hold_the_row():
        with engine.begin() as connection:
            connection.execute(sa.text("SELECT state FROM pacing WHERE key = 'aliexpress|demo' "
                                       "FOR UPDATE"))
            locked.set()
            time.sleep(0.5)
            released.append(connection.execute(sa.text(
                "SELECT extract(epoch FROM clock_timestamp())::float8")).scalar())
    holder = threading.Thread(target=hold_the_row)
    holder.start()
    locked.wait(10)
    limiter._pacing.transact(lambda state, now: seen.append(now))
    holder.join()
    engine.dispose()
    assert seen[0] >= released[0]
    assert abs(seen[0] - time.time()) < 60           # epoch seconds, the server's clock


def test_a_row_is_round_tripped_exactly_enough():
    limiter = RateLimiter(2.5, qpm=100)
    state = limiter.new_state(pacing_store.SEND_MARGIN_S)
    now = 1_800_000_000.0
    for k in range(40):
        state.sent.record(now + k * 0.41)
    state.booked.record(now + 20)
    state.background_until = now + 19.5
    loaded = limiter.new_state(pacing_store.SEND_MARGIN_S)
    text = pacing_store.dump_state(state, now + 16.5)
    pacing_store.load_state(loaded, text, now + 16.5)
    assert loaded.booked.last == state.booked.last
    assert loaded.background_until == state.background_until
    assert loaded.sent.earliest(now + 16.5) == pytest.approx(state.sent.earliest(now + 16.5),
                                                             abs=1e-6)
    # A stepped-back clock (moments an hour ahead) starts again instead of stalling calls.
    pacing_store.load_state(loaded, text, now - 7200)
    assert loaded.booked.last == float("-inf")


# --- the database away -------------------------------------------------------------------
def paced_for(limiter: RateLimiter, seconds: float) -> list[float]:
    sent: list[float] = []

    async def caller():
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await limiter.wait(background=True)
            sent.append(time.monotonic())
    run_on(*(caller() for _ in range(3)))
    return sent


def test_database_down_calls_still_go_out_at_the_limit(monkeypatch, caplog):
    monkeypatch.setattr(ratelimit, "_SHARED", {})
    assert use_shared_pacing("postgresql+psycopg://nobody@127.0.0.1:9/nowhere")
    try:
        with caplog.at_level(logging.WARNING, logger="lib.pacing_store"):
            sent = paced_for(shared_limiter("aliexpress", QPS, account="demo"), 2.0)
    finally:
        use_shared_pacing(None)
    print(f"database down: {len(sent) / 2.0:.2f}/s")
    assert_within(sent, QPS)
    assert len(sent) >= 0.85 * QPS * 2.0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1                              # once, not once per call
    assert "in this process alone" in warnings[0].getMessage()


def test_a_missing_table_falls_back_then_the_row_is_used_once_it_exists(pg_url, monkeypatch,
                                                                      caplog):
    monkeypatch.setattr(ratelimit, "_SHARED", {})
    monkeypatch.setattr(pacing_store, "RETRY_S", 0.3)
    assert use_shared_pacing(pg_url)                     # not migrated: no pacing table
    try:
        limiter = shared_limiter("aliexpress", QPS, account="demo")
        with caplog.at_level(logging.WARNING, logger="lib.pacing_store"):
            assert limiter.reserve() == 0
        assert any("cannot be read" in r.getMessage() for r in caplog.records)
        engine = sa.create_engine(pg_url)
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE pacing (key text PRIMARY KEY, "
                                       "state text NOT NULL)"))
        engine.dispose()
        time.sleep(0.4)
        limiter.reserve()
        assert list(rows(pg_url)) == ["aliexpress|demo"]
    finally:
        use_shared_pacing(None)


def test_sqlite_has_no_shared_pacing(tmp_path, monkeypatch):
    monkeypatch.setattr(ratelimit, "_SHARED", {})
    assert not use_shared_pacing(f"sqlite:///{tmp_path}/s.db")
    assert isinstance(shared_limiter("aliexpress", QPS)._pacing, ratelimit.LocalPacing)


# --- booking one slot ahead (how the shared limiter paces a job) ---------------------------
def test_a_background_call_books_at_most_one_slot_ahead():
    now = [START]
    limiter = RateLimiter(10, clock=lambda: now[0], book_ahead=1)
    step = limiter.interval
    assert limiter.reserve(background=True) == 0                 # nothing ahead: now
    assert limiter.reserve(background=True) == pytest.approx(step)   # the next, ahead
    # ...but never two background slots ahead: come back when that one is due.
    assert limiter.reserve(background=True) == pytest.approx(-step)
    assert limiter.reserve() == pytest.approx(2 * step)      # interactive: next free slot
    now[0] = START + step
    assert limiter.reserve(background=True) == pytest.approx(-step)   # 3 steps is too far
    now[0] = START + 2 * step + 1e-6
    assert limiter.reserve(background=True) == pytest.approx(step, abs=1e-5)


def test_the_shared_limiter_books_ahead_and_the_local_one_does_not(shared, monkeypatch):
    assert shared_limiter("aliexpress", QPS, account="demo").book_ahead == 1
    use_shared_pacing(None)
    assert shared_limiter("aliexpress", QPS, account="demo").book_ahead == 0
