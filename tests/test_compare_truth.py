"""Issue 9, points 2-5 and 14 (Compare): prices in the currency asked for, reference rates
in Compare, like compared with like, the Tuya mall currency, settings in the URL."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from apptest_util import charts, run_app, texts
from lib import charts as chart_builders
from lib import compare, rates
from lib.client import fetch_many, fetch_product
from lib.coerce import as_list
from lib.errors import InvalidQuery
from lib.format import with_unit
from lib.model import SKU_KEY_COLUMNS, SKU_VALUE_COLUMNS, Product, frame
from lib.platforms import parse_payload
from lib.query import ProductQuery
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxTransport, load_fixture

BACKPACK = "aliexpress:1005006789012345"
SCALE = "aliexpress-affiliate:1005006543210987"
MUG = "alibaba:AAHq3mZ8Kx2WvN7p-Tb4sL9e"
PLUG = "tuya:CMsmartplug01"
CASE = "aliexpress:1005004321098765"
FOUR_PLATFORMS = [BACKPACK, SCALE, MUG, PLUG]


def cents(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def query(key: str, **locale) -> ProductQuery:
    return compare.parse_key(key, **locale)


# --- point 4: the demo gateway converts to the currency asked for ------------------------
def test_backpack_asked_in_eur_is_the_usd_fixture_times_the_reference_rate():
    rate = rates.reference_rate("USD", "EUR")
    fixture = load_fixture("aliexpress", "1005006789012345")
    raw_skus = as_list(fixture["aliexpress_ds_product_get_response"]["result"]
                       ["ae_item_sku_info_dtos"])
    product = fetch_product(query(BACKPACK, currency="EUR"))
    assert product.currency == "EUR" and set(product.skus["currency"]) == {"EUR"}
    by_id = product.skus.set_index("sku_id")
    for sku in raw_skus:
        assert sku["currency_code"] == "USD"
        row = by_id.loc[sku["sku_id"]]
        assert row["sale_price"] == cents(float(sku["offer_sale_price"]) * rate)
        assert row["price"] == cents(float(sku["sku_price"]) * rate)
    first = raw_skus[0]
    tiers = product.tiers[product.tiers["sku_id"] == first["sku_id"]]
    sent = [float(t["wholesale_price"].strip('"')) for t in
            as_list(first["wholesale_price_tiers"])]
    assert tiers["unit_price"].tolist() == [cents(p * rate) for p in sent]
    assert set(tiers["currency"]) == {"EUR"}
    assert rates.currency_note(product) is None


def test_kitchen_scale_asked_in_usd_is_converted_from_the_sellers_cny():
    product = fetch_product(query(SCALE, currency="USD"))
    row = product.skus.iloc[0]
    assert product.currency == "USD"
    assert row["sale_price"] == cents(64.50 * rates.reference_rate("CNY", "USD"))
    assert row["price"] == cents(129.00 * rates.reference_rate("CNY", "USD"))
    assert row["sale price (CNY)"] == 64.5                      # the seller's own price
    # Asked in EUR, the answer is the fixture's own EUR prices.
    assert fetch_product(query(SCALE, currency="EUR")).skus.iloc[0]["sale_price"] == 8.26


def test_no_rate_leaves_the_answer_as_sent_and_the_header_says_so():
    product = fetch_product(query(BACKPACK, currency="RUB"))
    assert product.currency == "USD"
    assert rates.currency_note(product) == ("Prices are in USD: the platform did not "
                                            "convert them to RUB.")


def test_platforms_that_never_convert_are_named_in_the_header():
    at = run_app(platform="tuya", id="CMsmartplug01", currency="USD")
    assert not at.exception
    assert "Prices are in EUR: this platform does not convert to USD." in texts(at)
    at = run_app(platform="aliexpress", id="1005006789012345", currency="EUR")
    assert "convert" not in texts(at)                    # converted: nothing to say


# --- point 2: the Tuya mall currency is a setting -------------------------------------------
def test_tuya_without_a_currency_setting_says_currency_not_stated():
    product = parse_payload("tuya", load_fixture("tuya", "CMsmartplug01"),
                            query(PLUG))
    assert product.currency == "" and with_unit("Sale price", product.currency) == \
        "Sale price (currency not stated)"
    assert any("currency" in w and "Tuya settings" in w for w in product.warnings)
    table = compare.comparison([product, fetch_product(query(CASE))], "USD")
    label = compare.product_label(product)
    assert table.text().loc["Currency", label] == "currency not stated"
    assert table.text().loc["Lowest price", label] == "— currency not stated"
    best = table.best()
    assert label not in sum(best.values(), [])            # never ranked against priced ones


def test_demo_tuya_shows_the_catalogue_currency_through_the_settings_path():
    product = fetch_product(query(PLUG))
    assert product.currency == "EUR" and set(product.skus["currency"]) == {"EUR"}
    assert with_unit("Sale price", product.currency) == "Sale price (EUR)"
    assert DEMO_CREDENTIALS["tuya"]["currency"] == "EUR"     # from catalogue.json
    # The same code path with live-style credentials: the setting decides.
    creds = {**DEMO_CREDENTIALS["tuya"], "currency": "gbp"}
    live = fetch_product(query(PLUG), credentials=creds, transport=SandboxTransport())
    assert live.currency == "GBP" and live.demo is False
    with pytest.raises(InvalidQuery, match="Tuya currency setting"):
        fetch_product(query(PLUG), credentials={**creds, "currency": "euro"},
                      transport=SandboxTransport())


# --- point 3: Compare converts with the reference rates --------------------------------------
def test_compare_four_platforms_fills_every_price_row_with_reference_rates():
    at = run_app("views/compare.py", p=FOUR_PLATFORMS)
    assert not at.exception
    table = at.dataframe[0].value
    for row in ["Lowest price", "Highest price", "Unit price at 100", "Unit price at 1,000"]:
        assert not any(v.startswith("—") for v in table.loc[row]), row
    assert at.selectbox(key="base").value == "USD"             # the sidebar's currency
    plug = fetch_product(query(PLUG))
    expected = cents(plug.skus["sale_price"].min() * rates.reference_rate("EUR", "USD"))
    assert table.loc["Lowest price"].iloc[3] == f"{expected:.2f}"
    assert table.loc["Currency"].iloc[3] == \
        f"EUR → USD at {rates.reference_rate('EUR', 'USD'):.6g}"
    assert table.loc["Unit price at 1"].iloc[2] == "— below MOQ (48)"
    assert rates.source_text() in texts(at)                   # the rate date and source
    [number] = [n for n in at.number_input if n.key.startswith("rate_")]
    assert number.key == "rate_EUR_USD" and number.value == pytest.approx(
        rates.reference_rate("EUR", "USD"))
    [spec] = [c for c in charts(at) if "Unit price" in str(c)]
    assert "(USD)" in str(spec) and "mixed" not in str(spec)


def test_base_defaults_to_the_sidebar_currency_else_the_most_common_one():
    products = fetch_many([query(SCALE, currency="EUR"), query(BACKPACK), query(CASE)])
    assert compare.default_base(products, "GBP") == "GBP"        # quoted: convertible
    assert compare.default_base(products, "EUR") == "EUR"
    # RUB has no reference rate and no product is in it: the most common (USD), not the
    # alphabetical first (EUR), nor the first listed.
    assert compare.default_base(products, "RUB") == "USD"
    at = run_app("views/compare.py", p=[BACKPACK, MUG], platform="aliexpress",
                 id="1005006789012345", currency="EUR")
    assert at.selectbox(key="base").value == "EUR"
    assert at.dataframe[0].value.loc["Currency"].iloc[0] == "EUR"   # converted upstream


def test_a_rate_in_the_url_is_used_and_the_base_too():
    at = run_app("views/compare.py", p=[BACKPACK, PLUG], rate_EUR_USD="2")
    assert not at.exception
    assert at.dataframe[0].value.loc["Lowest price"].tolist() == ["24.90", "23.98"]
    at = run_app("views/compare.py", p=[BACKPACK, PLUG], base="EUR", rate_USD_EUR="0.5",
                 price_axis="One panel per product")
    assert at.selectbox(key="base").value == "EUR"
    assert at.dataframe[0].value.loc["Lowest price"].tolist() == ["12.45", "11.99"]
    [axis] = [g for g in at.get("button_group") if g.key == "price_axis"]
    assert axis.value == "One panel per product"


# --- point 5: like with like ------------------------------------------------------------------
def test_lead_time_is_split_into_delivery_and_production():
    products = fetch_many([query(BACKPACK), query(MUG)])
    text = compare.comparison(products, "USD").text()
    backpack, mug = (compare.product_label(p) for p in products)
    assert "Lead time (days)" not in text.index
    assert text.loc[compare.DELIVERY, backpack] == "12"
    assert text.loc[compare.DELIVERY, mug] == "— not sent"
    assert text.loc[compare.PRODUCTION, mug] == "15"
    assert text.loc[compare.PRODUCTION, backpack] == "— not sent"


def test_only_comparable_figures_get_a_best_cell():
    products = fetch_many([query(k) for k in [BACKPACK, CASE, MUG, PLUG]])
    best = compare.comparison(products, "USD").best()
    assert not {"Variants", "Images", "Videos", "Reviews", "Sales"} & set(best)
    assert {"Lowest price", "Unit price at 1,000", "Rating"} <= set(best)


def _product(stock: list[int | None], product_id: str = "1005000000000001") -> Product:
    rows = [{"sku_id": str(i), "sku_attr": "", "price": 2.0, "sale_price": 2.0,
             "currency": "USD", "stock": s} for i, s in enumerate(stock)]
    return Product(platform="aliexpress", product_id=product_id,
                   currency="USD", skus=frame(rows, SKU_KEY_COLUMNS + SKU_VALUE_COLUMNS))


def test_stock_counts_known_units_and_is_never_best_while_any_is_unknown():
    partly, known = _product([5, None, 7]), _product([100, 0], "1005000000000002")
    table = compare.comparison([partly, known], "USD")
    assert table.text().loc[compare.STOCK, compare.product_label(partly)] == \
        "12 · unknown for 1 of 3 variants"
    assert table.text().loc[compare.STOCK, compare.product_label(known)] == "100"
    assert compare.STOCK not in table.best()
    both = compare.comparison([_product([1, 2], "1005000000000003"), known], "USD")
    assert both.best()[compare.STOCK] == [compare.product_label(known)]
    affiliate = fetch_product(query("aliexpress-affiliate:1005007246813579"))
    assert compare.stock_cell(affiliate).text == "— not sent"


def test_no_rate_says_so_in_the_cell_and_the_chart_leaves_it_out():
    products = fetch_many([query(BACKPACK), query(PLUG)])
    table = compare.comparison(products, "RUB")
    text = table.text()
    assert set(text.loc["Lowest price"]) == {"— no exchange rate for USD",
                                            "— no exchange rate for EUR"}
    curves, left_out = compare.price_curves(products, table)
    assert curves.empty and len(left_out) == 2 and "no exchange rate" in left_out[0]


def test_the_chart_stays_readable_with_every_demo_product():
    products = fetch_many(DEMO_PRODUCTS)
    assert len(products) >= 10
    table = compare.comparison(products, "USD")
    curves, left_out = compare.price_curves(products, table)
    assert curves["series"].nunique() == len(products) and left_out == []
    assert compare.suggested_price_axis(curves) == "Log scale"   # a door lock vs a case
    spec = chart_builders.compare_price_steps(curves, currency="USD", axis="log").to_dict()
    legend = spec["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["labelLimit"] == 0   # never cut
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    panels = chart_builders.compare_price_steps(curves, currency="USD",
                                                axis="independent").to_dict()
    assert panels["resolve"]["scale"]["y"] == "independent" and "facet" in panels


# --- browser: four products side by side at 1280 px -----------------------------------------
def test_browser_compare_fits_four_products_at_1280(streamlit_server, page_at):
    from browser_util import screenshot, wait_for_app_run

    page = page_at(1280)
    page.goto(streamlit_server)                 # past the server's first run
    wait_for_app_run(page)
    page.goto(f"{streamlit_server}/compare-products?" + "&".join(f"p={k}"
                                                                 for k in FOUR_PLATFORMS))
    wait_for_app_run(page)
    page.wait_for_timeout(1000)
    grid = page.get_by_test_id("stDataFrame").first
    headers = grid.locator("table th, [role=columnheader]").all_text_contents()
    assert len(headers) == 5 and headers[0] == "Figure"           # the pinned figure names
    assert all(key.split(":", 1)[1] in text for key, text in zip(FOUR_PLATFORMS, headers[1:]))
    # No sideways scrolling: every product column is on screen.
    scroll, visible = grid.locator(".dvn-scroller").evaluate(
        "s => [s.scrollWidth, s.clientWidth]")
    assert scroll <= visible
    assert page.get_by_text(rates.source_text(), exact=False).count() >= 1
    screenshot(page, "compare-1280")
