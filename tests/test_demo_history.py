"""The demo history (lib/sandbox/demo_history.json.gz): what tools/demo/history.py writes
and lib/store/demo_history.py replays, checked on the committed file and the demo fixtures."""
from __future__ import annotations

import copy
import gzip
import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from lib.client import fetch_product
from lib.errors import FetchError
from lib.sandbox import DEMO_PRODUCTS
from lib.sandbox.gateway import FIXTURES_ENV
from lib.store import demo_history as reader
from lib.store.demo_history import DEMO_HISTORY_VERSION, HISTORY_FILE, demo_history_products
from tests.hostile import build_hostile_set
from tools.demo import history as generator

DAYS = list(range(-89, 1))
NOW = datetime(2026, 12, 1, 12, 34, 56, 789, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def document():
    return json.loads(gzip.decompress(HISTORY_FILE.read_bytes()))


@pytest.fixture(scope="module")
def products():
    """What the app shows for every demo product now (the sandbox, no credentials)."""
    return {query.key: fetch_product(query) for query in DEMO_PRODUCTS}


@pytest.fixture(scope="module")
def replayed():
    by_key: dict[str, list] = {}
    for product in demo_history_products(NOW):
        by_key.setdefault(product.query.key, []).append(product)
    return by_key


def _cell(value):
    return None if pd.isna(value) else value


def _series(points, sku_id, column):
    index = {"price": 0, "sale_price": 1, "stock": 2}[column]
    return [point["skus"][sku_id][index] for point in points]


def _segments(values):
    """Runs of equal values: [(first index, last index, value)]."""
    runs = []
    for i, value in enumerate(values):
        if runs and runs[-1][2] == value:
            runs[-1] = (runs[-1][0], i, value)
        else:
            runs.append((i, i, value))
    return runs


def _sales(values):
    """Flat runs at least 15 % below the days on both sides of them."""
    runs = _segments(values)
    return [(first, last) for (first, last, value), before, after in
            zip(runs[1:-1], runs[:-2], runs[2:])
            if value <= 0.85 * before[2] and value <= 0.85 * after[2]]


# --- the file ---------------------------------------------------------------------------
def test_generating_again_gives_the_committed_bytes(monkeypatch):
    monkeypatch.delenv(FIXTURES_ENV, raising=False)
    committed = HISTORY_FILE.read_bytes()
    assert committed[4:8] == b"\0\0\0\0"                  # gzip mtime 0: no clock
    assert gzip.decompress(committed) == generator.history_json(generator.build_history())


def test_the_file_is_versioned_and_covers_every_demo_product(document):
    assert document["version"] == DEMO_HISTORY_VERSION == generator.VERSION >= 1
    assert document["days"] == 90 and document["sku_key"] == "sku_id"
    assert list(document["products"]) == [query.key for query in DEMO_PRODUCTS]
    for points in document["products"].values():
        assert [point["day"] for point in points] == DAYS


def test_day_zero_is_the_product_as_the_app_shows_it(document, products):
    for key, product in products.items():
        today = document["products"][key][-1]
        expected = {str(row.sku_id): [_cell(row.price), _cell(row.sale_price), _cell(row.stock)]
                    for row in product.skus.itertuples()}
        assert today["skus"] == expected, key
        store = product.store
        assert (today["product_rating"], today["review_count"], today["sales_count"]) == (
            store.product_rating, store.review_count, store.sales_count), key
        assert today["ratings"] == store.ratings, key


# --- the moves --------------------------------------------------------------------------
def test_every_priced_sku_has_one_sale_and_one_rise_and_is_flat_otherwise(document):
    checked = 0
    for key, points in document["products"].items():
        for sku_id, today in points[-1]["skus"].items():
            if today[1] is None:
                continue
            sales = _series(points, sku_id, "sale_price")
            (first, last), = _sales(sales)
            assert 5 <= last - first + 1 <= 9 and -70 <= DAYS[first] and DAYS[last] <= -20, key
            assert sales[first] >= 0.75 * sales[first - 1] - 0.01, key     # 15-25 % off
            for column in ("price", "sale_price"):
                values = _series(points, sku_id, column)
                outside = [v for day, v in enumerate(values) if not first <= day <= last]
                # exactly two levels: before the rise and after it, which lasts to today
                (_, _, before), (_, _, after) = _segments(outside)
                assert after == today[0 if column == "price" else 1], key
                assert 0.88 <= before / after <= 0.95, (key, sku_id, column)
            rise = next(day for day in range(90) if not first <= day <= last
                        and sales[day] == today[1])
            assert -60 <= DAYS[rise] <= -10, key
            prices = _series(points, sku_id, "price")
            if today[0] is not None and today[0] >= today[1]:
                assert all(sale <= price for sale, price in zip(sales, prices)), key
            checked += 1
    assert checked == 105                   # every demo SKU: each one sends a sale price


def test_stock_sells_down_and_one_sku_sells_out_for_a_few_days(document):
    with_stock = 0
    for key, points in document["products"].items():
        known = [sku for sku, today in points[-1]["skus"].items() if today[2] is not None]
        for sku_id in points[-1]["skus"]:
            stock = _series(points, sku_id, "stock")
            if sku_id not in known:
                assert stock == [None] * 90, key
                continue
            assert all(isinstance(units, int) and units >= 0 for units in stock), key
            # a few units a day at most; every rise is a restock
            assert all(later >= earlier - 6 for earlier, later in zip(stock, stock[1:])), key
        if not known:
            continue
        with_stock += 1
        sold_out = []
        for sku_id in known:
            stock = _series(points, sku_id, "stock")
            sold_out += [(sku_id, first, last) for first, last, units in _segments(stock)
                         if units == 0 and 0 < first and last < 89]
        assert len(sold_out) == 1, key
        _, first, last = sold_out[0]
        assert 3 <= last - first + 1 <= 6 and -50 <= DAYS[first] and DAYS[last] <= -15, key
    assert with_stock == 8                  # all but the affiliate two and one Alibaba


def test_counts_grow_to_today_and_ratings_move_a_little(document):
    for key, points in document["products"].items():
        today = points[-1]
        for field in ("review_count", "sales_count"):
            counts = [point[field] for point in points]
            if today[field] is None:
                assert counts == [None] * 90, key
            else:
                assert 0 <= counts[0] and counts == sorted(counts), key
                assert counts[0] < today[field], key               # it did grow
        rating = [point["product_rating"] for point in points]
        if today["product_rating"] is None:
            assert rating == [None] * 90, key
        else:
            runs = _segments(rating)
            assert len(runs) == 3 and runs[0][2] == runs[2][2] == today["product_rating"], key
            first, last, dipped = runs[1]
            assert 12 <= last - first + 1 <= 16, key
            assert 0.2 - 1e-9 <= today["product_rating"] - dipped <= 0.4 + 1e-9, key
            assert dipped == round(dipped, 1) and 0 <= dipped <= 5, key
        for label, score in today["ratings"].items():
            scores = [point["ratings"][label] for point in points]
            assert all(abs(s - score) <= 0.1 + 1e-9 and 0 <= s <= 5 for s in scores), key
            assert all(abs(a - b) <= 0.1 + 1e-9 for a, b in zip(scores, scores[1:])), key
            assert len(set(scores)) > 1, key                       # now and then
        assert all(set(point["ratings"]) == set(today["ratings"]) for point in points), key


def test_unknown_stays_unknown_on_every_day(products):
    """A product with a SKU without prices or stock, no rating, no counts, no DSR."""
    product = copy.deepcopy(products["aliexpress:1005006789012345"])
    product.skus.loc[0, ["price", "sale_price", "stock"]] = pd.NA
    product.skus.loc[1, "stock"] = pd.NA
    store = product.store
    store.product_rating = store.review_count = store.sales_count = None
    store.ratings = {}
    points = generator.product_history(product)
    first, second = product.skus["sku_id"][0], product.skus["sku_id"][1]
    assert all(point["skus"][first] == [None, None, None] for point in points)
    assert all(point["skus"][second][2] is None for point in points)
    assert all(point["skus"][second][1] is not None for point in points)
    assert all((point["product_rating"], point["review_count"], point["sales_count"],
                point["ratings"]) == (None, None, None, {}) for point in points)


def test_the_same_key_gives_the_same_history_and_another_key_another(products):
    product = products["tuya:CMdoorlock02"]
    assert generator.product_history(product) == generator.product_history(product)
    other = copy.deepcopy(product)
    other.query = DEMO_PRODUCTS[0]
    assert generator.product_history(other) != generator.product_history(product)


# --- the reader -------------------------------------------------------------------------
def test_every_demo_product_comes_back_for_90_days_a_day_apart(replayed, products):
    assert list(replayed) == list(products)
    newest = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)      # a day before NOW, on the hour
    for key, history in replayed.items():
        times = [product.fetched_at for product in history]
        assert len(history) == 90, key
        assert times[-1] == newest and times[0] == newest - timedelta(days=89), key
        assert all(b - a == timedelta(days=1) for a, b in zip(times, times[1:])), key
        assert all(product.demo for product in history), key
        expected = products[key].skus.dtypes.to_dict()
        assert all(product.skus.dtypes.to_dict() == expected for product in history), key
        # day 0 is the product as fetched, to the last cell (discount included)
        pd.testing.assert_frame_equal(history[-1].skus, products[key].skus)
        assert history[-1].store == products[key].store, key


