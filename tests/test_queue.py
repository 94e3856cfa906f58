"""Jobs on the task queue (procrastinate) on a real PostgreSQL: parts, real workers run
in this process (`run_worker(wait=False)` works the queue dry, then returns), a worker
that goes silent mid-part, cancel, and the schedule's tick. The multi-process run with a
SIGKILL is tests/test_team.py.

Every call reaches test_jobs.Gateway, which notes it by product: "fetched twice" is
counted there, not inferred from the board.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from lib.jobs import BATCH, CANCELLED, DONE, FAILED, ITEM_DONE, PENDING, SKIPPED, JobBoard
from lib.jobs import queue as jobs_queue
from lib.jobs.board import PART_SIZE
from lib.jobs.runner import PartUnfinished, client_fetch, work_part
from lib.store import open_store
from test_jobs import (DEMO_ALIEXPRESS, ONE_TRY, Died, Gateway, aliexpress, dies_after,
                       interleave, missing)

IDS = interleave(DEMO_ALIEXPRESS, missing(2 * PART_SIZE + 7))       # 3 parts


@pytest.fixture
def queue_board(pg_url):
    store = open_store(pg_url)
    board = JobBoard(store)
    runner = jobs_queue.QueueRunner(board, pg_url)
    yield board, runner
    jobs_queue.set_worker_context(None)
    runner.stop()
    store.close()


def fast_fetch(gateway: Gateway):
    # Its own fast schedule: pacing is not the point here (tests/test_team.py measures it).
    return client_fetch(None, transport=gateway.transport, policy=ONE_TRY, qps=1000)


def work_the_queue(runner, board, fetch, concurrency: int = 2) -> None:
    """A real procrastinate worker in this process, until the queue is empty."""
    jobs_queue.set_worker_context(jobs_queue.WorkerContext(board=board, fetch=fetch))
    runner.app.run_worker(queues=[jobs_queue.QUEUE], wait=False, concurrency=concurrency,
                          install_signal_handlers=False)


def queue_rows(board) -> list[tuple]:
    with board.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(
            "SELECT status, args->>'job_id', (args->>'part')::int FROM procrastinate_jobs "
            "WHERE task_name = :t ORDER BY id"), {"t": jobs_queue.PART_TASK})]


def test_a_job_is_put_on_the_queue_in_parts_once_and_workers_finish_it(queue_board):
    board, runner = queue_board
    job = board.create(BATCH, aliexpress(IDS))
    assert board.parts(job.id) == [0, 1, 2]
    runner.submit(job.id)
    runner.submit(job.id)                  # a second click: no part waits twice
    assert sorted(r[2] for r in queue_rows(board)) == [0, 1, 2]
    assert {r[0] for r in queue_rows(board)} == {"todo"}

    gateway = Gateway(IDS)
    work_the_queue(runner, board, fast_fetch(gateway))

    finished = board.get(job.id)
    assert (finished.status, finished.done, finished.failed) == (DONE, 3, len(IDS) - 3)
    assert finished.owner == "" and finished.finished_at is not None
    assert set(gateway.counts()) == set(IDS) and set(gateway.counts().values()) == {1}
    assert {r[0] for r in queue_rows(board)} == {"succeeded"}
    done = {i.query.product_id for i in board.items(job.id, [ITEM_DONE])}
    assert done == set(DEMO_ALIEXPRESS)
    assert all(i.snapshot_id for i in board.items(job.id, [ITEM_DONE]))


def test_the_part_of_a_worker_that_went_silent_goes_to_another_and_skips_what_succeeded(
        queue_board):
    board, runner = queue_board
    job = board.create(BATCH, aliexpress(IDS[:PART_SIZE]))          # one part
    runner.submit(job.id)
    gateway = Gateway(IDS)
    app = runner.app

    async def worker_a_takes_the_part_and_dies() -> None:
        async with app.open_async():
            worker_id = await app.job_manager.register_worker()
            taken = await app.job_manager.fetch_job(queues=[jobs_queue.QUEUE],
                                                    worker_id=worker_id)
            assert taken is not None and taken.task_kwargs == {"job_id": job.id, "part": 0}
    asyncio.run(worker_a_takes_the_part_and_dies())
    with pytest.raises(Died):              # worker A records 9 results, then is gone
        work_part(board, job.id, 0, dies_after(fast_fetch(gateway), 9))
    calls_by_a = gateway.counts()
    succeeded = {i.query.product_id for i in board.items(job.id, [ITEM_DONE, FAILED])}
    assert len(succeeded) == 9 and queue_rows(board)[0][0] == "doing"
    # The every-minute tick adds no second task for a part that has one (a waiting
    # duplicate would hold the lock's place and block the recovery below).
    with app.open():
        assert jobs_queue.defer_parts(app, board, job.id) == 0
    assert len(queue_rows(board)) == 1

    async def recover(stalled_s: float) -> int:
        async with app.open_async():
            return await jobs_queue.recover_once(app, stalled_s=stalled_s)
    assert asyncio.run(recover(60)) == 0           # its heartbeat is fresh: left alone
    with board.engine.begin() as connection:       # ...until it has been silent a while
        connection.execute(sa.text("UPDATE procrastinate_workers SET last_heartbeat = "
                                   "now() - interval '1 minute'"))
    assert asyncio.run(recover(jobs_queue.STALLED_S)) == 1

    work_the_queue(runner, board, fast_fetch(gateway))             # worker B
    finished = board.get(job.id)
    assert (finished.status, finished.done + finished.failed) == (DONE, PART_SIZE)
    calls_by_b = gateway.counts() - calls_by_a
    assert not set(calls_by_b) & succeeded                         # none fetched again
    assert set(calls_by_b) | set(calls_by_a) == set(IDS[:PART_SIZE])
    assert set(calls_by_b.values()) == {1}


def test_a_cancel_before_any_worker_fetches_nothing_and_mid_way_skips_the_rest(queue_board):
    board, runner = queue_board
    early = board.create(BATCH, aliexpress(IDS))
    runner.submit(early.id)
    assert board.cancel(early.id)
    later = board.create(BATCH, aliexpress(IDS))
    runner.submit(later.id)
    gateway = Gateway(IDS)
    assert board.start_part(later.id)              # a worker works part 0, then a cancel
    work_part(board, later.id, 0, fast_fetch(gateway))
    assert board.cancel(later.id)
    work_the_queue(runner, board, fast_fetch(gateway))

    assert board.get(early.id).status == CANCELLED
    assert {i.state for i in board.items(early.id)} == {SKIPPED}
    cancelled = board.get(later.id)
    assert (cancelled.status, cancelled.done + cancelled.failed) == (CANCELLED, PART_SIZE)
    assert cancelled.skipped == len(IDS) - PART_SIZE
    assert set(gateway.counts()) == set(IDS[:PART_SIZE])           # part 0 only, once
    assert set(gateway.counts().values()) == {1}


def test_a_part_cut_off_by_a_stopping_worker_is_handed_back_to_the_queue(queue_board):
    import threading

    board, runner = queue_board
    job = board.create(BATCH, aliexpress(IDS[:PART_SIZE]))
    stopping = threading.Event()
    stopping.set()                         # stopping before anything is fetched
    with pytest.raises(PartUnfinished):
        work_part(board, job.id, 0, fast_fetch(Gateway(IDS)), stopping=stopping)
    left = board.get(job.id)
    assert left.status == "running" and left.pending == PART_SIZE


def test_the_tick_puts_a_job_left_without_tasks_on_the_queue(queue_board):
    board, runner = queue_board
    jobs_queue.ensure_schema(board.engine, runner.app)
    job = board.create(BATCH, aliexpress(IDS))       # created, but its defer was lost
    assert queue_rows(board) == []
    gateway = Gateway(IDS)
    jobs_queue.set_worker_context(jobs_queue.WorkerContext(board=board,
                                                           fetch=fast_fetch(gateway)))
    with runner.app.open():
        runner.app.tasks[jobs_queue.TICK_TASK](
            timestamp=int(datetime.now(timezone.utc).timestamp()))
    assert sorted(r[2] for r in queue_rows(board)) == [0, 1, 2]
    work_the_queue(runner, board, fast_fetch(gateway))
    assert board.get(job.id).status == DONE
    assert set(gateway.counts().values()) == {1}
    assert not board.items(job.id, [PENDING])


def test_the_queue_refuses_a_store_that_is_not_postgresql(tmp_path):
    with pytest.raises(ValueError, match="PostgreSQL"):
        jobs_queue.conninfo(f"sqlite:///{tmp_path}/x.db")
    assert jobs_queue.conninfo("postgresql+psycopg://u:p@h:5/d") == "postgresql://u:p@h:5/d"


def test_a_submit_that_cannot_reach_the_queue_leaves_the_job_queued_for_the_tick(
        queue_board, caplog):
    board, _ = queue_board
    job = board.create(BATCH, aliexpress(IDS[:3]))
    unreachable = jobs_queue.QueueRunner(
        JobBoard(_BrokenEngineStore(board)), "postgresql+psycopg://nobody@127.0.0.1:1/x")
    unreachable.submit(job.id)                       # says so in the log, never raises
    assert board.get(job.id).status == "queued"
    assert "tick" in caplog.text


class _BrokenEngineStore:
    """A store whose database cannot be reached (a port nothing listens on)."""

    def __init__(self, board) -> None:
        self.engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/x",
                                       connect_args={"connect_timeout": 2})
