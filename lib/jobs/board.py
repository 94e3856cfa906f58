"""The job board: jobs and their items, durable in the store (lib/store's engine), so a
reload, another page, another tab, another replica or a restarted server all see the
same job. Every runner (the in-process one, or a task queue's worker) works through it:
claim a job, read its pending items, record each result as it finishes, release.

A job is held by one owner at a time (a runner id with a heartbeat). A claim succeeds
when nobody holds the job, when the holder's heartbeat is older than STALE_S, or when
the holder is a process of this machine that no longer exists (a restarted server takes
its jobs back at once). Items are written only while pending, so an item that
succeeded is never fetched again, whoever runs the job next.
"""
from __future__ import annotations

import json
import math
import os
import secrets
import socket
import string
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

import sqlalchemy as sa

from lib.jobs.model import (BATCH, CANCELLED, DONE, FAILED, ITEM_DONE, PENDING, QUEUED,
                            REFRESH, RUNNING, SKIPPED, ItemError, Job, JobItem)
from lib.query import ProductQuery
from lib.store import schema
from lib.store.errors import StoreError, plain_reason

STALE_S = 30.0               # a holder silent this long is taken to be gone
# A task queue works a job in parts of this many items (seq // PART_SIZE), each part one
# task: several workers share a big job, and a worker that dies loses only its part's
# items in flight. Fixed blocks, so the same part always has the same queue lock.
PART_SIZE = 25
QUEUE_OWNER = "task-queue"   # the owner of a job that a task queue works in parts
_ID_ALPHABET = string.ascii_letters + string.digits
MAX_TITLE = 200


def new_job_id() -> str:
    """12 random letters and digits, like snapshot ids (safe in URLs and spreadsheets)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def process_owner(name: str = "runner") -> str:
    """'<name>@<host>:<pid>:<random>': unique per runner, and tells a later process on
    the same machine whether the holder is still alive."""
    return f"{name}@{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _owner_gone(owner: str) -> bool:
    """True when `owner` names a process of this machine that no longer runs."""
    try:
        where = owner.rsplit("@", 1)[1]
        host, pid, _ = where.rsplit(":", 2)
        pid_number = int(pid)
    except (IndexError, ValueError):
        return False
    if host != socket.gethostname():
        return False
    if pid_number == os.getpid():
        return False                     # this process: its own runners say for themselves
    try:
        os.kill(pid_number, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _utc(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(timezone.utc)


def _plain_json(value: Any) -> Any:
    """JSON-ready: NaN and pandas' NA become None, numpy scalars Python numbers."""
    if isinstance(value, dict):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_json(v) for v in value]
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _plain_json(item())
        except (TypeError, ValueError):
            pass
    try:
        if value != value:                # pd.NA raises here, NaT is unequal to itself
            return None
    except TypeError:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _locked_job(connection, job_id: str):
    """The job's row, locked until the transaction ends (PostgreSQL; SQLite's writes
    are one at a time anyway); None when there is no such job."""
    jobs = schema.jobs
    return connection.execute(sa.select(jobs).where(jobs.c.id == job_id)
                              .with_for_update()).first()


