"""Huge numbers do not wrap (issue 10, point 3): sums of counts are exact Python ints, and
figures past a quadrillion read as 9.22 × 10¹⁸, never as 300 digits or a negative stock.

The product is the real demo backpack (lib/sandbox/fixtures) through the real parser,
cut to two variants, with 2^62 units each (int64 holds at most 2^63 - 1, so pandas' sum
of the two wrapped to -9.2e18), and other figures at 2^62 and 1e308.
"""
from __future__ import annotations

import io
import json
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lib import analysis, compare, export
from lib import format as fmt
from lib.platforms import parse_payload

FIXTURE = (Path(__file__).resolve().parents[1] / "lib" / "sandbox" / "fixtures" / "aliexpress"
           / "1005006789012345.json")
HUGE = 2**62


def _payload(stock=(HUGE, HUGE), sale=None, reviews=None, sales=None) -> dict:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    result = data["aliexpress_ds_product_get_response"]["result"]
    skus = result["ae_item_sku_info_dtos"]["ae_item_sku_info_d_t_o"]
    del skus[len(stock):]
    for sku, units in zip(skus, stock):
        sku["sku_available_stock"] = units
    if sale is not None:
        skus[0]["offer_sale_price"] = sale
        for tier in skus[0]["wholesale_price_tiers"]["wholesale_price_tier"]:
            tier["wholesale_price"] = f'"{sale}"'
    base = result["ae_item_base_info_dto"]
    if reviews is not None:
        base["evaluation_count"] = reviews
    if sales is not None:
        base["sales_count"] = sales
    return data


def _product(**changes):
    return parse_payload("aliexpress", _payload(**changes))


@pytest.fixture(scope="module")
def huge():
    product = _product(reviews=str(HUGE), sales=str(HUGE))
    assert product.skus["stock"].tolist() == [HUGE, HUGE]      # the parser kept them
    return product


def _key(numbers, label):
    (number,) = [n for n in numbers if n.label == label]
    return number


# --- sums ------------------------------------------------------------------------------------
def test_stock_of_two_huge_variants_is_their_exact_sum(huge):
    assert int(huge.skus["stock"].sum()) < 0                    # what pandas' int64 gives
    facts = analysis.stock_facts(huge.skus)
    assert facts.units == 2 * HUGE == 9_223_372_036_854_775_808
    assert (facts.known, facts.in_stock, facts.sold_out) == (2, 2, 0)


def test_stock_is_shown_readably_everywhere(huge):
    assert _key(analysis.key_numbers(huge), "Stock (units)").value == "9.22 × 10¹⁸"
    cell = compare.stock_cell(huge)                             # "Stock (all variants)"
    assert cell.value == 2 * HUGE and cell.rank > 0
    bottle = parse_payload("aliexpress", json.loads(
        (FIXTURE.parent / "1005005432109876.json").read_text(encoding="utf-8")))
    table = compare.comparison([huge, bottle], base="USD")
    stock_row = table.text().loc[compare.STOCK].tolist()
    assert not any(text.startswith("-") for text in stock_row)
    assert table.best()[compare.STOCK] == [compare.product_label(huge)]


def test_partly_unknown_huge_stock_says_so():
    product = _product(stock=(HUGE, HUGE, None))
    facts = analysis.stock_facts(product.skus)
    assert (facts.units, facts.unknown) == (2 * HUGE, 1)
    assert _key(analysis.key_numbers(product), "Stock (units)").value == "9.22 × 10¹⁸"
    assert compare.stock_cell(product).rank is None             # never ranked


def test_whole_units_is_exact_for_any_mix():
    values = pd.Series([HUGE, HUGE, HUGE, -5, 0], dtype="Int64")
    assert analysis.whole_units(values.dropna()) == 3 * HUGE
    assert analysis.whole_units([2.5e18, float("nan"), float("inf")]) == 2_500_000_000_000_000_000


def test_huge_review_and_sales_counts(huge):
    numbers = analysis.store_numbers(huge)
    assert _key(numbers, "Reviews").value == "4.61 × 10¹⁸"
    assert _key(numbers, "Sold").value == "4.61 × 10¹⁸"


