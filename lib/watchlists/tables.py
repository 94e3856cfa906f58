"""The Lists page's products table: each product of the list with what its latest
refresh saw (pure; plain text cells, ready to show and to download)."""
from __future__ import annotations

import re
from typing import Iterable

import pandas as pd

from lib import format as fmt
from lib.batch import KIND_WORDS
from lib.jobs.model import FAILED, ITEM_DONE, SKIPPED, JobItem
from lib.labels import platform_label
from lib.query import ProductQuery
from lib.store import codec
from lib.watchlists.changes import stamp

PRODUCT_COLUMNS = ["Platform", "Product id", "Ship to", "Title", "Price", "Last checked",
                   "Latest check"]
NOT_YET = "— not checked yet"


def _price(summary: dict) -> str:
    low, high = summary.get("Lowest price"), summary.get("Highest price")
    if low is None and high is None:
        return "— no price sent"
    return fmt.money_range(low, high if high is not None else low,
                           fmt.currency_label(summary.get("Currency")))


def product_rows(queries: Iterable[ProductQuery], latest: Iterable[JobItem]) -> pd.DataFrame:
    """One row per product of the list, in its order, with the latest refresh's title,
    price range (with its currency) and when it was checked; "—" says why a value is
    missing (not checked yet, the check failed)."""
    items = {codec.query_key(i.query): i for i in latest}
    rows = []
    for query in queries:
        item = items.get(codec.query_key(query))
        where = f"{query.country} · {query.currency} · {query.language}"
        base = [platform_label(query.platform), query.product_id, where]
        if item is None:
            rows.append(base + ["—", NOT_YET, NOT_YET, "not checked yet"])
            continue
        checked = stamp(item.finished_at) if item.finished_at else "—"
        if item.state == ITEM_DONE and item.summary:
            rows.append(base + [str(item.summary.get("Title") or "— no title sent"),
                                _price(item.summary), checked, "fetched"])
        elif item.state == FAILED:
            kind = item.error.kind if item.error else "FetchError"
            rows.append(base + ["—", "— could not be checked", checked,
                                f"failed: {KIND_WORDS.get(kind, kind)}"])
        elif item.state == SKIPPED:
            rows.append(base + ["—", NOT_YET, NOT_YET, "not checked (refresh cancelled)"])
        else:
            rows.append(base + ["—", NOT_YET, NOT_YET, "not checked yet"])
    return pd.DataFrame(rows, columns=PRODUCT_COLUMNS)


def product_labels(queries: Iterable[ProductQuery], latest: Iterable[JobItem] = ()
                   ) -> dict[str, str]:
    """Query key -> 'Trail 40L Hiking Backpack … (AliExpress (dropshipping) 1005…, US)',
    for pickers (plain-text slots)."""
    titles = {codec.query_key(i.query): str(i.summary.get("Title") or "")
              for i in latest if i.summary}
    labels = {}
    for query in queries:
        key = codec.query_key(query)
        title = titles.get(key, "")
        where = f"{platform_label(query.platform)} {query.product_id}"
        if title:
            short = title if len(title) <= 60 else title[:59].rstrip() + "…"
            labels[key] = f"{short} ({where}, {query.country})"
        else:
            labels[key] = f"{where} ({query.country}, {query.currency}, {query.language})"
    return labels


def file_stem(name: str) -> str:
    """A list name as a file name part: 'list-Backpacks-to-watch'."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:60]
    return f"list-{slug}" if slug else "list"


__all__ = ["PRODUCT_COLUMNS", "file_stem", "product_labels", "product_rows"]
