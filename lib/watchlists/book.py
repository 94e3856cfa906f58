"""Watchlists in the store: named lists of products (a ProductQuery each, with its
ship-to, currency and language), in the order they were added, with a refresh schedule
and the change threshold. Over the store's engine (tables lists and list_items), so every
session, tab and replica sees the same lists.

Messages (ListError.user_message, AddOutcome.message) are plain text; a page puts them
through lib.text.literal in Markdown slots.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lib.query import ProductQuery
from lib.store import codec, schema
from lib.store.errors import StoreError, plain_reason
from lib.watchlists.names import ListError, clean_name, name_key, taken_message

MAX_PRODUCTS = 500            # a refresh is one call per product on the owner's quota
DEFAULT_THRESHOLD = 5.0       # % a price must move to be listed as a change
MAX_THRESHOLD = 1000.0
MAX_SCHEDULE_HOURS = 24 * 30
FIRST_SHOWN = 3


@dataclass(frozen=True)
class WatchList:
    id: int
    name: str
    created_at: datetime
    schedule_hours: float | None = None        # None = refreshed by hand only
    threshold_pct: float = DEFAULT_THRESHOLD
    next_refresh_at: datetime | None = None
    demo: bool = False
    queries: tuple[ProductQuery, ...] = ()

    @property
    def keys(self) -> list[str]:
        """The products' query keys ("platform|id|country|currency|language")."""
        return [codec.query_key(q) for q in self.queries]


@dataclass(frozen=True)
class AddOutcome:
    """What an add did: the products added, those already in the list, those past the cap."""
    name: str
    added: list[ProductQuery] = field(default_factory=list)
    already: list[ProductQuery] = field(default_factory=list)
    over_cap: list[ProductQuery] = field(default_factory=list)

    def message(self) -> str:
        """'Added to “Shoes”.', 'Already in “Shoes”.', or for many products 'Added 3
        products to “Shoes” · 1 was already in it' (plain text)."""
        total = len(self.added) + len(self.already) + len(self.over_cap)
        if total == 1 and self.added:
            return f"Added to “{self.name}”."
        if total == 1 and self.already:
            return f"Already in “{self.name}”."
        parts = []
        if self.added:
            n = len(self.added)
            parts.append(f"Added {n} product{'' if n == 1 else 's'} to “{self.name}”")
        if self.already:
            n = len(self.already)
            where = "it" if self.added else f"“{self.name}”"
            parts.append(f"{n} {'was' if n == 1 else 'were'} already in {where}")
        if self.over_cap:
            n = len(self.over_cap)
            first = ", ".join(q.key for q in self.over_cap[:FIRST_SHOWN])
            more = " …" if n > FIRST_SHOWN else ""
            parts.append(f"{n} not added ({first}{more}): a list holds at most "
                         f"{MAX_PRODUCTS} products")
        return " · ".join(parts) + "." if parts else "Nothing to add."


