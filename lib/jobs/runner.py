"""Running jobs: `run_job` is the unit of work (claim a job on the board, fetch its
pending items through the client, record each result as it finishes, release), and
`InProcessRunner` runs it on threads of the server process: the embedded default.

A distributed task queue runs the very same `run_job` in its worker processes: the page
submits through the same `submit(job_id)`, and the board (in the shared database)
keeps the state, so nothing else changes. What a runner needs is injected: the fetch
(client + credentials), the clock, how a result becomes a results-table row.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Protocol

from lib.jobs.board import QUEUE_OWNER, JobBoard, process_owner
from lib.jobs.model import ItemError, Job, JobItem
from lib.model import Product
from lib.query import ProductQuery

log = logging.getLogger(__name__)

# (queries, on_result(index, result), stop() -> bool): fetches `queries` (paced and
# retried), calling on_result as each finishes; products not started once stop() says
# True are left out.
Fetch = Callable[[list[ProductQuery], Callable[[int, Any], None], Callable[[], bool]], Any]
Summarize = Callable[[ProductQuery, Product], dict]
Clock = Callable[[], datetime]

JOB_CONCURRENCY = 4          # products of one job in flight at once
# A process running jobs on threads beside its pages hands the GIL over sooner than
# Python's default 5 ms: else every blocking step of the server's event loop and of a
# page's script run (a socket write, a database read) waits up to 5 ms behind the job's
# parsing for the GIL, again and again (the convoy effect; measured: 200 short blocking
# waits beside a CPU-bound thread took 9-29x their idle time at 5 ms, 1.5-3.3x at 1 ms).
JOB_SWITCH_INTERVAL_S = 0.001
CANCEL_CHECK_S = 0.5         # how often a running job reads whether it was cancelled
HEARTBEAT_S = 5.0


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Runner(Protocol):
    """What a page needs of whatever runs jobs (in-process threads or a task queue)."""

    def submit(self, job_id: str) -> None: ...


def client_fetch(credentials_for: Callable[[str], Any] | None = None, *,
                 concurrency: int = JOB_CONCURRENCY, **options: Any) -> Fetch:
    """The default fetch: lib.client.fetch_many in the background, with each platform's
    credentials (None = that platform runs on the demo sandbox)."""
    from lib.client import fetch_many

    def fetch(queries: list[ProductQuery], on_result, stop) -> None:
        live = {}
        if credentials_for is not None:
            live = {p: c for p in {q.platform for q in queries}
                    if (c := credentials_for(p)) is not None}
        fetch_many(queries, credentials=live or None, concurrency=concurrency,
                   on_result=on_result, stop=stop, background=True, **options)
    return fetch


def run_job(board: JobBoard, job_id: str, fetch: Fetch, *, owner: str | None = None,
            summarize: Summarize | None = None, clock: Clock = utc_now,
            stopping: threading.Event | None = None) -> Job | None:
    """Claim the job and work it to the end (None when another runner holds it)."""
    owner = owner or process_owner()
    if not board.claim(job_id, owner, now=clock()):
        return None
    return work_claimed(board, job_id, fetch, owner=owner, summarize=summarize, clock=clock,
                        stopping=stopping)


def work_claimed(board: JobBoard, job_id: str, fetch: Fetch, *, owner: str,
                 summarize: Summarize | None = None, clock: Clock = utc_now,
                 stopping: threading.Event | None = None) -> Job | None:
    """Fetch the pending items of a job `owner` holds, then release it. Stopping (the
    server shuts down) leaves what was not started pending, for the next runner."""
    if summarize is None:
        from lib.batch import result_row as summarize
    try:
        items = board.pending(job_id)
        if items and not board.cancel_requested(job_id):
            _fetch_items(board, job_id, owner, items, fetch, summarize, clock, stopping)
    except Exception:                        # a bug or a lost database: keep the rest
        log.exception("job %s stopped unexpectedly", job_id)
    try:
        return board.release(job_id, owner, now=clock())
    except Exception:                        # its heartbeat stops: another runner takes it
        log.exception("job %s could not be released", job_id)
        return None


def work_part(board: JobBoard, job_id: str, part: int, fetch: Fetch, *,
              summarize: Summarize | None = None, clock: Clock = utc_now,
              stopping: threading.Event | None = None) -> Job | None:
    """A task queue's unit of work: fetch the pending items of one part of a job (see
    JobBoard.parts), then mark the part done; the last part finishes the job. Items that
    succeeded are never fetched again, whichever worker runs the part (again)."""
    if summarize is None:
        from lib.batch import result_row as summarize
    if not board.start_part(job_id, now=clock()):
        return board.get(job_id)
    try:
        items = board.part_pending(job_id, part)
        if items and not board.cancel_requested(job_id):
            _fetch_items(board, job_id, QUEUE_OWNER, items, fetch, summarize, clock, stopping)
    except Exception:                        # a bug or a lost database: keep the rest
        log.exception("job %s part %s stopped unexpectedly", job_id, part)
    job = board.finish_part(job_id, part, now=clock())
    if job is not None and not job.finished and not board.cancel_requested(job_id) \
            and board.part_pending(job_id, part):
        # Cut off (the worker is stopping) or a fault: the queue runs the part again.
        raise PartUnfinished(f"job {job_id} part {part} has items left")
    return job


def wait_until_finished(board: JobBoard, job_id: str, timeout: float = 60.0,
                        poke: Callable[[], Any] | None = None) -> Job | None:
    """The job once finished (or as it is when `timeout` ends): for tests and tools."""
    end = time.monotonic() + timeout
    while True:
        job = board.get(job_id)
        if job is None or job.finished or time.monotonic() >= end:
            return job
        if poke is not None:
            poke()
        time.sleep(0.05)


class PartUnfinished(RuntimeError):
    """A part ended with items still pending: its task is to be run again."""


def _fetch_items(board: JobBoard, job_id: str, owner: str, items: list[JobItem],
                 fetch: Fetch, summarize: Summarize, clock: Clock,
                 stopping: threading.Event | None) -> None:
    checked = {"at": 0.0, "cancelled": False}
    beaten = {"at": clock()}               # claim() stamped the heartbeat just now

    def beat() -> None:
        # The claim stays alive while the job makes progress, whoever runs it (a task
        # queue's worker has no dispatcher beating for it): else after STALE_S another
        # runner takes a job that is still being worked, and both fetch what is left.
        now = clock()
        if (now - beaten["at"]).total_seconds() >= HEARTBEAT_S:
            beaten["at"] = now
            try:
                board.heartbeat(owner, [job_id], now=now)
            except Exception:
                log.warning("job %s: its heartbeat was not saved", job_id)

    def stop() -> bool:
        beat()
        if stopping is not None and stopping.is_set():
            return True
        if not checked["cancelled"] and time.monotonic() - checked["at"] >= CANCEL_CHECK_S:
            checked["at"] = time.monotonic()
            try:
                checked["cancelled"] = board.cancel_requested(job_id)
            except Exception:
                log.warning("job %s: could not read whether it was cancelled", job_id)
        return checked["cancelled"]

    def on_result(index: int, result: Any) -> None:
        beat()
        item = items[index]
        if isinstance(result, Product):
            try:
                result.snapshot_id = board.store.save(result, source="job")
            except Exception as exc:         # fetched, but not kept: say so, may retry
                board.finish_item(job_id, item.seq, now=clock(), error=ItemError(
                    kind="StoreError", retryable=True,
                    message=getattr(exc, "user_message", "") or
                    "The product was fetched but could not be saved."))
                return
            try:
                summary = summarize(item.query, result)
            except Exception:                # a bug: this item fails, not the whole run
                # (left pending, it would be fetched again on every run, for ever)
                log.exception("job %s: no results row for %s", job_id, item.query.key)
                board.finish_item(job_id, item.seq, now=clock(), error=ItemError(
                    kind="FetchError", message="The product was fetched and saved, but "
                    "its results row could not be made."))
                return
            board.finish_item(job_id, item.seq, snapshot_id=result.snapshot_id,
                              summary=summary, now=clock())
        elif isinstance(result, Exception):
            if stopping is not None and stopping.is_set():
                return       # maybe cut off by the process ending: the next runner retries
            board.finish_item(job_id, item.seq, error=ItemError.of(result), now=clock())

    fetch([i.query for i in items], on_result, stop)


def _stop_before_thread_pools(stopping: threading.Event) -> None:
    """When the server process exits (Streamlit ends on SIGTERM), set `stopping` before
    Python shuts down its thread pools: a product in flight then fails with "cannot
    schedule new futures", and must stay pending for the next process instead of being
    recorded as a failure. threading's exit hooks run newest first, so registering after
    concurrent.futures' own hook puts ours before it."""
    import concurrent.futures.thread  # noqa: F401  (its exit hook first, ours after)

    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        try:
            register(stopping.set)
        except RuntimeError:             # already shutting down
            stopping.set()


