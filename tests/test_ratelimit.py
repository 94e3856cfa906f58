"""Client-side pacing: the schedule never puts more than the limit in any one-second
(or, with a per-minute limit, sixty-second) window, spaces calls evenly, and is shared
by fetch_product and fetch_many. All on injected clocks: nothing really waits.
"""
from __future__ import annotations

import asyncio
import heapq
import math
import random

import httpx
import pytest

import lib.client as client_module
import lib.ratelimit as ratelimit
from lib.client import fetch_many, fetch_product
from lib.model import Product
from lib.platforms import PLATFORMS
from lib.ratelimit import SAFETY_MARGIN, RateLimiter, shared_limiter
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxGateway, SandboxTransport

START = 1_700_000_000.0


def max_in_window(times: list[float], span: float) -> int:
    """The most calls any half-open window [t, t + span) holds (t at each call)."""
    ordered = sorted(times)
    most, j = 0, 0
    for i, start in enumerate(ordered):
        while j < len(ordered) and ordered[j] < start + span:
            j += 1
        most = max(most, j - i)
    return most


def assert_within(times: list[float], qps: float, qpm: float | None = None) -> None:
    assert max_in_window(times, 1.0) <= max(1, math.floor(qps))
    if qpm:
        assert max_in_window(times, 60.0) <= qpm
    gaps = [b - a for a, b in zip(sorted(times), sorted(times)[1:])]
    interval = max(1 / qps, 60 / qpm if qpm else 0)
    assert min(gaps) >= interval - 1e-9                 # evenly spaced, no bursts


def book(limiter: RateLimiter, now: list[float], arrivals: list[float]) -> list[float]:
    """The slot each call gets when it asks at the given moments."""
    slots = []
    for moment in arrivals:
        now[0] = moment
        slots.append(moment + limiter.reserve())
    return slots


# --- the limiter alone ------------------------------------------------------------------
@pytest.mark.parametrize("qps", [1, 2.5, 5, 10, 80])
def test_a_burst_of_200_is_spread_within_the_limit(qps):
    now = [START]
    limiter = RateLimiter(qps, clock=lambda: now[0])
    slots = book(limiter, now, [START] * 200)                   # all ask at once
    assert_within(slots, qps)
    assert slots[0] == START
    if float(qps).is_integer():                                  # evenly spaced
        step = 1 / (qps * (1 - SAFETY_MARGIN))
        assert [b - a for a, b in zip(slots, slots[1:])] == [pytest.approx(step, abs=1e-6)] * 199


@pytest.mark.parametrize("seed", range(5))
def test_random_arrivals_never_exceed_the_limit(seed):
    rng = random.Random(seed)
    arrivals, moment = [], START
    for _ in range(200):                          # clumps and pauses
        moment += rng.choice([0.0, 0.0, 0.001, 0.05, 0.3, 2.0])
        arrivals.append(moment)
    now = [START]
    limiter = RateLimiter(7, clock=lambda: now[0])
    slots = book(limiter, now, arrivals)
    assert_within(slots, 7)
    assert all(slot >= asked for slot, asked in zip(slots, arrivals))


def test_per_minute_limit():
    now = [START]
    limiter = RateLimiter(10, qpm=30, clock=lambda: now[0])
    slots = book(limiter, now, [START] * 200)
    assert_within(slots, 10, qpm=30)
    assert max_in_window(slots, 60.0) <= 30
    # Spaced for the per-minute limit (2 s apart), not bunched at 10/s then stalled.
    assert slots[1] - slots[0] == pytest.approx(2 / (1 - SAFETY_MARGIN))


def test_seller_limits_80_per_second_and_4800_per_minute():
    now = [START]
    limiter = RateLimiter(80, qpm=4800, clock=lambda: now[0])
    slots = book(limiter, now, [START] * 5000)
    assert_within(slots, 80, qpm=4800)


def test_a_late_waker_does_not_go_out_right_behind_an_on_time_one():
    now = [START]
    limiter = RateLimiter(10, clock=lambda: now[0])
    first, second = limiter.reserve(), limiter.reserve()
    assert first == 0
    now[0] = START + second                        # the second goes out on time...
    assert limiter.clear_to_send() == 0
    assert limiter.clear_to_send() > 0             # ...so nothing may follow at once


# A background call re-checks in line as well as after its slot: twice the rounds.
@pytest.mark.parametrize("background, rounds", [(False, ratelimit.MAX_RECHECKS + 1),
                                                (True, 2 * (ratelimit.MAX_RECHECKS + 2))])
def test_wait_gives_up_rechecking_on_a_clock_that_never_moves(background, rounds):
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)

    limiter = RateLimiter(10, clock=lambda: START)

    async def run():
        for _ in range(3):
            await limiter.wait(sleep, background=background)
    asyncio.run(run())                              # returns: no endless loop
    assert len(sleeps) <= 3 * rounds
    assert not limiter._line                        # nobody left waiting in line


@pytest.mark.parametrize("qps, qpm", [(0, None), (-1, None), (5, 0), (5, -3)])
def test_non_positive_limits_are_refused(qps, qpm):
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(qps, qpm=qpm)


