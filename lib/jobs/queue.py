"""Jobs on a task queue (EXPLORER_JOBS=queue): procrastinate, on the store's PostgreSQL.

Why procrastinate: it needs nothing but the PostgreSQL the team's store already runs on
(no Redis, no broker), its workers send heartbeats, and a task's `lock` keeps two
workers off the same work. The board (lib/jobs/board.py) stays the record of what was
asked and what came back; the queue only hands out the work:

- A job is cut in fixed parts of PART_SIZE items; `QueueRunner.submit(job_id)` defers one
  task per part that has pending items. Each part has its own lock and queueing lock, so
  it is never worked by two workers at once nor waiting twice in the queue.
- A worker runs `work_part` (lib/jobs/runner.py): fetch the part's pending items, record
  each result as it comes. A worker killed in the middle loses only the items in flight:
  another worker notices its silent heartbeat (`recover_stalled`) and runs the part
  again, and an item that succeeded is never fetched again (it is no longer pending).
- Every minute one worker runs the watchlists' schedule and hands any queued job that has
  no task (a defer lost to a database blip) to the queue again.

No Streamlit in here. The worker process is lib/jobs/worker.py.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import procrastinate
import sqlalchemy as sa

from lib.jobs.board import JobBoard
from lib.jobs.runner import Fetch, Summarize, utc_now, wait_until_finished, work_part

log = logging.getLogger(__name__)

QUEUE = "explorer-jobs"
PART_TASK = "explorer.work_part"
TICK_TASK = "explorer.tick"
# A worker silent this long is taken to be gone; its parts go to another worker. The
# workers beat every HEARTBEAT_S, so a busy but living worker is never taken for dead.
HEARTBEAT_S = 2.0
STALLED_S = 10.0
RECOVER_EVERY_S = 2.0
_SCHEMA_LOCK = 731_513_013          # pg_advisory_lock key: one process applies the schema


def conninfo(store_url: str) -> str:
    """libpq's form of the store's SQLAlchemy URL (psycopg takes it as is)."""
    url = sa.make_url(store_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("The task queue (EXPLORER_JOBS=queue) needs the store on "
                         "PostgreSQL: set EXPLORER_DB_URL=postgresql+psycopg://...")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def part_lock(job_id: str, part: int) -> str:
    return f"explorer-job:{job_id}:{part}"


@dataclass
class WorkerContext:
    """What this worker process works with (set by lib/jobs/worker.py)."""
    board: JobBoard
    fetch: Fetch
    tick: Callable[[datetime], list[str]] | None = None
    summarize: Summarize | None = None
    stopping: threading.Event | None = None


_CONTEXT: dict[str, WorkerContext] = {}


def set_worker_context(context: WorkerContext | None) -> None:
    _CONTEXT.clear()
    if context is not None:
        _CONTEXT["worker"] = context


def make_app(store_url: str) -> procrastinate.App:
    """The queue's App: the same task names in the app servers (they defer) and in the
    workers (they run them)."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=conninfo(store_url)))

    # A part that ended with items left (its worker was stopping) is run again a little
    # later; a database outage is waited out the same way.
    @app.task(name=PART_TASK, queue=QUEUE,
              retry=procrastinate.RetryStrategy(max_attempts=30, wait=3))
    def run_part(job_id: str, part: int) -> None:
        context = _CONTEXT.get("worker")
        if context is None:
            raise RuntimeError("no worker context: run lib/jobs/worker.py")
        work_part(context.board, job_id, part, context.fetch, summarize=context.summarize,
                  stopping=context.stopping)

    @app.periodic(cron="* * * * *", periodic_id="explorer-tick")
    @app.task(name=TICK_TASK, queue=QUEUE)
    def tick(timestamp: int) -> None:
        context = _CONTEXT.get("worker")
        if context is None:
            return
        started = context.tick(utc_now()) if context.tick else []
        for job_id in set(started) | set(context.board.unfinished()):
            defer_parts(app, context.board, job_id)

    return app