class JobBoard:
    def __init__(self, store) -> None:
        self.store = store
        self.engine: sa.Engine = store.engine

    def _writing(self, failure: str):
        return self.store._writing(failure)

    # --- creating ------------------------------------------------------------------------
    def create(self, kind: str, queries: Iterable[ProductQuery], *, title: str = "",
               created_by: str = "", list_id: int | None = None,
               settings: dict[str, Any] | None = None, now: datetime | None = None) -> Job:
        """A queued job of `queries` (in order). Raises StoreError with a plain reason."""
        if kind not in (BATCH, REFRESH):
            raise ValueError(f"unknown job kind {kind!r}")
        queries = list(queries)
        job_id, created = new_job_id(), _utc(now)
        with self._writing("The job could not be saved, so it did not start") as connection:
            connection.execute(schema.jobs.insert().values(
                id=job_id, kind=kind, title=(title or "")[:MAX_TITLE], created_at=created,
                created_by=created_by or "", list_id=list_id, status=QUEUED,
                cancel_requested=False, settings=json.dumps(_plain_json(settings or {})),
                owner="", heartbeat_at=None, started_at=None, finished_at=None))
            self._insert_items(connection, job_id, queries)
        return self.get(job_id)

    def record(self, kind: str, queries: Iterable[ProductQuery], snapshot_ids: Iterable[str],
               *, created_at: datetime, title: str = "", created_by: str = "",
               list_id: int | None = None, summaries: Iterable[dict] | None = None) -> Job:
        """A job that already happened (the demo list's refreshes, made from its demo
        history): finished, every item done with the given snapshot."""
        queries, ids = list(queries), list(snapshot_ids)
        rows = list(summaries) if summaries is not None else [None] * len(queries)
        job_id = new_job_id()
        with self._writing("The job could not be saved") as connection:
            connection.execute(schema.jobs.insert().values(
                id=job_id, kind=kind, title=(title or "")[:MAX_TITLE], created_at=created_at,
                created_by=created_by, list_id=list_id, status=DONE, cancel_requested=False,
                settings="{}", owner="", heartbeat_at=None, started_at=created_at,
                finished_at=created_at))
            self._insert_items(connection, job_id, queries, state=ITEM_DONE,
                               snapshot_ids=ids, summaries=rows, finished_at=created_at)
        return self.get(job_id)

    def _insert_items(self, connection, job_id: str, queries: list[ProductQuery],
                      state: str = PENDING, snapshot_ids: list | None = None,
                      summaries: list | None = None, finished_at: datetime | None = None
                      ) -> None:
        rows = []
        for seq, query in enumerate(queries):
            summary = summaries[seq] if summaries else None
            rows.append({
                "job_id": job_id, "seq": seq, "platform": query.platform,
                "product_id": query.product_id, "country": query.country,
                "currency": query.currency, "language": query.language,
                "extras": json.dumps(dict(query.extras or {}), sort_keys=True),
                "state": state, "snapshot_id": snapshot_ids[seq] if snapshot_ids else None,
                "summary": None if summary is None else json.dumps(_plain_json(summary)),
                "error": None, "finished_at": finished_at})
        for start in range(0, len(rows), 500):
            if rows[start:start + 500]:
                connection.execute(schema.job_items.insert(), rows[start:start + 500])

    # --- reading -------------------------------------------------------------------------
    def _counts(self, connection, job_ids: list[str]) -> dict[str, dict[str, int]]:
        items = schema.job_items
        counts: dict[str, dict[str, int]] = {j: {} for j in job_ids}
        for start in range(0, len(job_ids), 500):
            result = connection.execute(
                sa.select(items.c.job_id, items.c.state, sa.func.count())
                .where(items.c.job_id.in_(job_ids[start:start + 500]))
                .group_by(items.c.job_id, items.c.state))
            for job_id, state, count in result:
                counts[job_id][state] = int(count)
        return counts

    @staticmethod
    def _job(row, counts: dict[str, int]) -> Job:
        try:
            settings = json.loads(row.settings or "{}")
        except ValueError:
            settings = {}
        return Job(id=row.id, kind=row.kind, title=row.title, created_at=row.created_at,
                   created_by=row.created_by, list_id=row.list_id, status=row.status,
                   cancel_requested=bool(row.cancel_requested), settings=settings,
                   total=sum(counts.values()), done=counts.get(ITEM_DONE, 0),
                   failed=counts.get(FAILED, 0), skipped=counts.get(SKIPPED, 0),
                   started_at=row.started_at, finished_at=row.finished_at, owner=row.owner)

    def get(self, job_id: str) -> Job | None:
        jobs = schema.jobs
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(jobs).where(jobs.c.id == str(job_id))).first()
            if row is None:
                return None
            return self._job(row, self._counts(connection, [row.id])[row.id])

    def recent(self, limit: int = 20, *, kind: str | None = None,
               list_id: int | None = None, finished_only: bool = False) -> list[Job]:
        """The newest jobs first."""
        jobs = schema.jobs
        statement = sa.select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id).limit(limit)
        if kind:
            statement = statement.where(jobs.c.kind == kind)
        if list_id is not None:
            statement = statement.where(jobs.c.list_id == list_id)
        if finished_only:
            statement = statement.where(jobs.c.status.in_((DONE, CANCELLED)))
        with self.engine.connect() as connection:
            rows = connection.execute(statement).all()
            counts = self._counts(connection, [r.id for r in rows])
        return [self._job(r, counts[r.id]) for r in rows]

    def items(self, job_id: str, states: Iterable[str] | None = None) -> list[JobItem]:
        """The job's items in order (only those in `states` when given)."""
        items = schema.job_items
        statement = sa.select(items).where(items.c.job_id == str(job_id)).order_by(items.c.seq)
        if states is not None:
            statement = statement.where(items.c.state.in_(list(states)))
        with self.engine.connect() as connection:
            return [self._item(r) for r in connection.execute(statement)]

    @staticmethod
    def _item(row) -> JobItem:
        try:
            extras = json.loads(row.extras or "{}")
        except ValueError:
            extras = {}
        query = ProductQuery(row.platform, row.product_id, country=row.country,
                             currency=row.currency, language=row.language, extras=extras)
        error = None
        if row.error:
            error = ItemError(**json.loads(row.error))
        return JobItem(job_id=row.job_id, seq=row.seq, query=query, state=row.state,
                       snapshot_id=row.snapshot_id,
                       summary=json.loads(row.summary) if row.summary else None,
                       error=error, finished_at=row.finished_at)

    def unfinished(self) -> list[str]:
        """Ids of jobs queued or running, oldest first."""
        jobs = schema.jobs
        with self.engine.connect() as connection:
            return list(connection.execute(
                sa.select(jobs.c.id).where(jobs.c.status.in_((QUEUED, RUNNING)))
                .order_by(jobs.c.created_at, jobs.c.id)).scalars())

    # --- running -------------------------------------------------------------------------
    def claim(self, job_id: str, owner: str, *, now: datetime | None = None,
              stale_s: float = STALE_S) -> bool:
        """Take the job for `owner` (True), unless another live runner holds it."""
        jobs, now = schema.jobs, _utc(now)
        with self._writing("The job could not be started") as connection:
            row = _locked_job(connection, job_id)
            if row is None or row.status not in (QUEUED, RUNNING):
                return False
            holder = row.owner or ""
            free = (not holder or holder == owner or row.heartbeat_at is None
                    or row.heartbeat_at < now - timedelta(seconds=stale_s)
                    or _owner_gone(holder))
            if not free:
                return False
            taken = connection.execute(
                jobs.update().where(jobs.c.id == job_id, jobs.c.owner == holder)
                .values(owner=owner, heartbeat_at=now, status=RUNNING,
                        started_at=row.started_at or now)).rowcount
            return taken == 1

    def heartbeat(self, owner: str, job_ids: Iterable[str], *, now: datetime | None = None
                  ) -> None:
        ids = list(job_ids)
        if not ids:
            return
        jobs = schema.jobs
        with self._writing("The job's heartbeat was not saved") as connection:
            connection.execute(jobs.update().where(jobs.c.id.in_(ids), jobs.c.owner == owner)
                               .values(heartbeat_at=_utc(now)))

    def pending(self, job_id: str) -> list[JobItem]:
        return self.items(job_id, states=[PENDING])

    def cancel_requested(self, job_id: str) -> bool:
        jobs = schema.jobs
        with self.engine.connect() as connection:
            return bool(connection.execute(sa.select(jobs.c.cancel_requested)
                                           .where(jobs.c.id == job_id)).scalar())

    def finish_item(self, job_id: str, seq: int, *, snapshot_id: str | None = None,
                    summary: dict | None = None, error: ItemError | None = None,
                    now: datetime | None = None) -> bool:
        """Record one item's result; False when it was no longer pending (then nothing
        is written: a result is never recorded twice)."""
        items = schema.job_items
        values: dict[str, Any] = {"finished_at": _utc(now)}
        if error is not None:
            values.update(state=FAILED, error=json.dumps(error.__dict__), snapshot_id=None,
                          summary=None)
        else:
            values.update(state=ITEM_DONE, snapshot_id=snapshot_id, error=None,
                          summary=None if summary is None else json.dumps(_plain_json(summary)))
        with self._writing("A result of the job was not saved") as connection:
            changed = connection.execute(items.update().where(
                items.c.job_id == job_id, items.c.seq == seq, items.c.state == PENDING)
                .values(**values)).rowcount
        return changed == 1

    def release(self, job_id: str, owner: str, *, now: datetime | None = None) -> Job | None:
        """The owner stops working on the job: finished when nothing is pending (or a
        cancel was asked for: what is pending is then marked cancelled), else back in
        the queue for the next runner."""
        jobs, items, now = schema.jobs, schema.job_items, _utc(now)
        with self._writing("The job's state was not saved") as connection:
            row = _locked_job(connection, job_id)
            if row is None or row.owner != owner:
                return self.get(job_id) if row is not None else None
            if row.cancel_requested:
                connection.execute(items.update().where(items.c.job_id == job_id,
                                                        items.c.state == PENDING)
                                   .values(state=SKIPPED, finished_at=now))
            left = connection.execute(sa.select(sa.func.count()).select_from(items).where(
                items.c.job_id == job_id, items.c.state == PENDING)).scalar_one()
            skipped = connection.execute(sa.select(sa.func.count()).select_from(items).where(
                items.c.job_id == job_id, items.c.state == SKIPPED)).scalar_one()
            if left:
                values = {"status": QUEUED}
            else:                  # a cancel that came after the last item: it finished
                values = {"status": CANCELLED if skipped else DONE, "finished_at": now}
            connection.execute(jobs.update().where(jobs.c.id == job_id)
                               .values(owner="", heartbeat_at=None, **values))
        return self.get(job_id)

    # --- worked in parts (a task queue) ---------------------------------------------------
    def parts(self, job_id: str) -> list[int]:
        """The parts (seq // PART_SIZE) that still have pending items, in order."""
        items = schema.job_items
        with self.engine.connect() as connection:
            seqs = connection.execute(sa.select(items.c.seq).where(
                items.c.job_id == str(job_id), items.c.state == PENDING)).scalars()
            return sorted({seq // PART_SIZE for seq in seqs})

    def part_pending(self, job_id: str, part: int) -> list[JobItem]:
        items = schema.job_items
        first = part * PART_SIZE
        statement = (sa.select(items).where(
            items.c.job_id == str(job_id), items.c.state == PENDING,
            items.c.seq >= first, items.c.seq < first + PART_SIZE).order_by(items.c.seq))
        with self.engine.connect() as connection:
            return [self._item(r) for r in connection.execute(statement)]

    def start_part(self, job_id: str, *, now: datetime | None = None) -> bool:
        """A task queue's worker begins a part: the job is running (held by the queue,
        whose own heartbeats watch the workers). False when the job has finished or is
        gone: then the part has nothing to do."""
        jobs, now = schema.jobs, _utc(now)
        with self._writing("The job could not be started") as connection:
            row = _locked_job(connection, job_id)
            if row is None or row.status not in (QUEUED, RUNNING):
                return False
            connection.execute(jobs.update().where(jobs.c.id == job_id).values(
                owner=QUEUE_OWNER, heartbeat_at=now, status=RUNNING,
                started_at=row.started_at or now))
            return True

    def finish_part(self, job_id: str, part: int, *, now: datetime | None = None
                    ) -> Job | None:
        """A part's worker is done with it: after a cancel its pending items are marked
        not fetched; the job finishes when no item of any part is pending (the last
        part to finish sees every other part's results: the job row is locked first)."""
        jobs, items, now = schema.jobs, schema.job_items, _utc(now)
        first = part * PART_SIZE
        with self._writing("The job's state was not saved") as connection:
            row = _locked_job(connection, job_id)
            if row is None:
                return None
            if row.cancel_requested:
                connection.execute(items.update().where(
                    items.c.job_id == job_id, items.c.state == PENDING,
                    items.c.seq >= first, items.c.seq < first + PART_SIZE)
                    .values(state=SKIPPED, finished_at=now))
            if row.status in (QUEUED, RUNNING):
                left = connection.execute(sa.select(sa.func.count()).select_from(items)
                                          .where(items.c.job_id == job_id,
                                                 items.c.state == PENDING)).scalar_one()
                if not left:
                    skipped = connection.execute(
                        sa.select(sa.func.count()).select_from(items).where(
                            items.c.job_id == job_id, items.c.state == SKIPPED)).scalar_one()
                    connection.execute(jobs.update().where(jobs.c.id == job_id).values(
                        owner="", heartbeat_at=None, finished_at=now,
                        status=CANCELLED if skipped else DONE))
        return self.get(job_id)

    # --- asked for from a page -----------------------------------------------------------
    def cancel(self, job_id: str, *, now: datetime | None = None) -> bool:
        """Ask the job to stop: items being fetched finish, the rest are not fetched.
        A job no runner holds is cancelled at once. False when it had finished."""
        jobs, items, now = schema.jobs, schema.job_items, _utc(now)
        with self._writing("The job could not be cancelled") as connection:
            row = _locked_job(connection, job_id)
            if row is None or row.status not in (QUEUED, RUNNING):
                return False
            connection.execute(jobs.update().where(jobs.c.id == job_id)
                               .values(cancel_requested=True))
            if not row.owner:
                connection.execute(items.update().where(items.c.job_id == job_id,
                                                        items.c.state == PENDING)
                                   .values(state=SKIPPED, finished_at=now))
                connection.execute(jobs.update().where(jobs.c.id == job_id)
                                   .values(status=CANCELLED, finished_at=now))
        return True

    def retry(self, job_id: str, which: Callable[[JobItem], bool]) -> int:
        """Put the finished items `which` picks (e.g. retryable failures, or what a
        cancel left out) back in the queue; how many. The job runs again."""
        jobs, items = schema.jobs, schema.job_items
        again = [i.seq for i in self.items(job_id, states=[FAILED, SKIPPED]) if which(i)]
        if not again:
            return 0
        with self._writing("The job could not be started again") as connection:
            for start in range(0, len(again), 500):
                connection.execute(items.update().where(
                    items.c.job_id == job_id, items.c.seq.in_(again[start:start + 500]),
                    items.c.state.in_((FAILED, SKIPPED)))
                    .values(state=PENDING, error=None, finished_at=None))
            connection.execute(jobs.update().where(jobs.c.id == job_id).values(
                status=sa.case((jobs.c.owner == "", QUEUED), else_=jobs.c.status),
                cancel_requested=False, finished_at=None))
        return len(again)


def retryable_failure(item: JobItem) -> bool:
    return item.state == FAILED and item.error is not None and item.error.retryable


__all__ = ["JobBoard", "PART_SIZE", "QUEUE_OWNER", "STALE_S", "new_job_id", "process_owner",
           "retryable_failure", "StoreError", "plain_reason"]
