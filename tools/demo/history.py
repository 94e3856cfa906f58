"""The demo history: 90 daily points per demo product (lib/sandbox/demo_history.json.gz).

Each product is fetched the way the app fetches it (no credentials = the sandbox), and its
history is worked out backwards from today, so day 0 is exactly what the app shows now.
Seeded by the product key alone (no clock): a second run writes the same bytes.

Per product (when it has the values; what it does not send today stays unknown every day):
* prices hold flat between two moves: a price rise on some day in -60..-10 (before it,
  price and sale price 6-11 % lower) and a sale of 5-9 days within -70..-20 (sale price
  16-24 % below the then-normal one, rounded down to the cent so it is at least that);
* stock falls by a few units a day with a restock now and then; one SKU that has stock today
  sells out for 3-6 days within -50..-15 and is restocked; a SKU out of stock today ran
  out a few days ago;
* the product rating dips 0.2-0.4 for about two weeks, then is back; review and sales
  counts grow to today's; DSR scores step by 0.1 now and then, within 0.1 of today's.

The file (read by lib/store/demo_history.py; the format is versioned) is one compact JSON
document, gzipped (mtime 0, so the bytes do not depend on the clock):
{"version": 1, "days": 90, "sku_key": "sku_id", "products": {"<platform>:<product_id>":
 [{"day": -89, "skus": {"<sku_id>": [price, sale_price, stock]}, "product_rating": x|null,
   "review_count": n|null, "sales_count": n|null, "ratings": {label: score}}, ...]}}
null = not sent. SKUs are keyed by sku_id (unique in every demo product; the builder stops
if one is not).
"""
from __future__ import annotations

import gzip
import json
import math
import os
import random
from pathlib import Path
from typing import Any

import pandas as pd

from lib.client import fetch_many
from lib.errors import FetchError
from lib.model import Product
from lib.sandbox import DEMO_PRODUCTS
from lib.sandbox.gateway import FIXTURES_ENV
from lib.store.demo_history import HISTORY_FILE

# Bump VERSION whenever the points change: the store reloads the demo history then.
VERSION = 1
DAYS = 90
FIRST_DAY = -(DAYS - 1)
RISE_DAYS = (-60, -10)             # the price rise happens on one of these days
RISE_LOWER = (0.06, 0.11)          # how much lower prices were before it (inside 5-12 %)
SALE_DAYS = (-70, -20)             # every sale day falls in here
SALE_LENGTH = (5, 9)
SALE_OFF = (0.16, 0.24)            # inside 15-25 % after rounding down to the cent
SELLOUT_DAYS = (-50, -15)
SELLOUT_LENGTH = (3, 6)
RESTOCK_CHANCE = 0.03              # per SKU and day
DIP_LENGTH = (12, 16)              # "about two weeks"
DIP_DEPTHS = (0.2, 0.3, 0.4)
DSR_MOVE_CHANCE = 0.05


def _cents(value: float) -> int:
    return int(round(value * 100))


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else round(value * factor, 2)


def _marked_down(value: float | None, off: float) -> float | None:
    """`off` below `value`, rounded down to the cent (so never less than `off` below)."""
    return None if value is None else math.floor(_cents(value) * (1 - off)) / 100


def _plain(value: Any) -> Any:
    """A frame cell as JSON: None for NA, a Python number otherwise."""
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


class _Plan:
    """When the price moves happen for one product (drawn first, in a fixed order)."""

    def __init__(self, rng: random.Random) -> None:
        self.rise_day = rng.randint(*RISE_DAYS)
        self.rise_lower = rng.uniform(*RISE_LOWER)
        length = rng.randint(*SALE_LENGTH)
        # The days just before and after the sale sit at one price level (no rise there).
        starts = [start for start in range(SALE_DAYS[0], SALE_DAYS[1] - length + 2)
                  if start + length < self.rise_day or start > self.rise_day]
        start = rng.choice(starts)
        self.sale_days = range(start, start + length)
        self.sale_off = rng.uniform(*SALE_OFF)

    def prices(self, price: float | None, sale: float | None, day: int):
        if day < self.rise_day:
            factor = 1 - self.rise_lower
            price, sale = _scaled(price, factor), _scaled(sale, factor)
        if day in self.sale_days:
            sale = _marked_down(sale, self.sale_off)
        return price, sale