def test_each_day_carries_the_values_of_the_file(replayed, document):
    for key, history in replayed.items():
        for product, point in zip(history, document["products"][key]):
            got = {str(row.sku_id): [_cell(row.price), _cell(row.sale_price), _cell(row.stock)]
                   for row in product.skus.itertuples()}
            assert got == point["skus"], key
            assert product.store.product_rating == point["product_rating"], key
            assert product.store.review_count == point["review_count"], key
            assert product.store.sales_count == point["sales_count"], key
            assert product.store.ratings == point["ratings"], key
    backpack = replayed["aliexpress:1005006789012345"]
    assert backpack[-1].store.sales_text == "10000+"
    assert backpack[0].store.sales_text == f"{backpack[0].store.sales_count}+"
    lamp = replayed["aliexpress-seller:1005003987654321"]
    assert lamp[0].store.sales_text == str(lamp[0].store.sales_count) != "1532"


def test_discounts_follow_the_prices_where_the_platform_sends_them(replayed):
    backpack = replayed["aliexpress:1005006789012345"]
    on_sale = min(backpack, key=lambda p: p.skus["sale_price"].iloc[0] / p.skus["price"].iloc[0])
    row = on_sale.skus.iloc[0]
    assert row["discount_pct"] == round((1 - row["sale_price"] / row["price"]) * 100, 1)
    assert row["discount_pct"] > backpack[-1].skus["discount_pct"].iloc[0]
    bins = replayed["alibaba:AAHq3mZ8Kx2WvN7p-Tb4sL9e"]          # sends none: stays unknown
    assert all(p.skus["discount_pct"].isna().all() for p in bins)