def hand_over_the_gil_sooner(interval_s: float = JOB_SWITCH_INTERVAL_S) -> float:
    """Lower this process's GIL switch interval to `interval_s` (never raise it): the
    jobs' threads then give the pages' threads the GIL within about a millisecond. The
    interval now in force."""
    if sys.getswitchinterval() > interval_s:
        sys.setswitchinterval(interval_s)
    return sys.getswitchinterval()


class InProcessRunner:
    """Jobs on threads of this process: one dispatcher that picks up queued jobs (and,
    at start, jobs left unfinished by a process that ended), up to `workers` jobs at a
    time, each worked by run_job. `tick(now)` runs every `tick_every_s` (the watchlists'
    schedules). One per process and store: every session shares it."""

    def __init__(self, board: JobBoard, fetch: Fetch, *, workers: int = 2,
                 poll_s: float = 2.0, tick: Callable[[datetime], Any] | None = None,
                 tick_every_s: float = 60.0, clock: Clock = utc_now,
                 summarize: Summarize | None = None, owner: str | None = None) -> None:
        self.board = board
        self.fetch = fetch
        self.workers = max(1, workers)
        self.poll_s = poll_s
        self.tick = tick
        self.tick_every_s = tick_every_s
        self.clock = clock
        self.summarize = summarize
        self.owner = owner or process_owner()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_tick = float("-inf")
        self._last_beat = float("-inf")

    # --- the interface ---------------------------------------------------------------
    def submit(self, job_id: str) -> None:
        self.start()
        self._wake.set()

    def start(self) -> "InProcessRunner":
        with self._lock:
            if self._thread is None:
                _stop_before_thread_pools(self._stopping)
                hand_over_the_gil_sooner()
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="explorer-jobs")
                self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs; jobs being worked stop after the items in flight and go back
        to the queue with what is left."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for thread in list(self._running.values()):
            thread.join(timeout)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        return wait_until_finished(self.board, job_id, timeout, poke=self._wake.set)

    def busy(self) -> list[str]:
        with self._lock:
            return [j for j, t in self._running.items() if t.is_alive()]

    # --- the dispatcher -------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._beat()
                self._dispatch()
                self._maybe_tick()
            except Exception:
                log.exception("the job runner hit a problem; it goes on")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _beat(self) -> None:
        if time.monotonic() - self._last_beat >= HEARTBEAT_S:
            self._last_beat = time.monotonic()
            self.board.heartbeat(self.owner, self.busy(), now=self.clock())

    def _maybe_tick(self) -> None:
        if self.tick is not None and time.monotonic() - self._last_tick >= self.tick_every_s:
            self._last_tick = time.monotonic()
            try:
                if self.tick(self.clock()):
                    self._wake.set()
            except Exception:
                log.exception("a scheduled task failed")

    def _dispatch(self) -> None:
        with self._lock:
            for job_id in [j for j, t in self._running.items() if not t.is_alive()]:
                del self._running[job_id]
            free = self.workers - len(self._running)
        if free <= 0:
            return
        for job_id in self.board.unfinished():
            if free <= 0 or self._stopping.is_set():
                return
            with self._lock:
                if job_id in self._running:
                    continue
            if not self.board.claim(job_id, self.owner, now=self.clock()):
                continue
            thread = threading.Thread(target=self._work, args=(job_id,), daemon=True,
                                      name=f"explorer-job-{job_id}")
            with self._lock:
                self._running[job_id] = thread
            thread.start()
            free -= 1

    def _work(self, job_id: str) -> None:
        try:
            work_claimed(self.board, job_id, self.fetch, owner=self.owner,
                         summarize=self.summarize, clock=self.clock,
                         stopping=self._stopping)
        finally:
            self._wake.set()            # a worker is free: look for the next job


__all__ = ["Fetch", "InProcessRunner", "JOB_CONCURRENCY", "Runner", "client_fetch",
           "PartUnfinished", "run_job", "utc_now", "wait_until_finished", "work_claimed",
           "work_part"]
