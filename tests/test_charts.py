"""lib.charts: the Vega-Lite spec each builder produces (chart.to_dict()), on real data."""
from __future__ import annotations

import pandas as pd
import pytest

from lib import analysis, charts
from test_analysis import BACKPACK, BOTTLE, fixture_sku, fixture_skus, product


def _data(spec: dict, layer: dict | None = None) -> list[dict]:
    """The rows a (layer of a) spec draws: its own named dataset, else the top-level one."""
    name = ((layer or {}).get("data") or spec.get("data"))["name"]
    return spec["datasets"][name]


def _marks(spec: dict) -> list[str]:
    return [layer["mark"]["type"] for layer in spec["layer"]]


# --- heatmap ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def heatmap_spec() -> dict:
    """Backpack shipped from China, Color x Size, with Blue/30L removed (a missing cell)."""
    backpack = product(BACKPACK)
    china = analysis.filtered_skus(backpack, {"Ships From": ["China"]})
    without = china[~((china["Color"] == "Blue") & (china["Size"] == "30L"))]
    cells = analysis.matrix_cells(without, "Color", "Size", "sale_price",
                                  row_order=list(dict.fromkeys(china["Color"])),
                                  col_order=list(dict.fromkeys(china["Size"])))
    return charts.sku_heatmap(cells, row="Color", col="Size",
                              metric_label="Sale price").to_dict()


def test_heatmap_layers(heatmap_spec):
    assert _marks(heatmap_spec) == ["rect", "rect", "text"]
    assert heatmap_spec["resolve"]["scale"]["color"] == "independent"
    for layer in heatmap_spec["layer"]:
        assert layer["encoding"]["x"]["field"] == "col"
        assert layer["encoding"]["x"]["sort"] == ["20L", "30L", "40L"]
        assert layer["encoding"]["y"]["field"] == "row"
        assert layer["encoding"]["y"]["sort"] == ["Black", "Red", "Blue", "Forest Green", "Gray"]
    assert heatmap_spec["layer"][0]["encoding"]["x"]["title"] == "Size"
    assert heatmap_spec["layer"][0]["encoding"]["y"]["title"] == "Color"


def test_heatmap_value_scale_only_sees_available_cells(heatmap_spec):
    valued, others, _ = heatmap_spec["layer"]
    colour = valued["encoding"]["color"]
    assert (colour["field"], colour["type"]) == ("value", "quantitative")
    assert colour["title"] == "Sale price"
    assert colour["scale"].get("zero") is False
    assert valued["transform"] == [{"filter": "(datum.shade === 'value')"}]
    # sold-out and missing cells: a separate nominal scale with fixed colours, listing
    # only the kinds of cell present (this chart has both)
    status = others["encoding"]["color"]
    assert (status["field"], status["type"]) == ("shade", "nominal")
    assert status["scale"]["domain"] == [analysis.SOLD_OUT, analysis.MISSING]
    assert status["scale"]["range"] == [charts.STATUS_COLOURS[analysis.SOLD_OUT],
                                        charts.STATUS_COLOURS[analysis.MISSING]]
    assert others["transform"] == [{"filter": "(datum.shade !== 'value')"}]
    shades = {(r["row"], r["col"]): r["shade"] for r in _data(heatmap_spec)}
    assert shades[("Red", "40L")] == analysis.SOLD_OUT
    assert shades[("Blue", "30L")] == analysis.MISSING
    assert shades[("Black", "20L")] == "value"


def test_heatmap_labels(heatmap_spec):
    rows = {(r["row"], r["col"]): r for r in _data(heatmap_spec)}
    assert len(rows) == 15
    red_40 = rows[("Red", "40L")]
    price = fixture_sku(BACKPACK, Color="Red", Size="40L", Ships_From="China")["sale"]
    assert red_40["status"] == analysis.SOLD_OUT
    assert red_40["label"] == f"{price:,.2f}\nsold out" == "36.90\nsold out"
    assert rows[("Gray", "40L")]["label"].endswith("sold out")
    missing = rows[("Blue", "30L")]
    assert missing["status"] == analysis.MISSING and missing["label"] == "—"
    assert missing["value"] is None            # not a zero that the value scale could meet
    assert rows[("Black", "20L")]["label"] == "24.90"
    sold_out_labels = [r["label"] for r in rows.values() if r["status"] == analysis.SOLD_OUT]
    assert len(sold_out_labels) == 2 and all("sold out" in t for t in sold_out_labels)
    assert not any("sold out" in r["label"] for r in rows.values()
                   if r["status"] == analysis.AVAILABLE)
    text = heatmap_spec["layer"][2]
    assert text["encoding"]["text"]["field"] == "label"
    assert text["mark"]["lineBreak"] == "\n"


