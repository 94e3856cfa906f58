"""Jobs: the real JobBoard on a real store (an SQLite file; the board alone on PostgreSQL
too) and the real runner over the real client and the sandbox. Virtual time (an
injected clock and sleep) wherever the point is pacing or order; real time only where
two fetches must share the process-wide schedule (an interactive fetch during a job) or
the runner's own threads run.

Each job's gateway notes every call it gets, by product: "fetched twice" and "fetched
after the cancel" are counted there, not inferred from the board.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import httpx
import pytest

import lib.jobs.runner as runner_module
import lib.ratelimit as ratelimit
from lib.client import RetryPolicy, fetch_many
from lib.errors import FetchError
from lib.jobs import (BATCH, CANCELLED, DONE, FAILED, ITEM_DONE, PENDING, QUEUED, RUNNING,
                      SKIPPED, InProcessRunner, JobBoard, client_fetch, retryable_failure,
                      run_job, work_claimed)
from lib.jobs.board import STALE_S
from lib.platforms import PLATFORMS
from lib.query import ProductQuery
from lib.ratelimit import SAFETY_MARGIN
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxGateway, SandboxTransport
from lib.store import StoreError, open_store
from test_ratelimit import START as START_VIRTUAL
from test_ratelimit import VirtualTime, max_in_window

BACKPACK, BOTTLE, CASE = "1005006789012345", "1005005432109876", "1005004321098765"
DEMO_ALIEXPRESS = [BACKPACK, BOTTLE, CASE]
ALIBABA = [q.product_id for q in DEMO_PRODUCTS if q.platform == "alibaba"]
ONE_TRY = RetryPolicy(max_attempts=1)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
HOST = socket.gethostname()


def missing(count: int, start: int = 0) -> list[str]:
    """AliExpress ids the sandbox does not know (its real not-found answer): 16 digits,
    so none is a part of another id in a request."""
    return [f"10050000000{n:05d}" for n in range(start, start + count)]


def aliexpress(ids: list[str]) -> list[ProductQuery]:
    return [ProductQuery("aliexpress", i) for i in ids]


def interleave(demo: list[str], others: list[str]) -> list[str]:
    """Demo ids spread among the others: [d0, o0, o1, d1, o2, o3, ...]."""
    out, rest = [], list(others)
    for product in demo:
        out.append(product)
        out.extend(rest[:2])
        rest = rest[2:]
    return out + rest


class Gateway:
    """The sandbox behind an httpx.MockTransport (served in the client's own event loop,
    so virtual time stays exact) that notes each call: when (on `clock`) and for which
    product. `failing` products answer 503 (a retryable marketplace error); `hook(product)`
    runs as each call arrives."""

    def __init__(self, ids, *, clock=time.monotonic, failing=(), log=None, tag="") -> None:
        self.ids = list(dict.fromkeys(ids))
        self.clock = clock
        self.failing = set(failing)
        self.tag = tag
        self.log = log if log is not None else []      # (moment, tag, product id)
        self.lock = threading.Lock()
        self.hook = None
        wall = clock if isinstance(clock, VirtualTime) else time.time
        self.sandbox = SandboxTransport(SandboxGateway(clock=wall))
        self.transport = httpx.MockTransport(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        seen = str(request.url) + request.read().decode("utf-8", "replace")
        product = next((i for i in self.ids if i in seen), "")
        with self.lock:
            self.log.append((self.clock(), self.tag, product))
        if self.hook is not None:
            self.hook(product)
        if product in self.failing:
            return httpx.Response(503, json={"error": "try later"})
        return self.sandbox.handle_request(request)

    @property
    def calls(self) -> list[tuple[float, str]]:
        return [(moment, product) for moment, tag, product in self.log if tag == self.tag]

    def counts(self) -> Counter:
        return Counter(product for _, product in self.calls)

    def first_call_order(self) -> list[str]:
        ordered = sorted(self.calls, key=lambda call: call[0])      # stable: ties keep arrival
        return list(dict.fromkeys(product for _, product in ordered))


def virtual_fetch(gateway: Gateway, clock: VirtualTime, **options):
    """The runner's fetch: the real client (fetch_many in the background) on virtual time."""
    return client_fetch(None, transport=gateway.transport, clock=clock, sleep=clock.sleep,
                        policy=ONE_TRY, **options)


