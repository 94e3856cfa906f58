"""What the History page derives from a lib.store.History: the window, the lines to draw,
the per-SKU figures, the changes and the downloads.

Pure (no Streamlit): values in, values out; `now` is an argument so tests fix the clock.
Only observed points are ever used: a snapshot that did not send a value keeps it NA
(a gap in a chart, "—" in a table), never 0 and never a value carried over.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

import pandas as pd

from lib import format as fmt

WINDOWS = {"7": "7 days", "30": "30 days", "90": "90 days", "all": "All"}
DEFAULT_WINDOW = "90"
MAX_LINES = 12            # more lines than this in one chart cannot be told apart
DEMO_SOURCE = "demo-history"
DEMO_SEEN, FETCHED_SEEN = "demo (generated)", "fetched"
DEMO_NOTE = "Demo history: generated for the demo, not observed"

KIND_LABELS = {"price_down": "Price down", "price_up": "Price up",
               "new_variant": "New variant", "removed_variant": "Variant removed",
               "sold_out": "Sold out", "back_in_stock": "Back in stock", "rating": "Rating",
               "reviews": "Reviews", "sales": "Sales", "dsr": "Store rating (DSR)",
               "title": "Title", "status": "Status"}
# Product-level figures over time: snapshots column -> its name on the page.
PRODUCT_METRICS = {"product_rating": "Product rating", "review_count": "Review count",
                   "sales_count": "Sales count"}


def when(at: datetime | pd.Timestamp) -> str:
    """'28 Nov 2026, 14:05 UTC' (day without a leading zero)."""
    at = pd.Timestamp(at)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    return f"{at.day} {at:%b %Y, %H:%M} UTC"


# --- the window ------------------------------------------------------------------------
def window_start(window: str, now: datetime) -> pd.Timestamp | None:
    """The first moment of the window counted back from `now`; None for "all"."""
    if window not in WINDOWS or window == "all":
        return None
    return pd.Timestamp(now).tz_convert("UTC") - timedelta(days=int(window))


def _since(frame: pd.DataFrame, start: pd.Timestamp | None) -> pd.DataFrame:
    if start is None or frame.empty:
        return frame.reset_index(drop=True)
    return frame[frame["fetched_at"] >= start].reset_index(drop=True)


def is_demo(snapshots: pd.DataFrame) -> pd.Series:
    """Per snapshot: generated for the demo (marked demo, or loaded as demo history)."""
    demo = snapshots["demo"].fillna(False).astype(bool)
    if "source" in snapshots:
        demo = demo | (snapshots["source"] == DEMO_SOURCE)
    return demo


@dataclass(frozen=True)
class Window:
    """The part of a product's history inside the chosen window."""
    key: str
    start: pd.Timestamp | None
    snapshots: pd.DataFrame
    skus: pd.DataFrame
    ratings: pd.DataFrame

    @property
    def count(self) -> int:
        return len(self.snapshots)

    @property
    def first(self) -> pd.Timestamp | None:
        return self.snapshots["fetched_at"].iloc[0] if self.count else None

    @property
    def last(self) -> pd.Timestamp | None:
        return self.snapshots["fetched_at"].iloc[-1] if self.count else None

    def describe(self) -> str:
        """'14 snapshots in the last 30 days: first 1 Nov 2026, 09:00 UTC, last …'."""
        span = "in all" if self.start is None else f"in the last {WINDOWS[self.key]}"
        if self.count == 0:
            return f"No snapshots {span}: pick a longer window."
        noun = "snapshot" if self.count == 1 else "snapshots"
        if self.count == 1:
            return f"1 {noun} {span}: {when(self.first)}."
        return f"{self.count} {noun} {span}: first {when(self.first)}, last {when(self.last)}."


def windowed(history, window: str, now: datetime) -> Window:
    """The snapshots, SKU rows and DSR scores fetched inside the window."""
    window = window if window in WINDOWS else DEFAULT_WINDOW
    start = window_start(window, now)
    return Window(window, start, _since(history.snapshots, start), _since(history.skus, start),
                  _since(history.ratings, start))


def demo_note(snapshots: pd.DataFrame) -> str:
    """What is generated rather than observed: the whole history, some points, or ""."""
    if snapshots.empty:
        return ""
    demo = is_demo(snapshots)
    if demo.all():
        return f"{DEMO_NOTE}."
    if not demo.any():
        return ""
    times = snapshots.loc[demo, "fetched_at"]
    span = (when(times.iloc[0]) if len(times) == 1 else
            f"from {when(times.iloc[0])} to {when(times.iloc[-1])}")
    return (f"{DEMO_NOTE} for {int(demo.sum())} of {len(snapshots)} snapshots ({span}, "
            f"drawn as diamonds); the other {int((~demo).sum())} were fetched.")