def test_heatmap_dark_cells_get_white_ink(heatmap_spec):
    rows = {(r["row"], r["col"]): r for r in _data(heatmap_spec)}
    assert rows[("Black", "40L")]["ink"] == "#ffffff"       # top of the scale: dark cell
    assert rows[("Black", "20L")]["ink"] == "#1f2329"       # bottom of the scale: light


def test_heatmap_value_format_for_stock():
    backpack = product(BACKPACK)
    cells = analysis.matrix_cells(analysis.filtered_skus(backpack, {"Ships From": ["Spain"]}),
                                  "Color", "Size", "stock")
    spec = charts.sku_heatmap(cells, row="Color", col="Size", metric_label="Stock",
                              value_format=",.0f").to_dict()
    rows = {(r["row"], r["col"]): r for r in _data(spec)}
    assert rows[("Black", "40L")]["label"] == "5"
    assert rows[("Blue", "20L")]["label"] == "0\nsold out"
    assert spec["layer"][0]["encoding"]["color"]["title"] == "Stock"


# --- tier steps ---------------------------------------------------------------------------
def _points(*sku_ids):
    return analysis.step_points(product(BACKPACK), list(sku_ids))


def test_tier_steps_step_after_and_log_scale():
    cheapest = fixture_skus(BACKPACK)[0]["sku_id"]
    spec = charts.tier_steps(_points(cheapest), currency="USD", log_x=True).to_dict()
    assert _marks(spec) == ["line"]
    (line,) = spec["layer"]
    assert line["mark"]["interpolate"] == "step-after"
    x, y = line["encoding"]["x"], line["encoding"]["y"]
    assert (x["field"], x["scale"]["type"]) == ("quantity", "log")
    assert x["title"] == "Order quantity (units) — log scale"
    assert (y["field"], y["title"]) == ("unit_price", "Unit price (USD)")
    assert line["encoding"]["color"]["field"] == "series"
    rows = _data(spec, line)
    assert [r["quantity"] for r in rows] == [1, 10, 50, 200, 400]
    assert [r["unit_price"] for r in rows] == pytest.approx(
        [p for _, p in fixture_skus(BACKPACK)[0]["tiers"]] + [21.17])


@pytest.mark.parametrize("log_x", [True, False])
def test_tier_steps_axes_show_whole_units_and_money(log_x):
    """Quantities are whole units (no 1.5 tick) and prices money (not 14.240000, which a
    single-price product's one-value y domain otherwise gets)."""
    bottle = product(BOTTLE)
    points = analysis.step_points(bottle, [fixture_skus(BOTTLE)[0]["sku_id"]])
    line = charts.tier_steps(points, currency="USD", log_x=log_x).to_dict()["layer"][0]
    assert line["encoding"]["x"]["axis"] == {"format": ",d", "tickMinStep": 1}
    assert line["encoding"]["y"]["axis"] == {"format": ",.2f"}


def test_tier_steps_linear_scale_when_not_log():
    bottle = product(BOTTLE)
    points = analysis.step_points(bottle, [fixture_skus(BOTTLE)[0]["sku_id"]])
    spec = charts.tier_steps(points, currency="EUR", log_x=False).to_dict()
    x = spec["layer"][0]["encoding"]["x"]
    assert x["scale"].get("type") != "log"
    assert "log" not in x["title"]
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Unit price (EUR)"


@pytest.mark.parametrize("moq", [None, 1])
def test_tier_steps_no_moq_rule_for_moq_of_one(moq):
    spec = charts.tier_steps(_points(fixture_skus(BACKPACK)[0]["sku_id"]), currency="USD",
                             log_x=True, moq=moq).to_dict()
    assert _marks(spec) == ["line"]


