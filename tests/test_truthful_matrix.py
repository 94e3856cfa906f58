"""Issue 9 on the SKU matrix and Price tiers pages: unknown stock stays unknown (1),
the country price matrix reads as prices with their rule (6), no "None", no empty
currency brackets, one message instead of two (7), field names with dots or brackets
still draw (8), every setting survives a shared link (14).

Expected figures come from the demo fixtures' raw JSON where they can (country price
rules), else from the parsed products the pages draw.
"""
from __future__ import annotations

import dataclasses
import json
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from apptest_util import APP_FILE, metrics, open_view, texts
from lib import analysis, charts
from lib import format as fmt
from lib.client import fetch_product
from lib.query import ProductQuery
from test_analysis import BACKPACK, BOTTLE, CASE, expected_unit_price, fixture_skus
from test_views_apptest import cell, chart_rows, vega_charts

SELLER = Path(__file__).resolve().parents[1] / "lib" / "sandbox" / "fixtures" / "aliexpress-seller"
EARBUDS, LAMP = "1005007123456789", "1005003987654321"
AFFILIATE_EARBUDS = "1005007246813579"
DOTTED = "Capacity (U.S. gal.)"
BRACKETED = "Size [cm] a.b"


@lru_cache
def demo(platform: str, product_id: str):
    return fetch_product(ProductQuery(platform, product_id))


def summary_text(at: AppTest) -> str:
    (line,) = [m.value for m in at.markdown if re.match(r"^\*\*\d+ variants? · ", m.value)]
    return line.strip("*")


def without_stock(product, mask) -> object:
    """The product with the stock of the rows in `mask` not sent."""
    skus = product.skus.copy()
    skus["stock"] = skus["stock"].astype("Float64")
    skus.loc[mask(skus), "stock"] = pd.NA
    return dataclasses.replace(product, skus=skus)


# --- 1. unknown stock is unknown -----------------------------------------------------------
def test_summary_line_counts_known_stock_only():
    backpack = demo("aliexpress", BACKPACK)
    assert (analysis.summary_line(backpack.skus, "USD")
            == "45 variants · 6 out of stock · sale price 24.90–40.90 USD")
    affiliate = demo("aliexpress-affiliate", AFFILIATE_EARBUDS)
    assert affiliate.skus["stock"].isna().all()
    assert (analysis.summary_line(affiliate.skus, "USD")
            == "1 variant · stock not sent · sale price 19.99 USD")
    # Stock not sent for the three Red 40L variants (all sold out): 3 known sold out left
    partial = without_stock(backpack, lambda s: (s["Color"] == "Red") & (s["Size"] == "40L"))
    assert (analysis.summary_line(partial.skus, "USD")
            == "45 variants · 3 out of stock · stock not sent for 3 · "
               "sale price 24.90–40.90 USD")
    assert (analysis.summary_line(backpack.skus, "")
            == "45 variants · 6 out of stock · sale price 24.90–40.90 (currency not stated)")


def test_matrix_cells_never_count_missing_stock_as_in_stock():
    backpack = demo("aliexpress", BACKPACK)
    china = analysis.filtered_skus(backpack, {"Ships From": ["China"]})
    no_black = without_stock(dataclasses.replace(backpack, skus=china),
                             lambda s: s["Color"] == "Black").skus
    cells = analysis.matrix_cells(no_black, "Color", "Size", "sale_price").set_index(
        ["row", "col"])
    black_20 = cells.loc[("Black", "20L")]
    assert black_20["status"] == analysis.STOCK_UNKNOWN == "stock not sent"
    assert (black_20["in_stock"], black_20["stock_known"], black_20["skus"]) == (0, 0, 1)
    assert black_20["value"] == pytest.approx(24.90)       # the price is still known
    assert cells.loc[("Red", "40L")]["status"] == analysis.SOLD_OUT
    assert cells.loc[("Red", "20L")]["status"] == analysis.AVAILABLE
    # Three warehouses per cell: Red 40L is sold out in all three; with one of them not
    # sent, the cell is no longer "out of stock" (the unsent one may have stock).
    red_40_spain = without_stock(backpack, lambda s: (s["Color"] == "Red") & (s["Size"] == "40L")
                                 & (s["Ships From"] == "Spain")).skus
    mixed = analysis.matrix_cells(red_40_spain, "Color", "Size", "sale_price").set_index(
        ["row", "col"]).loc[("Red", "40L")]
    assert (mixed["status"], mixed["in_stock"], mixed["stock_known"]) == (
        analysis.STOCK_UNKNOWN, 0, 2)
    # one known in stock is enough to say "available", even with others unknown
    black_30 = without_stock(backpack, lambda s: (s["Color"] == "Black") & (s["Size"] == "30L")
                             & (s["Ships From"] != "Spain")).skus
    cell_ = analysis.matrix_cells(black_30, "Color", "Size", "stock").set_index(
        ["row", "col"]).loc[("Black", "30L")]
    spain = [s for s in fixture_skus(BACKPACK) if s["props"]["Color"] == "Black"
             and s["props"]["Size"] == "30L" and s["props"]["Ships From"] == "Spain"][0]
    assert (cell_["status"], cell_["in_stock"], cell_["stock_known"]) == (
        analysis.AVAILABLE, 1, 1)
    assert cell_["value"] == spain["stock"]                # mean over the known only


