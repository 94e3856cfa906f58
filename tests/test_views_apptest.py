"""Every view through AppTest with every AliExpress demo product, opened from the URL.

Values on screen are compared with figures computed from the fixture JSON (see
test_analysis.fixture_skus), and charts are read back from the data Streamlit sends to
the browser (the Arrow datasets of the vega_lite_chart element).
"""
from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from apptest_util import APP_FILE, metrics, open_view, share_links, texts
from lib.format import money
from lib.sandbox import DEMO_PRODUCTS
from test_analysis import (BACKPACK, BOTTLE, CASE, expected_unit_price, fixture_result,
                           fixture_sku, fixture_skus)

PAGES = ["overview", "sku_matrix", "price_tiers", "landed_cost", "store_ratings",
         "media_gallery", "raw_data"]
ALIEXPRESS_DEMOS = [q.product_id for q in DEMO_PRODUCTS if q.platform == "aliexpress"]
TITLES = {BACKPACK: "Trail 40L Hiking Backpack", BOTTLE: "750ml Insulated Stainless Steel",
          CASE: "Shockproof Matte Phone Case"}


def open_page(page: str, product_id: str, currency: str = "USD") -> AppTest:
    """The app opened at a share URL of `page` for an AliExpress product."""
    return open_view(page, "aliexpress", product_id, currency=currency)


def vega_charts(at: AppTest) -> list[tuple[dict, dict[str, pd.DataFrame]]]:
    """(spec, {dataset name: DataFrame}) for every Altair chart on the page."""
    result = []
    for element in at.get("vega_lite_chart"):
        frames = {ds.name: pa.ipc.open_stream(ds.data.data).read_all().to_pandas()
                  for ds in element.proto.datasets}
        result.append((json.loads(element.proto.spec), frames))
    return result


def chart_rows(spec: dict, frames: dict[str, pd.DataFrame], layer: int = 0) -> pd.DataFrame:
    data = spec["layer"][layer].get("data") or spec["data"]
    return frames[data["name"]]


def summary(at: AppTest) -> str:
    (line,) = [m.value for m in at.markdown if " out of stock · " in m.value
               or m.value.endswith(" out of stock**")]
    return line.strip("*")


def variants_picker(at: AppTest):
    """The price-tier chart's variant multiselect (key and query param "variants")."""
    (picker,) = [m for m in at.main.multiselect if m.label == "Variants"]
    return picker


def kinds_pills(at: AppTest):
    """The media gallery's image-kind pills (keyed per product)."""
    (pills,) = [b for b in at.main.button_group if b.label == "Show"]
    return pills


def demo_button(at: AppTest, label: str):
    (button,) = [b for b in at.sidebar.button if b.label == label]
    return button


def cell(frame: pd.DataFrame, row: str, col: str) -> pd.Series:
    (match,) = frame[(frame["row"] == row) & (frame["col"] == col)].index
    return frame.loc[match]


# --- every page, every product ------------------------------------------------------------
def test_every_aliexpress_demo_product_is_covered():
    assert set(ALIEXPRESS_DEMOS) == {BACKPACK, BOTTLE, CASE}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("product_id", ALIEXPRESS_DEMOS)
def test_page_opens_product_from_url(page, product_id):
    at = open_page(page, product_id)
    shown = texts(at)
    assert TITLES[product_id] in shown, shown[:300]
    assert not at.main.error
    # the share box in the sidebar reopens the same product
    share, _pinned = share_links(at)
    assert f"id={product_id}" in share and "platform=aliexpress" in share
    assert at.query_params["id"] in (product_id, [product_id])


# --- overview ---------------------------------------------------------------------------------
def test_overview_backpack_facts_and_highlights():
    at = open_page("overview", BACKPACK)
    shown = metrics(at)
    assert shown["Rating"] == "4.7 / 5"
    base = fixture_result(BACKPACK)["ae_item_base_info_dto"]
    assert shown["Reviews"] == f"{int(base['evaluation_count']):,}" == "2,381"
    assert shown["Sold"] == base["sales_count"] == "10000+"
    assert shown["Images"] == "12"
    body = texts(at)
    assert "**Ships from:** China, Spain, United States" in body
    assert "**Delivery:** about 12 days to United States" in body
    assert "- Cheapest variant: Black / 20L / China at 24.90 USD." in body
    assert "- 6 of 45 variants out of stock (13%)." in body
    assert "- Ordering 100 saves 249.00 USD (10%)" in body
    labels = [b.label for b in at.get("download_button")]
    assert "Download all tables (Excel)" in labels


