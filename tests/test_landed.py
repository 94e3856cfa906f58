"""Issue 14: the landed-cost arithmetic (lib/landed.py), checked on values worked out by
hand, and Compare's landed rows (lib/compare_landed.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from lib import compare, compare_landed, landed, rates
from lib.errors import NotAvailableInCountry
from lib.model import (FREIGHT_COLUMNS, SKU_KEY_COLUMNS, SKU_VALUE_COLUMNS, TIER_COLUMNS,
                       Product, Trade, frame)
from lib.query import ProductQuery


def tiered_product(**trade) -> Product:
    """One variant "A" in USD: 10.00 for 1-9, 9.00 for 10-49, 8.00 from 50."""
    skus = frame([{"sku_id": "A", "sku_attr": "", "price": 10.0, "sale_price": 10.0,
                   "currency": "USD", "stock": 500}], SKU_KEY_COLUMNS + SKU_VALUE_COLUMNS)
    tiers = frame([{"sku_id": "A", "min_qty": 1, "max_qty": 9, "unit_price": 10.0,
                    "currency": "USD", "source": "single unit"},
                   {"sku_id": "A", "min_qty": 10, "max_qty": 49, "unit_price": 9.0,
                    "currency": "USD", "source": "wholesale tier"},
                   {"sku_id": "A", "min_qty": 50, "max_qty": None, "unit_price": 8.0,
                    "currency": "USD", "source": "wholesale tier"}], TIER_COLUMNS)
    return Product(platform="aliexpress", product_id="1005000000000001", currency="USD",
                   skus=skus, tiers=tiers, trade=Trade(**trade),
                   query=ProductQuery("aliexpress", "1005000000000001", country="DE",
                                      currency="EUR"))


OPTIONS = frame([
    {"option": "STD", "carrier": "Standard", "fee": 12.5, "currency": "USD",
     "free_shipping": False, "min_days": 10, "max_days": 20, "tracking": True},
    {"option": "ECO", "carrier": "Economy", "free_shipping": True, "min_days": 20,
     "max_days": 35, "tracking": False},
    {"option": "DHL", "carrier": "DHL", "fee": 40.0, "currency": "EUR",
     "free_shipping": False, "min_days": 5, "max_days": 8},
], FREIGHT_COLUMNS)

# 20 units in EUR at the user's rate 1 USD = 0.9 EUR; duty + VAT 20 % of goods +
# shipping; payment fee 3 % of goods + shipping; 15 EUR other costs per shipment.
INPUTS = landed.Inputs(quantity=20, currency="EUR", import_mode=landed.BY_RATE,
                       duty_pct=20.0, payment_fee_pct=3.0, other_per_shipment=15.0,
                       sell_price=20.0, selling_fee_pct=10.0, rates={"USD": 0.9})


def results(inputs=INPUTS, product=None, options=OPTIONS):
    return landed.landed_all(product or tiered_product(), "A", options, inputs,
                             platform_label="AliExpress", shipping_source="quote")


def test_each_part_worked_out_by_hand():
    std, eco, dhl = results()
    # Tier 10-49 at 20 units: 9.00 USD = 8.10 EUR; goods 20 x 8.10 = 162.00.
    assert (std.unit_price.value, std.goods.value) == (8.10, 162.00)
    # Standard: 12.50 USD = 11.25 EUR; import 20 % of 173.25 = 34.65;
    # fees 3 % of 173.25 = 5.1975 + 15 = 20.20; total 228.10.
    assert (std.shipping.value, std.import_charges.value, std.fees.value) == (11.25, 34.65, 20.20)
    assert std.total == 228.10 and std.per_unit == pytest.approx(11.405)
    # Economy is free: import 20 % of 162 = 32.40; fees 4.86 + 15 = 19.86; total 214.26.
    assert (eco.shipping.value, eco.import_charges.value, eco.fees.value) == (0.0, 32.40, 19.86)
    assert eco.total == 214.26
    # DHL is quoted in EUR already: 40.00; import 40.40; fees 6.06 + 15 = 21.06.
    assert (dhl.shipping.value, dhl.import_charges.value, dhl.fees.value) == (40.0, 40.40, 21.06)
    assert dhl.total == 263.46


def test_sources_say_where_each_figure_came_from():
    std = results()[0]
    assert "wholesale tier for 10–49 units" in std.unit_price.source
    assert "USD → EUR at 0.9 (your rate)" in std.unit_price.source
    assert std.import_charges.source == "your rate: 20 % of goods + shipping"
    assert "payment fee 3 % of goods + shipping" in std.fees.source


def test_choosing_cheapest_fastest_tracked_or_one_option():
    found = results()
    assert landed.choose(found, landed.CHEAPEST).option == "ECO"
    assert landed.choose(found, landed.FASTEST).option == "DHL"
    # Economy is untracked and DHL does not say: the cheapest tracked is Standard.
    assert landed.choose(found, landed.TRACKED).option == "STD"
    assert landed.choose(found, "DHL").total == 263.46
    assert landed.choose(found, "GONE") is None
    assert "not offered" in landed.no_choice_reason(found, "GONE")


def test_margin_roi_and_break_even():
    eco = landed.choose(results(), landed.CHEAPEST)
    margin = landed.margin(eco, INPUTS)
    # Revenue 20 x 20 = 400; selling fees 40; profit 400 - 40 - 214.26 = 145.74.
    assert (margin.revenue, margin.selling_fees, margin.profit) == (400.0, 40.0, 145.74)
    assert margin.margin_pct == pytest.approx(36.435)
    assert margin.roi_pct == pytest.approx(145.74 / 214.26 * 100)
    # Break-even: 10.713 per unit / (1 - 10 %) = 11.90.
    assert margin.break_even == 11.90


def test_reference_rate_by_default_and_none_without_a_rate():
    inputs = landed.Inputs(quantity=20, currency="EUR", import_mode=landed.NO_CHARGES)
    std = results(inputs)[0]
    rate = rates.reference_rate("USD", "EUR")
    assert std.unit_price.value == pytest.approx(round(9.0 * rate, 4))
    assert rates.source_text() in std.unit_price.source
    assert std.import_charges.value == 0.0 and std.import_charges.source == "none (your choice)"
    unknown = landed.Inputs(quantity=20, currency="XYZ")
    assert results(unknown)[0].goods.value is None
    assert results(unknown)[0].goods.reason == "no exchange rate for USD"


def test_unknown_import_charges_are_left_out_and_said_so():
    inputs = landed.Inputs(quantity=20, currency="USD", import_mode=landed.BY_RATE)
    std = results(inputs)[0]
    assert std.import_charges.value is None and std.excludes == ["import charges"]
    assert std.import_charges.reason == "no duty/VAT rate set"
    assert std.total == 180.0 + 12.5            # goods + shipping, import left out


def test_platform_estimate_and_vat_included_option():
    product = tiered_product(import_charges={"A": 1.5}, import_charges_currency="USD")
    inputs = landed.Inputs(quantity=20, currency="EUR", import_mode=landed.FROM_PLATFORM,
                           rates={"USD": 0.9})
    std = results(inputs, product)[0]
    assert std.import_charges.value == 27.0           # 20 x 1.50 USD x 0.9
    assert "estimated import charges" in std.import_charges.source
    ddp = OPTIONS.copy()
    ddp["vat_included"] = [True, None, None]
    assert results(inputs, product, ddp)[0].import_charges.value == 0.0
    missing = results(inputs, tiered_product(import_charges={"B": 1.0}))[0]
    assert missing.import_charges.value is None


def test_a_fee_not_sent_is_unknown_never_zero():
    options = frame([{"option": "X", "carrier": "X", "free_shipping": False}], FREIGHT_COLUMNS)
    (result,) = results(options=options)
    assert result.shipping.value is None and result.total is None
    assert result.reason == "shipping: the shipping fee was not sent"
    assert landed.choose([result], landed.CHEAPEST) is None


def test_below_the_first_tier_is_flagged():
    product = tiered_product()
    product.tiers = product.tiers[product.tiers["min_qty"] >= 10].reset_index(drop=True)
    inputs = landed.Inputs(quantity=5, currency="USD", import_mode=landed.NO_CHARGES)
    assert results(inputs, product)[0].below_moq


@pytest.mark.parametrize("amount, basis, weight, fee", [
    (1.2, landed.PER_UNIT, None, 24.0),
    (30.0, landed.PER_SHIPMENT, None, 30.0),
    (2.5, landed.PER_KG, 0.8, 40.0),              # 2.5 x 0.8 kg x 20
    (2.5, landed.PER_KG, None, None),             # no weight sent: cannot be worked out
    (None, landed.PER_UNIT, None, None),
])
def test_user_freight(amount, basis, weight, fee):
    options, source = landed.user_freight(amount, basis, 20, weight, "USD")
    assert list(options.columns) == FREIGHT_COLUMNS
    value = options["fee"].iloc[0]
    assert (None if pd.isna(value) else float(value)) == (
        None if fee is None else pytest.approx(fee))
    assert ("your freight" in source) == (fee is not None)


def test_curve_quantities_and_steps():
    product = tiered_product()
    assert landed.curve_quantities(product, "A", 20) == [1, 10, 20, 50, 100]
    points = []
    for q in landed.curve_quantities(product, "A", 20):
        options, _ = landed.user_freight(30.0, landed.PER_SHIPMENT, q, None, "USD")
        found = landed.landed_all(product, "A", options,
                                  landed.Inputs(quantity=q, currency="USD",
                                                import_mode=landed.NO_CHARGES),
                                  platform_label="x", shipping_source="y")
        points.append((q, found[0]))
    curve = landed.curve(points)
    # 30 per shipment: 1 unit 40.00; 10 units 9 + 3 = 12.00; 100 units 8 + 0.30 = 8.30.
    assert curve.set_index("quantity")["landed_per_unit"].to_dict() == {
        1: 40.0, 10: 12.0, 20: 10.5, 50: 8.6, 100: 8.3}
    assert landed.cheapest_quantity(curve) == 100


def test_export_has_the_issue_columns_one_row_per_option():
    table = landed.export_table(results())
    assert list(table.columns) == landed.EXPORT_COLUMNS
    assert table["option"].tolist() == ["STD", "ECO", "DHL"]
    assert table["landed_total"].tolist() == [228.10, 214.26, 263.46]
    assert set(table["currency"]) == {"EUR"}


def test_options_table_marks_cheapest_and_fastest():
    table = landed.options_table(results(), OPTIONS)
    assert table["Best"].tolist() == ["", "cheapest", "fastest"]
    assert table.loc[2, "Tracking"] == "not sent"
    assert table.loc[1, "Free"] == "yes"


# --- Compare -----------------------------------------------------------------------------
def test_compare_ranks_by_landed_cost_and_says_why_a_cell_is_empty():
    cheap = tiered_product()
    dear = tiered_product()
    dear.product_id = "1005000000000002"
    dear.query = ProductQuery("aliexpress", "1005000000000002", country="DE", currency="EUR")
    dear.skus["sale_price"] = 7.0       # dearer landed despite the lower list price
    refused = tiered_product()
    refused.product_id = "1005000000000003"
    refused.query = ProductQuery("aliexpress", "1005000000000003", country="DE",
                                 currency="EUR")
    expensive_ship = OPTIONS.copy()
    expensive_ship["fee"] = [500.0, None, 600.0]
    expensive_ship["free_shipping"] = [False, False, False]
    quotes = {cheap.query.key: OPTIONS, dear.query.key: expensive_ship,
              refused.query.key: NotAvailableInCountry("x")}
    products = [dear, refused, cheap]
    cells = compare_landed.landed_cells(products, 20, quotes, "USD", {}, None)
    row = compare_landed.landed_row(20)
    labels = [compare.product_label(p) for p in products]
    # Cheap: economy free, 20 x 9.00 = 180 USD -> 9.00 per unit; dear: 180 + 500 -> 34.00.
    assert cells[labels[2]][row].value == 9.0 and cells[labels[0]][row].value == 34.0
    assert cells[labels[1]][row].reason == "not delivered to DE"
    assert cells[labels[2]][compare_landed.RANK_ROW].value == "1 of 2"
    assert compare_landed.ranked_labels(cells, 20) == [labels[2], labels[0], labels[1]]
    table = compare.comparison(products, "USD", {}, extra=cells,
                               extra_rows=compare_landed.rows(20))
    assert table.best()[row] == [labels[2]]
    assert table.rows[table.rows.index("Currency") + 1] == compare_landed.RANK_ROW


def test_compare_landed_variant_skips_sold_out():
    product = tiered_product()
    extra = product.skus.iloc[[0]].copy()
    extra["sku_id"], extra["sale_price"], extra["stock"] = "B", 1.0, 0
    product.skus = pd.concat([product.skus, extra], ignore_index=True)
    assert compare_landed.landed_sku(product, 20) == "A"


def test_charts_carry_their_data():
    from lib import charts

    eco = landed.choose(results(), landed.CHEAPEST)
    bar = charts.landed_bar(landed.parts_table(eco), currency="EUR").to_dict()
    (values,) = bar["datasets"].values()
    # Per unit: goods 8.10, shipping 0 (left out of the bar), import 1.62, fees 0.993.
    assert {v["part"]: round(v["per_unit"], 3) for v in values} == {
        "Goods": 8.1, "Import charges": 1.62, "Fees": 0.993}
    curve = landed.curve([(20, eco)])
    steps = charts.landed_steps(curve, currency="EUR", quantity=20).to_dict()
    assert steps["layer"][0]["mark"]["interpolate"] == "step-after"
    assert any(v.get("landed_per_unit") == round(eco.per_unit, 4)
               for data in steps["datasets"].values() for v in data)