def _lock_history():
    return [p for p in demo_history_products(NOW) if p.query.key == "tuya:CMdoorlock02"]


def test_the_days_are_separate_products(products):
    history = _lock_history()
    history[0].skus.loc[0, "price"] = 1.0
    history[0].store.ratings["x"] = 1.0
    history[0].warnings.append("changed")
    history[0].media.images.clear()
    later = history[1]
    assert later.skus["price"].iloc[0] != 1.0 and "x" not in later.store.ratings
    assert "changed" not in later.warnings and later.media.images
    pd.testing.assert_frame_equal(_lock_history()[-1].skus, products["tuya:CMdoorlock02"].skus)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        next(demo_history_products(datetime(2026, 12, 1, 12)))


def test_another_fixture_folder_leaves_out_what_does_not_match(tmp_path, monkeypatch, products):
    build_hostile_set(tmp_path)
    (tmp_path / "tuya" / "CMdoorlock02.json").unlink()             # cannot be fetched
    monkeypatch.setenv(FIXTURES_ENV, str(tmp_path))
    by_key: dict[str, list] = {}
    for product in demo_history_products(NOW):
        by_key.setdefault(product.query.key, []).append(product)
    document = reader._document()["products"]
    matching = set()
    for query in DEMO_PRODUCTS:
        try:
            sku_ids = [str(s) for s in fetch_product(query).skus["sku_id"]]
        except FetchError:
            continue
        if sku_ids == list(document[query.key][0]["skus"]):
            matching.add(query.key)
    # the hostile set rewrites free-text SKU codes (AliExpress seller, Tuya): left out too
    assert "aliexpress-seller:1005003987654321" not in matching
    assert "aliexpress:1005006789012345" in matching and "tuya:CMdoorlock02" not in matching
    assert set(by_key) == matching
    assert all(len(history) == 90 for history in by_key.values())


def test_sales_text_keeps_todays_style():
    assert reader._sales_text("10000+", 10000, 9440) == "9440+"
    assert reader._sales_text("1,532", 1532, 1498) == "1,498"
    assert reader._sales_text("1532", 1532, 1498) == "1498"
    assert reader._sales_text("10000+", 10000, 10000) == "10000+"
    assert reader._sales_text("lots", 10000, 9440) == "9440"
