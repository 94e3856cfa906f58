"""What changed in a list since its previous refresh, product by product: the in-app
alert view. `compare_refreshes` is pure (items and Facts in, rows out); `list_changes`
reads them from the job board and the store.

A product is compared only with itself: the same query key (platform, id, ship-to,
currency, language) in the latest two finished refreshes, through lib.store.diff (which
compares a price only with the same variant's, in the same currency). Price moves count
when they reach the list's threshold; stock, variants, ratings, title and status always.
A product that could not be checked now is said to be so, with the reason: never "no
change". A product new in the list has its first refresh: that is not a change.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable

import pandas as pd

from lib.jobs.model import FAILED, ITEM_DONE, REFRESH, SKIPPED, Job, JobItem
from lib.labels import platform_label
from lib.store import Facts, codec, diff

NO_REFRESH, ONE_REFRESH, COMPARED = "no refresh", "one refresh", "compared"
NOT_FOUND = "ProductNotFound"
COLUMNS = ["Product", "Platform", "Product id", "Change", "What changed"]
# Changes listed as rows; reviews and sales move on nearly every refresh of a selling
# product, so they go into the product's summary line only.
LISTED = ("price_down", "price_up", "sold_out", "back_in_stock", "new_variant",
          "removed_variant", "rating", "dsr", "title", "status")
SECONDARY = ("reviews", "sales")
PRICE_MOVES = ("price_down", "price_up")
KIND_WORDS = {
    "price_down": "Price down", "price_up": "Price up", "sold_out": "Sold out",
    "back_in_stock": "Back in stock", "new_variant": "New variant",
    "removed_variant": "Variant removed", "title": "Title changed",
    "status": "Status changed", "disappeared": "Not found now",
    "reappeared": "Found again", "not_checked": "Could not be checked",
}
# For the summary line: (one, many).
_COUNTED = {
    "price_down": ("price drop", "price drops"), "price_up": ("price rise", "price rises"),
    "sold_out": ("variant sold out", "variants sold out"),
    "back_in_stock": ("variant back in stock", "variants back in stock"),
    "new_variant": ("new variant", "new variants"),
    "removed_variant": ("variant removed", "variants removed"),
    "title": ("title change", "title changes"), "status": ("status change", "status changes"),
}


def stamp(at: datetime | None) -> str:
    return "—" if at is None else at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class ChangeRow:
    query_key: str
    product: str              # the title (else the product's key)
    platform: str
    product_id: str
    kind: str                 # a lib.store Change kind, or disappeared / reappeared / not_checked
    change: str               # the kind in words
    what: str                 # what changed, in a sentence


@dataclass(frozen=True)
class ProductLine:
    """One product's summary: `status` is changed, unchanged, first, gone, still_gone,
    not_checked, not_compared or not_refreshed."""
    query_key: str
    product: str
    platform: str
    product_id: str
    status: str
    text: str


@dataclass
class ChangeView:
    state: str
    threshold_pct: float
    latest_at: datetime | None = None
    previous_at: datetime | None = None
    rows: list[ChangeRow] = field(default_factory=list)
    products: list[ProductLine] = field(default_factory=list)
    hidden_moves: int = 0          # price moves under the threshold, not listed

    def table(self) -> pd.DataFrame:
        """One row per change (plain text cells; for the page and the downloads)."""
        return pd.DataFrame([[r.product, r.platform, r.product_id, r.change, r.what]
                             for r in self.rows], columns=COLUMNS)

    def summary_table(self) -> pd.DataFrame:
        return pd.DataFrame([[p.product, p.platform, p.product_id, p.text]
                             for p in self.products],
                            columns=["Product", "Platform", "Product id", "Summary"])

    def headline(self) -> str:
        if self.state == NO_REFRESH:
            return ("This list has not been refreshed yet: “Refresh all” checks every "
                    "product, and the next refresh shows what changed.")
        if self.state == ONE_REFRESH:
            return (f"One refresh so far ({stamp(self.latest_at)}). Refresh again later "
                    "to see what changed.")
        between = (f"between the refresh of {stamp(self.previous_at)} and the refresh of "
                   f"{stamp(self.latest_at)}")
        if not self.rows:
            compared = sum(p.status in ("changed", "unchanged") for p in self.products)
            return (f"No change {between} on the {compared} product"
                    f"{'' if compared == 1 else 's'} compared.")
        changed = len({r.query_key for r in self.rows})
        return (f"{len(self.rows)} change{'' if len(self.rows) == 1 else 's'} on {changed} "
                f"product{'' if changed == 1 else 's'} {between}.")

    def threshold_note(self) -> str:
        """'Price moves under 5 % are not listed (3 such moves).' ("" when none hidden)."""
        if not self.hidden_moves:
            return ""
        n = self.hidden_moves
        return (f"Price moves under {self.threshold_pct:g} % are not listed ({n} such "
                f"move{'' if n == 1 else 's'}); lower the threshold to see them.")


def beyond_threshold(before: float, after: float, threshold_pct: float) -> bool:
    """A move from `before` to `after` of at least `threshold_pct` percent."""
    if not before:
        return True
    return round(abs(after - before) / abs(before) * 100, 6) >= threshold_pct


def _title(key: str, *sources) -> str:
    for source in sources:
        if isinstance(source, JobItem) and source.summary:
            title = source.summary.get("Title")
        elif isinstance(source, Facts):
            title = source.title
        else:
            title = None
        if isinstance(title, str) and title.strip():
            return title.strip()
    return key


def _score_words(kind: str, before, after) -> str:
    label = "Rating" if kind == "rating" else "Store rating"
    return f"{label} {'down' if after < before else 'up'}"


def _counted_text(rows: list[ChangeRow]) -> str:
    """'2 price drops, 1 variant sold out, Product rating: 4.7 → 4.4'."""
    kinds = [r.kind for r in rows]
    parts = []
    for kind, (one, many) in _COUNTED.items():
        n = kinds.count(kind)
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    parts += [r.what for r in rows if r.kind == "rating"]
    stores = kinds.count("dsr")
    if stores:
        parts.append(f"{stores} store rating{'' if stores == 1 else 's'} changed")
    for kind in ("disappeared", "reappeared"):
        parts += [r.what for r in rows if r.kind == kind]
    return ", ".join(parts)


def _secondary_text(changes) -> str:
    parts = []
    for change in changes:
        label = "reviews" if change.kind == "reviews" else "sales"
        parts.append(f"{label} {change.after - change.before:+,}")
    return ", ".join(parts)


def _compare_one(key: str, query, new: JobItem, old: JobItem | None, facts: dict[str, Facts],
                 threshold: float, previous_at: datetime | None
                 ) -> tuple[list[ChangeRow], ProductLine, int]:
    after = facts.get(new.snapshot_id or "") if new.state == ITEM_DONE else None
    before = facts.get(old.snapshot_id or "") if old is not None and old.state == ITEM_DONE \
        else None
    title = _title(key, new, after, old, before)
    platform = platform_label(query.platform)

    def row(kind: str, what: str, words: str | None = None) -> ChangeRow:
        return ChangeRow(key, title, platform, query.product_id, kind,
                         words or KIND_WORDS.get(kind, kind), what)

    def line(status: str, text: str) -> ProductLine:
        return ProductLine(key, title, platform, query.product_id, status, text)

    # Not checked now: say so and why, whatever the previous refresh saw.
    if new.state == FAILED:
        error = new.error
        message = (error.message if error else "") or "The fetch failed."
        if error is not None and error.kind == NOT_FOUND:
            if old is not None and old.state == ITEM_DONE:
                what = (f"Not found at this refresh; it was there at the previous one "
                        f"({stamp(previous_at)}). {message}")
                return [row("disappeared", what)], line("gone", "Not found now (it was "
                                                        "there at the previous refresh)."), 0
            if old is not None and old.state == FAILED and old.error is not None \
                    and old.error.kind == NOT_FOUND:
                return [], line("still_gone", "Still not found (not found at the previous "
                                              "refresh either)."), 0
            if old is None:
                return [], line("still_gone", f"Not found at its first refresh in this "
                                              f"list. {message}"), 0
            what = ("Not found at this refresh (the previous refresh could not check it, "
                    f"so it may have gone before). {message}")
            return [row("disappeared", what)], line("gone", "Not found now."), 0
        return ([row("not_checked", f"Could not be checked now: {message}")],
                line("not_checked", f"Could not be checked now: {message}"), 0)
    if new.state == SKIPPED:
        what = "Not checked: the refresh was cancelled before this product."
        return [row("not_checked", what)], line("not_checked", what), 0
    if new.state != ITEM_DONE:
        what = "Not checked: this product's result of the refresh is missing."
        return [row("not_checked", what)], line("not_checked", what), 0

    if old is None:
        return [], line("first", "First refresh of this product in this list: nothing to "
                                 "compare with yet."), 0
    if old.state == FAILED:
        if old.error is not None and old.error.kind == NOT_FOUND:
            what = "Found again: it was not found at the previous refresh."
            return [row("reappeared", what)], line("changed", what), 0
        reason = (old.error.message if old.error else "") or "the fetch failed"
        return [], line("not_compared", f"Checked now, but the previous refresh could not "
                                        f"check it ({reason}): nothing to compare."), 0
    if old.state != ITEM_DONE:
        return [], line("not_compared", "Checked now; the previous refresh did not get to "
                                        "it (cancelled): nothing to compare."), 0
    if after is None or before is None:
        return [], line("not_compared", "Not compared: a snapshot of these refreshes is no "
                                        "longer in the history (the retention setting "
                                        "removed it)."), 0

    rows, hidden = [], 0
    changes = diff(before, after)
    for change in changes:
        if change.kind not in LISTED:
            continue
        if change.kind in PRICE_MOVES and not beyond_threshold(change.before, change.after,
                                                               threshold):
            hidden += 1
            continue
        words = _score_words(change.kind, change.before, change.after) \
            if change.kind in ("rating", "dsr") else None
        rows.append(row(change.kind, change.text, words))
    extras = [p for p in [_secondary_text([c for c in changes if c.kind in SECONDARY]),
                          f"{hidden} price move{'' if hidden == 1 else 's'} under "
                          f"{threshold:g} % not listed" if hidden else ""] if p]
    aside = f" ({'; '.join(extras)})" if extras else ""
    if rows:
        text = _counted_text(rows) + aside
        return rows, line("changed", text[0].upper() + text[1:]), hidden
    return [], line("unchanged", f"No change since the previous refresh{aside}."), hidden


def compare_refreshes(latest: Iterable[JobItem], previous: Iterable[JobItem] | None,
                      facts: dict[str, Facts], *, threshold_pct: float,
                      latest_at: datetime | None = None, previous_at: datetime | None = None,
                      order: Iterable | None = None) -> ChangeView:
    """The change view from the latest refresh's items and the previous one's (None: there
    is only one refresh). `facts`: Facts by snapshot id (Store.facts). `order`: the list's
    products now (queries or query keys): only they are shown, in that order, and those
    the latest refresh did not include are said to be waiting for a refresh."""
    latest = list(latest)
    new_by_key = {codec.query_key(i.query): i for i in latest}
    queries = {key: item.query for key, item in new_by_key.items()}
    wanted = list(new_by_key)
    if order is not None:
        wanted = []
        for entry in order:
            key = entry if isinstance(entry, str) else codec.query_key(entry)
            if not isinstance(entry, str):
                queries.setdefault(key, entry)
            wanted.append(key)
    view = ChangeView(state=NO_REFRESH if not latest else
                      ONE_REFRESH if previous is None else COMPARED,
                      threshold_pct=float(threshold_pct), latest_at=latest_at,
                      previous_at=previous_at)
    if not latest:
        return view
    old_by_key = {codec.query_key(i.query): i for i in (previous or [])}
    for key in wanted:
        new, query = new_by_key.get(key), queries.get(key)
        if new is None:
            if query is not None:
                view.products.append(ProductLine(
                    key, key, platform_label(query.platform), query.product_id,
                    "not_refreshed", "Added after the latest refresh: refresh the list to "
                                     "check it."))
            continue
        rows, line, hidden = _compare_one(key, new.query, new, old_by_key.get(key), facts,
                                          view.threshold_pct, previous_at)
        if previous is not None:       # one refresh: no change can be told yet
            view.rows.extend(rows)
        view.products.append(line)
        view.hidden_moves += hidden
    return view


def usable_refreshes(board, list_id: int, limit: int = 2) -> list[Job]:
    """The list's newest finished refreshes that checked anything (a refresh cancelled
    before its first product tells nothing), newest first."""
    jobs = board.recent(20, kind=REFRESH, list_id=list_id, finished_only=True)
    return [j for j in jobs if j.done + j.failed > 0][:limit]


def list_changes(board, store, watchlist) -> ChangeView:
    """The change view of `watchlist` (a lib.watchlists.WatchList) from its latest two
    usable refreshes."""
    jobs = usable_refreshes(board, watchlist.id)
    if not jobs:
        return ChangeView(NO_REFRESH, watchlist.threshold_pct)
    latest = board.items(jobs[0].id)
    previous = board.items(jobs[1].id) if len(jobs) > 1 else None
    ids = [i.snapshot_id for i in latest + (previous or []) if i.snapshot_id]
    facts = store.facts(ids) if previous is not None else {}
    return compare_refreshes(latest, previous, facts, threshold_pct=watchlist.threshold_pct,
                             latest_at=jobs[0].created_at,
                             previous_at=jobs[1].created_at if len(jobs) > 1 else None,
                             order=watchlist.queries)


__all__ = ["COLUMNS", "COMPARED", "ChangeRow", "ChangeView", "KIND_WORDS", "NO_REFRESH",
           "ONE_REFRESH", "ProductLine", "beyond_threshold", "compare_refreshes",
           "list_changes", "stamp", "usable_refreshes"]
