"""lib.analysis on the AliExpress demo products, checked against the fixture JSON.

Expected figures are computed here straight from the bundled fixture files (the raw
gateway answer), not from the parser, so a parsing or analysis slip shows up as a
mismatch of real numbers.
"""
from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

from lib import analysis
from lib.client import fetch_product
from lib.query import ProductQuery

FIXTURES = Path(__file__).resolve().parents[1] / "lib" / "sandbox" / "fixtures" / "aliexpress"
BACKPACK, BOTTLE, CASE = "1005006789012345", "1005005432109876", "1005004321098765"


# --- the fixture JSON, read without the app's parser ----------------------------------
def _listed(value, key):
    """A gateway list wrapper ({"x": [...]}, a bare object or nothing) as a list."""
    inner = (value or {}).get(key, []) if isinstance(value, dict) else value or []
    return inner if isinstance(inner, list) else [inner]


@lru_cache
def fixture_result(product_id: str) -> dict:
    data = json.loads((FIXTURES / f"{product_id}.json").read_text(encoding="utf-8"))
    return data["aliexpress_ds_product_get_response"]["result"]


@lru_cache
def fixture_skus(product_id: str) -> tuple[dict, ...]:
    """Per SKU: id, property values (seller label preferred), prices, stock, tiers."""
    rows = []
    for sku in _listed(fixture_result(product_id)["ae_item_sku_info_dtos"],
                       "ae_item_sku_info_d_t_o"):
        props = {p["sku_property_name"]: p.get("property_value_definition_name")
                 or p["sku_property_value"]
                 for p in _listed(sku.get("ae_sku_property_dtos"), "ae_sku_property_d_t_o")}
        tiers = sorted((int(t["min_quantity"]), float(str(t["wholesale_price"]).strip('"')))
                       for t in _listed(sku.get("wholesale_price_tiers"),
                                        "wholesale_price_tier"))
        rows.append({"sku_id": str(sku["sku_id"]), "props": props,
                     "sale": float(sku["offer_sale_price"]), "price": float(sku["sku_price"]),
                     "stock": int(sku["sku_available_stock"]), "tiers": tiers})
    return tuple(rows)


def fixture_sku(product_id: str, **props) -> dict:
    (match,) = [s for s in fixture_skus(product_id)
                if all(s["props"].get(k.replace("_", " ")) == v for k, v in props.items())]
    return match


def expected_unit_price(tiers: list[tuple[int, float]], quantity: int) -> float:
    """The tier price for a quantity: the last tier whose minimum is reached."""
    return [price for min_qty, price in tiers if min_qty <= quantity][-1]


@lru_cache
def product(product_id: str):
    return fetch_product(ProductQuery("aliexpress", product_id))


# --- SKU matrix ------------------------------------------------------------------------
def test_fixture_reader_matches_the_documented_demo_shapes():
    skus = fixture_skus(BACKPACK)
    assert len(skus) == 45
    assert sum(s["stock"] == 0 for s in skus) == 6
    assert {min_qty for s in skus for min_qty, _ in s["tiers"]} == {1, 10, 50, 200}
    assert len(fixture_skus(BOTTLE)) == 1 and fixture_skus(BOTTLE)[0]["tiers"] == []