# --- variants ---------------------------------------------------------------------------
def property_values(skus: pd.DataFrame, properties: list[str]) -> dict[str, list]:
    """Each variant property's values seen anywhere in the history, first seen first."""
    return {prop: list(dict.fromkeys(skus[prop].dropna())) if prop in skus else []
            for prop in properties}


def default_filters(skus: pd.DataFrame, properties: list[str],
                    limit: int = MAX_LINES) -> dict[str, list]:
    """Filters that start at most `limit` lines: the first value of the properties with
    the fewest values is picked until the rest fits (none when everything fits)."""
    filters: dict[str, list] = {prop: [] for prop in properties}
    values = property_values(skus, properties)
    ranked = sorted((p for p in properties if values[p]), key=lambda p: len(values[p]))
    for prop in ranked:
        if len(sku_ids(filter_skus(skus, filters))) <= limit:
            break
        filters[prop] = values[prop][:1]
    return filters


def filter_skus(skus: pd.DataFrame, filters: dict[str, list]) -> pd.DataFrame:
    """The rows whose variant has one of the picked values of each property (a property
    with nothing picked does not filter)."""
    for prop, picked in filters.items():
        if picked and prop in skus:
            skus = skus[skus[prop].isin(picked)]
    return skus


def sku_ids(skus: pd.DataFrame) -> list[str]:
    """The SKU ids in the rows, in order of first appearance."""
    return list(dict.fromkeys(skus["sku_id"].astype(str)))


def sku_labels(skus: pd.DataFrame) -> dict[str, str]:
    """SKU id -> its variant as last seen ("Color: Red · Size: 40L"); a variant without a
    label ("SKU 123") or with a repeated one gets its SKU id, so each line has its name."""
    latest = skus.assign(sku_id=skus["sku_id"].astype(str)).groupby("sku_id", sort=False).last()
    labels = {sku: (str(v).strip() if pd.notna(v) and str(v).strip() else f"SKU {sku}")
              for sku, v in latest["variant"].items()}
    counts = pd.Series(list(labels.values()), dtype=object).value_counts()
    return {sku: (f"{label} (SKU {sku})" if counts.get(label, 0) > 1 and
                  not label.startswith("SKU ") else label) for sku, label in labels.items()}


def drawn_labels(skus: pd.DataFrame, ids: list[str], properties: list[str],
                 labels: dict[str, str]) -> tuple[dict[str, str], str]:
    """Shorter line names for the drawn SKUs: only the properties that differ among them,
    and a legend title that names the rest once ("Color (Size: 20L · Ships From: China)").
    Falls back to the full labels and "Variant" when that would not tell lines apart."""
    rows = skus.assign(sku_id=skus["sku_id"].astype(str))
    rows = rows[rows["sku_id"].isin(ids)].groupby("sku_id", sort=False).last()
    present = [p for p in properties if p in rows]
    varying = [p for p in present if rows[p].nunique(dropna=False) > 1]
    fixed = [p for p in present if p not in varying and rows[p].notna().all()]
    if not varying or len(rows) != len(ids):
        return {sku: labels[sku] for sku in ids}, "Variant"
    if len(varying) == 1:
        short = {sku: ("—" if pd.isna(rows.at[sku, varying[0]]) else
                       str(rows.at[sku, varying[0]])) for sku in ids}
        title = varying[0]
    else:
        short = {sku: " · ".join(f"{p}: {rows.at[sku, p]}" for p in varying
                                 if pd.notna(rows.at[sku, p])) for sku in ids}
        title = "Variant"
    if len(set(short.values())) != len(ids):
        return {sku: labels[sku] for sku in ids}, "Variant"
    common = " · ".join(f"{p}: {rows[p].iloc[0]}" for p in fixed)
    return short, f"{title} ({common})" if common else title


def lines_to_draw(ids: list[str], limit: int = MAX_LINES) -> tuple[list[str], int]:
    """The first `limit` SKU ids and how many are left out of the chart."""
    return ids[:limit], max(0, len(ids) - limit)


def hidden_note(drawn: int, hidden: int) -> str:
    if not hidden:
        return ""
    return (f"The charts draw the first {drawn} of {drawn + hidden} variants ({hidden} "
            f"hidden): pick values in the filters above to narrow them. The table below "
            "lists all of them.")


