"""The demo list: every demo product in a list named "Demo products", with two past
refreshes made of the bundled demo history (one a month ago, one of the newest day), so
the change view shows real changes offline, on the first visit: a month back covers the
demo history's price rises and sales of some products (a week held none)."""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lib.jobs.model import REFRESH
from lib.store import codec, schema
from lib.watchlists.book import ListBook, WatchList
from lib.watchlists.names import ListError
from lib.watchlists.schedule import refresh_title

log = logging.getLogger(__name__)

DEMO_LIST = "Demo products"
DEMO_SOURCE = "demo-history"
BEFORE = timedelta(days=30)        # the previous demo refresh, before the newest
_MARKER = "demo_list_refreshes"      # meta key: which demo snapshots the refreshes use
_MADE = "demo_list_made"             # meta key: the demo list was made (once, ever)


def _demo_snapshots(store, keys: list[str]) -> dict[str, list[tuple[datetime, str]]]:
    """(fetched_at, id) of every demo-history snapshot per query key, oldest first."""
    snaps = schema.snapshots
    found: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(snaps.c.query_key, snaps.c.fetched_at, snaps.c.id)
            .where(snaps.c.source == DEMO_SOURCE, snaps.c.query_key.in_(keys))
            .order_by(snaps.c.fetched_at, snaps.c.id))
        for key, fetched_at, snapshot_id in rows:
            found[key].append((fetched_at, snapshot_id))
    return found


def pick_refreshes(points: dict[str, list[tuple[datetime, str]]]
                   ) -> tuple[dict[str, tuple[datetime, str]], dict[str, tuple[datetime, str]]]:
    """(the earlier point, the newest point) per query key: the newest snapshot, and the
    one nearest to BEFORE earlier (keys with fewer than two points are left out)."""
    week, newest = {}, {}
    for key, series in points.items():
        if len(series) < 2:
            continue
        last = series[-1]
        target = last[0] - BEFORE
        earlier = min(series[:-1], key=lambda point: abs(point[0] - target))
        week[key], newest[key] = earlier, last
    return week, newest


def _claim(store, wanted: str) -> bool:
    """Mark the refreshes of `wanted` as recorded; True for the one caller that did
    (two processes starting at once record them once)."""
    meta = schema.meta
    with store.engine.begin() as connection:
        current = connection.execute(sa.select(meta.c.value).where(meta.c.key == _MARKER)
                                     ).scalar_one_or_none()
        if current == wanted:
            return False
        if current is None:
            insert = (sqlite.insert if store.dialect == "sqlite" else postgresql.insert)(meta)
            return connection.execute(insert.values(key=_MARKER, value=wanted)
                                      .on_conflict_do_nothing()).rowcount == 1
        return connection.execute(meta.update().where(meta.c.key == _MARKER,
                                                      meta.c.value == current)
                                  .values(value=wanted)).rowcount == 1


def _remember_made(store) -> None:
    meta = schema.meta
    insert = (sqlite.insert if store.dialect == "sqlite" else postgresql.insert)(meta)
    with store.engine.begin() as connection:
        connection.execute(insert.values(key=_MADE, value="1").on_conflict_do_nothing())


def _record(store, board, found: WatchList, points: dict[str, tuple[datetime, str]]) -> str:
    from lib.batch import result_row

    queries = [q for q in found.queries if codec.query_key(q) in points]
    ids = [points[codec.query_key(q)][1] for q in queries]
    summaries = []
    for query, snapshot_id in zip(queries, ids):
        product = store.load(snapshot_id)
        summaries.append(result_row(query, product) if product is not None else None)
    created = max(points[codec.query_key(q)][0] for q in queries)
    job = board.record(REFRESH, queries, ids, created_at=created,
                       title=refresh_title(found.name), created_by="demo",
                       list_id=found.id, summaries=summaries)
    return job.id


def ensure_demo_list(store, board, now: datetime) -> WatchList | None:
    """The demo list, created once (deleted, it is not made again), with its two refreshes
    recorded once per demo history (a new demo history gets new ones). A list the user
    named "Demo products" is left alone. Call after the demo history is loaded."""
    from lib.sandbox import DEMO_PRODUCTS

    book = ListBook(store)
    found = book.get(DEMO_LIST)
    if found is None:
        if store.get_meta(_MADE) is not None:
            return None                   # made once, deleted since: it stays deleted
        try:
            found = book.create(DEMO_LIST, DEMO_PRODUCTS, now=now, demo=True)
        except ListError:                 # created by another process just now
            found = book.get(DEMO_LIST)
        _remember_made(store)
    if found is None or not found.demo:
        return found
    week, newest = pick_refreshes(_demo_snapshots(store, found.keys))
    if not newest:
        return found                      # no demo history (turned off): nothing to show
    wanted = ",".join(sorted(i for _, i in newest.values()))
    if _claim(store, f"{found.id}:{codec.sha256(wanted.encode())}"):
        try:
            _record(store, board, found, week)
            _record(store, board, found, newest)
        except Exception:
            log.exception("the demo list's refreshes were not recorded")
    return found


__all__ = ["DEMO_LIST", "ensure_demo_list", "pick_refreshes"]