# --- prices at 1e308 ---------------------------------------------------------------------------
def test_price_of_1e308_is_short_and_keeps_its_currency():
    product = _product(sale="1e308")
    assert product.skus["sale_price"].iloc[0] == 1e308
    (price,) = [n for n in analysis.price_numbers(product) if n.label == "Price (USD)"]
    low = product.skus["sale_price"].iloc[1]
    assert price.value == f"{low:,.2f}–1.00 × 10³⁰⁸"
    line = analysis.summary_line(product.skus, "USD")
    assert line.endswith(f"sale price {low:.2f}–1.00 × 10³⁰⁸ USD") and len(line) < 80


def test_order_total_past_the_float_range_says_so():
    product = _product(sale="1e308")
    quote = analysis.quote(product, str(product.skus["sku_id"].iloc[0]), 1000)
    assert quote.unit_price == 1e308 and math.isinf(quote.total)
    assert fmt.money(quote.total, "USD") == "too large to show (USD)"
    assert fmt.money(quote.unit_price, "USD") == "1.00 × 10³⁰⁸ USD"


def test_sku_table_with_gaps_shows_huge_values_short():
    product = _product(stock=(HUGE, None), sale="1e308")
    table = analysis.sku_table(product, product.skus)
    assert table["stock"].tolist() == ["4.61 × 10¹⁸", "not sent"]
    assert table["sale_price"].iloc[0] == 1e308                 # complete: stays a number


# --- downloads keep the exact figures ----------------------------------------------------------
def test_downloads_keep_exact_huge_counts(huge):
    skus = export.readable(huge.skus, "USD")
    back = pd.read_csv(io.BytesIO(export.csv_bytes(skus)), encoding="utf-8-sig", dtype=str)
    assert back["Stock"].tolist() == [str(HUGE), str(HUGE)]
    book = openpyxl.load_workbook(io.BytesIO(export.workbook_bytes(huge)))
    stock = [r[0] for r in book["SKUs"].iter_rows(min_row=2, values_only=True,
                                                  min_col=10, max_col=10)]
    assert [c.value for c in book["SKUs"][1]][9] == "Stock" and stock == [HUGE, HUGE]


# --- the formatter -----------------------------------------------------------------------------
@pytest.mark.parametrize("value, decimals, text", [
    (0, 0, "0"), (1234, 0, "1,234"), (999_999_999_999_999, 0, "999,999,999,999,999"),
    (10**15, 0, "1.00 × 10¹⁵"), (2**63, 0, "9.22 × 10¹⁸"), (-(2**64), 0, "-1.84 × 10¹⁹"),
    (10**400, 0, "1.00 × 10⁴⁰⁰"), (10**400 - 1, 0, "9.99 × 10³⁹⁹"), (1e308, 2, "1.00 × 10³⁰⁸"),
    (9.999e20, 2, "1.00 × 10²¹"), (12.5, 2, "12.50"), (float("inf"), 2, fmt.TOO_LARGE),
    (None, 0, "—"), (float("nan"), 2, "—"), (pd.NA, 0, "—")])
def test_number(value, decimals, text):
    assert fmt.number(value, decimals) == text


def test_counts_percent_and_rating_use_the_same_rule():
    assert fmt.count(HUGE) == "4.61 × 10¹⁸" and fmt.count(1e308) == "1.00 × 10³⁰⁸"
    assert fmt.count(2381) == "2,381" and fmt.count(None) == "—"
    assert fmt.count(10**20, "10000+") == "10000+"
    assert fmt.percent(1e308) == "1.00 × 10³⁰⁸%" and fmt.percent(97.5, 1) == "97.5%"
    assert fmt.money_range(1e308, float("inf"), "USD") == "1.00 × 10³⁰⁸–too large to show USD"


def test_a_figure_past_pythons_digit_limit_is_unknown_not_a_crash():
    # int() refuses strings of more than 4,300 digits with a ValueError; a hostile
    # seller's stock, review count or sales figure of 5,000 digits is simply unknown.
    digits = "7" * 5000
    product = _product(stock=(digits, "12"), reviews=digits, sales=digits)
    assert product.skus["stock"].tolist()[1] == 12
    assert pd.isna(product.skus["stock"].iloc[0])
    assert product.store.review_count is None and product.store.sales_count is None
    assert "Some SKUs have no stock figure." in product.warnings