def by_seq(board: JobBoard, job_id: str) -> dict[str, object]:
    return {item.query.product_id: item for item in board.items(job_id)}


class Died(BaseException):
    """The runner's process ends mid-job: nothing after it runs (no release, no cleanup
    of the board), as when a server is killed."""


def dies_after(fetch, results: int):
    """`fetch`, except that its process "dies" once `results` results were recorded."""
    def wrapped(queries, on_result, stop):
        recorded = [0]
        lock = threading.Lock()          # a job's results may be recorded on threads

        def record(index, result):
            with lock:
                if recorded[0] >= results:
                    return            # dead: asyncio's teardown may still finish a call
                on_result(index, result)
                recorded[0] += 1
                if recorded[0] == results:
                    raise Died()
        return fetch(queries, record, stop)
    return wrapped


def stops_after(fetch, results: int, stopping: threading.Event):
    """`fetch`, with the server shutting down (the stopping event) after `results`."""
    def wrapped(queries, on_result, stop):
        recorded = [0]

        def record(index, result):
            on_result(index, result)
            recorded[0] += 1
            if recorded[0] == results:
                stopping.set()
        return fetch(queries, record, stop)
    return wrapped


def dead_pid() -> int:
    """The pid of a process of this machine that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path}/jobs.db")
    yield opened
    opened.close()


@pytest.fixture
def board(store):
    return JobBoard(store)


@pytest.fixture
def board_any(store_url_any):
    opened = open_store(store_url_any)
    yield JobBoard(opened)
    opened.close()


# --- the board (SQLite and PostgreSQL) ------------------------------------------------------
def test_a_job_keeps_its_items_in_order_with_their_whole_queries(board_any):
    queries = [ProductQuery("aliexpress", BACKPACK, country="DE", currency="EUR"),
               ProductQuery("alibaba", ALIBABA[0]),
               ProductQuery("tuya", "CMsmartplug01", language="fr", extras={"x": "1"}),
               *aliexpress(missing(3))]
    job = board_any.create(BATCH, queries, title="t" * 500, created_by="ana",
                           settings={"qty": float("nan"), "n": 3}, now=T0)
    assert (job.status, job.total, job.pending, job.done, job.failed) == (QUEUED, 6, 6, 0, 0)
    assert (job.created_at, job.created_by, len(job.title)) == (T0, "ana", 200)
    assert job.settings == {"qty": None, "n": 3}                     # NaN is not a number
    items = board_any.items(job.id)
    assert [i.seq for i in items] == list(range(6))
    assert [i.query for i in items] == queries
    assert {i.state for i in items} == {PENDING}
    older = board_any.create(BATCH, queries[:1], now=T0 - timedelta(hours=1))
    assert [j.id for j in board_any.recent()] == [job.id, older.id]   # newest first
    assert board_any.unfinished() == [older.id, job.id]               # oldest first


def test_an_item_result_is_recorded_once_and_release_says_what_is_left(board_any):
    job = board_any.create(BATCH, aliexpress([BACKPACK, BOTTLE]), now=T0)
    assert board_any.claim(job.id, "a", now=T0)
    assert board_any.finish_item(job.id, 0, snapshot_id="snap1", summary={"Price": 5.5},
                                 now=T0)
    failure = FetchError("It went wrong.")
    assert not board_any.finish_item(job.id, 0, error=runner_module.ItemError.of(failure))
    first = board_any.items(job.id)[0]
    assert (first.state, first.snapshot_id, first.summary, first.error) == (
        ITEM_DONE, "snap1", {"Price": 5.5}, None)
    assert board_any.release(job.id, "someone else").status == RUNNING   # not theirs
    released = board_any.release(job.id, "a", now=T0)
    assert (released.status, released.owner, released.done, released.pending) == (
        QUEUED, "", 1, 1)                                 # one left: back in the queue
    assert board_any.claim(job.id, "b", now=T0)
    assert board_any.finish_item(job.id, 1, error=runner_module.ItemError.of(failure), now=T0)
    finished = board_any.release(job.id, "b", now=T0 + timedelta(seconds=3))
    assert (finished.status, finished.done, finished.failed) == (DONE, 1, 1)
    assert finished.finished_at == T0 + timedelta(seconds=3)
    assert board_any.items(job.id)[1].error.message == "It went wrong."
    assert not board_any.claim(job.id, "c", now=T0)                # finished: nobody takes it


def test_a_claim_held_by_a_live_runner_is_not_taken_a_stale_or_dead_one_is(board_any):
    job = board_any.create(BATCH, aliexpress([BACKPACK]), now=T0)
    this_process = f"runner@{HOST}:{os.getpid()}:aaa"
    assert board_any.claim(job.id, this_process, now=T0)
    assert board_any.get(job.id).status == RUNNING
    assert not board_any.claim(job.id, "other", now=T0 + timedelta(seconds=STALE_S - 1))
    assert board_any.claim(job.id, this_process, now=T0 + timedelta(seconds=1))  # its own
    board_any.heartbeat(this_process, [job.id], now=T0 + timedelta(seconds=20))
    # Stale counts from the last heartbeat, not from the claim.
    assert not board_any.claim(job.id, "other", now=T0 + timedelta(seconds=20 + STALE_S - 1))
    assert board_any.claim(job.id, "other", now=T0 + timedelta(seconds=20 + STALE_S + 1))
    assert board_any.get(job.id).owner == "other"

    # A holder that names a process of this machine that has ended: taken at once.
    gone = board_any.create(BATCH, aliexpress([BOTTLE]), now=T0)
    assert board_any.claim(gone.id, f"runner@{HOST}:{dead_pid()}:abc", now=T0)
    assert board_any.claim(gone.id, "new", now=T0 + timedelta(seconds=1))
    # One that is still running, or one on another machine, waits for its heartbeat.
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        held = board_any.create(BATCH, aliexpress([CASE]), now=T0)
        assert board_any.claim(held.id, f"runner@{HOST}:{alive.pid}:abc", now=T0)
        assert not board_any.claim(held.id, "new", now=T0 + timedelta(seconds=1))
    finally:
        alive.kill()
        alive.wait()
    far = board_any.create(BATCH, aliexpress([CASE]), now=T0)
    assert board_any.claim(far.id, f"runner@elsewhere-{HOST}:{dead_pid()}:abc", now=T0)
    assert not board_any.claim(far.id, "new", now=T0 + timedelta(seconds=1))
    assert board_any.claim(far.id, "new", now=T0 + timedelta(seconds=STALE_S + 1))


def test_cancel_of_a_queued_job_with_no_runner_is_at_once(board_any):
    job = board_any.create(BATCH, aliexpress([BACKPACK, *missing(4)]), now=T0)
    assert board_any.cancel(job.id, now=T0 + timedelta(seconds=2))
    cancelled = board_any.get(job.id)
    assert (cancelled.status, cancelled.skipped, cancelled.pending) == (CANCELLED, 5, 0)
    assert cancelled.finished_at == T0 + timedelta(seconds=2)
    assert cancelled.state_text == "cancelled"
    assert {i.state for i in board_any.items(job.id)} == {SKIPPED}
    assert not board_any.cancel(job.id)                              # finished already
    gateway = Gateway(DEMO_ALIEXPRESS)
    assert run_job(board_any, job.id, client_fetch(None, transport=gateway.transport)) is None
    assert gateway.log == []                                         # nothing fetched


# --- the runner on virtual time -----------------------------------------------------------
def test_items_start_in_job_order_and_each_ends_with_its_own_result(board, store):
    ids = interleave(DEMO_ALIEXPRESS, missing(9))
    job = board.create(BATCH, aliexpress(ids), now=T0)
    clock = VirtualTime()
    gateway = Gateway(ids, clock=clock)
    finished = run_job(board, job.id, virtual_fetch(gateway, clock))

    assert gateway.first_call_order() == ids
    assert gateway.counts() == Counter({i: 1 for i in ids})
    assert (finished.status, finished.done, finished.failed, finished.owner) == (DONE, 3, 9, "")
    assert finished.started_at is not None and finished.finished_at is not None
    direct = dict(zip(ids, fetch_many(aliexpress(ids), policy=ONE_TRY)))
    for item in board.items(job.id):
        product_id = item.query.product_id
        if product_id in DEMO_ALIEXPRESS:
            assert (item.state, item.error) == (ITEM_DONE, None)
            kept = store.load(item.snapshot_id)
            assert kept.product_id == product_id
            assert kept.title == direct[product_id].title
            assert len(kept.skus) == len(direct[product_id].skus)
            assert item.summary["Product id"] == product_id
        else:
            assert (item.state, item.snapshot_id) == (FAILED, None)
            assert item.error.kind == "ProductNotFound"
            assert item.error.message == direct[product_id].user_message
            assert item.error.retryable is False


def test_the_fetch_asks_credentials_once_per_platform_of_the_job(board):
    queries = [*aliexpress([BACKPACK, BOTTLE]), ProductQuery("alibaba", ALIBABA[0])]
    asked = []

    def credentials_for(platform):
        asked.append(platform)
        return DEMO_CREDENTIALS[platform] if platform == "aliexpress" else None
    job = board.create(BATCH, queries, now=T0)
    clock = VirtualTime()
    gateway = Gateway([q.product_id for q in queries], clock=clock)
    fetch = client_fetch(credentials_for, transport=gateway.transport, clock=clock,
                         sleep=clock.sleep, policy=ONE_TRY)
    assert run_job(board, job.id, fetch).done == 3        # the sandbox took those keys
    assert sorted(asked) == ["alibaba", "aliexpress"]


def paced_job(board, queries, **options) -> Gateway:
    job = board.create(BATCH, queries, now=T0)
    clock = VirtualTime()
    gateway = Gateway([q.product_id for q in queries], clock=clock)
    finished = run_job(board, job.id, virtual_fetch(gateway, clock, **options))
    assert finished.done + finished.failed == len(queries)
    assert len(gateway.log) == len(queries)
    return gateway


@pytest.mark.parametrize("qps", [None, 4])
def test_a_job_keeps_to_the_platforms_limit_and_to_its_pace(board, qps):
    ids = interleave(DEMO_ALIEXPRESS, missing(57))
    gateway = paced_job(board, aliexpress(ids), **({"qps": qps} if qps else {}))
    limit = qps or PLATFORMS["aliexpress"].qps
    moments = sorted(m for m, _ in gateway.calls)
    assert max_in_window(moments, 1.0) <= limit
    # ...and no slower than the limit asks (background pacing loses no slot on its own).
    floor = (len(moments) - 1) / (limit * (1 - SAFETY_MARGIN))
    assert moments[-1] - moments[0] == pytest.approx(floor, rel=0.02)


def test_a_job_of_two_platforms_keeps_to_each_ones_limit(board):
    ali = interleave(DEMO_ALIEXPRESS, missing(37))
    alibaba = [ProductQuery("alibaba", i) for i in ALIBABA * 10]
    mixed = [q for pair in zip(aliexpress(ali), alibaba) for q in pair] + aliexpress(ali)[20:]
    gateway = paced_job(board, mixed)
    for platform, ids in (("aliexpress", set(ali)), ("alibaba", set(ALIBABA))):
        moments = sorted(m for m, p in gateway.calls if p in ids)
        assert len(moments) == sum(q.product_id in ids for q in mixed)
        assert max_in_window(moments, 1.0) <= PLATFORMS[platform].qps


@pytest.fixture
def cancel_seen_at_once(monkeypatch):
    """On virtual time a whole job takes less real time than the runner's CANCEL_CHECK_S
    between reads of the cancel flag; read it before every product instead."""
    monkeypatch.setattr(runner_module, "CANCEL_CHECK_S", 0.0)


def test_cancel_mid_job_finishes_the_items_in_flight_and_skips_the_rest(board,
                                                                         cancel_seen_at_once):
    ids = interleave(DEMO_ALIEXPRESS, missing(27))
    job = board.create(BATCH, aliexpress(ids), now=T0)
    clock = VirtualTime()
    gateway = Gateway(ids, clock=clock)
    at_cancel = {}

    def cancel_at_the_eighth_call(product):
        if len(gateway.log) == 8:
            assert board.cancel(job.id)
            at_cancel["calls"] = 8
            at_cancel["state"] = board.get(job.id).state_text
    gateway.hook = cancel_at_the_eighth_call
    finished = run_job(board, job.id, virtual_fetch(gateway, clock))

    assert at_cancel["state"] == "cancelling"         # running, asked to stop
    after_cancel = len(gateway.log) - at_cancel["calls"]
    assert after_cancel <= runner_module.JOB_CONCURRENCY - 1      # only those in flight
    fetched = set(gateway.counts())
    assert max(gateway.counts().values()) == 1
    assert (finished.status, finished.state_text) == (CANCELLED, "cancelled")
    assert finished.done + finished.failed == len(fetched)
    assert finished.skipped == len(ids) - len(fetched) > 0
    for product_id, item in by_seq(board, job.id).items():
        assert item.state == ((ITEM_DONE if product_id in DEMO_ALIEXPRESS else FAILED)
                              if product_id in fetched else SKIPPED)
    # Nothing is fetched after: running it again finds no work.
    assert run_job(board, job.id, virtual_fetch(gateway, clock)) is None
    assert len(gateway.log) == at_cancel["calls"] + after_cancel


def test_resume_after_a_crash_fetches_only_the_missing_items(board):
    ids = interleave(DEMO_ALIEXPRESS, missing(21))
    job = board.create(BATCH, aliexpress(ids), now=T0)
    clock = VirtualTime()
    gateway = Gateway(ids, clock=clock)
    runner_a = f"runner@{HOST}:{os.getpid()}:aaa"          # this process: alive
    assert board.claim(job.id, runner_a, now=T0)
    with pytest.raises(Died):
        work_claimed(board, job.id, dies_after(virtual_fetch(gateway, clock), 9),
                     owner=runner_a)

    left = board.get(job.id)
    assert (left.status, left.owner, left.done + left.failed) == (RUNNING, runner_a, 9)
    succeeded = {i.query.product_id for i in board.items(job.id, [ITEM_DONE, FAILED])}
    missing_after_a = [i.query.product_id for i in board.pending(job.id)]
    calls_by_a = gateway.counts()
    # Runner B (a restarted server, say) waits while A's heartbeat is fresh...
    runner_b = f"runner@{HOST}:{os.getpid()}:bbb"
    assert not board.claim(job.id, runner_b, now=T0 + timedelta(seconds=STALE_S / 2))
    # ...and takes the job once it is stale, then fetches only what is missing.
    assert board.claim(job.id, runner_b, now=T0 + timedelta(seconds=STALE_S + 1))
    finished = work_claimed(board, job.id, virtual_fetch(gateway, clock), owner=runner_b)

    calls_by_b = gateway.counts() - calls_by_a
    assert sorted(calls_by_b) == sorted(missing_after_a)
    assert set(calls_by_b.values()) == {1}
    assert all(gateway.counts()[p] == 1 for p in succeeded)      # no success fetched twice
    assert (finished.status, finished.done, finished.failed) == (DONE, 3, 21)
    assert {i.state for i in board.items(job.id)} <= {ITEM_DONE, FAILED}


def test_resume_after_a_shutdown_fetches_only_the_missing_items(board):
    ids = interleave(DEMO_ALIEXPRESS, missing(21))
    job = board.create(BATCH, aliexpress(ids), now=T0)
    clock = VirtualTime()
    gateway = Gateway(ids, clock=clock)
    stopping = threading.Event()
    fetch = virtual_fetch(gateway, clock)
    stopped = run_job(board, job.id, stops_after(fetch, 6, stopping), stopping=stopping)

    # Only the items in flight were fetched after the stop; the rest wait in the queue.
    assert (stopped.status, stopped.owner) == (QUEUED, "")
    calls_by_a = gateway.counts()
    assert 6 <= len(calls_by_a) <= 6 + runner_module.JOB_CONCURRENCY - 1
    assert set(calls_by_a.values()) == {1}
    kept = {p: i for p, i in by_seq(board, job.id).items() if i.state != PENDING}
    assert len(kept) == stopped.done + stopped.failed >= 6
    assert stopped.pending == len(ids) - len(kept)
    # A failure that came in while stopping may be the shutdown's doing: left pending.
    assert set(calls_by_a) - set(kept) <= set(missing(21))
    finished = run_job(board, job.id, fetch, owner="runner-b")          # taken at once
    assert (finished.status, finished.done, finished.failed) == (DONE, 3, 21)
    calls_by_b = gateway.counts() - calls_by_a
    assert sorted(calls_by_b) == sorted(set(ids) - set(kept))         # only what is missing
    assert set(calls_by_b.values()) == {1}
    for product_id, item in kept.items():
        assert by_seq(board, job.id)[product_id] == item                # untouched


def test_retry_puts_back_only_the_retryable_failures(board):
    unknown = missing(2)
    ids = [BACKPACK, CASE, unknown[0], BOTTLE, unknown[1]]
    job = board.create(BATCH, aliexpress(ids), now=T0)
    clock = VirtualTime()
    gateway = Gateway(ids, clock=clock, failing={CASE, unknown[1]})   # 503: try again later
    first = run_job(board, job.id, virtual_fetch(gateway, clock))
    assert (first.status, first.done, first.failed) == (DONE, 2, 3)
    before = by_seq(board, job.id)
    assert before[CASE].error.kind == "UpstreamError" and before[CASE].error.retryable
    assert not before[unknown[0]].error.retryable                        # not found: final

    assert board.retry(job.id, retryable_failure) == 2
    again = board.get(job.id)
    assert (again.status, again.pending, again.finished_at) == (QUEUED, 2, None)
    assert {p for p, i in by_seq(board, job.id).items() if i.state == PENDING} == {
        CASE, unknown[1]}
    gateway.failing.clear()                           # the marketplace is back
    second = run_job(board, job.id, virtual_fetch(gateway, clock))
    after = by_seq(board, job.id)
    assert (second.status, second.done, second.failed) == (DONE, 3, 2)
    assert after[CASE].state == ITEM_DONE and after[CASE].snapshot_id
    assert after[unknown[1]].error.kind == "ProductNotFound"             # now really asked
    for untouched in (BACKPACK, BOTTLE, unknown[0]):
        assert after[untouched] == before[untouched]
    assert gateway.counts() == Counter({BACKPACK: 1, BOTTLE: 1, unknown[0]: 1, CASE: 2,
                                        unknown[1]: 2})
    assert board.retry(job.id, retryable_failure) == 0


def test_a_product_that_cannot_be_saved_fails_alone_and_the_job_goes_on(board, store,
                                                                        monkeypatch):
    real_save = store.save

    def save(product, **options):
        if product.product_id == BOTTLE:
            raise StoreError("This fetch was not saved to the history: the disk is full.",
                             "OperationalError: database or disk is full")
        return real_save(product, **options)
    monkeypatch.setattr(store, "save", save)
    ids = [BACKPACK, BOTTLE, CASE]
    job = board.create(BATCH, aliexpress(ids), now=T0)
    clock = VirtualTime()
    finished = run_job(board, job.id, virtual_fetch(Gateway(ids, clock=clock), clock))
    assert (finished.status, finished.done, finished.failed) == (DONE, 2, 1)
    items = by_seq(board, job.id)
    assert items[BOTTLE].error.kind == "StoreError"
    assert items[BOTTLE].error.message == ("This fetch was not saved to the history: "
                                           "the disk is full.")
    assert items[BOTTLE].error.retryable                   # fetching again may save it
    assert "OperationalError" not in str(items[BOTTLE].error)     # the detail stays out
    assert store.load(items[CASE].snapshot_id).product_id == CASE


def test_a_long_job_keeps_its_claim_while_it_works(board):
    """run_job alone (as a task queue's worker runs it, with no dispatcher beating for
    it): a job longer than STALE_S is not taken over by another runner mid-way."""
    ids = interleave(DEMO_ALIEXPRESS, missing(67))          # 70 calls at 2/s: 36 s
    job = board.create(BATCH, aliexpress(ids), now=T0)
    clock = VirtualTime()
    gateway = Gateway(ids, clock=clock)
    wall = lambda: datetime.fromtimestamp(clock.now, timezone.utc)   # noqa: E731
    taken = []

    def another_runner_tries(product):
        if len(gateway.log) in (30, 66):            # 15 s and 33 s into the job
            taken.append(board.claim(job.id, "runner-b", now=wall()))
    gateway.hook = another_runner_tries
    finished = run_job(board, job.id, virtual_fetch(gateway, clock, qps=2), owner="runner-a",
                       clock=wall)
    assert (wall() - datetime.fromtimestamp(START_VIRTUAL, timezone.utc)).total_seconds() > (
        STALE_S)
    assert taken == [False, False]
    assert (finished.status, finished.done + finished.failed) == (DONE, len(ids))
    assert gateway.counts() == Counter({i: 1 for i in ids})


def test_a_product_whose_results_row_cannot_be_made_fails_alone(board, store):
    from lib.batch import result_row

    def summarize(query, product):
        if product.product_id == BOTTLE:
            raise KeyError("a bug")
        return result_row(query, product)
    ids = [BACKPACK, BOTTLE, CASE]
    job = board.create(BATCH, aliexpress(ids), now=T0)
    clock = VirtualTime()
    gateway = Gateway(ids, clock=clock)
    finished = run_job(board, job.id, virtual_fetch(gateway, clock), summarize=summarize)
    assert (finished.status, finished.done, finished.failed) == (DONE, 2, 1)
    failed = by_seq(board, job.id)[BOTTLE]
    assert failed.error.message == ("The product was fetched and saved, but its results "
                                    "row could not be made.")
    assert not failed.error.retryable
    assert gateway.counts() == Counter({i: 1 for i in ids})     # not again on every run
    assert run_job(board, job.id, virtual_fetch(gateway, clock)) is None


# --- real time: the shared schedule, the runner's threads -----------------------------------
@pytest.mark.parametrize("background", [True, False])
def test_an_interactive_fetch_during_a_job_waits_about_one_slot(board, monkeypatch,
                                                                background):
    """The job and an interactive 3-product fetch share the process-wide schedule of the
    platform (real time): the interactive calls go after at most the one job call booked
    already. Without background pacing (False) they queue behind what the job's
    workers booked ahead: the measure tells the two apart."""
    monkeypatch.setattr(ratelimit, "_SHARED", {})          # a fresh schedule, real time
    ids = interleave(DEMO_ALIEXPRESS, missing(27))
    job = board.create(BATCH, aliexpress(ids), now=T0)
    log: list = []
    job_gateway = Gateway(ids, log=log, tag="job")
    user_gateway = Gateway(DEMO_ALIEXPRESS, log=log, tag="user")

    def fetch(queries, on_result, stop):
        fetch_many(queries, transport=job_gateway.transport, concurrency=8, policy=ONE_TRY,
                   on_result=on_result, stop=stop, background=background)
    worker = threading.Thread(target=run_job, args=(board, job.id, fetch))
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while len(job_gateway.calls) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        asked = time.monotonic()
        results = fetch_many(aliexpress(DEMO_ALIEXPRESS), transport=user_gateway.transport,
                             policy=ONE_TRY)
    finally:
        worker.join(60)
    assert all(not isinstance(r, FetchError) for r in results)
    user_moments = [m for m, _ in user_gateway.calls]
    job_calls_ahead = sum(asked < m < max(user_moments) for m, _ in job_gateway.calls)
    slot = 1 / (PLATFORMS["aliexpress"].qps * (1 - SAFETY_MARGIN))
    print(f"background={background}: {job_calls_ahead} job calls ahead, first interactive "
          f"call after {(min(user_moments) - asked) / slot:.1f} slots")
    if background:
        assert job_calls_ahead <= 2          # the one booked (+1 for this thread's start)
    else:
        assert job_calls_ahead >= 4
    assert board.get(job.id).status == DONE
    assert job_gateway.counts() == Counter({i: 1 for i in ids})


def wait_for(condition, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_the_in_process_runner_runs_two_jobs_one_after_another(board):
    first_ids, second_ids = interleave(DEMO_ALIEXPRESS[:2], missing(4)), missing(6, 100)
    gateway = Gateway(first_ids + second_ids)
    runner = InProcessRunner(board, client_fetch(None, transport=gateway.transport, qps=50,
                                                 policy=ONE_TRY), workers=1, poll_s=0.2)
    try:
        first = board.create(BATCH, aliexpress(first_ids), title="first")
        second = board.create(BATCH, aliexpress(second_ids), title="second")
        runner.submit(first.id)
        runner.submit(second.id)
        first, second = runner.wait(first.id, 30), runner.wait(second.id, 30)
    finally:
        runner.stop()
    assert (first.status, first.done, first.failed) == (DONE, 2, 4)
    assert (second.status, second.done, second.failed) == (DONE, 0, 6)
    assert second.started_at >= first.finished_at                    # one after the other
    order = [p for _, p in sorted(gateway.calls, key=lambda call: call[0])]
    assert order[:6] and set(order[:6]) == set(first_ids) and set(order[6:]) == set(second_ids)
    assert gateway.counts() == Counter({i: 1 for i in first_ids + second_ids})
    assert runner.busy() == []


def test_stopping_the_runner_leaves_a_half_done_job_queued_for_the_next(board):
    ids = interleave(DEMO_ALIEXPRESS, missing(37))
    gateway = Gateway(ids)
    job = board.create(BATCH, aliexpress(ids), title="big")
    runner = InProcessRunner(board, client_fetch(None, transport=gateway.transport, qps=10,
                                                 policy=ONE_TRY), workers=1, poll_s=0.2)
    runner.submit(job.id)
    wait_for(lambda: board.get(job.id).done + board.get(job.id).failed >= 5)
    runner.stop()
    halfway = board.get(job.id)
    assert (halfway.status, halfway.owner) == (QUEUED, "")          # not lost, not held
    assert 5 <= halfway.done + halfway.failed < len(ids)
    assert halfway.pending == len(ids) - halfway.done - halfway.failed
    kept = {p: i for p, i in by_seq(board, job.id).items() if i.state != PENDING}
    calls_before = gateway.counts()
    # Nothing was started after the stop but what was in flight (a failure among those
    # stays pending: it may be the shutdown's doing).
    assert set(kept) <= set(calls_before)
    assert len(calls_before) <= len(kept) + runner_module.JOB_CONCURRENCY

    next_runner = InProcessRunner(board, client_fetch(None, transport=gateway.transport,
                                                      qps=50, policy=ONE_TRY), poll_s=0.2)
    try:
        finished = next_runner.start().wait(job.id, 30)          # picks it up by itself
    finally:
        next_runner.stop()
    assert (finished.status, finished.done, finished.failed) == (DONE, 3, 37)
    assert all(gateway.counts()[p] == 1 for p in kept)      # nothing recorded fetched twice
    assert set(gateway.counts()) == set(ids)
    for product_id, item in kept.items():
        assert by_seq(board, job.id)[product_id] == item


def test_a_new_runner_takes_over_at_once_the_job_of_a_process_that_died(board):
    """The restart: the old server process held the job (heartbeat fresh) when it was
    killed; the new process's runner takes it without waiting STALE_S, and fetches only
    what is missing."""
    ids = interleave(DEMO_ALIEXPRESS, missing(12))
    job = board.create(BATCH, aliexpress(ids))
    clock = VirtualTime()
    gateway = Gateway(ids, clock=clock)
    old_server = f"runner@{HOST}:{dead_pid()}:old"
    assert board.claim(job.id, old_server)
    with pytest.raises(Died):
        work_claimed(board, job.id, dies_after(virtual_fetch(gateway, clock), 5),
                     owner=old_server)
    kept = {p: i for p, i in by_seq(board, job.id).items() if i.state != PENDING}
    assert len(kept) == 5 and board.get(job.id).owner == old_server
    calls_before = gateway.counts()

    new_server = InProcessRunner(board, virtual_fetch(gateway, clock), poll_s=0.2)
    started = time.monotonic()
    try:
        finished = new_server.start().wait(job.id, STALE_S)
    finally:
        new_server.stop()
    assert time.monotonic() - started < STALE_S / 2
    assert (finished.status, finished.done, finished.failed) == (DONE, 3, 12)
    assert sorted(gateway.counts() - calls_before) == sorted(set(ids) - set(kept))
    assert all(gateway.counts()[p] == 1 for p in kept)