def test_heatmap_draws_unknown_stock_apart():
    backpack = demo("aliexpress", BACKPACK)
    china = analysis.filtered_skus(backpack, {"Ships From": ["China"]})
    skus = without_stock(dataclasses.replace(backpack, skus=china),
                         lambda s: s["Color"] == "Black").skus
    price = charts.sku_heatmap(analysis.matrix_cells(skus, "Color", "Size", "sale_price"),
                               row="Color", col="Size", metric_label="Sale price").to_dict()
    rows = {(r["row"], r["col"]): r for r in price["datasets"][price["data"]["name"]]}
    assert rows[("Black", "20L")]["label"] == "24.90\nstock not sent"
    assert rows[("Black", "20L")]["shade"] == "value"        # its price stays on the scale
    assert rows[("Red", "40L")]["label"] == "36.90\nsold out"
    legend = price["layer"][1]["encoding"]["color"]["scale"]["domain"]
    assert legend == [analysis.SOLD_OUT]          # no "no such variant": none is missing
    stock = charts.sku_heatmap(analysis.matrix_cells(skus, "Color", "Size", "stock"),
                               row="Color", col="Size", metric_label="Stock",
                               value_format=",.0f").to_dict()
    rows = {(r["row"], r["col"]): r for r in stock["datasets"][stock["data"]["name"]]}
    assert rows[("Black", "20L")]["label"] == "not sent"
    assert rows[("Black", "20L")]["shade"] == analysis.STOCK_UNKNOWN   # not a 0 on the scale
    assert rows[("Black", "20L")]["value"] is None
    assert stock["layer"][1]["encoding"]["color"]["scale"]["domain"] == [
        analysis.SOLD_OUT, analysis.STOCK_UNKNOWN]


def test_heatmap_without_special_cells_has_no_status_legend():
    tuya = demo("tuya", "CMsmartplug01")
    in_stock = tuya.skus[tuya.skus["stock"] > 0]
    cells = analysis.matrix_cells(in_stock, "Plug type", "Pack", "sale_price",
                                  row_order=list(dict.fromkeys(in_stock["Plug type"])),
                                  col_order=list(dict.fromkeys(in_stock["Pack"])))
    if (cells["status"] != analysis.AVAILABLE).any():
        cells = cells[cells["status"] == analysis.AVAILABLE]
    spec = charts.sku_heatmap(cells, row="Plug type", col="Pack",
                              metric_label="Sale price").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "text"]


def test_sku_matrix_page_affiliate_stock_not_sent():
    at = open_view("sku_matrix", "aliexpress-affiliate", AFFILIATE_EARBUDS)
    assert summary_text(at) == "1 variant · stock not sent · sale price 19.99 USD"
    # one box: the single variant, and why there is no matrix
    assert [i.value for i in at.main.info] == [
        "This product has a single variant (SKU 12000041234567890): 19.99 USD (list price "
        "39.98 USD), stock not sent. AliExpress (affiliate): the affiliate API returns one "
        "price per product, for its default variant, so there is no variant matrix."]
    table = at.dataframe[0].value
    assert list(table["stock"]) == ["not sent"]
    assert "0 out of stock" not in texts(at)


def test_metric_titles_carry_the_currency():
    assert analysis.metric_title("sale_price", "EUR") == "Sale price (EUR)"
    assert analysis.metric_title("price", "") == "Original price (currency not stated)"
    assert analysis.metric_title("stock", "USD") == "Stock"
    at = open_view("sku_matrix", "tuya", "CMdoorlock02")
    ((spec, _),) = vega_charts(at)
    currency = demo("tuya", "CMdoorlock02").currency
    assert spec["layer"][0]["encoding"]["x"]["title"] == (
        f"Sale price ({fmt.currency_label(currency)})")