def test_tier_steps_moq_rule():
    spec = charts.tier_steps(_points(fixture_skus(BACKPACK)[0]["sku_id"]), currency="USD",
                             log_x=True, moq=50).to_dict()
    assert _marks(spec) == ["line", "rule", "text"]
    rule, label = spec["layer"][1], spec["layer"][2]
    assert rule["encoding"]["x"]["field"] == "quantity"
    assert _data(spec, rule) == [{"quantity": 50, "label": "MOQ 50"}]
    assert label["encoding"]["text"]["field"] == "label"


def test_tier_steps_two_series():
    cheapest = fixture_skus(BACKPACK)[0]["sku_id"]
    dearest = fixture_sku(BACKPACK, Color="Black", Size="40L", Ships_From="Spain")["sku_id"]
    spec = charts.tier_steps(_points(cheapest, dearest), currency="USD", log_x=True).to_dict()
    series = {r["series"] for r in _data(spec, spec["layer"][0])}
    assert series == {"Black / 20L / China", "Black / 40L / Spain"}


# --- ratings ------------------------------------------------------------------------------
def test_ratings_chart_fixed_domain_and_not_rated():
    store = product(BOTTLE).store
    spec = charts.ratings_chart(store.ratings, store.missing_ratings).to_dict()
    assert _marks(spec) == ["bar", "text"]
    bars, text = spec["layer"]
    assert bars["encoding"]["x"]["scale"]["domain"] == [0, 5]
    assert text["encoding"]["x"]["scale"]["domain"] == [0, 5]
    assert bars["encoding"]["x"]["axis"]["values"] == [0, 1, 2, 3, 4, 5]
    assert bars["encoding"]["y"]["sort"] == ["Item as described", "Shipping speed",
                                             "Communication"]
    rows = {r["label"]: r for r in _data(spec)}
    assert rows["Item as described"] == {"label": "Item as described", "score": 4.9,
                                         "text": "4.9"}
    assert rows["Communication"]["score"] is None           # missing, not a zero bar
    assert rows["Communication"]["text"] == "not rated"


def test_ratings_chart_not_rated_text_is_greyed():
    """The grey ink for "not rated" must test a field the layer's own transform leaves
    alone: the text layer rewrites a null score to 0 (to place the label at the axis), so
    a test on `datum.score == null` would never be true and the label would stay black."""
    spec = charts.ratings_chart({"Item as described": 4.9}, ["Communication"]).to_dict()
    text = spec["layer"][1]
    rewritten = {t["as"] for t in text.get("transform", []) if "calculate" in t}
    condition = text["encoding"]["color"]["condition"]
    assert condition["value"] == "#868e96"
    assert not any(f"datum.{field}" in condition["test"] for field in rewritten), condition


def test_ratings_chart_full_scale_even_for_high_scores():
    spec = charts.ratings_chart({"Item as described": 4.8, "Communication": 4.7,
                                 "Shipping speed": 4.6}).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 5]
    assert [r["text"] for r in _data(spec)] == ["4.8", "4.7", "4.6"]


# --- value bars ---------------------------------------------------------------------------
def test_value_bars_property_on_y():
    frame = pd.DataFrame({"Color": ["Red", "Blue", "Green"], "sale_price": [3.1, 2.9, 3.4],
                          "stock": pd.array([0, 5, None], dtype="Int64")})
    spec = charts.value_bars(frame, prop="Color", metric="sale_price",
                             metric_label="Sale price").to_dict()
    assert _marks(spec) == ["bar", "text"]
    bars = spec["layer"][0]
    # internal field names, the property's name as the title
    assert (bars["encoding"]["y"]["field"], bars["encoding"]["y"]["type"]) == ("label", "nominal")
    assert bars["encoding"]["y"]["title"] == "Color"
    assert bars["encoding"]["y"]["sort"] == ["Red", "Blue", "Green"]
    assert (bars["encoding"]["x"]["field"], bars["encoding"]["x"]["type"]) == (
        "value", "quantitative")
    assert bars["encoding"]["x"]["title"] == "Sale price"
    status = {r["label"]: r["status"] for r in _data(spec)}
    # unknown stock is neither sold out nor in stock
    assert status == {"Red": analysis.SOLD_OUT, "Blue": analysis.AVAILABLE,
                      "Green": analysis.STOCK_UNKNOWN}
    assert bars["encoding"]["color"]["scale"]["domain"] == [
        analysis.AVAILABLE, analysis.SOLD_OUT, analysis.STOCK_UNKNOWN]
    assert [r["text"] for r in _data(spec)] == ["3.10", "2.90", "3.40"]
