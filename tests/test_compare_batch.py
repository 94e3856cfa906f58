"""Compare and batch: the pure comparison functions and both pages through AppTest."""
from __future__ import annotations

import pandas as pd
import pytest

from apptest_util import finish_jobs, frame_with, run_app
from lib import compare
from lib.client import fetch_many
from lib.errors import ProductNotFound
from lib.query import ProductQuery

BACKPACK = "aliexpress:1005006789012345"
CASE = "aliexpress:1005004321098765"
BOTTLE = "aliexpress:1005005432109876"
SCALE_EUR = "aliexpress-affiliate:1005006543210987"


@pytest.fixture(scope="module")
def products():
    queries, problems = compare.parse_refs(f"{BACKPACK}\n{CASE} {BOTTLE}")
    assert problems == []
    return fetch_many(queries)


def test_parse_refs_keeps_order_drops_repeats_and_explains_bad_entries():
    queries, problems = compare.parse_refs(
        "1005006789012345, https://www.aliexpress.com/item/1005004321098765.html\n"
        f"{BACKPACK}; banana alibaba:AAHq3mZ8Kx2WvN7p-Tb4sL9e")
    assert [q.key for q in queries] == [BACKPACK, CASE, "alibaba:AAHq3mZ8Kx2WvN7p-Tb4sL9e"]
    assert [p.text for p in problems] == ["banana"]
    assert "not a product ID" in problems[0].message


def test_comparison_table_values(products):
    table = compare.comparison(products, "USD")
    values = table.values()
    labels = [compare.product_label(p) for p in products]
    backpack, case, bottle = labels
    assert values.loc["Lowest price", backpack] == pytest.approx(24.90)
    assert values.loc["Unit price at 100", backpack] == pytest.approx(22.41)   # 50+ tier
    assert values.loc["Unit price at 100", case] == pytest.approx(2.90)        # no tiers
    assert values.loc["Variants"].tolist() == [45, 24, 1]
    assert values.loc["Videos"].tolist() == [2, 1, 0]
    assert values.loc["DSR: Communication", bottle] is None    # missing, not zero
    assert table.text().loc["DSR: Communication", bottle] == "— not sent"
    best = table.best()
    assert best["Lowest price"] == [case]
    assert best["Rating"] == [bottle]
    assert best["DSR: Communication"] == [case]
    # More variants, images or videos is not "better"; nor are reviews or sales.
    assert not {"Variants", "Images", "Videos", "Reviews", "Sales"} & set(best)


def test_prices_converted_with_given_rates_else_reference_rates():
    queries, _ = compare.parse_refs(f"{BACKPACK} {SCALE_EUR}", currency="EUR")
    products = fetch_many(queries)
    # Asked for EUR: the demo gateway converts the backpack as the live one does.
    assert compare.currencies(products) == ["EUR"]
    usd = fetch_many([compare.parse_key(BACKPACK)])
    table = compare.comparison(usd + products[1:], "EUR", {"USD": 0.5})
    backpack = compare.product_label(usd[0])
    assert table.values().loc["Lowest price", backpack] == pytest.approx(12.45)
    assert table.values().loc["Currency", backpack] == "USD → EUR at 0.5"
    assert "Lowest price" in table.best()


def test_price_curves_reach_the_same_largest_quantity(products):
    curves, left_out = compare.price_curves(products, compare.comparison(products, "USD"))
    assert left_out == []
    ends = curves.groupby("series")["quantity"].max()
    assert set(ends) == {int(curves["quantity"].max())}
    first = curves[curves["series"] == compare.product_label(products[0])]
    assert first.sort_values("quantity")["unit_price"].iloc[0] == pytest.approx(24.90)


def test_batch_table_splits_results_and_failures():
    queries = [ProductQuery("aliexpress", "1005006789012345"),
               ProductQuery("aliexpress", "1005000000000001")]
    results = fetch_many(queries)
    assert isinstance(results[1], ProductNotFound)
    rows, failures = compare.batch_table(results, queries)     # lib.batch's, re-exported
    assert rows["Product id"].tolist() == ["1005006789012345"]
    assert rows.loc[0, "Variants"] == 45
    assert failures.to_dict("records")[0]["Kind"] == "product not found"
    assert "No product with this ID" in failures.loc[0, "Problem"]


def test_compare_page_from_url_highlights_and_charts():
    at = run_app("views/compare.py", p=[BACKPACK, CASE, BOTTLE])
    assert not at.exception
    table = at.dataframe[0].value
    # Ordered by landed cost per unit at 100 (issue 14): case, bottle, backpack.
    assert list(table.loc["Variants"]) == ["24", "1", "45"]
    assert table.loc["Rank by landed cost"].tolist() == ["1 of 3", "2 of 3", "3 of 3"]
    assert table.loc["DSR: Communication"].iloc[1] == "— not sent"
    specs = [c for c in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")]
    assert len(specs) == 2                       # price curves and DSR by product
    assert not at.warning                        # one currency: no warning


def test_compare_page_rate_can_be_changed():
    at = run_app("views/compare.py", p=[BACKPACK, "tuya:CMsmartplug01"])
    assert not at.exception
    rate = at.number_input(key="rate_EUR_USD")
    rate.set_value(2.0).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table.loc["Lowest price"].iloc[1] == "23.98"         # 11.99 EUR x 2


def test_compare_page_adds_typed_products_to_the_url():
    at = run_app("views/compare.py")
    assert any("Nothing to compare" in i.value for i in at.info)
    at.text_area[0].input("1005006789012345\nbad-entry")
    at.button(key="FormSubmitter:compare-add-Add to comparison").click().run()
    assert not at.exception
    shown = at.query_params["p"]
    assert (shown if isinstance(shown, list) else [shown]) == [BACKPACK]


def test_batch_page_fetches_reports_and_lists_failures():
    at = run_app("views/batch.py")
    at.text_area[0].input("1005006789012345\n1005000000000001\naliexpress:1005004321098765\nxyz")
    at.run()
    (summary,) = [e for e in at.expander if "not a product id" in e.label]
    assert summary.dataframe[0].value["Entered as"].tolist() == ["xyz"]
    [button] = [b for b in at.button if b.label.startswith("Fetch")]
    assert button.label == "Fetch 3 product(s)"
    button.click().run()
    finish_jobs(at)
    assert not at.exception
    assert any("2 fetched · 1 failed" in m.value for m in at.markdown)
    failures, results = frame_with(at, "Problem"), frame_with(at, "Link")
    assert failures["Product id"].tolist() == ["1005000000000001", ""]
    assert failures["Entered as"].tolist()[-1] == "xyz"                # with its reason
    assert results["Product id"].tolist() == ["1005006789012345", "1005004321098765"]
    assert results["Variants"].tolist() == [45, 24]


def test_problem_text_is_named_once():
    _, problems = compare.parse_refs("banana https://www.amazon.com/dp/B0C1234567")
    banana, amazon = problems
    assert str(banana).count("banana") == 1
    assert str(amazon).startswith("“https://www.amazon.com/dp/B0C1234567”: ")