def test_sku_table_has_no_none_and_says_not_sent():
    affiliate = demo("aliexpress-affiliate", AFFILIATE_EARBUDS)
    table = analysis.sku_table(affiliate, affiliate.skus)
    assert table["stock"].tolist() == ["not sent"]
    assert not table.isna().any().any()
    assert analysis.sku_headers("")["sale_price"] == "Sale price (currency not stated)"
    assert analysis.sku_headers("USD")["price"] == "Original price (USD)"
    backpack = demo("aliexpress", BACKPACK)
    full = analysis.sku_table(backpack, backpack.skus)
    assert full["stock"].tolist() == [s["stock"] for s in fixture_skus(BACKPACK)]  # numbers


# --- 6. country price matrix ------------------------------------------------------------------
def _raw_config(product_id: str) -> tuple[str, list[dict], dict[str, float]]:
    """(configuration type, entries, SKU key -> list price) straight from the fixture."""
    body = json.loads((SELLER / f"{product_id}.json").read_text(encoding="utf-8"))
    (result,) = [v["result"] for v in body.values()]
    config = result["aeop_national_quote_configuration"]
    skus = next(iter(result["aeop_ae_product_s_k_us"].values()))
    prices = {s["id"].strip('"'): float(s["sku_price"]) for s in skus}
    return config["configuration_type"], json.loads(config["configuration_data"]), prices


def test_country_prices_earbuds_new_format_percentages():
    earbuds = demo("aliexpress-seller", EARBUDS)
    matrix = analysis.country_prices(earbuds)
    kind, entries, list_prices = _raw_config(EARBUDS)
    assert kind == "percentage"
    labels = {str(r["sku_attr"]): analysis.variant_label(earbuds, r)
              for _, r in earbuds.skus.iterrows()}
    table = matrix.table.set_index("Variant")
    assert list(table.columns) == ["List price (USD)", "France", "Brazil"]
    assert matrix.countries == {"France": "FR", "Brazil": "BR"}
    for entry in entries:
        name = {"FR": "France", "BR": "Brazil"}[entry["shiptoCountry"]]
        for key, pct in entry["absoluteQuoteMap"].items():
            price = list_prices[key] * (100 + pct) / 100
            sign = "+" if pct >= 0 else "−"
            shown = table.loc[labels[key], name]
            assert shown == f"{price:,.2f} USD ({sign}{abs(pct):g} %)", (key, shown)
    assert table.loc["Ocean Blue / Spain", "France"] == "49.67 USD (+8 %)"
    assert table.loc["Midnight Black / China", "Brazil"] == "35.99 USD (−10 %)"
    assert table.loc["Midnight Black / China", "France"] == "—"     # no rule for FR
    assert table.loc["Midnight Black / Spain", "List price (USD)"] == "42.99 USD"
    assert not any(";" in v or re.search(r"\d+:\d+", v) for v in table.index)  # no raw keys
    assert "list price" in matrix.caption and "not to the sale price" in matrix.caption
    assert "— no country price set" in matrix.caption


def test_country_prices_lamp_old_format_relative_amounts():
    lamp = demo("aliexpress-seller", LAMP)
    matrix = analysis.country_prices(lamp)
    kind, entries, list_prices = _raw_config(LAMP)
    assert kind == "relative"
    table = matrix.table.set_index("Variant")
    assert list(table.columns) == ["List price (USD)", "United States", "United Kingdom",
                                   "Germany"]
    for _, sku in lamp.skus.iterrows():
        label = analysis.variant_label(lamp, sku)
        for entry in entries:
            amount = float(entry["percentage"])
            name = {"US": "United States", "GB": "United Kingdom",
                    "DE": "Germany"}[entry["shiptoCountry"]]
            price = list_prices[sku["sku_attr"]] + amount
            sign = "+" if amount >= 0 else "−"
            assert table.loc[label, name] == f"{price:,.2f} USD ({sign}{abs(amount):.2f} USD)"
    assert table.loc["Black / US Plug", "United Kingdom"] == "27.00 USD (−1.50 USD)"
    assert "—" not in set(table.values.ravel())
    assert "—" not in matrix.caption          # every variant has a price in every country
    tidy = matrix.tidy
    assert {"Variant", "Country", "Country code", "Rule"} <= set(tidy.columns)
    assert set(tidy["Rule"]) == {"+2.00 USD", "−1.50 USD", "+0.00 USD"}