# --- chart points -----------------------------------------------------------------------
def step_points(window: Window, ids: list[str], labels: dict[str, str],
                column: str) -> pd.DataFrame:
    """One row per snapshot in the window and SKU: time, series (variant label), value,
    seen (fetched / demo) and when (the time as text). A snapshot that did not list the
    SKU or did not send the value keeps NA: the chart draws a gap there."""
    snaps = window.snapshots[["snapshot_id", "fetched_at"]].assign(
        seen=is_demo(window.snapshots).map({True: DEMO_SEEN, False: FETCHED_SEEN}).array)
    rows = window.skus.assign(sku_id=window.skus["sku_id"].astype(str))
    rows = rows[rows["sku_id"].isin(ids)][["snapshot_id", "sku_id", column]]
    grid = snaps.merge(pd.DataFrame({"sku_id": ids}), how="cross")
    grid = grid.merge(rows, on=["snapshot_id", "sku_id"], how="left")
    grid["order"] = grid["sku_id"].map({sku: i for i, sku in enumerate(ids)})
    grid = grid.sort_values(["order", "fetched_at"], kind="stable")
    values = pd.to_numeric(grid[column], errors="coerce").astype("Float64")
    return pd.DataFrame({"time": grid["fetched_at"].array,
                         "series": grid["sku_id"].map(labels).array,
                         "value": values.array, "seen": grid["seen"].array,
                         "when": grid["fetched_at"].map(when).array}).reset_index(drop=True)


def price_points(window: Window, ids: list[str], labels: dict[str, str],
                 with_original: bool) -> pd.DataFrame:
    """Sale price steps, plus the original price as a second measure when asked."""
    sale = step_points(window, ids, labels, "sale_price").assign(measure="Sale price")
    if not with_original:
        return sale
    original = step_points(window, ids, labels, "price").assign(measure="Original price")
    return pd.concat([sale, original], ignore_index=True)


def band_points(window: Window) -> pd.DataFrame:
    """The product's sale price band per snapshot: low, high, SKU count (NA kept)."""
    snaps = window.snapshots
    return pd.DataFrame({
        "time": snaps["fetched_at"].array,
        "low": pd.to_numeric(snaps["price_min"], errors="coerce").astype("Float64").array,
        "high": pd.to_numeric(snaps["price_max"], errors="coerce").astype("Float64").array,
        "skus": pd.to_numeric(snaps["sku_count"], errors="coerce").astype("Int64").array,
        "seen": is_demo(snaps).map({True: DEMO_SEEN, False: FETCHED_SEEN}).array,
        "when": snaps["fetched_at"].map(when).array})