def test_overview_bottle_not_rated():
    at = open_page("overview", BOTTLE)
    body = texts(at)
    assert "- Not rated: Communication." in body
    assert "Cheapest variant" not in body            # one variant: nothing to compare
    (notes,) = [e for e in at.expander if "note(s) about this product's data" in e.label]
    assert [m.value for m in notes.markdown] == ["- Store ratings missing: Communication."]


# --- SKU matrix ---------------------------------------------------------------------------
def test_sku_matrix_backpack_cells_from_chart_data():
    at = open_page("sku_matrix", BACKPACK)
    assert at.button_group(key="metric").value == "sale_price"
    assert at.selectbox(key="rows").value == "Color"
    assert at.selectbox(key="cols").value == "Size"
    assert at.multiselect(key="filter-Ships From").value == ["China"]
    ((spec, frames),) = vega_charts(at)
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "rect", "text"]
    cells = chart_rows(spec, frames)
    assert len(cells) == 15
    red_40 = cell(cells, "Red", "40L")
    expected = fixture_sku(BACKPACK, Color="Red", Size="40L", Ships_From="China")
    assert red_40["value"] == pytest.approx(expected["sale"])
    assert red_40["status"] == "out of stock"
    assert red_40["label"] == "36.90\nsold out"
    for sku in fixture_skus(BACKPACK):
        if sku["props"]["Ships From"] == "China":
            shown = cell(cells, sku["props"]["Color"], sku["props"]["Size"])
            assert shown["value"] == pytest.approx(sku["sale"])
    assert summary(at) == "15 variants · 2 out of stock · sale price 24.90–36.90 USD"
    table = at.dataframe[0].value
    assert len(table) == 15
    assert set(table["Ships From"]) == {"China"}
    assert json.loads(at.dataframe[0].proto.columns)["image_url"]["type_config"]["type"] == "image"


def test_sku_matrix_metric_switch_redraws_with_stock():
    at = open_page("sku_matrix", BACKPACK)
    at.button_group(key="metric").set_value("stock").run()
    assert not at.exception
    ((spec, frames),) = vega_charts(at)
    assert spec["layer"][0]["encoding"]["color"]["title"] == "Stock"
    cells = chart_rows(spec, frames)
    black_30 = fixture_sku(BACKPACK, Color="Black", Size="30L", Ships_From="China")
    assert cell(cells, "Black", "30L")["value"] == black_30["stock"] == 356
    assert cell(cells, "Black", "30L")["label"] == "356"
    assert cell(cells, "Red", "40L")["label"] == "0\nsold out"


@pytest.mark.parametrize("metric, title, label", [
    ("price", "Original price (USD)", "{:,.2f}"), ("discount_pct", "Discount %", "{:.1f}"),
    ("sale_price", "Sale price (USD)", "{:,.2f}"), ("stock", "Stock", "{:,.0f}")])
def test_sku_matrix_every_metric_matches_fixture(metric, title, label):
    at = open_page("sku_matrix", BACKPACK)
    at.button_group(key="metric").set_value(metric).run()
    assert not at.exception
    ((spec, frames),) = vega_charts(at)
    assert spec["layer"][0]["encoding"]["color"]["title"] == title
    cells = chart_rows(spec, frames)
    for sku in fixture_skus(BACKPACK):
        if sku["props"]["Ships From"] != "China":
            continue
        expected = {"price": sku["price"], "sale_price": sku["sale"], "stock": sku["stock"],
                    "discount_pct": (sku["price"] - sku["sale"]) / sku["price"] * 100}[metric]
        shown = cell(cells, sku["props"]["Color"], sku["props"]["Size"])
        assert shown["value"] == pytest.approx(expected, abs=0.05), sku
        assert shown["label"].split("\n")[0] == label.format(shown["value"])