def test_matrix_cells_one_ship_from_are_single_skus():
    backpack = product(BACKPACK)
    china = analysis.filtered_skus(backpack, {"Ships From": ["China"]})
    cells = analysis.matrix_cells(china, "Color", "Size", "sale_price")
    assert len(cells) == 5 * 3
    assert list(dict.fromkeys(cells["row"])) == ["Black", "Red", "Blue", "Forest Green", "Gray"]
    assert list(dict.fromkeys(cells["col"])) == ["20L", "30L", "40L"]
    by_key = cells.set_index(["row", "col"])
    red_40 = by_key.loc[("Red", "40L")]
    assert red_40["status"] == analysis.SOLD_OUT
    assert red_40["value"] == pytest.approx(
        fixture_sku(BACKPACK, Color="Red", Size="40L", Ships_From="China")["sale"])
    assert (red_40["skus"], red_40["in_stock"]) == (1, 0)
    sold_out = {key for key, status in by_key["status"].items() if status == analysis.SOLD_OUT}
    assert sold_out == {(s["props"]["Color"], s["props"]["Size"])
                        for s in fixture_skus(BACKPACK)
                        if s["props"]["Ships From"] == "China" and s["stock"] == 0}
    assert sold_out == {("Red", "40L"), ("Gray", "40L")}
    # every cell is exactly that SKU's sale price
    for s in fixture_skus(BACKPACK):
        if s["props"]["Ships From"] == "China":
            cell = by_key.loc[(s["props"]["Color"], s["props"]["Size"])]
            assert cell["value"] == pytest.approx(s["sale"]), s


def test_matrix_cells_average_over_unfiltered_property_and_stock_metric():
    backpack = product(BACKPACK)
    cells = analysis.matrix_cells(backpack.skus, "Color", "Size", "sale_price").set_index(
        ["row", "col"])
    group = [s for s in fixture_skus(BACKPACK)
             if s["props"]["Color"] == "Gray" and s["props"]["Size"] == "40L"]
    gray_40 = cells.loc[("Gray", "40L")]
    assert gray_40["skus"] == 3
    assert gray_40["in_stock"] == sum(s["stock"] > 0 for s in group) == 2
    assert gray_40["status"] == analysis.AVAILABLE          # one sold out of three
    assert gray_40["value"] == pytest.approx(sum(s["sale"] for s in group) / 3)
    assert cells.loc[("Red", "40L")]["status"] == analysis.SOLD_OUT   # all three at 0

    stock = analysis.matrix_cells(
        analysis.filtered_skus(backpack, {"Ships From": ["Spain"]}), "Color", "Size",
        "stock").set_index(["row", "col"])
    black_40_spain = fixture_sku(BACKPACK, Color="Black", Size="40L", Ships_From="Spain")
    assert stock.loc[("Black", "40L")]["value"] == black_40_spain["stock"] == 5
    assert stock.loc[("Blue", "20L")]["status"] == analysis.SOLD_OUT
    assert stock.loc[("Blue", "20L")]["value"] == 0


def test_matrix_cells_missing_combination_is_not_a_zero():
    backpack = product(BACKPACK)
    china = analysis.filtered_skus(backpack, {"Ships From": ["China"]})
    without = china[~((china["Color"] == "Blue") & (china["Size"] == "30L"))]
    cells = analysis.matrix_cells(without, "Color", "Size", "sale_price",
                                  row_order=list(dict.fromkeys(china["Color"])),
                                  col_order=list(dict.fromkeys(china["Size"])))
    blue_30 = cells.set_index(["row", "col"]).loc[("Blue", "30L")]
    assert blue_30["status"] == analysis.MISSING
    assert blue_30["skus"] == 0 and pd.isna(blue_30["value"])
    assert (cells["status"] == analysis.MISSING).sum() == 1


def test_matrix_cells_phone_case_uses_seller_labels():
    case = product(CASE)
    row, col = analysis.default_axes(case)
    assert (row, col) == ("Color", "Compatible Model")
    cells = analysis.matrix_cells(case.skus, row, col, "sale_price")
    labels = {s["props"]["Color"] for s in fixture_skus(CASE)}
    assert set(cells["row"]) == labels
    assert "Matte Midnight" in labels and "Black" not in labels
    for s in fixture_skus(CASE):
        cell = cells[(cells["row"] == s["props"]["Color"])
                     & (cells["col"] == s["props"]["Compatible Model"])].iloc[0]
        assert cell["value"] == pytest.approx(s["sale"])
        assert cell["status"] == (analysis.SOLD_OUT if s["stock"] == 0 else analysis.AVAILABLE)


