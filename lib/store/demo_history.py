"""The demo history the store loads on first start: 90 daily points per demo product
(lib/sandbox/demo_history.json.gz, written by tools/demo/history.py; its docstring gives the
format), replayed onto the demo Product as the sandbox serves it now.

Only what moves is replaced (SKU price, sale price and stock, the store's product rating,
review and sales counts, DSR scores); a value the product does not send today stays unknown
on every day, whatever the file says.
"""
from __future__ import annotations

import copy
import gzip
import json
import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from lib.client import fetch_many
from lib.errors import FetchError
from lib.model import Product
from lib.platforms.common import discount_pct
from lib.sandbox import DEMO_PRODUCTS

# Gzipped: the JSON is about 440 kB, 28 kB compressed.
HISTORY_FILE = Path(__file__).resolve().parents[1] / "sandbox" / "demo_history.json.gz"
FORMAT = 1                 # the layout this reader understands (the file's "version" is
                           # the content's: a new one makes the store load it again)


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    if not HISTORY_FILE.is_file():     # only before the builder first ran
        return {"version": 0, "products": {}}
    document = json.loads(gzip.decompress(HISTORY_FILE.read_bytes()))
    if document.get("sku_key") != "sku_id":
        raise ValueError(f"{HISTORY_FILE.name}: SKUs keyed by {document.get('sku_key')!r}, "
                         f"this reader (format {FORMAT}) keys them by sku_id")
    return document


DEMO_HISTORY_VERSION: int = int(_document()["version"])


def demo_history_products(now: datetime) -> Iterator[Product]:
    """Each demo product once per history day, oldest first, demo=True, fetched_at one day
    apart; the newest is a day before `now` (rounded down to the hour), so a fresh fetch
    comes after it. Products the sandbox cannot serve now, or whose SKUs differ from the
    file's (another fixture folder), are left out."""
    if now.tzinfo is None:
        raise ValueError("demo_history_products needs an aware datetime (UTC)")
    anchor = (now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
              - timedelta(days=1))
    products = _document()["products"]
    by_key = {query.key: query for query in DEMO_PRODUCTS}
    queries = [by_key[key] for key in products if key in by_key]
    for query, fetched in zip(queries, fetch_many(queries)):
        if isinstance(fetched, FetchError):
            continue
        points = products[query.key]
        sku_ids = [str(sku_id) for sku_id in fetched.skus["sku_id"]]
        if len(set(sku_ids)) != len(sku_ids) or any(set(p["skus"]) != set(sku_ids)
                                                    for p in points):
            continue
        today = _Today(fetched, sku_ids)
        for point in points:
            yield today.at(point, anchor + timedelta(days=point["day"]))


DEMO_POINT_NOTE = ("A point of the generated demo history: no gateway answered it, so there "
                   "is no payload (the tables are the demo product's, with that day's "
                   "prices, stock and ratings).")
_FRAMES = ("skus", "tiers", "lead_times", "country_prices", "attributes")


def _copy(product: Product) -> Product:
    """A deep copy, fast: the frames are copied shallow (pandas copy-on-write keeps them
    apart when written) and the raw payload, read-only everywhere, is shared. Copying
    the payload 90 times was two thirds of the time."""
    memo: dict[int, Any] = {id(product.raw): product.raw}
    for name in _FRAMES:
        table = getattr(product, name)
        memo[id(table)] = table.copy(deep=False)
    return copy.deepcopy(product, memo)


def _nullable(values: list, array_type: type, dtype: type) -> Any:
    """A Float64 / Int64 array (the model's dtypes), built directly: four times quicker
    than pd.array's type inference, which ran 4,000 times per load."""
    mask = np.fromiter((value is None for value in values), bool, len(values))
    data = np.fromiter((0 if value is None else value for value in values), dtype, len(values))
    return array_type(data, mask)


def _value(cell: Any) -> Any:
    return None if pd.isna(cell) else cell


class _Today:
    """The fetched product and its values, to lay each day's points over."""

    def __init__(self, product: Product, sku_ids: list[str]) -> None:
        self.product, self.sku_ids = product, sku_ids
        skus = product.skus
        self.prices = [_value(v) for v in skus["price"]]
        self.sales = [_value(v) for v in skus["sale_price"]]
        self.stocks = [_value(v) for v in skus["stock"]]
        self.discounts = [_value(v) for v in skus["discount_pct"]]

    def at(self, point: dict[str, Any], fetched_at: datetime) -> Product:
        product = _copy(self.product)
        product.demo, product.fetched_at = True, fetched_at
        # A generated point had no gateway answer: none is shown as its payload.
        product.raw, product.raw_cut = None, DEMO_POINT_NOTE
        self._lay_skus(product, point["skus"])
        self._lay_store(product, point)
        return product

    def _lay_skus(self, product: Product, points: dict[str, list]) -> None:
        prices, sales, stocks, discounts = [], [], [], []
        for i, sku_id in enumerate(self.sku_ids):
            price, sale, stock = points[sku_id]
            price = None if self.prices[i] is None else price
            sale = None if self.sales[i] is None else sale
            stock = None if self.stocks[i] is None else stock
            discount = self.discounts[i]
            if discount is not None and (price, sale) != (self.prices[i], self.sales[i]):
                discount = discount_pct(price, sale)    # the parsers' own rule
            prices.append(price), sales.append(sale), stocks.append(stock)
            discounts.append(discount)
        skus = product.skus
        skus["price"] = _nullable(prices, pd.arrays.FloatingArray, np.float64)
        skus["sale_price"] = _nullable(sales, pd.arrays.FloatingArray, np.float64)
        skus["stock"] = _nullable(stocks, pd.arrays.IntegerArray, np.int64)
        skus["discount_pct"] = _nullable(discounts, pd.arrays.FloatingArray, np.float64)

    def _lay_store(self, product: Product, point: dict[str, Any]) -> None:
        store, today = product.store, self.product.store
        if today.product_rating is not None and point["product_rating"] is not None:
            store.product_rating = point["product_rating"]
        if today.review_count is not None and point["review_count"] is not None:
            store.review_count = point["review_count"]
        if today.sales_count is not None and point["sales_count"] is not None:
            store.sales_count = point["sales_count"]
            store.sales_text = _sales_text(today.sales_text, today.sales_count,
                                           point["sales_count"])
        store.ratings = {label: point["ratings"].get(label, score)
                         for label, score in today.ratings.items()}


_COUNT_TEXT = re.compile(r"(\d[\d,]*)(\+?)")


def _sales_text(text: str, count: int, then: int) -> str:
    """Today's sales text written for the count of that day, in today's style ("1532",
    "10000+" -> "9731+", "1,532" -> "1,498")."""
    if then == count:
        return text
    shown = _COUNT_TEXT.fullmatch(text.strip())
    if not shown or int(shown.group(1).replace(",", "")) != count:
        return str(then)
    number = f"{then:,}" if "," in shown.group(1) else str(then)
    return number + shown.group(2)
