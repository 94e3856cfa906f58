"""Issue 9, points 1, 7 and 10 on the Overview, Store ratings and Raw data pages:
unknown stock is unknown, codes read as words, no "None" anywhere, and every field
the API sent is on the Overview (not only on the Raw data page).

Expected values are read from the payload the demo gateway served (product.raw), with
the raw field names, not through the app's own parser.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from apptest_util import APP_FILE
from lib import analysis, terms
from lib.client import fetch_product
from lib.labels import (countries_label, country_name, gaps_as_dash,
                        status_label)
from lib.model import Product
from lib.sandbox import DEMO_PRODUCTS

DEMOS = {q.key: q for q in DEMO_PRODUCTS}
AFFILIATE = [k for k, q in DEMOS.items() if q.platform == "aliexpress-affiliate"]
MUG = "alibaba:AAHq3mZ8Kx2WvN7p-Tb4sL9e"
PLUG, LOCK = "tuya:CMsmartplug01", "tuya:CMdoorlock02"
EARBUDS = "aliexpress-affiliate:1005007246813579"
MY_PAGES = ["overview", "store_ratings", "raw_data"]


def test_every_platform_has_demo_products_here():
    assert {q.platform for q in DEMO_PRODUCTS} == {
        "aliexpress", "aliexpress-affiliate", "alibaba", "aliexpress-seller", "tuya"}
    assert MUG in DEMOS and PLUG in DEMOS and LOCK in DEMOS and EARBUDS in DEMOS


# --- helpers -------------------------------------------------------------------------------
_PRODUCTS: dict[str, Product] = {}


def product_of(key: str) -> Product:
    if key not in _PRODUCTS:
        _PRODUCTS[key] = fetch_product(DEMOS[key])
    return _PRODUCTS[key]


def open_view(page: str, key: str) -> AppTest:
    query = DEMOS[key]
    at = AppTest.from_file(str(APP_FILE), default_timeout=60)
    for name, value in query.to_params().items():
        at.query_params[name] = value
    at.run()      # st.navigation registers the views' URL paths on the first run
    if page != "overview":
        at.switch_page(f"views/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def main_texts(at: AppTest) -> list[str]:
    """Every text of the page body (the sidebar is not these pages' content)."""
    main = at.main
    parts = [m.value for m in main.markdown] + [c.value for c in main.caption]
    parts += [h.value for h in main.subheader] + [t.value for t in main.title]
    parts += [i.value for i in main.info]
    parts += [e.label for e in main.expander]
    for metric in main.metric:
        parts += [metric.label, metric.value, metric.proto.help]
    return parts


def cells(at: AppTest) -> list[str]:
    values = []
    for frame in at.main.dataframe:
        table = frame.value
        values += [str(c) for c in table.columns]
        values += [str(v) for column in table.columns for v in table[column]]
    return values


def section(at: AppTest, first_item: str) -> dict[str, str]:
    """The Overview table (Item/Value) that holds `first_item`, as a dict."""
    for frame in at.main.dataframe:
        table = frame.value
        if list(table.columns) == ["Item", "Value"] and first_item in set(table["Item"]):
            return dict(zip(table["Item"], table["Value"]))
    raise AssertionError(f"no section with {first_item!r}")


def metric(at: AppTest, label: str):
    (found,) = [m for m in at.main.metric if m.label == label]
    return found


def raw_product(key: str) -> dict:
    """The one product object inside the served payload (wrappers unwrapped)."""
    raw = product_of(key).raw
    if key.startswith("alibaba:"):
        return raw["alibaba_icbu_product_get_response"]["product"]
    if key.startswith("tuya:"):
        return raw["result"]
    inner = raw["aliexpress_affiliate_productdetail_get_response"]["resp_result"]["result"]
    listed = inner["products"]["product"]
    return listed[0] if isinstance(listed, list) else listed


def percent(text: str) -> float:
    return float(str(text).strip().rstrip("%"))


# --- point 1: unknown stock is unknown ----------------------------------------------------
@pytest.mark.parametrize("key", AFFILIATE)
def test_affiliate_stock_is_unknown_not_in_stock(key):
    product = product_of(key)
    assert product.skus["stock"].isna().all()          # the API sends no stock
    assert product.out_of_stock_count is None           # not "0 out of stock"
    at = open_view("overview", key)
    stock = metric(at, "Stock (units)")
    assert stock.value == "—"
    assert "not sent for the variant" in stock.proto.help
    assert "does not say how many items are available" in stock.proto.help
    assert "Stock not sent" in metric(at, "Variants").proto.help
    body = "\n".join(main_texts(at))
    assert "- Stock not sent for the variant: the affiliate API does not say how many " \
           "items are available." in body
    assert "in stock" not in body.lower()
    assert "0 out of stock" not in body


def test_partly_known_stock_counts_known_only():
    product = product_of("aliexpress:1005006789012345")
    facts = analysis.stock_facts(product.skus)
    assert (facts.variants, facts.known, facts.sold_out) == (45, 45, 6)
    partial = Product(**{**product.__dict__, "skus": product.skus.copy()})
    in_stock = partial.skus.index[partial.skus["stock"] > 0][:5]
    partial.skus.loc[in_stock, "stock"] = pd.NA
    assert analysis.stock_highlight(partial) == (
        "Stock known for 40 of 45 variants: 6 out of stock (15% of the known); not sent "
        "for 5.")
    numbers = {n.label: n for n in analysis.key_numbers(partial)}
    known_units = int(partial.skus["stock"].dropna().clip(lower=0).sum())
    assert numbers["Stock (units)"].value == f"{known_units:,}"
    assert "40 of 45 variants whose stock is known; not sent for 5" in \
        numbers["Stock (units)"].help
    assert numbers["Variants"].help == "Stock known for 40 of 45 variants: 6 out of stock."


def test_all_known_stock_still_says_every_variant_in_stock():
    lock = product_of(LOCK)
    assert lock.skus["stock"].notna().all() and (lock.skus["stock"] > 0).all()
    assert analysis.stock_highlight(lock) == "Every variant is in stock."


@pytest.mark.parametrize("key", [PLUG, MUG])
def test_figures_a_platform_never_sends_are_said_once(key):
    product = product_of(key)
    at = open_view("overview", key)
    labels = [m.label for m in at.main.metric]
    assert not {"Rating", "Reviews", "Sold"} & set(labels)
    reason = analysis.not_sent_reason(product, "rating")
    assert f"Rating, Reviews and Sold: not sent. {reason}" in [c.value for c in at.main.caption]
    assert reason.startswith(("The Tuya mall API", "The Alibaba.com product API"))


def test_a_lone_unsent_figure_keeps_its_place():
    numbers = [analysis.KeyNumber("Rating", "—", "Not sent. A."),
               analysis.KeyNumber("Reviews", "—", "Not sent. B."),
               analysis.KeyNumber("Sold", "12", "")]
    assert analysis.fold_unsent(numbers) == (numbers, [])
    numbers[1] = analysis.KeyNumber("Reviews", "—", "Not sent. A.")
    assert analysis.fold_unsent(numbers) == ([numbers[2]], ["Rating and Reviews: not sent. A."])


def test_every_dash_among_the_key_numbers_says_why():
    for key in DEMOS:
        product = product_of(key)
        numbers = analysis.price_numbers(product) + analysis.key_numbers(product) \
            + analysis.store_numbers(product)
        for number in numbers:
            if number.value == "—":
                assert number.help.startswith(("Not sent", "Stock not sent")), (key, number)
                assert len(number.help) > len("Not sent. "), (key, number)


# --- point 7: words, names, no "None" -------------------------------------------------------
@pytest.mark.parametrize("page", MY_PAGES)
@pytest.mark.parametrize("key", list(DEMOS))
def test_no_none_on_my_pages(page, key):
    at = open_view(page, key)
    texts = main_texts(at) + cells(at)
    assert not [t for t in texts if "None" in t], page
    assert not [t for t in cells(at) if t in ("nan", "<NA>", "NaN")]


@pytest.mark.parametrize("key", list(DEMOS))
def test_status_is_words_with_the_code_in_the_tooltip(key):
    product = product_of(key)
    at = open_view("overview", key)
    (badges,) = [m for m in at.main.markdown if "-badge[" in m.value]
    label = status_label(product.platform, product.status)
    if label is None:
        assert ":blue-badge[" not in badges.value
        return
    assert f":blue-badge[{label.text}]" in badges.value
    assert label.text != product.status
    codes_sent = product.raw["result"]["publish"] if product.platform == "tuya" else None
    if product.platform == "tuya":                     # Tuya sends a flag, not a code
        assert f"publish flag is {str(codes_sent).lower()}" in badges.proto.help
        sent = f"publish: {str(codes_sent).lower()}"
    else:
        assert product.status in badges.proto.help              # the code, as a tooltip
        shown = "\n".join(main_texts(at) + cells(at)).replace(badges.proto.help, "")
        assert product.status not in shown
        sent = product.status
    raw = open_view("raw_data", key)
    (codes,) = [d.value for d in raw.main.dataframe if "As sent" in d.value.columns]
    assert codes.set_index("Field").loc["Status", "As sent"] == sent
    assert codes.set_index("Field").loc["Status", "Shown as"] == label.text


@pytest.mark.parametrize("platform, raw, words", [
    ("aliexpress", "onSelling", "On sale"), ("aliexpress", "offline", "Not on sale (offline)"),
    ("aliexpress", "auditing", "Under review"), ("aliexpress-seller", "editingRequired",
                                                  "Needs editing"),
    ("aliexpress-affiliate", "PLAZA", "AliExpress Plaza"),
    ("aliexpress-affiliate", "TMALL", "Tmall on AliExpress"),
    ("alibaba", "approved", "Approved"), ("alibaba", "tbd", "Rejected in review"),
    ("alibaba", "sketch", "Draft"), ("alibaba", "new", "Under review"),
    ("tuya", "listed", "Listed in the mall"), ("tuya", "not listed", "Not listed in the mall"),
])
def test_documented_statuses_have_words(platform, raw, words):
    label = status_label(platform, raw)
    assert label.text == words
    assert raw in label.detail or platform == "tuya"


def test_an_undocumented_status_is_shown_and_marked():
    label = status_label("aliexpress", "frozen[x]")
    assert label.text == "frozenx"                       # no Markdown brackets on a badge
    assert "frozen[x]" in label.detail and "does not describe" in label.detail
    assert status_label("aliexpress", "") is None


def test_country_codes_become_names_with_the_code_in_the_tooltip():
    assert country_name("CN") == "China" and country_name("UK") == "United Kingdom"
    assert country_name("KR") == "South Korea" and country_name("Mainland") == "Mainland"
    label = countries_label(["CN", "Spain", "US"])
    assert label.text == "China, Spain, United States"
    assert label.detail == "ISO country codes: CN = China, ES = Spain, US = United States"
    assert countries_label([]) is None and countries_label("") is None


def test_store_and_ships_from_lines_show_names():
    key = "aliexpress:1005006789012345"
    product = product_of(key)
    assert product.store.country == "CN"
    at = open_view("overview", key)
    (store,) = [m for m in at.main.markdown if m.value.startswith("**Store:**")]
    assert store.value.endswith(" · China") and "CN" in store.proto.help
    (delivery,) = [m for m in at.main.markdown if m.value.startswith("**Delivery:**")]
    assert delivery.value == f"**Delivery:** about {product.trade.delivery_days} days to " \
                             "United States"
    assert "US" in delivery.proto.help
    ratings = open_view("store_ratings", key)
    (line,) = [m for m in ratings.main.markdown if "**Country:**" in m.value]
    assert "**Country:** China" in line.value and "CN = China" in line.proto.help


def test_gaps_show_as_a_dash_and_a_literal_none_as_a_word():
    table = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"),
                          "x": pd.array([2.5, None], dtype="Float64"),
                          "t": ["None", None], "e": ["", float("nan")]})
    assert gaps_as_dash(table).values.tolist() == [["1", "2.5", "none", "—"],
                                                   ["—", "—", "—", "—"]]


