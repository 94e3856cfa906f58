"""The report follows what the user saw: each view records its settings for the product
on screen (lib.ui.remember_view), and the Overview's report is built from them."""
from __future__ import annotations

from apptest_util import open_view

from lib import ui
from lib.client import fetch_product
from lib.query import ProductQuery
from lib.report import LandedSeen, ProductSettings, product_report

BACKPACK = ("aliexpress", "1005006789012345")


def _seen(at) -> dict:
    return at.session_state[ui.STATE_REPORT][":".join(BACKPACK)]


def _report(seen: dict) -> str:
    merged: dict = {}
    for scope in ("sku-matrix", "price-tiers", "landed-cost"):
        merged.update(seen.get(scope, {}))
    product = fetch_product(ProductQuery(*BACKPACK))
    return product_report(product, ProductSettings(**merged)).decode()


def test_views_record_what_they_showed_and_the_report_follows():
    at = open_view("sku_matrix", *BACKPACK, metric="stock", rows="Size", cols="Color")
    matrix = _seen(at)["sku-matrix"]
    assert matrix["metric"] == "stock" and matrix["rows"] == "Size" and matrix["cols"] == "Color"
    assert matrix["filters"] == {"Ships From": ["China"]}

    at.query_params["qty"] = "250"
    at.switch_page("views/price_tiers.py").run()
    assert not at.exception
    tiers = _seen(at)["price-tiers"]
    assert tiers["quantity"] == 250 and tiers["variant"]
    assert len(tiers["chart_variants"]) == 2           # the chart's default: cheapest, dearest

    at.switch_page("views/landed_cost.py").run()
    assert not at.exception
    seen = _seen(at)
    landed = seen["landed-cost"]["landed"]
    assert isinstance(landed, LandedSeen) and landed.result.total is not None
    assert seen["sku-matrix"]["metric"] == "stock"       # other views' settings kept

    html = _report(seen)
    assert "Stock by Size (rows) and Color (columns)" in html
    assert f"{tiers['quantity']:,} units of" in html
    assert "Landed cost</h2>" in html
    assert f"{landed.result.quantity:,} units delivered" in html


def test_a_product_never_opened_in_the_views_gets_their_defaults():
    at = open_view("overview", *BACKPACK)
    assert ui.STATE_REPORT not in at.session_state or \
        ":".join(BACKPACK) not in at.session_state[ui.STATE_REPORT]
    html = _report({})
    assert "Sale price (USD) by Color (rows) and Size (columns)" in html
    assert "100 units of" in html
    assert "Landed cost</h2>" not in html