def test_rule_text():
    assert analysis.rule_text("+5%", "USD") == "+5 %"
    assert analysis.rule_text("-12.5%", "USD") == "−12.5 %"
    assert analysis.rule_text("-1.50", "EUR") == "−1.50 EUR"
    assert analysis.rule_text("+2.00", "") == "+2.00 currency not stated"
    assert analysis.rule_text("absolute", "USD") == "fixed price"
    assert (analysis.rule_text("absolute (discount price 12.00)", "USD")
            == "fixed price (discount price 12.00)")


def test_country_prices_fixed_price_caption():
    earbuds = demo("aliexpress-seller", EARBUDS)
    first = earbuds.skus.iloc[0]
    fixed = dataclasses.replace(earbuds, country_prices=pd.DataFrame([
        {"sku_attr": first["sku_attr"], "country": "ES", "price": 31.5, "rule": "absolute"}]))
    matrix = analysis.country_prices(fixed)
    row = matrix.table.set_index("Variant").loc["Midnight Black / China"]
    assert row["Spain"] == "31.50 USD (fixed price)"
    assert "fixed price is set by the seller" in matrix.caption
    assert analysis.country_prices(demo("aliexpress", BACKPACK)) is None


def test_sku_matrix_page_shows_the_country_matrix():
    at = open_view("sku_matrix", "aliexpress-seller", EARBUDS)
    (country,) = [d.value for d in at.dataframe if "France" in d.value.columns]
    assert list(country["Variant"]) == [
        "Midnight Black / China", "Pearl White / China", "Ocean Blue / China",
        "Midnight Black / Spain", "Pearl White / Spain", "Ocean Blue / Spain"]
    assert country.set_index("Variant").loc["Pearl White / Spain", "France"] == \
        "45.14 USD (+5 %)"
    assert not country.isna().any().any()
    assert "Price by ship-to country" in [s.value for s in at.subheader]
    assert any("list price" in c.value for c in at.caption)


# --- 7. small lies and noise --------------------------------------------------------------------
def test_tiers_table_and_up_and_percent():
    backpack = demo("aliexpress", BACKPACK)
    table = analysis.tiers_table(backpack, analysis.variant_labels(backpack))
    first = table[table["sku_id"] == fixture_skus(BACKPACK)[0]["sku_id"]]
    assert list(first["max_qty"]) == ["9", "49", "199", "and up"]
    assert list(first["discount"]) == ["0%", "5%", "10%", "15%"]
    assert not table.isna().any().any()
    mug = demo("alibaba", "AAHq3mZ8Kx2WvN7p-Tb4sL9e")
    mug_table = analysis.tiers_table(mug, analysis.variant_labels(mug))
    assert "26.3%" in set(mug_table["discount"])           # one decimal when it has one
    board = demo("alibaba", "AAGb7Yt2Qw9Lm4Xc_Rk8Zp1D")
    board_table = analysis.tiers_table(board, analysis.variant_labels(board))
    assert board_table.iloc[0][["variant", "min_qty", "max_qty", "sku_id"]].tolist() == [
        "all variants", 10, "and up", "—"]


def test_price_tiers_page_tables_without_none():
    at = open_view("price_tiers", "aliexpress", BACKPACK)
    tiers = at.dataframe[0].value
    assert not tiers.isna().any().any()
    assert set(tiers[tiers["min_qty"] == 200]["max_qty"]) == {"and up"}
    assert all(d.endswith("%") for d in tiers["discount"])
    headers = json.loads(at.dataframe[0].proto.columns)
    assert headers["unit_price"]["label"] == "Unit price (USD)"
    assert headers["max_qty"]["label"] == "To (units)"


def test_price_tiers_lead_times_table():
    at = open_view("price_tiers", "alibaba", "AAHq3mZ8Kx2WvN7p-Tb4sL9e")
    (lead,) = [d.value for d in at.dataframe if "Lead time (days)" in d.value.columns]
    assert lead.to_dict("list") == {"Order size (units)": ["up to 500", "up to 2,000",
                                                          "up to 10,000"],
                                    "Lead time (days)": ["15", "25", "40"]}


@pytest.mark.parametrize("page", ["sku_matrix", "price_tiers"])
def test_tuya_labels_never_empty_brackets(page):
    at = open_view(page, "tuya", "CMsmartplug01")
    labels = list(metrics(at)) + [json.dumps(json.loads(d.proto.columns)) for d in at.dataframe]
    labels += [i.value for i in at.main.info] + [m.value for m in at.markdown]
    assert not any("()" in label for label in labels), labels
    currency = demo("tuya", "CMsmartplug01").currency
    if page == "price_tiers":
        assert f"Unit price ({fmt.currency_label(currency)})" in metrics(at)