# --- point 10: what the API sent is on the Overview -----------------------------------------
def test_alibaba_terms_of_trade_from_the_payload():
    sourcing = raw_product(MUG)["sourcing_trade"]
    at = open_view("overview", MUG)
    shown = section(at, "Payment methods")
    methods = sourcing["payment_methods"]["string"]
    assert shown["Payment methods"] == ", ".join(methods)
    assert "Alibaba.com Trade Assurance" in methods
    assert shown["Trade Assurance"] == "Offered (listed among the payment methods)"
    assert shown["Delivery port"] == sourcing["delivery_port"]
    quantity = f"{float(sourcing['supply_quantity']):,.0f}"
    assert shown["Supply ability"].startswith(f"{quantity} ")
    assert sourcing["supply_period_type"].lower() in shown["Supply ability"]
    assert shown["Packaging"] == sourcing["packaging_desc"]
    assert shown["Delivery time"] == sourcing["delivery_time"]
    low, high = float(sourcing["fob_min_price"]), float(sourcing["fob_max_price"])
    assert shown["FOB price"] == f"{low:.2f}–{high:.2f} {sourcing['fob_currency']} per " \
                                 f"{sourcing['fob_unit_type']}"
    assert metric(at, "Minimum order").value == f"{sourcing['min_order_quantity']} Pieces"
    assert "Minimum order" not in shown                          # said once, as a metric


