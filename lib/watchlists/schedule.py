"""Scheduled refreshes: the runner calls `scheduled_refreshes` every minute, in every
server process. Each due list is claimed with one conditional UPDATE (its next refresh
time moves on only where it still holds the value read), so when two processes look at
the same moment exactly one of them starts the refresh."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from lib.jobs.model import REFRESH
from lib.store import schema
from lib.watchlists.book import ListBook

log = logging.getLogger(__name__)


def refresh_title(name: str) -> str:
    return f"Refresh of list {name}"


def _claim(engine: sa.Engine, list_id: int, seen: datetime, hours: float,
           now: datetime) -> bool:
    """Move the list's next refresh on from `seen` to now + hours; True if this caller
    did it (another process that read the same `seen` then changes nothing)."""
    lists = schema.lists
    with engine.begin() as connection:
        changed = connection.execute(lists.update().where(
            lists.c.id == list_id, lists.c.next_refresh_at == seen)
            .values(next_refresh_at=now + timedelta(hours=hours))).rowcount
    return changed == 1


def _running_refresh(board, list_id: int) -> bool:
    return any(not job.finished for job in board.recent(5, kind=REFRESH, list_id=list_id))


def scheduled_refreshes(store, board, now: datetime) -> list[str]:
    """Start a refresh job for every list whose schedule is due at `now`; their ids.
    A list whose previous refresh still runs is not started twice (its next time moves
    on all the same); the next time counts from now, so a server that was down does not
    catch up with a burst of refreshes."""
    lists = schema.lists
    with store.engine.connect() as connection:
        due = connection.execute(sa.select(lists.c.id, lists.c.next_refresh_at,
                                           lists.c.schedule_hours).where(
            lists.c.schedule_hours.is_not(None), lists.c.schedule_hours > 0,
            lists.c.next_refresh_at.is_not(None), lists.c.next_refresh_at <= now)
            .order_by(lists.c.next_refresh_at)).all()
    started: list[str] = []
    book = ListBook(store)
    for list_id, seen, hours in due:
        try:
            if not _claim(store.engine, list_id, seen, hours, now):
                continue
            found = book.by_id(list_id)
            if found is None or not found.queries or _running_refresh(board, list_id):
                continue
            job = board.create(REFRESH, found.queries, title=refresh_title(found.name),
                               list_id=found.id, created_by="schedule", now=now)
            started.append(job.id)
        except Exception:                 # one list's problem never stops the others
            log.exception("the scheduled refresh of list %s did not start", list_id)
    return started


__all__ = ["refresh_title", "scheduled_refreshes"]