def test_sku_matrix_filter_change_redraws_for_spain():
    at = open_page("sku_matrix", BACKPACK)
    at.multiselect(key="filter-Ships From").set_value(["Spain"]).run()
    assert not at.exception
    ((spec, frames),) = vega_charts(at)
    cells = chart_rows(spec, frames)
    spain = [s for s in fixture_skus(BACKPACK) if s["props"]["Ships From"] == "Spain"]
    for sku in spain:
        shown = cell(cells, sku["props"]["Color"], sku["props"]["Size"])
        assert shown["value"] == pytest.approx(sku["sale"])
        assert (shown["status"] == "out of stock") == (sku["stock"] == 0)
    sold_out = sum(s["stock"] == 0 for s in spain)
    low, high = min(s["sale"] for s in spain), max(s["sale"] for s in spain)
    assert summary(at) == (f"15 variants · {sold_out} out of stock · "
                           f"sale price {low:.2f}–{high:.2f} USD")
    assert summary(at) == "15 variants · 2 out of stock · sale price 28.90–40.90 USD"


def test_sku_matrix_cleared_filter_averages_and_says_so():
    at = open_page("sku_matrix", BACKPACK)
    at.multiselect(key="filter-Ships From").set_value([]).run()
    assert summary(at) == "45 variants · 6 out of stock · sale price 24.90–40.90 USD"
    assert any(c.value.startswith("Cells average several variants") for c in at.caption)
    ((spec, frames),) = vega_charts(at)
    group = [s["sale"] for s in fixture_skus(BACKPACK)
             if s["props"]["Color"] == "Gray" and s["props"]["Size"] == "40L"]
    gray_40 = cell(chart_rows(spec, frames), "Gray", "40L")
    assert gray_40["value"] == pytest.approx(sum(group) / len(group))
    assert (gray_40["skus"], gray_40["in_stock"]) == (3, 2)


def test_sku_matrix_rows_change_swaps_axes():
    at = open_page("sku_matrix", BACKPACK)
    at.selectbox(key="rows").set_value("Ships From").run()
    assert not at.exception
    assert at.selectbox(key="cols").value == "Size"
    assert [m.label for m in at.multiselect] == ["Color (filter)"]
    assert at.multiselect(key="filter-Color").value == ["Black"]
    ((spec, frames),) = vega_charts(at)
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Ships From"
    cells = chart_rows(spec, frames)
    assert list(dict.fromkeys(cells["row"])) == ["China", "United States", "Spain"]
    black_40_spain = fixture_sku(BACKPACK, Color="Black", Size="40L", Ships_From="Spain")
    assert cell(cells, "Spain", "40L")["value"] == pytest.approx(black_40_spain["sale"])
    assert summary(at) == "9 variants · 0 out of stock · sale price 24.90–40.90 USD"
    at.selectbox(key="cols").set_value("Color").run()
    ((spec, frames),) = vega_charts(at)
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Color"
    assert at.multiselect(key="filter-Size").value == ["20L"]


def test_sku_matrix_phone_case_seller_labels():
    at = open_page("sku_matrix", CASE)
    assert (at.selectbox(key="rows").value,
            at.selectbox(key="cols").value) == ("Color", "Compatible Model")
    assert not [m for m in at.multiselect if m.label.endswith("(filter)")]
    ((spec, frames),) = vega_charts(at)
    cells = chart_rows(spec, frames)
    assert len(cells) == 24
    for sku in fixture_skus(CASE):
        shown = cell(cells, sku["props"]["Color"], sku["props"]["Compatible Model"])
        assert shown["value"] == pytest.approx(sku["sale"])
    assert "Matte Midnight" in set(cells["row"]) and "Black" not in set(cells["row"])
    assert summary(at).startswith("24 variants · ")


def test_sku_matrix_single_variant_stated_plainly():
    at = open_page("sku_matrix", BOTTLE)
    sku = fixture_skus(BOTTLE)[0]
    assert [i.value for i in at.main.info] == [
        f"This product has a single variant (SKU {sku['sku_id']}): {sku['sale']:.2f} USD "
        f"(list price {sku['price']:.2f} USD), stock {sku['stock']}."]
    assert [i.value for i in at.main.info][0] == (
        "This product has a single variant (SKU 12000481863849014): 14.24 USD "
        "(list price 19.99 USD), stock 148.")
    assert not vega_charts(at)
    assert summary(at) == "1 variant · 0 out of stock · sale price 14.24 USD"
    assert len(at.dataframe[0].value) == 1
    assert not at.main.button_group            # nothing to chart: no metric to pick