def test_flat_price_note_without_currency_and_one_message():
    tuya = demo("tuya", "CMsmartplug01")
    note = analysis.flat_price_note(dataclasses.replace(tuya, currency=""), "Tuya mall")
    low, high = tuya.price_range("sale_price")
    assert note == ("No wholesale price tiers for this product (Tuya mall: the Tuya mall API "
                    "has no quantity prices, only one price per SKU): every quantity costs "
                    f"the same unit price ({low:.2f}–{high:.2f} (currency not stated)), so "
                    "there is no price curve to draw.")
    at = open_view("price_tiers", "tuya", "CMsmartplug01")
    assert len(at.main.info) == 1                 # not two boxes saying the same thing
    assert not vega_charts(at)


def test_clicking_the_selected_metric_keeps_it():
    at = open_view("sku_matrix", "aliexpress", BACKPACK)
    at.button_group(key="metric").set_value("stock").run()
    at.button_group(key="metric").set_value(None).run()       # the same pill clicked again
    assert not at.exception
    assert at.button_group(key="metric").value == "stock"
    ((spec, frames),) = vega_charts(at)
    assert spec["layer"][0]["encoding"]["color"]["title"] == "Stock"


def test_no_such_variant_legend_only_when_a_cell_is_missing():
    at = open_view("sku_matrix", "aliexpress", BACKPACK)     # China: every combination
    ((spec, _),) = vega_charts(at)
    assert spec["layer"][1]["encoding"]["color"]["scale"]["domain"] == [analysis.SOLD_OUT]
    mug = open_view("sku_matrix", "alibaba", "AAHq3mZ8Kx2WvN7p-Tb4sL9e")   # one pair missing
    ((spec, frames),) = vega_charts(mug)
    assert analysis.MISSING in spec["layer"][1]["encoding"]["color"]["scale"]["domain"]
    assert (chart_rows(spec, frames)["status"] == analysis.MISSING).sum() == 1


# --- 8. field names with dots and brackets ---------------------------------------------------
def _resolve(row: dict, field: str):
    """A Vega-Lite field string read the way Vega-Lite reads it: unescaped dots nest,
    brackets index. Raises KeyError when the path does not exist in the row."""
    parts, current, i = [], "", 0
    while i < len(field):
        ch = field[i]
        if ch == "\\" and i + 1 < len(field):
            current += field[i + 1]
            i += 2
            continue
        if ch == ".":
            parts.append(current)
            current = ""
        elif ch == "[":
            parts.append(current)
            end = field.index("]", i)
            parts.append(field[i + 1:end].strip("'\""))
            current, i = "", end + 1
            continue
        else:
            current += ch
        i += 1
    parts.append(current)
    value = row
    for part in [p for p in parts if p != ""]:
        value = value[part]
    return value