def test_shared_limiter_is_one_per_platform_and_limits():
    assert shared_limiter("x-test", 5) is shared_limiter("x-test", 5.0)
    assert shared_limiter("x-test", 5) is not shared_limiter("x-test", 5, qpm=100)
    assert shared_limiter("x-test", 5, qpm=100).qpm == 100


# --- through the client: a batch of 200 on virtual time -----------------------------------
class VirtualTime:
    """One clock for every task of a batch: sleeping tasks wake in time order, and the
    clock jumps to each wake-up once the running tasks have all blocked."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        self._queue: list = []
        self._seq = 0
        self._driver: asyncio.Task | None = None

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        heapq.heappush(self._queue, (self.now + max(0.0, seconds), self._seq, future))
        self._seq += 1
        if self._driver is None or self._driver.done():
            self._driver = loop.create_task(self._drive())
        await future

    async def _drive(self) -> None:
        while self._queue:
            for _ in range(50):                     # let every runnable task block
                await asyncio.sleep(0)
            wake, _, future = heapq.heappop(self._queue)
            self.now = max(self.now, wake)
            if not future.done():
                future.set_result(None)


class Recorder:
    """The sandbox behind a transport that notes the (virtual) moment of every call."""

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.sandbox = SandboxTransport(SandboxGateway(clock=time))
        self.moments: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.moments.append(self.time.now)
        return self.sandbox.handle_request(request)


def batch_of(key: str, size: int = 200, **options) -> tuple[list, Recorder]:
    queries = [q for q in DEMO_PRODUCTS if q.platform == key]
    if not queries:
        pytest.skip(f"no demo product for {key}")
    time = VirtualTime()
    recorder = Recorder(time)
    results = fetch_many([queries[i % len(queries)] for i in range(size)],
                         credentials=DEMO_CREDENTIALS[key],
                         transport=httpx.MockTransport(recorder), clock=time,
                         sleep=time.sleep, **options)
    assert all(isinstance(r, Product) for r in results), results[:3]
    return results, recorder


@pytest.mark.parametrize("concurrency", [1, 8, 50])
def test_batch_of_200_keeps_to_the_platform_limit(concurrency):
    qps = PLATFORMS["aliexpress"].qps
    _, recorder = batch_of("aliexpress", 200, concurrency=concurrency)
    assert len(recorder.moments) == 200
    assert_within(recorder.moments, qps)
    # And no slower than needed: 200 calls at qps take about 200 / qps seconds.
    span = max(recorder.moments) - min(recorder.moments)
    assert span == pytest.approx(199 / (qps * (1 - SAFETY_MARGIN)), rel=0.01)


def test_batch_qps_option():
    _, recorder = batch_of("aliexpress", 40, concurrency=8, qps=4)
    assert_within(recorder.moments, 4)


def test_batch_qps_per_platform_mapping():
    _, recorder = batch_of("aliexpress", 40, concurrency=8, qps={"aliexpress": 3})
    assert_within(recorder.moments, 3)


@pytest.mark.skipif("aliexpress-seller" not in PLATFORMS, reason="no seller module")
def test_per_minute_limit_caps_even_an_explicit_qps(monkeypatch):
    """The seller API allows 80/s and 4800/min; asking for 200/s still keeps to both."""
    platform = PLATFORMS["aliexpress-seller"]
    assert (platform.qps, getattr(platform, "qpm", None)) == (80, 4800)
    _, recorder = batch_of("aliexpress-seller", 200, concurrency=16, qps=200)
    assert_within(recorder.moments, 80, qpm=4800)


@pytest.mark.skipif("aliexpress-seller" not in PLATFORMS, reason="no seller module")
def test_per_minute_limit_spreads_a_batch_over_minutes(monkeypatch):
    monkeypatch.setattr(PLATFORMS["aliexpress-seller"], "qpm", 30, raising=False)
    _, recorder = batch_of("aliexpress-seller", 61, concurrency=8)
    assert_within(recorder.moments, 80, qpm=30)
    assert max(recorder.moments) - min(recorder.moments) > 2 * 60     # 61 at 30/min


@pytest.mark.parametrize("key", list(PLATFORMS))
def test_default_limits_come_from_the_platform(key, monkeypatch):
    made = []
    real = client_module.RateLimiter

    def spy(qps, **options):
        made.append((qps, options.get("qpm")))
        return real(qps, **options)
    monkeypatch.setattr(client_module, "RateLimiter", spy)
    query = next((q for q in DEMO_PRODUCTS if q.platform == key), None)
    if query is None:
        pytest.skip(f"no demo product for {key}")
    time = VirtualTime()
    fetch_many([query], clock=time, sleep=time.sleep)
    platform = PLATFORMS[key]
    assert made == [(platform.qps, getattr(platform, "qpm", None))]


def test_fetch_product_and_fetch_many_share_one_schedule(monkeypatch):
    """In real time (nothing injected) every fetch of a platform books its calls in the
    one process-wide schedule."""
    handed_out = []
    real = client_module.shared_limiter

    def spy(platform, qps, **options):
        limiter = real(platform, qps, **options)
        handed_out.append(limiter)
        return limiter
    monkeypatch.setattr(client_module, "shared_limiter", spy)
    queries = [q for q in DEMO_PRODUCTS if q.platform == "aliexpress"][:2]
    fetch_product(queries[0])
    fetch_many(queries)
    fetch_product(queries[1])
    assert len(handed_out) == 4
    assert len({id(limiter) for limiter in handed_out}) == 1
    assert handed_out[0] is shared_limiter("aliexpress", PLATFORMS["aliexpress"].qps,
                                           account="demo")     # the demo quota


# --- background calls (a job's): they yield to interactive ones ---------------------------
def test_a_background_call_books_only_a_slot_free_now():
    now = [START]
    limiter = RateLimiter(10, clock=lambda: now[0])
    step = limiter.interval
    assert limiter.reserve(background=True) == 0                  # nothing ahead: now
    assert limiter.reserve(background=True) == pytest.approx(-step)   # come back then...
    assert limiter.reserve() == pytest.approx(step)     # ...booking nothing: this one's
    assert limiter.reserve(background=True) == pytest.approx(-2 * step)
    now[0] = START + 2 * step + 1e-6
    assert limiter.reserve(background=True) == 0
    assert limiter.reserve() == pytest.approx(step)     # interactive: the very next slot


def run_on(*coroutines):
    async def main():
        return await asyncio.gather(*coroutines)
    return asyncio.run(main())


@pytest.mark.parametrize("book_ahead", [0, 1])      # 1: the shared limiter's setting
def test_background_callers_take_free_slots_in_the_order_they_asked(book_ahead):
    time = VirtualTime()
    limiter = RateLimiter(10, clock=time, sleep=time.sleep, book_ahead=book_ahead)
    sent: list[tuple[int, float]] = []

    async def caller(n: int):
        await limiter.wait(background=True)
        sent.append((n, time.now))
    run_on(*(caller(n) for n in range(12)))
    assert [n for n, _ in sent] == list(range(12))
    assert_within([moment for _, moment in sent], 10)
    assert sent[-1][1] - sent[0][1] == pytest.approx(11 * limiter.interval)  # no slot lost
    assert not limiter._line                                 # nobody left in line


def background_job_and_one_interactive_call(background: bool, workers: int = 4,
                                            latency: float = 0.15, book_ahead: int = 0):
    """`workers` job workers, each pacing then "sending" (latency) 30 calls, and one
    interactive call at START + 2.34 s; (its wait, the job's and its send moments)."""
    time = VirtualTime()
    limiter = RateLimiter(10, clock=time, sleep=time.sleep, book_ahead=book_ahead)
    job_moments: list[float] = []
    waited: list[float] = []
    sent: list[float] = []

    async def worker():
        for _ in range(30):
            await limiter.wait(background=background)
            job_moments.append(time.now)
            await time.sleep(latency)

    async def interactive():
        await time.sleep(2.34)
        asked = time.now
        await limiter.wait()
        waited.append(time.now - asked)
        sent.append(time.now)
    run_on(interactive(), *(worker() for _ in range(workers)))
    return waited[0], job_moments, limiter.interval, sent[0]


@pytest.mark.parametrize("workers", [1, 4, 8])
def test_an_interactive_call_waits_at_most_one_slot_behind_a_background_job(workers):
    waited, job_moments, slot, sent = background_job_and_one_interactive_call(True, workers)
    assert waited <= slot + 1e-6
    assert_within(job_moments + [sent], 10)              # and the limit holds for both
    assert len(job_moments) == 30 * workers


@pytest.mark.parametrize("workers", [1, 4, 8])
def test_with_book_ahead_an_interactive_call_waits_at_most_two_slots(workers):
    """The shared limiter lets a job book one slot ahead (lib.ratelimit.shared_limiter):
    an interactive call then waits behind that one booked call at most."""
    waited, job_moments, slot, sent = background_job_and_one_interactive_call(
        True, workers, book_ahead=1)
    assert waited <= 2 * slot + 1e-6
    assert_within(job_moments + [sent], 10)
    assert len(job_moments) == 30 * workers


def test_without_background_pacing_it_would_wait_behind_every_booked_call():
    """The same measure on a job paced as interactive calls are: it tells them apart."""
    waited, _, slot, _ = background_job_and_one_interactive_call(False, workers=8)
    assert waited >= 4 * slot


def test_a_background_caller_cancelled_in_line_gives_up_its_turn():
    time = VirtualTime()
    limiter = RateLimiter(10, clock=time, sleep=time.sleep)
    sent: list[tuple[str, float]] = []

    async def caller(name: str):
        await limiter.wait(background=True)
        sent.append((name, time.now))

    async def main():
        first = asyncio.ensure_future(caller("first"))
        doomed = asyncio.ensure_future(caller("doomed"))
        last = asyncio.ensure_future(caller("last"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        doomed.cancel()
        await asyncio.gather(first, last, return_exceptions=True)
    asyncio.run(main())
    assert [name for name, _ in sent] == ["first", "last"]
    assert sent[1][1] - sent[0][1] == pytest.approx(limiter.interval)   # the next slot
    assert not limiter._line