def test_trade_assurance_not_listed_is_said_so():
    assert terms.trade_assurance(["T/T", "L/C"]) == "Not listed among the payment methods"


@pytest.mark.parametrize("key", [PLUG, LOCK])
def test_tuya_postage_and_installation(key):
    raw = raw_product(key)
    at = open_view("overview", key)
    shown = section(at, "Postage")
    currency = product_of(key).currency     # the demo mall's currency setting
    postage = {1: "Free shipping", 2: f"Fixed postage {float(raw['postage_fee']):.2f} {currency}"}
    assert shown["Postage"] == postage[int(raw["postage_type"])]
    install = {1: "No installation needed", 2: "On-site installation",
               3: "Installed by the buyer"}[int(raw["install_type"])]
    assert shown["Installation"].startswith(install)
    if int(raw["install_type"]) == 2 and float(raw["install_fee"]):
        assert f"fee {float(raw['install_fee']):.2f} {currency}" in shown["Installation"]


@pytest.mark.parametrize("key", AFFILIATE)
def test_affiliate_commission_promo_and_app_price(key):
    raw = raw_product(key)
    product = product_of(key)
    at = open_view("overview", key)
    shown = section(at, "Commission rate")
    assert percent(shown["Commission rate"]) == percent(raw["commission_rate"])
    assert percent(shown["Hot product commission rate"]) == \
        percent(raw["hot_product_commission_rate"])
    assert shown["Promotion link"] == raw["promotion_link"]
    app = float(raw.get("target_app_sale_price") or raw["app_sale_price"])
    assert shown["App-only price"] == f"{app:.2f} {product.currency}"
    promo = raw.get("promo_code_info")
    if promo:
        promo = promo[0] if isinstance(promo, list) else promo
        assert shown["Promo code"].startswith(f"{promo['promo_code']}: ")
        assert promo["code_value"] in shown["Promo code"]
    else:
        assert "Promo code" not in shown
    buttons = [b for b in at.main.get("link_button")]
    assert [b.proto.url for b in buttons] == [raw["promotion_link"]]