def test_default_axes():
    # Color has 5 values, Size and Ships From 3 each: the tie goes to the earlier one.
    assert analysis.default_axes(product(BACKPACK)) == ("Color", "Size")
    assert analysis.default_axes(product(BOTTLE)) == (None, None)


def test_summary_line_exact_text():
    backpack = product(BACKPACK)
    assert (analysis.summary_line(backpack.skus, "USD")
            == "45 variants · 6 out of stock · sale price 24.90–40.90 USD")
    china = analysis.filtered_skus(backpack, {"Ships From": ["China"]})
    assert (analysis.summary_line(china, "USD")
            == "15 variants · 2 out of stock · sale price 24.90–36.90 USD")
    assert (analysis.summary_line(product(BOTTLE).skus, "USD")
            == "1 variant · 0 out of stock · sale price 14.24 USD")
    case = [s for s in fixture_skus(CASE)]
    low, high = min(s["sale"] for s in case), max(s["sale"] for s in case)
    assert (analysis.summary_line(product(CASE).skus, "USD")
            == f"24 variants · {sum(s['stock'] == 0 for s in case)} out of stock · "
               f"sale price {low:.2f}–{high:.2f} USD")
    assert analysis.summary_line(backpack.skus.iloc[0:0], "USD") == "0 variants"


def test_variant_label():
    backpack = product(BACKPACK)
    red = backpack.skus[backpack.skus["sku_id"] == fixture_sku(
        BACKPACK, Color="Red", Size="40L", Ships_From="China")["sku_id"]].iloc[0]
    assert analysis.variant_label(backpack, red) == "Red / 40L / China"
    bottle = product(BOTTLE)
    assert (analysis.variant_label(bottle, bottle.skus.iloc[0])
            == f"SKU {fixture_skus(BOTTLE)[0]['sku_id']}")


# --- price tiers ---------------------------------------------------------------------------
QUANTITIES = [1, 9, 10, 49, 50, 100, 199, 200, 1000]
TIER_BOUNDS = {1: (1, 9), 9: (1, 9), 10: (10, 49), 49: (10, 49), 50: (50, 199),
               100: (50, 199), 199: (50, 199), 200: (200, None), 1000: (200, None)}


@pytest.mark.parametrize("quantity", QUANTITIES)
@pytest.mark.parametrize("which", ["cheapest", "red-40l-spain"])
def test_quote_against_fixture_tiers(which, quantity):
    backpack = product(BACKPACK)
    sku = (fixture_skus(BACKPACK)[0] if which == "cheapest"
           else fixture_sku(BACKPACK, Color="Red", Size="40L", Ships_From="Spain"))
    unit = expected_unit_price(sku["tiers"], quantity)
    single = sku["tiers"][0][1]
    q = analysis.quote(backpack, sku["sku_id"], quantity)
    assert q.quantity == quantity
    assert q.unit_price == pytest.approx(unit)
    assert q.total == pytest.approx(round(unit * quantity, 2))
    assert q.single_unit_price == pytest.approx(single) == pytest.approx(sku["sale"])
    assert q.saving == pytest.approx(round((single - unit) * quantity, 2))
    assert (q.tier_min_qty, q.tier_max_qty) == TIER_BOUNDS[quantity]
    assert q.source == "wholesale tier"
    assert q.below_moq is False


def test_quote_known_figures_for_the_cheapest_backpack():
    sku_id = fixture_skus(BACKPACK)[0]["sku_id"]
    q = analysis.quote(product(BACKPACK), sku_id, 100)
    assert (q.unit_price, q.total, q.saving) == (22.41, 2241.00, 249.00)
    q = analysis.quote(product(BACKPACK), sku_id, 1000)
    assert (q.unit_price, q.total, q.saving) == (21.17, 21170.00, 3730.00)


