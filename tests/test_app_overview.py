"""The app in demo mode through AppTest: the Overview of every demo product."""
from __future__ import annotations

import pytest

from apptest_util import metrics, run_app, texts
from lib.client import fetch_product
from lib.format import money_range
from lib.sandbox import DEMO_PRODUCTS

EXPECTED = {
    # product id -> (title start, sale price range, original price range, variants)
    "1005006789012345": ("Trail 40L Hiking Backpack", "24.90–40.90", "32.37–58.08", "45"),
    "1005005432109876": ("750ml Insulated Stainless Steel", "14.24", "19.99", "1"),
    "1005004321098765": ("Shockproof Matte Phone Case", "2.90–3.55", "7.99–15.99", "24"),
}


def test_three_aliexpress_demo_products_come_first():
    assert [q.product_id for q in DEMO_PRODUCTS[:3]] == list(EXPECTED)
    assert {q.platform for q in DEMO_PRODUCTS[:3]} == {"aliexpress"}


@pytest.mark.parametrize("product_id", list(EXPECTED))
def test_overview_shows_demo_product_from_url(product_id):
    at = run_app(platform="aliexpress", id=product_id)
    assert not at.exception
    title, sale, original, variants = EXPECTED[product_id]
    assert at.subheader[0].value.startswith(title)
    shown = metrics(at)
    assert shown["Price (USD)"] == sale
    assert shown["Original price (USD)"] == original
    assert shown["Variants"] == variants
    assert "Demo data" in texts(at)
    # The page shows what the library computes for the same product.
    product = fetch_product(DEMO_PRODUCTS[list(EXPECTED).index(product_id)])
    assert shown[f"Price ({product.currency})"] == money_range(*product.price_range("sale_price"))
    assert shown["Images"] == str(len(product.media.images))
    assert at.query_params["id"] == [product_id] or at.query_params["id"] == product_id


def test_no_query_opens_first_demo_product():
    at = run_app()
    assert not at.exception
    assert at.subheader[0].value.startswith("Trail 40L Hiking Backpack")
    assert metrics(at)["Sold"] == "10000+"


def test_unknown_product_gets_plain_message():
    at = run_app(platform="aliexpress", id="1005000000000000")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "No product with this ID was found. It may have been removed by the seller, or "
        "the ID may be mistyped."]


def test_malformed_id_in_link_is_explained_not_replaced():
    at = run_app(platform="aliexpress", id="12ab")
    assert not at.exception
    (error,) = at.error
    assert "not a product ID" in error.value and "1005006789012345" in error.value
    assert not at.metric          # no other product silently shown instead


def test_sidebar_form_loads_pasted_link():
    at = run_app()
    at.sidebar.text_input[0].input(
        " https://M.AliExpress.com/item/1005004321098765.html?spm=a2g0o.detail&sku_id=1 ")
    at.sidebar.button[0].click().run()
    assert not at.exception
    assert at.subheader[0].value.startswith("Shockproof Matte Phone Case")


def test_sidebar_form_rejects_bad_input_with_message():
    at = run_app()
    at.sidebar.text_input[0].input("https://www.amazon.com/dp/B0C1234567")
    at.sidebar.button[0].click().run()
    assert not at.exception
    assert any("not supported" in e.value for e in at.sidebar.error)


def test_overview_shows_the_sanitised_seller_description():
    at = run_app(platform="aliexpress", id="1005006789012345")
    assert not at.exception
    (expander,) = [e for e in at.expander if e.label == "Seller's description"]
    html = expander.get("html")[0].proto.body
    assert "lightweight hiking backpack" in html
    assert "<script" not in html.lower() and "onerror" not in html.lower()


def test_other_platforms_demo_products_open_from_the_folded_list():
    at = run_app(platform="aliexpress", id="1005006789012345")
    (folded,) = [e for e in at.sidebar.expander if e.label == "Other platforms' demo products"]
    labels = [b.label for b in folded.button]
    assert "Custom-logo stoneware mug (Alibaba.com)" in labels
    assert "Trail 40L hiking backpack" not in labels          # current platform: above
    folded.button(key="demo-alibaba:AAHq3mZ8Kx2WvN7p-Tb4sL9e").click().run()
    assert not at.exception
    assert at.subheader[0].value.startswith("Custom Logo Stoneware Coffee Mug")


@pytest.mark.parametrize("product_id", list(EXPECTED))
def test_overview_stock_figures_come_from_the_fixture(product_id):
    """Every AliExpress demo SKU carries a stock figure: the units add up, the sold-out
    count is the fixture's, and nothing is called unknown."""
    from test_analysis import fixture_skus

    skus = fixture_skus(product_id)
    at = run_app(platform="aliexpress", id=product_id)
    (stock,) = [m for m in at.metric if m.label == "Stock (units)"]
    assert stock.value == f"{sum(max(s['stock'], 0) for s in skus):,}"
    assert stock.proto.help == "Units in stock over all variants."
    (variants,) = [m for m in at.metric if m.label == "Variants"]
    sold_out = sum(s["stock"] <= 0 for s in skus)
    noun = "variant" if len(skus) == 1 else "variants"
    assert variants.proto.help == f"{sold_out} of {len(skus)} {noun} out of stock."
