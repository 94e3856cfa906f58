"""A job's CPU-heavy steps wait while a page is being drawn (lib.ratelimit.Foreground):
in the default deployment the job runs in the app server's process, and its parsing and
saving would otherwise take the GIL from the page's script run."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from lib import ratelimit
from lib.client import fetch_many, fetch_product
from lib.query import ProductQuery
from lib.ratelimit import FOREGROUND, Foreground
from lib.sandbox import DEMO_PRODUCTS, SandboxTransport

BACKPACK = ProductQuery("aliexpress", "1005006789012345")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_foreground_is_busy_while_entered_and_for_the_grace_after():
    clock = FakeClock()
    gauge = Foreground(clock=clock, grace_s=0.25, thread_names=())
    assert not gauge.busy()
    with gauge:
        assert gauge.busy()
        with gauge:                               # nested marks count
            pass
        assert gauge.busy()
    clock.now += 0.2
    assert gauge.busy()                           # what the page draws after its fetch
    clock.now += 0.1
    assert not gauge.busy()


def test_a_streamlit_script_thread_running_is_the_foreground():
    clock = FakeClock()
    gauge = Foreground(clock=clock, grace_s=0.25, thread_names=("Page.run",))
    release = threading.Event()
    page = threading.Thread(target=release.wait, name="Page.run", daemon=True)
    other = threading.Thread(target=release.wait, name="some-worker", daemon=True)
    other.start()
    assert not gauge.busy()                       # any other thread is not a page
    page.start()
    try:
        assert gauge.busy()
    finally:
        release.set()
        page.join()
        other.join()
    assert gauge.busy()                           # the grace after the run ended
    clock.now += 0.3
    assert not gauge.busy()
    assert "ScriptRunner.scriptThread" in ratelimit.SCRIPT_THREAD_NAMES


def test_yield_to_waits_while_busy_and_never_longer_than_its_bound():
    clock = FakeClock()
    gauge = Foreground(clock=clock, grace_s=0.0, thread_names=())
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds
        if len(slept) == 5:
            gauge.leave()                         # the page is drawn after 0.1 s

    gauge.enter()
    waited = asyncio.run(gauge.yield_to(sleep, max_wait_s=5.0))
    assert abs(waited - 5 * ratelimit.YIELD_POLL_S) < 1e-9 and len(slept) == 5
    gauge.enter()                                 # a page that never ends: bounded
    waited = asyncio.run(gauge.yield_to(sleep, max_wait_s=0.5))
    assert 0.5 <= waited < 0.5 + 2 * ratelimit.YIELD_POLL_S
    gauge.leave()
    clock.now += 1
    assert asyncio.run(gauge.yield_to(sleep)) == 0.0      # idle: no wait at all


def test_an_interactive_fetch_puts_the_process_in_the_foreground():
    seen: list[bool] = []

    class Watching(SandboxTransport):
        async def handle_async_request(self, request):
            seen.append(FOREGROUND._active > 0)
            return await super().handle_async_request(request)

    before = FOREGROUND._active
    fetch_product(BACKPACK, transport=Watching())
    assert seen == [True]
    assert FOREGROUND._active == before           # left again, also after the answer


def test_a_job_fetch_is_not_the_foreground():
    seen: list[bool] = []

    class Watching(SandboxTransport):
        async def handle_async_request(self, request):
            seen.append(FOREGROUND._active > 0)
            return await super().handle_async_request(request)

    fetch_many([BACKPACK], transport=Watching(), background=True, qps=50)
    assert seen == [False]


def test_a_jobs_results_wait_while_a_page_is_drawn_and_go_on_after(monkeypatch):
    """A background batch's parsing and on_result (the save) start only once the
    foreground is quiet; the calls themselves keep going meanwhile."""
    gauge = Foreground(grace_s=0.0, thread_names=())
    monkeypatch.setattr("lib.client.FOREGROUND", gauge)
    queries = [q for q in DEMO_PRODUCTS if q.platform == "aliexpress"]
    sent: list[float] = []
    results: list[float] = []

    class Counting(SandboxTransport):
        async def handle_async_request(self, request):
            sent.append(time.monotonic())
            return await super().handle_async_request(request)

    gauge.enter()
    released = {}

    def release() -> None:
        time.sleep(0.4)
        released["at"] = time.monotonic()
        gauge.leave()

    threading.Thread(target=release, daemon=True).start()
    start = time.monotonic()
    out = fetch_many(queries, transport=Counting(), background=True, qps=50,
                     concurrency=len(queries),
                     on_result=lambda i, r: results.append(time.monotonic()))
    assert all(hasattr(r, "skus") for r in out)
    assert len(sent) == len(queries) and max(sent) < released["at"]   # calls went on
    assert len(results) == len(queries) and min(results) >= released["at"]
    assert gauge.waited_s > 0.2
    assert time.monotonic() - start < 0.4 + ratelimit.YIELD_MAX_S * 2 + 5


def test_a_job_never_waits_longer_than_the_bound_for_a_page_that_never_ends(monkeypatch):
    gauge = Foreground(grace_s=0.0, thread_names=())
    monkeypatch.setattr("lib.client.FOREGROUND", gauge)
    monkeypatch.setattr(ratelimit, "YIELD_MAX_S", 0.1)
    gauge.enter()
    try:
        start = time.monotonic()
        (product,) = fetch_many([BACKPACK], transport=SandboxTransport(), background=True,
                                qps=50, on_result=lambda i, r: None)
        took = time.monotonic() - start
    finally:
        gauge.leave()
    assert hasattr(product, "skus")
    assert 0.2 <= took < 5                        # two steps waited 0.1 s each, no more


def test_a_process_running_jobs_hands_the_gil_over_within_a_millisecond(tmp_path):
    import sys

    from lib.jobs import InProcessRunner, JobBoard
    from lib.jobs.runner import JOB_SWITCH_INTERVAL_S, hand_over_the_gil_sooner
    from lib.store import open_store

    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)              # Python's default
        store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
        runner = InProcessRunner(JobBoard(store), lambda queries, on_result, stop: None)
        runner.start()
        try:
            assert sys.getswitchinterval() == pytest.approx(JOB_SWITCH_INTERVAL_S) == 0.001
        finally:
            runner.stop(timeout=5)
            store.close()
        sys.setswitchinterval(0.0002)             # set lower by someone: left alone
        assert hand_over_the_gil_sooner() == pytest.approx(0.0002)
    finally:
        sys.setswitchinterval(before)