def _stock_walk(rng: random.Random, today: int, sellout: bool) -> dict[int, int]:
    """Daily stock worked backwards from today's: a few units sold a day (so earlier it was
    higher), restocks (earlier it was low), and for `sellout` one 3-6 day run at 0."""
    rate = max(1, min(6, round(max(today, 30) / 150)))
    stock = {0: today}
    day = 0
    if today <= 0:                          # ran out a few days ago
        for day in range(-1, -rng.randint(1, 10), -1):
            stock[day] = 0
    run = None
    if sellout:
        length = rng.randint(*SELLOUT_LENGTH)
        end = rng.randint(SELLOUT_DAYS[0] + length - 1, SELLOUT_DAYS[1])
        run = range(end - length + 1, end + 1)
    while day > FIRST_DAY:
        later, day = stock[day], day - 1
        if run is not None and day in run:
            stock[day] = 0
        elif run is not None and day == run.start - 1:
            stock[day] = rng.randint(1, 3)      # the last units before it sold out
        elif later <= 0:
            stock[day] = rng.randint(1, 3)
        elif later >= 20 and rng.random() < RESTOCK_CHANCE:
            stock[day] = rng.randint(1, max(2, later // 5))   # low, then restocked
        else:
            stock[day] = later + rng.randint(0, rate)
    return stock


def _count_walk(rng: random.Random, today: int) -> dict[int, int]:
    """A count that grew to today's: about 6 % over the 90 days, never below 0."""
    rate = max(1, round(today * 0.12 / DAYS))
    counts = {0: today}
    for day in range(-1, FIRST_DAY - 1, -1):
        counts[day] = max(0, counts[day + 1] - rng.randint(0, rate))
    return counts


def _rating_walk(rng: random.Random, today: float) -> dict[int, float]:
    length = rng.randint(*DIP_LENGTH)
    start = rng.randint(FIRST_DAY + 4, -5 - length)
    dipped = min(5.0, max(0.0, round(today - rng.choice(DIP_DEPTHS), 1)))
    return {day: dipped if start <= day < start + length else today
            for day in range(FIRST_DAY, 1)}


def _dsr_walk(rng: random.Random, today: float) -> dict[int, float]:
    """Steps of 0.1 now and then, never more than 0.1 away from today's score."""
    offset, scores = 0, {0: today}
    for day in range(-1, FIRST_DAY - 1, -1):
        if rng.random() < DSR_MOVE_CHANCE:
            offset = rng.choice([-1, 1]) if offset == 0 else 0
        scores[day] = today if offset == 0 else min(5.0, max(0.0, round(today + offset / 10, 6)))
    return scores


def product_history(product: Product) -> list[dict[str, Any]]:
    """The 90 points of one product, oldest first; day 0 is the product as it is."""
    rng = random.Random(f"history:{product.query.key}")
    plan = _Plan(rng)
    skus = product.skus
    sku_ids = [str(sku_id) for sku_id in skus["sku_id"]]
    if len(set(sku_ids)) != len(sku_ids):
        raise ValueError(f"{product.query.key}: two SKUs share an sku_id; key by position")
    prices = [_plain(v) for v in skus["price"]]
    sales = [_plain(v) for v in skus["sale_price"]]
    stocks = [_plain(v) for v in skus["stock"]]
    in_stock = [i for i, stock in enumerate(stocks) if stock is not None and stock > 0]
    sellout = rng.choice(in_stock) if in_stock else None
    walks = [None if stock is None else _stock_walk(rng, stock, i == sellout)
             for i, stock in enumerate(stocks)]
    store = product.store
    rating = None if store.product_rating is None else _rating_walk(rng, store.product_rating)
    reviews = None if store.review_count is None else _count_walk(rng, store.review_count)
    sold = None if store.sales_count is None else _count_walk(rng, store.sales_count)
    dsr = {label: _dsr_walk(rng, score) for label, score in store.ratings.items()}
    points = []
    for day in range(FIRST_DAY, 1):
        day_skus = {}
        for i, sku_id in enumerate(sku_ids):
            price, sale = plan.prices(prices[i], sales[i], day)    # day 0: today's, as is
            day_skus[sku_id] = [price, sale, None if walks[i] is None else walks[i][day]]
        points.append({
            "day": day, "skus": day_skus,
            "product_rating": None if rating is None else rating[day],
            "review_count": None if reviews is None else reviews[day],
            "sales_count": None if sold is None else sold[day],
            "ratings": {label: walk[day] for label, walk in dsr.items()}})
    return points


def build_history() -> dict[str, Any]:
    """The whole document, from the bundled demo fixtures."""
    if os.environ.get(FIXTURES_ENV, "").strip():
        raise SystemExit(f"{FIXTURES_ENV} is set: the demo history is built from the "
                         "bundled fixtures only (unset it)")
    products = {}
    for query, result in zip(DEMO_PRODUCTS, fetch_many(DEMO_PRODUCTS)):
        if isinstance(result, FetchError):
            raise SystemExit(f"{query.key}: the sandbox did not serve it: {result.user_message}")
        products[query.key] = product_history(result)
    return {"version": VERSION, "days": DAYS, "sku_key": "sku_id", "products": products}


def history_json(document: dict[str, Any]) -> bytes:
    """The document as written before compression (what the tests compare)."""
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def write_history() -> Path:
    data = gzip.compress(history_json(build_history()), compresslevel=9, mtime=0)
    HISTORY_FILE.write_bytes(data)
    return HISTORY_FILE