# --- price tiers --------------------------------------------------------------------------
def test_price_tiers_backpack_calculator_and_table():
    at = open_page("price_tiers", BACKPACK)
    cheapest = fixture_skus(BACKPACK)[0]
    assert at.selectbox(key="variant").value == cheapest["sku_id"]
    assert at.number_input(key="qty").value == 100
    unit = expected_unit_price(cheapest["tiers"], 100)
    assert metrics(at) == {
        "Tier (units)": "50–199", "Unit price (USD)": f"{unit:.2f}",
        "Total (USD)": f"{unit * 100:,.2f}",
        "Saving (USD)": f"{(cheapest['tiers'][0][1] - unit) * 100:,.2f}"}
    assert metrics(at)["Total (USD)"] == "2,241.00"
    tiers = at.dataframe[0].value
    assert len(tiers) == 45 * 4
    rows = tiers[tiers["sku_id"] == cheapest["sku_id"]]
    assert list(rows["variant"]) == ["Black / 20L / China"] * 4
    assert list(rows["min_qty"]) == [q for q, _ in cheapest["tiers"]]
    assert list(rows["unit_price"]) == pytest.approx([p for _, p in cheapest["tiers"]])
    assert "All tiers" in [s.value for s in at.subheader]
    assert not at.main.info


@pytest.mark.parametrize("quantity, tier", [(1, "1–9"), (9, "1–9"), (10, "10–49"),
                                            (49, "10–49"), (50, "50–199"),
                                            (200, "200 and up"), (1000, "200 and up")])
def test_price_tiers_quantity_changes_total(quantity, tier):
    at = open_page("price_tiers", BACKPACK)
    at.number_input(key="qty").set_value(quantity).run()
    assert not at.exception
    cheapest = fixture_skus(BACKPACK)[0]
    unit = expected_unit_price(cheapest["tiers"], quantity)
    shown = metrics(at)
    assert shown["Tier (units)"] == tier
    assert shown["Unit price (USD)"] == money(unit)
    assert shown["Total (USD)"] == money(round(unit * quantity, 2))
    assert not at.main.warning                               # the first tier starts at 1


def test_price_tiers_other_variant_in_calculator():
    at = open_page("price_tiers", BACKPACK)
    sku = fixture_sku(BACKPACK, Color="Red", Size="40L", Ships_From="Spain")
    at.selectbox(key="variant").set_value(sku["sku_id"])
    at.number_input(key="qty").set_value(60).run()
    unit = expected_unit_price(sku["tiers"], 60)
    assert metrics(at)["Unit price (USD)"] == money(unit)
    assert metrics(at)["Total (USD)"] == money(round(unit * 60, 2))
    assert metrics(at)["Saving (USD)"] == money(round((sku["tiers"][0][1] - unit) * 60, 2))


def test_price_tiers_step_chart_data():
    at = open_page("price_tiers", BACKPACK)
    cheapest = fixture_skus(BACKPACK)[0]
    dearest = fixture_sku(BACKPACK, Color="Black", Size="40L", Ships_From="Spain")
    assert variants_picker(at).value == [cheapest["sku_id"], dearest["sku_id"]]
    ((spec, frames),) = vega_charts(at)
    line = spec["layer"][0]
    assert line["mark"]["interpolate"] == "step-after"
    assert line["encoding"]["x"]["scale"]["type"] == "log"        # 1 to 400 units
    points = chart_rows(spec, frames)
    for sku, label in ((cheapest, "Black / 20L / China"), (dearest, "Black / 40L / Spain")):
        series = points[points["series"] == label]
        assert list(series["quantity"]) == [1, 10, 50, 200, 400]
        assert list(series["unit_price"]) == pytest.approx(
            [p for _, p in sku["tiers"]] + [sku["tiers"][-1][1]])
    # picking one more variant adds its series
    red = fixture_sku(BACKPACK, Color="Red", Size="40L", Ships_From="China")
    variants_picker(at).select(red["sku_id"]).run()
    ((spec, frames),) = vega_charts(at)
    assert set(chart_rows(spec, frames)["series"]) == {
        "Black / 20L / China", "Black / 40L / Spain", "Red / 40L / China"}
    variants_picker(at).set_value([]).run()
    assert not vega_charts(at)
    assert "Pick one or more variants to draw their price steps." in texts(at)