def metric_points(window: Window) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Product rating, review count, sales count and DSR scores over time: {name: points}
    for those sent at least once in the window, and the names of those never sent."""
    snaps = window.snapshots
    seen = is_demo(snaps).map({True: DEMO_SEEN, False: FETCHED_SEEN}).array
    found: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    for column, name in PRODUCT_METRICS.items():
        values = (pd.to_numeric(snaps[column], errors="coerce").astype("Float64")
                  if column in snaps else pd.Series(pd.NA, index=snaps.index, dtype="Float64"))
        if values.notna().any():
            found[name] = pd.DataFrame({"time": snaps["fetched_at"].array, "series": name,
                                        "value": values.array, "seen": seen,
                                        "when": snaps["fetched_at"].map(when).array})
        else:
            missing.append(name)
    dsr = dsr_points(window)
    if dsr.empty:
        missing.append("DSR scores")
    else:
        found["DSR scores"] = dsr
    return found, missing


def dsr_points(window: Window) -> pd.DataFrame:
    """One row per snapshot in the window and DSR label (a label a snapshot did not send
    is NA there, a gap)."""
    ratings = window.ratings
    labels = list(dict.fromkeys(ratings["label"].astype(str))) if len(ratings) else []
    if not labels:
        return pd.DataFrame(columns=["time", "series", "value", "seen", "when"])
    snaps = window.snapshots[["snapshot_id", "fetched_at"]].assign(
        seen=is_demo(window.snapshots).map({True: DEMO_SEEN, False: FETCHED_SEEN}).array)
    grid = snaps.merge(pd.DataFrame({"label": labels}), how="cross").merge(
        ratings.assign(label=ratings["label"].astype(str))[["snapshot_id", "label", "score"]],
        on=["snapshot_id", "label"], how="left")
    grid["order"] = grid["label"].map({label: i for i, label in enumerate(labels)})
    grid = grid.sort_values(["order", "fetched_at"], kind="stable")
    return pd.DataFrame({"time": grid["fetched_at"].array, "series": grid["label"].array,
                         "value": pd.to_numeric(grid["score"], errors="coerce")
                         .astype("Float64").array,
                         "seen": grid["seen"].array,
                         "when": grid["fetched_at"].map(when).array}).reset_index(drop=True)


def not_sent_caption(missing: list[str]) -> str:
    if not missing:
        return ""
    names = ", ".join(m[:1].lower() + m[1:] if m != "DSR scores" else m for m in missing)
    return f"Not sent in any snapshot of this window, so not drawn: {names}."


# --- the per-SKU table ------------------------------------------------------------------
def sold_out_times(stock: Iterable) -> int:
    """How often the stock went to 0 (or below) from a known positive figure. A snapshot
    without a stock figure is skipped: 5, not sent, 0 is one sell-out; a first figure of
    0 is not a transition."""
    count, previous = 0, None
    for value in stock:
        if pd.isna(value):
            continue
        if previous is not None and previous > 0 and value <= 0:
            count += 1
        previous = value
    return count


def sku_summary(history, window: Window, ids: list[str],
                labels: dict[str, str]) -> pd.DataFrame:
    """One row per SKU: variant, properties, low / high / average sale price over the
    observed points in the window, the current sale price (the latest snapshot; NA when
    it did not list the SKU), first and last seen in the window, times sold out."""
    rows = window.skus.assign(sku_id=window.skus["sku_id"].astype(str))
    latest_id = history.snapshots["snapshot_id"].iloc[-1] if len(history.snapshots) else None
    latest = history.skus[history.skus["snapshot_id"] == latest_id]
    current = dict(zip(latest["sku_id"].astype(str),
                       pd.to_numeric(latest["sale_price"], errors="coerce")))
    records = []
    for sku in ids:
        own = rows[rows["sku_id"] == sku].sort_values("fetched_at", kind="stable")
        prices = pd.to_numeric(own["sale_price"], errors="coerce").dropna()
        record = {"variant": labels.get(sku, f"SKU {sku}")}
        for prop in history.properties:
            values = own[prop].dropna() if prop in own else []
            record[prop] = str(values.iloc[-1]) if len(values) else pd.NA
        record.update({
            "low": prices.min() if len(prices) else pd.NA,
            "high": prices.max() if len(prices) else pd.NA,
            "average": prices.mean() if len(prices) else pd.NA,
            "current": current.get(sku, pd.NA),
            "first_seen": own["fetched_at"].iloc[0] if len(own) else pd.NaT,
            "last_seen": own["fetched_at"].iloc[-1] if len(own) else pd.NaT,
            "sold_out": sold_out_times(pd.to_numeric(own["stock"], errors="coerce")),
            "sku_id": sku})
        records.append(record)
    table = pd.DataFrame(records, columns=["variant", *history.properties, "low", "high",
                                           "average", "current", "first_seen", "last_seen",
                                           "sold_out", "sku_id"])
    for column in ("low", "high", "average", "current"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Float64")
    table["sold_out"] = table["sold_out"].astype("Int64")
    return table


def history_currency(history) -> str | None:
    """The one currency of the history's prices ("" = not stated); None when the
    snapshots mix currencies (then no low/high/average can be stated in one)."""
    sent = {str(c).strip() for c in history.skus.get("currency", pd.Series(dtype=object))
            .dropna() if str(c).strip()}
    if not sent:
        sent = {str(c).strip() for c in history.snapshots["currency"].dropna()
                if str(c).strip()}
    if len(sent) > 1:
        return None
    return sent.pop() if sent else ""


# --- changes ----------------------------------------------------------------------------
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def change_rows(timeline: list, diff: Callable, start: pd.Timestamp | None = None
                ) -> pd.DataFrame:
    """What changed between consecutive snapshots (lib.store.diff of each pair), newest
    first: When, What changed (the change's own sentence), Kind. A pair counts when its
    later snapshot is in the window (it may compare with the one just before it)."""
    rows = []
    for before, after in zip(timeline, timeline[1:]):
        if start is not None and pd.Timestamp(after.fetched_at) < start:
            continue
        for position, change in enumerate(diff(before, after)):
            rows.append({"at": pd.Timestamp(after.fetched_at), "position": position,
                         "When": when(after.fetched_at), "What changed": change.text,
                         "Kind": kind_label(change.kind)})
    frame = pd.DataFrame(rows, columns=["at", "position", "When", "What changed", "Kind"])
    frame = frame.sort_values(["at", "position"], ascending=[False, True], kind="stable")
    return frame[["When", "What changed", "Kind"]].reset_index(drop=True)


# --- downloads --------------------------------------------------------------------------
def sku_history_table(window: Window, properties: list[str]) -> pd.DataFrame:
    """One row per snapshot and SKU, with human headers; prices in the Currency column."""
    skus = window.skus
    table = pd.DataFrame({"Time (UTC)": skus["fetched_at"].dt.tz_convert("UTC")
                          .dt.tz_localize(None),
                          "Snapshot": skus["snapshot_id"].astype(str),
                          "SKU id": skus["sku_id"].astype(str),
                          "Variant": skus["variant"].fillna("").astype(str)})
    for prop in properties:
        header = prop if prop not in table else f"{prop} (property)"
        table[header] = skus[prop] if prop in skus else pd.NA
    table["Original price"] = pd.to_numeric(skus["price"], errors="coerce").astype("Float64")
    table["Sale price"] = pd.to_numeric(skus["sale_price"], errors="coerce").astype("Float64")
    table["Currency"] = skus["currency"].fillna("").map(fmt.currency_label)
    table["Stock"] = pd.to_numeric(skus["stock"], errors="coerce").astype("Int64")
    return table.reset_index(drop=True)


def product_history_table(window: Window, currency: str | None) -> pd.DataFrame:
    """One row per snapshot: time, demo, title, rating, reviews, sales, each DSR label,
    the sale price band and the SKU count."""
    snaps = window.snapshots
    table = pd.DataFrame({"Time (UTC)": snaps["fetched_at"].dt.tz_convert("UTC")
                          .dt.tz_localize(None),
                          "Snapshot": snaps["snapshot_id"].astype(str),
                          "Demo (generated)": is_demo(snaps).map({True: "yes", False: "no"}),
                          "Title": snaps["title"].fillna("").astype(str),
                          "Product rating (0–5)": pd.to_numeric(snaps["product_rating"],
                                                                 errors="coerce"),
                          "Reviews": pd.to_numeric(snaps["review_count"], errors="coerce")
                          .astype("Int64"),
                          "Sales": pd.to_numeric(snaps["sales_count"], errors="coerce")
                          .astype("Int64")})
    ratings = window.ratings
    if len(ratings):
        wide = ratings.pivot_table(index="snapshot_id", columns="label", values="score",
                                   aggfunc="last", sort=False)
        for label in dict.fromkeys(ratings["label"]):
            header = f"{label} (DSR, 0–5)"
            table[header] = snaps["snapshot_id"].map(wide[label]).array
    unit = "see Currency" if currency is None else fmt.currency_label(currency)
    table[f"Lowest sale price ({unit})"] = pd.to_numeric(snaps["price_min"], errors="coerce")
    table[f"Highest sale price ({unit})"] = pd.to_numeric(snaps["price_max"], errors="coerce")
    table["Currency"] = snaps["currency"].fillna("").map(fmt.currency_label)
    table["SKUs"] = pd.to_numeric(snaps["sku_count"], errors="coerce").astype("Int64")
    return table.reset_index(drop=True)


# --- sentences ----------------------------------------------------------------------------
def band_caption(band: pd.DataFrame) -> str:
    """What the band is, and how many SKUs it spans (the same in every snapshot, or the
    range)."""
    if band.empty or (band["low"].isna().all() and band["high"].isna().all()):
        return "No snapshot in this window sent a sale price, so there is no band."
    counts = band["skus"].dropna()
    if counts.empty:
        spread = "the number of variants was not stored"
    elif counts.min() == counts.max():
        spread = f"{int(counts.iloc[0]):,} variant(s) in every snapshot"
    else:
        spread = (f"from {int(counts.min()):,} to {int(counts.max()):,} variants "
                  f"(now {int(counts.iloc[-1]):,})")
    return f"Lowest to highest sale price over the variants of each snapshot; {spread}."


def storage_line(history) -> str:
    snaps = history.snapshots
    if snaps.empty:
        return "No snapshots of this product are stored."
    count = len(snaps)
    if count == 1:
        return f"1 snapshot of this product is stored: {when(snaps['fetched_at'].iloc[0])}."
    return (f"{count:,} snapshots of this product are stored (all, not only this window), "
            f"from {when(snaps['fetched_at'].iloc[0])} to {when(snaps['fetched_at'].iloc[-1])}.")


def pruned_text(removed: int, days: float) -> str:
    if not removed:
        return f"No snapshot was older than {days:,g} days: nothing was deleted."
    noun = "snapshot" if removed == 1 else "snapshots"
    return f"Deleted {removed:,} {noun} older than {days:,g} days (of every product)."