def test_quote_below_moq_is_flagged():
    backpack = product(BACKPACK)
    wholesale_only = dataclasses.replace(
        backpack, tiers=backpack.tiers[backpack.tiers["min_qty"] >= 10].reset_index(drop=True))
    sku = fixture_skus(BACKPACK)[0]
    q = analysis.quote(wholesale_only, sku["sku_id"], 5)
    assert q.below_moq is True
    assert q.tier_min_qty == 10 and q.unit_price == pytest.approx(sku["tiers"][1][1])
    assert q.total == pytest.approx(round(5 * sku["tiers"][1][1], 2))
    assert analysis.quote(wholesale_only, sku["sku_id"], 10).below_moq is False
    assert analysis.moq(wholesale_only) == 10
    assert analysis.moq(backpack) == 1
    assert analysis.moq(product(BOTTLE)) is None


def test_quote_single_price_product():
    bottle = product(BOTTLE)
    sku = fixture_skus(BOTTLE)[0]
    for quantity in (1, 100, 5000):
        q = analysis.quote(bottle, sku["sku_id"], quantity)
        assert q.unit_price == pytest.approx(sku["sale"]) == pytest.approx(14.24)
        assert q.total == pytest.approx(round(sku["sale"] * quantity, 2))
        assert q.saving == 0
        assert (q.tier_min_qty, q.tier_max_qty, q.source) == (1, None, "single price")
        assert q.below_moq is False
    assert analysis.quote(bottle, sku["sku_id"], 100).total == 1424.00


def test_quote_nothing_for_bad_input():
    assert analysis.quote(product(BACKPACK), fixture_skus(BACKPACK)[0]["sku_id"], 0) is None
    assert analysis.quote(product(BACKPACK), "no-such-sku", 10) is None


def test_step_points():
    backpack = product(BACKPACK)
    cheapest, dearest = fixture_skus(BACKPACK)[0], fixture_sku(
        BACKPACK, Color="Black", Size="40L", Ships_From="Spain")
    points = analysis.step_points(backpack, [cheapest["sku_id"], dearest["sku_id"]])
    assert list(points.columns) == ["series", "sku_id", "quantity", "unit_price"]
    for sku, label in ((cheapest, "Black / 20L / China"), (dearest, "Black / 40L / Spain")):
        series = points[points["sku_id"] == sku["sku_id"]]
        assert set(series["series"]) == {label}
        assert list(series["quantity"]) == [1, 10, 50, 200, 400]    # last step extended
        expected = [p for _, p in sku["tiers"]] + [sku["tiers"][-1][1]]
        assert list(series["unit_price"]) == pytest.approx(expected)
    bottle = product(BOTTLE)
    single = analysis.step_points(bottle, [fixture_skus(BOTTLE)[0]["sku_id"]])
    assert list(single["quantity"]) == [1, 10]
    assert list(single["unit_price"]) == [14.24, 14.24]
    assert analysis.step_points(backpack, []).empty


def test_spans_orders_of_magnitude():
    backpack = product(BACKPACK)
    points = analysis.step_points(backpack, [fixture_skus(BACKPACK)[0]["sku_id"]])
    assert analysis.spans_orders_of_magnitude(points["quantity"])     # 1..400
    bottle_points = analysis.step_points(product(BOTTLE), [fixture_skus(BOTTLE)[0]["sku_id"]])
    assert not analysis.spans_orders_of_magnitude(bottle_points["quantity"])  # 1..10
    assert not analysis.spans_orders_of_magnitude(pd.Series([1, 99]))
    assert analysis.spans_orders_of_magnitude(pd.Series([1, 100]))
    assert not analysis.spans_orders_of_magnitude(pd.Series([0, 5]))
    assert not analysis.spans_orders_of_magnitude(pd.Series([], dtype="int64"))


# --- highlights ---------------------------------------------------------------------------
def _label(sku: dict, order: list[str]) -> str:
    return " / ".join(sku["props"][p] for p in order)


def _discount(sku: dict) -> float:
    return (sku["price"] - sku["sale"]) / sku["price"] * 100