def test_price_tiers_without_tiers_says_so_once_and_draws_no_flat_lines():
    at = open_page("price_tiers", BOTTLE)
    assert [i.value for i in at.main.info] == [
        "No wholesale price tiers for this product: every quantity costs the same unit "
        "price (14.24 USD), so there is no price curve to draw."]
    assert metrics(at) == {"Tier (units)": "1 and up", "Unit price (USD)": "14.24",
                           "Total (USD)": "1,424.00", "Saving (USD)": "0.00"}
    assert "All tiers" not in [s.value for s in at.subheader]
    assert not at.dataframe
    assert not vega_charts(at)                       # a chart of flat lines says nothing
    assert not [m for m in at.main.multiselect if m.label == "Variants"]
    at.number_input(key="qty").set_value(7).run()
    assert metrics(at)["Total (USD)"] == money(round(7 * fixture_skus(BOTTLE)[0]["sale"], 2))


def test_price_tiers_phone_case_range():
    at = open_page("price_tiers", CASE)
    sales = [s["sale"] for s in fixture_skus(CASE)]
    assert [i.value for i in at.main.info] == [
        "No wholesale price tiers for this product: every quantity costs the same unit "
        f"price ({min(sales):.2f}–{max(sales):.2f} USD), so there is no price curve to draw."]
    assert metrics(at)["Unit price (USD)"] == f"{min(sales):.2f}"


# --- store ratings --------------------------------------------------------------------------
def test_store_ratings_backpack_values():
    at = open_page("store_ratings", BACKPACK)
    store = fixture_result(BACKPACK)["ae_store_info"]
    shown = metrics(at)
    assert shown["Product rating"] == "4.7 / 5"
    assert shown["Reviews"] == "2,381" and shown["Sold"] == "10000+"
    ((spec, frames),) = vega_charts(at)
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 5]
    rows = chart_rows(spec, frames).set_index("label")
    assert rows.loc["Item as described", "score"] == float(store["item_as_described_rating"])
    assert rows.loc["Communication", "score"] == float(store["communication_rating"])
    assert rows.loc["Shipping speed", "score"] == float(store["shipping_speed_rating"])
    assert "**Store id:** 1102847561" in texts(at)
    assert "Not rated" not in texts(at)


def test_store_ratings_bottle_not_rated():
    at = open_page("store_ratings", BOTTLE)
    assert "Not rated (missing in the answer, not zero): Communication" in [
        c.value for c in at.caption]
    ((spec, frames),) = vega_charts(at)
    rows = chart_rows(spec, frames).set_index("label")
    assert pd.isna(rows.loc["Communication", "score"])
    assert rows.loc["Communication", "text"] == "not rated"
    assert rows.loc["Item as described", "score"] == 4.9
    assert metrics(at)["Reviews"] == "312"


# --- media gallery ----------------------------------------------------------------------------
def test_media_gallery_backpack_images_and_videos():
    at = open_page("media_gallery", BACKPACK)
    assert ("**6** main images · **4** variant images · **2** description images · "
            "**2** videos") in texts(at)
    captions = [image.captions[0] for image in at.image]
    assert len(at.image) == 6 + 4 + 2 + 2          # main, variant, detail, video posters
    assert captions[6:10] == ["Black", "Red", "Blue", "Forest Green"]
    assert captions.count("Poster") == 2
    # The bundled clips play (served as media), each linked at its static address.
    listed = [v["media_url"] for v in fixture_result(BACKPACK)["ae_multimedia_info_dto"]
              ["ae_video_dtos"]["ae_video_d_t_o"]]
    assert listed == ["/app/static/demo/backpack_video_1.mp4",
                      "/app/static/demo/backpack_video_2.mp4"]
    assert [v.proto.url[:12] for v in at.get("video")] == ["/mock/media/"] * 2
    assert [b.proto.url for b in at.get("link_button")
            if b.proto.label == "Open the video"] == [url[1:] for url in listed]
    assert all(image.value[0].startswith("/mock/media/") for image in at.image)
    # the kind pills filter the gallery
    kinds_pills(at).set_value(["SKU"]).run()
    assert [image.captions[0] for image in at.image] == ["Black", "Red", "Blue",
                                                         "Forest Green"]
    assert [s.value for s in at.subheader] == ["Variant images"]
    assert not at.get("video")