def defer_parts(app: procrastinate.App, board: JobBoard, job_id: str) -> int:
    """One task per part of the job with pending items, unless that part already has a
    task waiting or running (a second task of a running part would wait for its lock,
    and one of a killed worker's part would block its recovery); how many were added."""
    wanted = {part_lock(job_id, part): part for part in board.parts(job_id)}
    if not wanted:
        return 0
    with board.engine.connect() as connection:
        live = set(connection.execute(sa.text(
            "SELECT queueing_lock FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
            "AND queueing_lock = ANY(:locks)"), {"locks": list(wanted)}).scalars())
    added = 0
    for lock, part in wanted.items():
        if lock in live:
            continue
        try:
            app.configure_task(PART_TASK, queue=QUEUE, lock=lock,
                               queueing_lock=lock).defer(job_id=job_id, part=part)
            added += 1
        except procrastinate.exceptions.AlreadyEnqueued:
            pass
    return added


def schema_ready(connection: sa.Connection) -> bool:
    return connection.execute(sa.text(
        "SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar_one()


def ensure_schema(engine: sa.Engine, app: procrastinate.App) -> None:
    """Create procrastinate's tables once (the first process to get here, under an
    advisory lock, so two starting together do not both try)."""
    with engine.connect() as connection:
        if schema_ready(connection):
            return
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _SCHEMA_LOCK})
        try:
            if not schema_ready(connection):
                connection.execute(sa.text(app.schema_manager.get_schema()))
                connection.commit()
                log.info("task queue schema created")
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _SCHEMA_LOCK})
            connection.commit()


async def recover_once(app: procrastinate.App, *, stalled_s: float = STALLED_S) -> int:
    """Hand the parts of workers that went silent (killed, machine gone) to the queue
    again; how many. Any worker may do it: a part retried twice is still worked once at
    a time (its lock), and its finished items are skipped."""
    recovered = 0
    for job in await app.job_manager.get_stalled_jobs(queue=QUEUE,
                                                      seconds_since_heartbeat=stalled_s):
        log.warning("a worker went silent: task %s %s runs again", job.id, job.task_kwargs)
        await app.job_manager.retry_job(job, retry_at=datetime.now(timezone.utc))
        recovered += 1
    return recovered


async def recover_stalled(app: procrastinate.App, *, stalled_s: float = STALLED_S,
                          every_s: float = RECOVER_EVERY_S) -> None:
    """recover_once every `every_s`, for ever (cancel the task to stop)."""
    import asyncio

    while True:
        try:
            await recover_once(app, stalled_s=stalled_s)
        except Exception:
            log.exception("could not look for the parts of silent workers")
        await asyncio.sleep(every_s)


class QueueRunner:
    """The Runner of a team deployment: `submit(job_id)` puts the job's parts on the
    queue; workers (lib/jobs/worker.py, other processes or machines) do the rest."""

    def __init__(self, board: JobBoard, store_url: str) -> None:
        self.board = board
        self.app = make_app(store_url)
        self._opened = False
        self._lock = threading.Lock()

    def _open(self) -> procrastinate.App:
        with self._lock:
            if not self._opened:
                ensure_schema(self.board.engine, self.app)
                self.app.open()
                self._opened = True
        return self.app

    def submit(self, job_id: str) -> None:
        """Never raises: a job whose parts could not be deferred (the database had a
        blip) is queued in the board, and the workers' every-minute tick defers it."""
        try:
            defer_parts(self._open(), self.board, job_id)
        except Exception as exc:
            log.warning("job %s: its parts were not put on the queue now (%s); the "
                        "workers' tick does it within a minute", job_id, type(exc).__name__)

    def start(self) -> "QueueRunner":
        return self

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            if self._opened:
                try:
                    self.app.close()
                except Exception:
                    log.warning("the task queue connection did not close cleanly")
                self._opened = False

    def wait(self, job_id: str, timeout: float = 60.0) -> Any:
        return wait_until_finished(self.board, job_id, timeout)


__all__ = ["HEARTBEAT_S", "PART_TASK", "QUEUE", "QueueRunner", "STALLED_S", "TICK_TASK",
           "WorkerContext", "conninfo", "defer_parts", "ensure_schema",
           "make_app", "part_lock", "recover_once", "recover_stalled", "set_worker_context"]