def _biggest_discount(product_id: str) -> tuple[float, list[dict]]:
    """The largest discount and every SKU within rounding (0.05 points) of it: several
    variants of the demo products share the same discount to the first decimal."""
    skus = fixture_skus(product_id)
    top = max(_discount(s) for s in skus)
    return top, [s for s in skus if top - _discount(s) < 0.05]


def test_highlights_backpack():
    notes = analysis.highlights(product(BACKPACK))
    order = ["Color", "Size", "Ships From"]
    skus = fixture_skus(BACKPACK)
    cheapest = min(skus, key=lambda s: s["sale"])       # first of the equal minimum
    dearest = max(skus, key=lambda s: s["sale"])
    pct, best = _biggest_discount(BACKPACK)
    discount_lines = {f"Biggest discount: {pct:.0f}% off on {_label(b, order)}." for b in best}
    first = skus[0]
    unit_100 = expected_unit_price(first["tiers"], 100)
    saving = (first["tiers"][0][1] - unit_100) * 100
    assert notes == [
        f"Cheapest variant: {_label(cheapest, order)} at {cheapest['sale']:.2f} USD.",
        f"Dearest variant: {_label(dearest, order)} at {dearest['sale']:.2f} USD.",
        "6 of 45 variants out of stock (13%).",
        notes[3],
        f"Ordering 100 saves {saving:.2f} USD "
        f"({(1 - unit_100 / first['tiers'][0][1]) * 100:.0f}%) against the single-unit "
        f"price ({_label(first, order)}).",
        "Weakest store rating: Shipping speed 4.6 / 5.",
    ]
    assert notes[3] in discount_lines
    # the same lines spelled out, so a wrong computation above cannot hide a wrong text
    assert notes[0] == "Cheapest variant: Black / 20L / China at 24.90 USD."
    assert notes[1] == "Dearest variant: Black / 40L / Spain at 40.90 USD."
    assert notes[4] == ("Ordering 100 saves 249.00 USD (10%) against the single-unit price "
                        "(Black / 20L / China).")


def test_highlights_bottle_not_rated_communication():
    notes = analysis.highlights(product(BOTTLE))
    pct, _ = _biggest_discount(BOTTLE)
    sku_id = fixture_skus(BOTTLE)[0]["sku_id"]
    assert notes == [
        "Every variant is in stock.",
        f"Discount: {pct:.0f}% off the list price.",
        "Weakest store rating: Shipping speed 4.8 / 5.",
        "Not rated: Communication.",
    ]
    assert not any(n.startswith(("Cheapest", "Dearest", "Ordering")) for n in notes)


def test_highlights_phone_case_deep_discount():
    notes = analysis.highlights(product(CASE))
    pct, best = _biggest_discount(CASE)
    assert pct > 70
    lines = {f"Biggest discount: {pct:.0f}% off on {_label(b, ['Color', 'Compatible Model'])}."
             for b in best}
    assert len(lines & set(notes)) == 1
    out = sum(s["stock"] == 0 for s in fixture_skus(CASE))
    assert f"{out} of 24 variants out of stock ({out / 24 * 100:.0f}%)." in notes
    assert "Weakest store rating: Shipping speed 4.4 / 5." in notes
    assert not any(n.startswith("Ordering 100") for n in notes)     # no tiers


def test_a_small_share_out_of_stock_is_not_rounded_to_zero():
    """2 of 1,000 variants is 0.2 %, never "(0%)"; counts carry thousands separators."""
    import json

    from benchmarks.synthetic import ds_payload
    from lib.platforms import parse_payload

    big = parse_payload("aliexpress", json.dumps(ds_payload(1000)))
    facts = analysis.stock_facts(big.skus)
    assert facts.variants == 1000 and facts.sold_out == 2 and facts.unknown == 0
    assert "2 of 1,000 variants out of stock (0.2%)." in analysis.highlights(big)