def _utc(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(timezone.utc)


def _plain_query(query: ProductQuery) -> ProductQuery:
    """A list keeps the product and its locale, not a variant preselected by a link."""
    return ProductQuery(query.platform, query.product_id, query.country, query.currency,
                        query.language)


def _insert_ignoring_repeats(dialect: str, table: sa.Table):
    """An insert that skips rows whose key exists (two sessions adding at once)."""
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return table.insert()


class ListBook:
    def __init__(self, store) -> None:
        self.store = store
        self.engine: sa.Engine = store.engine

    def _writing(self, failure: str):
        return self.store._writing(failure)

    # --- reading -------------------------------------------------------------------------
    def _queries(self, connection, list_ids: list[int]) -> dict[int, list[ProductQuery]]:
        items = schema.list_items
        found: dict[int, list[ProductQuery]] = {i: [] for i in list_ids}
        if not list_ids:
            return found
        rows = connection.execute(
            sa.select(items).where(items.c.list_id.in_(list_ids))
            .order_by(items.c.list_id, items.c.position, items.c.query_key))
        for row in rows:
            found[row.list_id].append(ProductQuery(row.platform, row.product_id,
                                                   row.country, row.currency, row.language))
        return found

    @staticmethod
    def _list(row, queries: list[ProductQuery]) -> WatchList:
        return WatchList(id=row.id, name=row.name, created_at=row.created_at,
                         schedule_hours=row.schedule_hours,
                         threshold_pct=float(row.threshold_pct),
                         next_refresh_at=row.next_refresh_at, demo=bool(row.demo),
                         queries=tuple(queries))

    def _select(self, condition) -> list[WatchList]:
        lists = schema.lists
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(lists).where(condition)
                                      .order_by(lists.c.name_key)).all()
            queries = self._queries(connection, [r.id for r in rows])
        return [self._list(r, queries[r.id]) for r in rows]

    def get(self, name: str) -> WatchList | None:
        """The list of that name, in any case ("demo PRODUCTS" finds "Demo products")."""
        if not isinstance(name, str) or not name.strip():
            return None
        found = self._select(schema.lists.c.name_key == name_key(name))
        return found[0] if found else None

    def by_id(self, list_id: int) -> WatchList | None:
        found = self._select(schema.lists.c.id == int(list_id))
        return found[0] if found else None

    def all(self) -> list[WatchList]:
        """Every list, by name (case-insensitive)."""
        return self._select(sa.true())

    def names(self) -> list[str]:
        lists = schema.lists
        with self.engine.connect() as connection:
            return list(connection.execute(sa.select(lists.c.name)
                                           .order_by(lists.c.name_key)).scalars())

    def _resolve(self, which: WatchList | int | str) -> WatchList:
        if isinstance(which, WatchList):
            found = self.by_id(which.id)
        elif isinstance(which, int):
            found = self.by_id(which)
        else:
            found = self.get(which)
        if found is None:
            raise ListError("This list no longer exists (it was deleted, maybe in "
                            "another tab).")
        return found

    # --- writing -------------------------------------------------------------------------
    def create(self, name: str, queries: Iterable[ProductQuery] = (), *,
               now: datetime | None = None, demo: bool = False,
               threshold_pct: float = DEFAULT_THRESHOLD) -> WatchList:
        """A new list; ListError when the name is empty, too long or taken (in any case)."""
        name = clean_name(name)
        queries = list(queries)
        if len(dict.fromkeys(codec.query_key(q) for q in queries)) > MAX_PRODUCTS:
            raise ListError(f"A list holds at most {MAX_PRODUCTS} products; this one would "
                            f"hold {len(queries)}. Split them over several lists.")
        if self.get(name) is not None:
            raise ListError(taken_message(name))
        lists = schema.lists
        try:
            with self.engine.begin() as connection:
                list_id = connection.execute(lists.insert().values(
                    name=name, name_key=name_key(name), created_at=_utc(now),
                    schedule_hours=None, threshold_pct=float(threshold_pct),
                    next_refresh_at=None, demo=bool(demo))).inserted_primary_key[0]
                self._add_rows(connection, list_id, queries, _utc(now))
        except sa.exc.IntegrityError as exc:     # created meanwhile by another session
            raise ListError(taken_message(name)) from exc
        except Exception as exc:
            raise StoreError(f"The list was not saved: {plain_reason(exc)}.", str(exc)) from exc
        return self.by_id(list_id)

    def _add_rows(self, connection, list_id: int, queries: list[ProductQuery],
                  now: datetime) -> tuple[list, list, list]:
        items = schema.list_items
        have = set(connection.execute(sa.select(items.c.query_key)
                                      .where(items.c.list_id == list_id)).scalars())
        last = connection.execute(sa.select(sa.func.max(items.c.position))
                                  .where(items.c.list_id == list_id)).scalar()
        position = -1 if last is None else int(last)
        added, already, over = [], [], []
        rows = []
        for query in map(_plain_query, queries):
            key = codec.query_key(query)
            if key in have:
                already.append(query)
                continue
            if len(have) >= MAX_PRODUCTS:
                over.append(query)
                continue
            have.add(key)
            position += 1
            added.append(query)
            rows.append({"list_id": list_id, "query_key": key, "position": position,
                         "platform": query.platform, "product_id": query.product_id,
                         "country": query.country, "currency": query.currency,
                         "language": query.language, "added_at": now})
        for start in range(0, len(rows), 500):
            connection.execute(_insert_ignoring_repeats(self.store.dialect, items),
                               rows[start:start + 500])
        return added, already, over

    def add(self, which: WatchList | int | str, queries: Iterable[ProductQuery], *,
            now: datetime | None = None) -> AddOutcome:
        """Add products at the end, in order; repeats are skipped, the cap is kept."""
        found = self._resolve(which)
        with self._writing("The products were not added to the list") as connection:
            added, already, over = self._add_rows(connection, found.id, list(queries),
                                                  _utc(now))
        return AddOutcome(found.name, added, already, over)

    def put(self, queries: Iterable[ProductQuery], *, new_name: str = "",
            into: str | None = None, now: datetime | None = None) -> tuple[str, str]:
        """The "Add to a list" form: a typed name makes a new list, else the products go
        into the list picked; (the list's name, what was done in plain words)."""
        queries = list(queries)
        if (new_name or "").strip() or not into:
            made = self.create(new_name, queries, now=now)
            n = len(made.queries)
            return made.name, (f"Created the list “{made.name}” with {n} "
                               f"product{'' if n == 1 else 's'}.")
        outcome = self.add(into, queries, now=now)
        return outcome.name, outcome.message()

    def remove(self, which: WatchList | int | str, query_keys: Iterable[str]) -> int:
        """Take products out (by query key); how many went."""
        found = self._resolve(which)
        keys = list(dict.fromkeys(query_keys))
        if not keys:
            return 0
        items, removed = schema.list_items, 0
        with self._writing("The products were not removed from the list") as connection:
            for start in range(0, len(keys), 500):
                removed += connection.execute(items.delete().where(
                    items.c.list_id == found.id,
                    items.c.query_key.in_(keys[start:start + 500]))).rowcount or 0
        return int(removed)

    def rename(self, which: WatchList | int | str, new_name: str) -> WatchList:
        found = self._resolve(which)
        name = clean_name(new_name)
        other = self.get(name)
        if other is not None and other.id != found.id:
            raise ListError(taken_message(name))
        lists = schema.lists
        try:
            with self.engine.begin() as connection:
                connection.execute(lists.update().where(lists.c.id == found.id)
                                   .values(name=name, name_key=name_key(name)))
        except sa.exc.IntegrityError as exc:
            raise ListError(taken_message(name)) from exc
        except Exception as exc:
            raise StoreError(f"The list was not renamed: {plain_reason(exc)}.", str(exc)) from exc
        return self.by_id(found.id)

    def delete(self, which: WatchList | int | str) -> bool:
        """Delete the list and its products. Its past refreshes stay among the jobs, no
        longer tied to it: SQLite gives a new list the id of the newest deleted one, and
        that list must not inherit these refreshes."""
        try:
            found = self._resolve(which)
        except ListError:
            return False
        lists, items, jobs = schema.lists, schema.list_items, schema.jobs
        with self._writing("The list was not deleted") as connection:
            connection.execute(jobs.update().where(jobs.c.list_id == found.id)
                               .values(list_id=None))
            connection.execute(items.delete().where(items.c.list_id == found.id))
            gone = connection.execute(lists.delete().where(lists.c.id == found.id)).rowcount
        return bool(gone)

    def set_schedule(self, which: WatchList | int | str, hours: float | None, *,
                     now: datetime | None = None) -> WatchList:
        """Refresh every `hours` from `now` on (the first in `hours`); 0 or None = off."""
        found = self._resolve(which)
        if hours is not None and not 0 <= float(hours) <= MAX_SCHEDULE_HOURS:
            raise ListError(f"Refresh every so many hours (at most {MAX_SCHEDULE_HOURS}), "
                            "or 0 for no schedule.")
        hours = float(hours) if hours else None
        next_at = _utc(now) + timedelta(hours=hours) if hours else None
        lists = schema.lists
        with self._writing("The schedule was not saved") as connection:
            connection.execute(lists.update().where(lists.c.id == found.id)
                               .values(schedule_hours=hours, next_refresh_at=next_at))
        return self.by_id(found.id)

    def set_threshold(self, which: WatchList | int | str, pct: float) -> WatchList:
        found = self._resolve(which)
        if pct is None or not 0 <= float(pct) <= MAX_THRESHOLD:
            raise ListError(f"The threshold is a percentage from 0 to {MAX_THRESHOLD:g}.")
        lists = schema.lists
        with self._writing("The threshold was not saved") as connection:
            connection.execute(lists.update().where(lists.c.id == found.id)
                               .values(threshold_pct=float(pct)))
        return self.by_id(found.id)


__all__ = ["AddOutcome", "DEFAULT_THRESHOLD", "ListBook", "MAX_PRODUCTS",
           "MAX_SCHEDULE_HOURS", "WatchList"]