def test_sections_appear_only_when_something_was_sent():
    at = open_view("overview", "aliexpress:1005006789012345")
    titles = [s.value for s in at.main.subheader]
    assert "Affiliate" not in titles
    assert {"Terms of trade", "About the listing", "Attributes"} <= set(titles)
    earbuds = [s.value for s in open_view("overview", EARBUDS).main.subheader]
    assert "Affiliate" in earbuds and "Attributes" not in earbuds
    assert "Terms of trade" not in earbuds          # discount and tax rate: the listing


@pytest.mark.parametrize("key", [k for k in DEMOS])
def test_attributes_table_rows_equal_product_attributes(key):
    product = product_of(key)
    at = open_view("overview", key)
    tables = [d.value for d in at.main.dataframe
              if list(d.value.columns) == ["Attribute", "Value", "Unit"]]
    if product.attributes.empty:
        assert tables == []
        return
    (table,) = tables

    def shown(value):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            return "—"
        return "none" if value == "None" else str(value)

    expected = [[shown(v) for v in row] for row in
                product.attributes[["name", "value", "unit"]].itertuples(index=False)]
    assert table.values.tolist() == expected


@pytest.mark.parametrize("key", list(DEMOS))
def test_every_trade_field_is_on_the_overview(key):
    """Nothing parsed stays only on the Raw data page: each filled Trade field and each
    note appears in one of the Overview's sections, lines or metrics."""
    product = product_of(key)
    t = product.trade
    listed = dict(terms.terms_of_trade(product) + terms.affiliate_terms(product)
                  + terms.listing_details(product))
    lines = {label: text for label, text, _ in terms.shipping_lines(product)}
    for note, text in t.notes.items():
        if note == "FOB price unit":
            assert text in listed["FOB price"]
        elif note == "Platform product type":
            assert listed["Marketplace"] == status_label(product.platform, text).text
        else:
            assert listed[note] == text, note
    if t.moq:
        (moq,) = [n for n in analysis.price_numbers(product) if n.label == "Minimum order"]
        assert moq.value == f"{t.moq:,} {t.moq_unit}".strip()
    expected = {"supply_ability": "Supply ability",
                "payment_methods": "Payment methods", "packaging": "Packaging",
                "package_size": "Package size", "gross_weight_kg": "Gross weight",
                "handling_days": "Handling time", "commission_rate_pct": "Commission rate",
                "hot_commission_rate_pct": "Hot product commission rate",
                "promotion_link": "Promotion link", "postage": "Postage",
                "installation": "Installation", "fob_min": "FOB price"}
    for field, label in expected.items():
        if getattr(t, field) not in (None, "", []):
            assert label in listed, (field, label)
    if t.delivery_days is not None:
        assert lines["Delivery"].startswith(f"about {t.delivery_days} days")
    if t.ship_from_countries:
        assert lines["Ships from"] == countries_label(t.ship_from_countries).text
    if product.category:
        assert product.category in listed.values()
    for value in product.alt_ids.values():
        assert value in listed.values()