def _fields(node) -> list[str]:
    """Every `field` an encoding (or tooltip) of the spec references."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("field"), str):
            found.append(node["field"])
        for key, value in node.items():
            if key not in ("datasets", "data"):
                found += _fields(value)
    elif isinstance(node, list):
        for value in node:
            found += _fields(value)
    return found


def _assert_fields_resolve(spec: dict) -> None:
    """Every field an encoding names exists, whole, in the rows that layer draws (a
    layered, single or faceted spec)."""
    units = spec.get("layer") or ([spec["spec"]] if "spec" in spec else [spec])
    for unit in units:
        name = (unit.get("data") or spec["data"])["name"]
        rows = spec["datasets"][name]
        assert rows, name
        made = {t["as"] for t in unit.get("transform", []) if "as" in t}
        encodings = [unit.get("encoding", {})] + ([spec["facet"]] if "facet" in spec else [])
        for field in _fields(encodings):
            if field in made:
                continue
            for row in rows:
                _resolve(row, field)          # KeyError = "undefined" in the browser


def test_value_bars_with_dotted_property_name():
    lock = demo("tuya", "CMdoorlock02")
    frame = lock.skus.rename(columns={"Finish": DOTTED})
    spec = charts.value_bars(frame, prop=DOTTED, metric="sale_price",
                             metric_label="Sale price").to_dict()
    _assert_fields_resolve(spec)
    bars = spec["layer"][0]
    assert bars["encoding"]["y"]["title"] == DOTTED
    rows = spec["datasets"][spec["data"]["name"]]
    assert [_resolve(r, bars["encoding"]["x"]["field"]) for r in rows] == list(
        lock.skus["sale_price"])
    assert [_resolve(r, bars["encoding"]["y"]["field"]) for r in rows] == list(
        lock.skus["Finish"])
    assert all(v > 0 for v in (_resolve(r, "value") for r in rows))   # non-zero bars


def test_heatmap_with_dotted_and_bracketed_property_names():
    case = demo("aliexpress", CASE)
    skus = case.skus.rename(columns={"Color": BRACKETED, "Compatible Model": DOTTED})
    cells = analysis.matrix_cells(skus, BRACKETED, DOTTED, "sale_price")
    spec = charts.sku_heatmap(cells, row=BRACKETED, col=DOTTED,
                              metric_label="Sale price (U.S. $)").to_dict()
    _assert_fields_resolve(spec)
    assert spec["layer"][0]["encoding"]["x"]["title"] == DOTTED
    assert spec["layer"][0]["encoding"]["y"]["title"] == BRACKETED
    rows = spec["datasets"][spec["data"]["name"]]
    first = fixture_skus(CASE)[0]
    (match,) = [r for r in rows if r["row"] == first["props"]["Color"]
                and r["col"] == first["props"]["Compatible Model"]]
    assert match["value"] == pytest.approx(first["sale"])


def _every_builder() -> dict:
    """One chart per public builder in lib.charts, fed names with dots and brackets."""
    backpack = demo("aliexpress", BACKPACK)
    skus = backpack.skus.rename(columns={"Color": BRACKETED, "Size": DOTTED})
    points = analysis.step_points(backpack, [s["sku_id"] for s in fixture_skus(BACKPACK)[:2]])
    points["series"] = points["series"].map({"Black / 20L / China": "Model (U.S. ver.) [2024]",
                                             "Black / 20L / United States": "a.b[0]"})
    one_prop = demo("tuya", "CMdoorlock02").skus.rename(columns={"Finish": DOTTED})
    times = pd.to_datetime(["2026-11-01", "2026-11-02"], utc=True)
    history = pd.DataFrame({"time": list(times) * 2, "series": ["a.b", "a.b", "c[0]", "c[0]"],
                            "value": [1.0, 2.0, 3.0, None], "seen": ["fetched", "demo"] * 2,
                            "when": ["1 Nov", "2 Nov"] * 2,
                            "measure": ["Sale price (U.S.)"] * 2 + ["List [price]"] * 2})
    band = pd.DataFrame({"time": times, "low": [1.0, 1.5], "high": [2.0, 2.5],
                         "skus": [3, 3], "seen": ["fetched", "demo"], "when": ["1 Nov", "2 Nov"]})
    return {
        "sku_heatmap": [charts.sku_heatmap(
            analysis.matrix_cells(skus, BRACKETED, DOTTED, "sale_price"), row=BRACKETED,
            col=DOTTED, metric_label="Sale price (U.S. $)")],
        "value_bars": [charts.value_bars(one_prop, prop=DOTTED, metric="sale_price",
                                         metric_label="Sale price")],
        "tier_steps": [charts.tier_steps(points, currency="U.S. $", log_x=True, moq=10)],
        "ratings_chart": [charts.ratings_chart({"Item as described (U.S.)": 4.7,
                                                "a[0].b": 4.1}, ["x.y"])],
        "ratings_by_product": [charts.ratings_by_product(pd.DataFrame({
            "rating": ["Comm. [0]", "Ship.speed"], "product": ["A.B", "C[1]"],
            "score": [4.5, 4.2]}))],
        "compare_price_steps": [charts.compare_price_steps(points, currency="U.S. $", axis=a)
                                for a in ("linear", "log", "independent")],
        "history_steps": [charts.history_steps(history, value_title="Sale price (U.S. $)",
                                               series_title=DOTTED, mixed=mixed)
                          for mixed in (False, True)],
        "price_band_steps": [charts.price_band_steps(band, value_title="Band (U.S. $)",
                                                     mixed=True)],
        "landed_bar": [charts.landed_bar(pd.DataFrame({
            "part": ["Goods", "Shipping", "Import charges", "Fees"],
            "total": [100.0, 20.0, None, 0.0], "per_unit": [10.0, 2.0, None, 0.0],
            "source": ["a.b", "c[0]", "unknown", "none"]}), currency="U.S. $")],
        "landed_steps": [charts.landed_steps(pd.DataFrame({
            "quantity": [1, 10], "landed_per_unit": [12.0, 9.5], "goods": [10.0, 9.0],
            "shipping": [2.0, 0.5], "import_charges": [0.0, 0.0], "fees": [0.0, 0.0],
            "option": ["A.B", "C[0]"], "carrier": ["x.y", "z[1]"]}), currency="U.S. $",
            quantity=10, log_x=log_x) for log_x in (False, True)],
    }


def test_every_chart_builder_resolves_its_fields():
    import inspect

    built = _every_builder()
    public = {name for name, f in inspect.getmembers(charts, inspect.isfunction)
              if f.__module__ == charts.__name__ and not name.startswith("_")
              and name != "safe_field"}
    assert set(built) == public, "a chart builder without a dotted-name check"
    for name, specs in built.items():
        for chart in specs:
            _assert_fields_resolve(chart.to_dict())


def test_safe_field_escapes():
    assert charts.safe_field(DOTTED) == r"Capacity (U\.S\. gal\.)"
    assert charts.safe_field("a[0]") == r"a\[0\]"
    assert _resolve({DOTTED: 3}, charts.safe_field(DOTTED)) == 3
    with pytest.raises(KeyError):
        _resolve({DOTTED: 3}, DOTTED)         # unescaped: read as nesting, "undefined"


# --- 14. every setting in the URL ------------------------------------------------------------
def test_price_tiers_quantity_250_survives_the_link():
    at = open_view("price_tiers", "aliexpress", BACKPACK, qty="250")
    assert at.number_input(key="qty").value == 250
    cheapest = fixture_skus(BACKPACK)[0]
    unit = expected_unit_price(cheapest["tiers"], 250)
    assert metrics(at)["Total (USD)"] == f"{unit * 250:,.2f}" == "5,292.50"
    assert metrics(at)["Tier (units)"] == "200 and up"


def test_price_tiers_variants_survive_the_link():
    backpack = demo("aliexpress", BACKPACK)
    labels = analysis.variant_labels(backpack)
    red = [s for s in fixture_skus(BACKPACK) if s["props"] == {
        "Color": "Red", "Size": "40L", "Ships From": "Spain"}][0]
    blue = [s for s in fixture_skus(BACKPACK) if s["props"] == {
        "Color": "Blue", "Size": "20L", "Ships From": "China"}][0]
    at = open_view("price_tiers", "aliexpress", BACKPACK, qty="60",
                   variant=labels[red["sku_id"]],
                   variants=[labels[red["sku_id"]], labels[blue["sku_id"]]])
    assert at.selectbox(key="variant").value == red["sku_id"]
    unit = expected_unit_price(red["tiers"], 60)
    assert metrics(at)["Total (USD)"] == f"{unit * 60:,.2f}"
    ((spec, frames),) = vega_charts(at)
    assert set(chart_rows(spec, frames)["series"]) == {"Red / 40L / Spain",
                                                      "Blue / 20L / China"}


def test_price_tiers_invalid_settings_fall_back_to_defaults():
    at = open_view("price_tiers", "aliexpress", BACKPACK, qty="lots",
                   variant="No such variant", variants="Nope / 99L")
    assert at.number_input(key="qty").value == 100
    assert at.selectbox(key="variant").value == fixture_skus(BACKPACK)[0]["sku_id"]
    assert len(vega_charts(at)) == 1
    # a setting valid for another product only: the bottle has one variant, no tiers
    at = open_view("price_tiers", "aliexpress", BOTTLE, variant="Red / 40L / Spain",
                   qty="250")
    assert metrics(at)["Total (USD)"] == f"{14.24 * 250:,.2f}"


@pytest.mark.parametrize("value", ["stock", "Stock"])
def test_sku_matrix_metric_from_the_link(value):
    at = open_view("sku_matrix", "aliexpress", BACKPACK, metric=value)
    assert at.button_group(key="metric").value == "stock"
    ((spec, frames),) = vega_charts(at)
    assert spec["layer"][0]["encoding"]["color"]["title"] == "Stock"
    black_30 = [s for s in fixture_skus(BACKPACK) if s["props"] == {
        "Color": "Black", "Size": "30L", "Ships From": "China"}][0]
    assert cell(chart_rows(spec, frames), "Black", "30L")["value"] == black_30["stock"]


def test_sku_matrix_axes_and_filters_from_the_link():
    at = open_view("sku_matrix", "aliexpress", BACKPACK, rows="Ships From", cols="Color",
                   **{"filter-Size": ["30L"]})
    assert (at.selectbox(key="rows").value, at.selectbox(key="cols").value) == (
        "Ships From", "Color")
    assert at.multiselect(key="filter-Size").value == ["30L"]
    ((spec, frames),) = vega_charts(at)
    cells = chart_rows(spec, frames)
    for sku in fixture_skus(BACKPACK):
        if sku["props"]["Size"] == "30L":
            shown = cell(cells, sku["props"]["Ships From"], sku["props"]["Color"])
            assert shown["value"] == pytest.approx(sku["sale"])
    assert summary_text(at).startswith("15 variants · ")


def test_sku_matrix_settings_invalid_for_this_product():
    at = open_view("sku_matrix", "aliexpress", BACKPACK, metric="volume",
                   rows="Capacity (U.S. gal.)", **{"filter-Ships From": ["Mars"]})
    assert at.button_group(key="metric").value == "sale_price"
    assert (at.selectbox(key="rows").value, at.selectbox(key="cols").value) == (
        "Color", "Size")
    assert at.multiselect(key="filter-Ships From").value == ["China"]
    at = open_view("sku_matrix", "aliexpress", BOTTLE, metric="stock", rows="Color")
    assert summary_text(at) == "1 variant · 0 out of stock · sale price 14.24 USD"


# --- in a real browser ---------------------------------------------------------------------
BACKPACK_LINK = "platform=aliexpress&id=1005006789012345&country=US&currency=USD&language=en"


def test_browser_dotted_property_draws_real_bars(page_at, tmp_path):
    """value_bars with a property called "Capacity (U.S. gal.)" in Chromium: two bars of
    non-zero width, the longer for the dearer value, labelled with the property values
    (an unescaped dotted field would draw one "undefined" bar)."""
    import conftest
    from browser_util import wait_for_app_run

    script = tmp_path / "dotted_bars.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(conftest.ROOT)!r})\n"
        "import pandas as pd\nimport streamlit as st\nfrom lib import charts\n"
        f"frame = pd.DataFrame({{{DOTTED!r}: ['1 gal', '5 gal'], 'sale_price': [3.5, 9.0],"
        " 'stock': [4, None]})\n"
        f"st.altair_chart(charts.value_bars(frame, prop={DOTTED!r}, metric='sale_price',"
        " metric_label='Sale price (USD)'))\n", encoding="utf-8")
    with conftest.running_app(app_file=script) as base_url:
        page = page_at()
        page.goto(base_url)
        wait_for_app_run(page)
        chart = page.get_by_test_id("stVegaLiteChart").first
        bars = chart.locator("svg.marks g.mark-rect path")
        bars.first.wait_for(timeout=20_000)
        widths = [box["width"] for box in (b.bounding_box() for b in bars.all())]
        texts = chart.locator("svg.marks text").all_text_contents()
    assert len(widths) == 2 and all(w > 1 for w in widths), widths
    assert widths[1] > 2 * widths[0]                       # 9.00 against 3.50
    assert {"1 gal", "5 gal", "3.50", "9.00", DOTTED} <= set(texts), texts
    assert "undefined" not in texts


def test_browser_shared_settings_come_back(streamlit_server, page_at):
    from browser_util import wait_for_app_run
    from playwright.sync_api import expect

    page = page_at()
    page.goto(f"{streamlit_server}/price-tiers?{BACKPACK_LINK}&qty=250")
    wait_for_app_run(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stNumberInput").locator("input")).to_have_value("250")
    expect(main.get_by_test_id("stMetric").filter(has_text="Total (USD)")).to_contain_text(
        "5,292.50")
    page.goto(f"{streamlit_server}/sku-matrix?{BACKPACK_LINK}&metric=Stock")
    wait_for_app_run(page)
    pills = main.locator("[data-testid=stButtonGroup] button")
    stock = pills.filter(has_text="Stock")
    expect(stock).to_have_attribute("aria-checked", "true")
    chart = main.get_by_test_id("stVegaLiteChart").first
    expect(chart.locator("svg.marks text").filter(has_text="356").first).to_be_visible()
    stock.click()                                    # the selected pill clicked again
    wait_for_app_run(page)
    expect(stock).to_have_attribute("aria-checked", "true")
    assert "metric=Stock" in page.url


def test_variant_labels_are_unique():
    backpack = demo("aliexpress", BACKPACK)
    labels = analysis.variant_labels(backpack)
    assert len(set(labels.values())) == 45
    assert labels[fixture_skus(BACKPACK)[0]["sku_id"]] == "Black / 20L / China"
    # two variants that read alike keep apart by their SKU id, in the chart too
    skus = backpack.skus.copy()
    first, second = skus["sku_id"].iloc[0], skus["sku_id"].iloc[1]
    skus.loc[skus.index[1], "Ships From"] = skus["Ships From"].iloc[0]
    twin = dataclasses.replace(backpack, skus=skus)
    labels = analysis.variant_labels(twin)
    assert labels[first] == f"Black / 20L / China (SKU {first})"
    assert labels[second] == f"Black / 20L / China (SKU {second})"
    points = analysis.step_points(twin, [first, second])
    assert points["series"].nunique() == 2