def test_media_gallery_phone_case_variant_captions_are_seller_labels():
    at = open_page("media_gallery", CASE)
    assert "**1** video" in texts(at)
    assert len(at.get("video")) == 1
    kinds_pills(at).set_value(["SKU"]).run()
    assert [image.captions[0] for image in at.image] == [
        "Matte Midnight", "Ocean Mist", "Cherry Glow", "Sage Leaf", "Crystal Clear",
        "Blush Rose"]


def test_media_gallery_without_video():
    at = open_page("media_gallery", BOTTLE)
    assert ("**4** main images · **0** variant images · **1** description image · "
            "**0** videos") in texts(at)
    assert kinds_pills(at).value == ["Main", "Detail"]
    assert len(at.image) == 5
    assert not at.get("video")
    assert "Videos" not in [s.value for s in at.subheader]


# --- raw data ---------------------------------------------------------------------------------
def test_raw_data_backpack_expanders():
    at = open_page("raw_data", BACKPACK)
    labels = [e.label for e in at.main.expander]
    assert labels == ["skus · 45 rows", "tiers · 180 rows", "lead_times · 0 rows",
                      "country_prices · 0 rows", "attributes · 11 rows", "media · 14 rows",
                      "store · 11 rows"]
    (skus,) = [e for e in at.main.expander if e.label == "skus · 45 rows"]
    assert skus.dataframe[0].value["sku_id"].tolist() == [
        s["sku_id"] for s in fixture_skus(BACKPACK)]
    (empty,) = [e for e in at.main.expander if e.label == "lead_times · 0 rows"]
    assert [c.value for c in empty.caption] == ["Empty for this product."]
    raw = json.loads(at.json[0].value)
    assert raw["aliexpress_ds_product_get_response"]["result"]["ae_item_base_info_dto"][
        "product_id"] == int(BACKPACK)
    assert "Notes about the data" not in [s.value for s in at.subheader]


def test_raw_data_bottle_warnings():
    at = open_page("raw_data", BOTTLE)
    assert "Notes about the data" in [s.value for s in at.subheader]
    assert "- Store ratings missing: Communication." in [m.value for m in at.markdown]
    assert [e.label for e in at.main.expander][:2] == ["skus · 1 row", "tiers · 0 rows"]
    (tiers,) = [e for e in at.main.expander if e.label == "tiers · 0 rows"]
    assert [c.value for c in tiers.caption] == ["Empty for this product."]


# --- switching product in the sidebar keeps every view whole ---------------------------------
def test_switching_product_keeps_the_price_steps_chart():
    """The variant picker holds SKU ids: the next product's chart must not start empty
    because the previous product's ids are not among its options."""
    at = open_page("price_tiers", BACKPACK)
    assert len(vega_charts(at)) == 1
    demo_button(at, "ANC wireless earbuds (seller API)").click().run()
    assert not at.exception
    assert "Wireless Earbuds" in texts(at) or "earbuds" in texts(at).lower()
    # the earbuds' cheapest and dearest variants, not the backpack's ids (now invalid)
    assert variants_picker(at).value == ["EB-BLA-CN", "EB-BLU-ES"]
    assert at.selectbox(key="variant").value == "EB-BLA-CN"
    ((spec, frames),) = vega_charts(at)
    assert set(chart_rows(spec, frames)["sku_id"]) == {"EB-BLA-CN", "EB-BLU-ES"}
    assert "Pick one or more variants" not in texts(at)


def test_switching_product_shows_every_kind_of_media():
    """Going from the bottle (main and detail images only) to the backpack must show the
    backpack's variant images and videos too, not keep the bottle's pill selection."""
    at = open_page("media_gallery", BOTTLE)
    assert kinds_pills(at).value == ["Main", "Detail"]
    demo_button(at, "Trail 40L hiking backpack").click().run()
    assert not at.exception
    assert kinds_pills(at).value == ["Main", "SKU", "Detail", "Video"]
    assert len(at.image) == 6 + 4 + 2 + 2
    assert len(at.get("video")) == 2
