"""Job figures, printed and never asserted: `python -m benchmarks jobs`.

Fairness (the Speed issue's figure): on the sandbox answering after a realistic latency
(and enforcing the platform's calls-per-second limit), the time of one interactive
fetch_product of the backpack and of a 10-product fetch_many (a Compare) on an idle
process, then while an InProcessRunner job fetches 300 AliExpress items in the
background (every fifth a demo product, the rest ids the sandbox does not know).
Median of 5 each, and the ratios (target: single <= 1.5x, compare <= 2x). Then the
job's throughput against the platform's limit, and the same fairness figures once more
during a job paced like an interactive fetch (no background pacing), for contrast.
About a minute and a half.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime, timezone
from typing import Callable

from lib.client import fetch_many, fetch_product
from lib.jobs import BATCH, InProcessRunner, JobBoard, client_fetch
from lib.jobs.runner import JOB_CONCURRENCY
from lib.platforms import PLATFORMS
from lib.query import ProductQuery
from lib.sandbox import DEMO_PRODUCTS, SandboxGateway, SandboxTransport
from lib.store import open_store

PLATFORM = "aliexpress"
BACKPACK = ProductQuery(PLATFORM, "1005006789012345")
LATENCY_S = 0.15
RUNS = 5
PAUSE_S = 0.4             # between interactive fetches, as a person clicks


def job_queries(count: int) -> list[ProductQuery]:
    """Every fifth a demo product (fetched, parsed, saved), the rest not found."""
    demo = [q for q in DEMO_PRODUCTS if q.platform == PLATFORM]
    return [demo[n // 5 % len(demo)] if n % 5 == 0 else
            ProductQuery(PLATFORM, f"10050000{n:08d}") for n in range(count)]


def compare_queries() -> list[ProductQuery]:
    """A Compare of 10 products of the job's platform (the worst case: every call waits
    in the same schedule as the job's)."""
    demo = [q for q in DEMO_PRODUCTS if q.platform == PLATFORM]
    return demo + [ProductQuery(PLATFORM, f"10059999{n:08d}") for n in range(10 - len(demo))]


def median_s(action: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
        time.sleep(PAUSE_S)
    return statistics.median(times)


def interactive(transport) -> tuple[float, float]:
    """(single, compare): medians in seconds, on the process-wide schedule (no qps given,
    as the pages fetch)."""
    single = median_s(lambda: fetch_product(BACKPACK, transport=transport))
    compare = median_s(lambda: fetch_many(compare_queries(), transport=transport))
    return single, compare


def foreground_fetch(transport):
    """A job's fetch paced like an interactive one (what background pacing replaces)."""
    def fetch(queries, on_result, stop):
        fetch_many(queries, transport=transport, concurrency=JOB_CONCURRENCY,
                   on_result=on_result, stop=stop)
    return fetch


def during_a_job(transport, fetch, count: int, folder: str, name: str):
    """The interactive figures while a job of `count` items runs; the finished job and
    the moment the interactive fetches ended."""
    store = open_store(f"sqlite:///{folder}/{name}.db")
    board = JobBoard(store)
    runner = InProcessRunner(board, fetch, workers=1, poll_s=0.5)
    try:
        job = board.create(BATCH, job_queries(count), title=name)
        runner.submit(job.id)
        deadline = time.monotonic() + 30
        while board.get(job.id).done + board.get(job.id).failed < 10:
            if time.monotonic() > deadline:
                raise RuntimeError("the job did not start")
            time.sleep(0.05)
        figures = interactive(transport)
        ended = datetime.now(timezone.utc)
        if board.get(job.id).finished:
            print(f"jobs   warning: the {name} job ended before the interactive fetches")
        finished = runner.wait(job.id, timeout=180)
        items = board.items(job.id)
    finally:
        runner.stop()
        store.close()
    return figures, finished, items, ended


def throughput(finished, items, since: datetime) -> tuple[float, float]:
    """Items per second over the whole job, and after `since` (the job alone)."""
    whole = (finished.finished_at - finished.started_at).total_seconds()
    later = [i for i in items if i.finished_at and i.finished_at > since]
    alone = (finished.finished_at - since).total_seconds()
    return len(items) / whole, (len(later) / alone if alone > 0 else float("nan"))


def bench_jobs() -> None:
    qps = PLATFORMS[PLATFORM].qps
    gateway = SandboxGateway(latency_s=LATENCY_S, qps_limit=qps)
    transport = SandboxTransport(gateway)
    idle_single, idle_compare = interactive(transport)
    print(f"jobs   idle: single fetch {idle_single * 1000:.0f} ms, 10-product compare "
          f"{idle_compare * 1000:.0f} ms (median of {RUNS}; sandbox latency "
          f"{LATENCY_S * 1000:.0f} ms, {PLATFORM} limit {qps:g}/s)")
    with tempfile.TemporaryDirectory() as folder:
        for label, fetch, count in (
                ("background job", client_fetch(None, transport=transport), 300),
                ("job paced as interactive (no background pacing, for contrast)",
                 foreground_fetch(transport), 150)):
            bans = gateway.rate_limited
            (single, compare), finished, items, ended = during_a_job(
                transport, fetch, count, folder, label.split()[0])
            overall, alone = throughput(finished, items, ended)
            failed = sum(i.state == "failed" for i in items)
            print(f"jobs   during a {count}-item {label}: single {single * 1000:.0f} ms = "
                  f"{single / idle_single:.2f}x idle (target <= 1.5x), compare "
                  f"{compare * 1000:.0f} ms = {compare / idle_compare:.2f}x idle "
                  f"(target <= 2x)")
            print(f"jobs   the job: {overall:.2f} items/s overall = {overall / qps:.0%} of "
                  f"the {qps:g}/s limit (sharing it with the interactive fetches), "
                  f"{alone:.2f} items/s alone = {alone / qps:.0%}; {finished.status}, "
                  f"{finished.done} done, {failed} failed (not found: expected "
                  f"{count - count // 5}), ban answers "
                  f"{gateway.rate_limited - bans} (target 0)")
