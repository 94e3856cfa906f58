"""Landed cost: goods at the tier price, shipping, import charges and fees for N units
delivered to the sidebar's country, in the sidebar's currency; margin and break-even.

Settings bound to query params: variant, qty, ship (cheapest / fastest / tracked / an
option code), import (platform / rate / none), duty, payfee, other, sell, sellfee, and
for platforms without a shipping call freight + basis. The arithmetic is lib/landed.py.
"""
import dataclasses

import streamlit as st

from lib import analysis, charts, landed, rates, refs, ui
from lib import format as fmt
from lib.errors import FetchError
from lib.platforms import PLATFORMS
from lib.query import FreightQuery
from lib.report import LandedSeen
from lib.text import literal

product = ui.current_product()
ui.page_intro(product, "Landed cost")
platform = PLATFORMS[product.platform]
query = product.query
currency = (query.currency if query else product.currency or "").upper()
country = query.country if query else ""

skus = product.skus.dropna(subset=["sale_price"])
if skus.empty:
    st.info("This product has no prices in the answer, so there is no landed cost to work "
            "out.", icon=":material/info:")
    st.stop()

labels = analysis.variant_labels(product, skus)
cheapest_sku = str(skus.loc[skus["sale_price"].idxmin(), "sku_id"])
preselected = refs.requested_sku(product, labels) or cheapest_sku
estimates = bool(product.trade.import_charges)
import_modes = ([landed.FROM_PLATFORM] if estimates else []) + [landed.BY_RATE,
                                                                 landed.NO_CHARGES]
# Selectboxes write their shown label into the URL ("ship=Fastest"); a hand-written link
# may say ship=fastest or import=rate too.
ui.bound_settings("landed-cost", product, {"variant": preselected, "ship": landed.CHEAPEST,
                                           "import": import_modes[0]},
                  aliases={"ship": {rule: rule for rule in landed.RULES},
                           "import": {mode: mode for mode in import_modes}})

# --- inputs ---------------------------------------------------------------------------------
with st.container(border=True):
    top = st.columns([3, 1, 2])
    sku_id = top[0].selectbox("Variant", list(labels), index=list(labels).index(preselected),
                              format_func=labels.get, key="variant", bind="query-params")
    quantity = int(top[1].number_input("Quantity", min_value=1, max_value=1_000_000,
                                       value=100, step=1, key="qty", bind="query-params"))
    top[2].markdown(f"**Ship to:** {literal(country)} · **in** {literal(currency)}  \n"
                    ":small[Change both in the sidebar.]")

    if platform.quotes_shipping:
        freight_inputs = None
    else:
        cols = st.columns([1, 1, 2])
        amount = cols[0].number_input(f"Your freight ({literal(currency)})", min_value=0.0,
                                      value=None, step=0.5, format="%.2f", key="freight",
                                      bind="query-params",
                                      placeholder="not entered")
        basis = cols[1].selectbox("Freight is", [landed.PER_UNIT, landed.PER_SHIPMENT,
                                                 landed.PER_KG], key="basis",
                                  bind="query-params")
        weight = product.trade.gross_weight_kg
        cols[2].caption(f"{platform.label} has no shipping call here: the freight figure "
                        "is yours. Package weight sent: "
                        + (f"{weight:g} kg per unit." if weight else "none."))
        freight_inputs = (amount, basis, weight)

    costs = st.columns(4)
    mode_names = {landed.FROM_PLATFORM: "The platform's estimate",
                  landed.BY_RATE: "Duty/VAT rate", landed.NO_CHARGES: "None"}
    import_mode = costs[0].selectbox("Import charges", import_modes, key="import",
                                     format_func=mode_names.get, bind="query-params",
                                     help="What the product sends per variant, or a rate of "
                                          "goods + shipping you set. A shipping option that "
                                          "collects the VAT at checkout has none.")
    duty = costs[1].number_input("Duty + VAT (%)", min_value=0.0, max_value=200.0,
                                 value=None, step=0.5, key="duty", bind="query-params",
                                 placeholder="not set",
                                 disabled=import_mode != landed.BY_RATE)
    payment_fee = costs[2].number_input("Payment fee (%)", min_value=0.0, max_value=50.0,
                                        value=0.0, step=0.1, key="payfee",
                                        bind="query-params",
                                        help="Of goods + shipping, as your payment provider "
                                             "charges it")
    other = costs[3].number_input(f"Other costs per shipment ({literal(currency)})",
                                  min_value=0.0, value=0.0, step=1.0, key="other",
                                  bind="query-params",
                                  help="Customs broker, inspection, labels, …")
    selling = st.columns(4)
    sell_price = selling[0].number_input(f"Target sell price per unit ({literal(currency)})",
                                         min_value=0.0, value=None, step=0.5, format="%.2f",
                                         key="sell", bind="query-params",
                                         placeholder="not set")
    selling_fee = selling[1].number_input("Selling fees (% of the sell price)",
                                          min_value=0.0, max_value=99.0, value=0.0, step=0.5,
                                          key="sellfee", bind="query-params")

inputs = landed.Inputs(quantity=quantity, currency=currency, import_mode=import_mode,
                       duty_pct=duty, payment_fee_pct=payment_fee or 0.0,
                       other_per_shipment=other or 0.0, sell_price=sell_price,
                       selling_fee_pct=selling_fee or 0.0)

# --- shipping options: the platform's quotes at every quantity the steps need --------------
steps_at = landed.curve_quantities(product, sku_id, quantity)
quote_error: FetchError | None = None
if platform.quotes_shipping and query is not None:
    wanted = [FreightQuery(query, sku_id, q) for q in steps_at]
    answers = dict(zip(steps_at, ui.load_freight(wanted)))
    source = f"{platform.label} shipping quote for {country}"
    if isinstance(answers[quantity], FetchError):
        quote_error = answers[quantity]
else:
    amount, basis, weight = freight_inputs or (None, landed.PER_UNIT, None)
    answers, source = {}, ""
    for q in steps_at:
        answers[q], source_q = landed.user_freight(amount, basis, q, weight, currency)
        source = source_q if q == quantity else source

if quote_error is not None:
    st.subheader(f"No shipping quote for {quantity:,} units", anchor=False)
    ui.error_box(quote_error)
    st.stop()

options = answers[quantity]
results = landed.landed_all(product, sku_id, options, inputs, platform_label=platform.label,
                            shipping_source=source)
rule = st.session_state.get("ship", landed.CHEAPEST)
choices = list(landed.RULES) + [r.option for r in results if r.option
                                and r.option not in landed.RULES]
names = {landed.CHEAPEST: "Cheapest", landed.FASTEST: "Fastest",
         landed.TRACKED: "Cheapest tracked",
         **{r.option: r.carrier or r.option for r in results if r.option}}
if platform.quotes_shipping:
    rule = st.selectbox("Shipping option", choices, format_func=lambda c: names.get(c, c),
                        key="ship", bind="query-params",
                        help="Which of the quoted options the landed cost uses")
chosen = landed.choose(results, rule) if platform.quotes_shipping else \
    (results[0] if results else None)

if options.empty:
    st.info(f"{platform.label} sent no shipping option for this variant to "
            f"{literal(country)}.", icon=":material/info:")
    st.stop()
if chosen is None:
    st.warning(f"No landed cost: {literal(landed.no_choice_reason(results, rule))}.",
               icon=":material/warning:")
    st.stop()

# --- the answer -----------------------------------------------------------------------------
money = lambda value: fmt.money(value, currency)          # noqa: E731 (one unit everywhere)
if chosen.total is None:
    st.warning(f"No landed cost for this option: {literal(chosen.reason)}.",
               icon=":material/warning:")
    if not platform.quotes_shipping:
        st.caption("Enter your freight above to work it out.")
    st.stop()

margin = landed.margin(chosen, inputs)
ui.remember_view("landed-cost", product, landed=LandedSeen(chosen, inputs, names.get(rule, rule)
                                   if platform.quotes_shipping else ""))
figures = st.columns(4)
figures[0].metric(f"Landed per unit ({literal(currency)})", fmt.number(chosen.per_unit, 2),
                  help="Goods + shipping + import charges + fees, divided by the quantity")
figures[1].metric(f"Landed total ({literal(currency)})", fmt.number(chosen.total, 2),
                  help=f"For {quantity:,} units")
figures[2].metric("Days to deliver", landed.days_text(chosen),
                  help="The shipping option's estimate, minimum to maximum")
figures[3].metric(f"Break-even sell price ({literal(currency)})",
                  fmt.number(margin.break_even, 2) if margin and margin.break_even else "—",
                  help="Per unit, after the selling fees")
st.caption(literal(f"Shipping: {chosen.carrier or chosen.option or 'your freight'}"
                   + (f" ({chosen.option})" if chosen.option and chosen.carrier
                      and chosen.option != landed.USER_OPTION else "")
                   + f" · tracking {landed.yes_no(chosen.tracking)}"
                   + f" · ships from {chosen.ship_from or 'not sent'}"))
if chosen.excludes:
    st.warning("Import charges are not included: " + literal(chosen.import_charges.reason)
               + ". Choose “Duty/VAT rate” and set one, or “None”.", icon=":material/warning:")
if chosen.below_moq:
    st.warning(f"{quantity:,} units is below the first price tier; the supplier may not "
               "accept the order.", icon=":material/warning:")
if margin and inputs.sell_price is not None:
    sale = st.columns(4)
    sale[0].metric(f"Profit ({literal(currency)})", fmt.number(margin.profit, 2),
                   help=f"{quantity:,} × {fmt.number(inputs.sell_price, 2)} − selling fees − "
                        "landed total")
    sale[1].metric("Margin", fmt.percent(margin.margin_pct, 1), help="Profit / revenue")
    sale[2].metric("ROI", fmt.percent(margin.roi_pct, 1), help="Profit / landed total")
    sale[3].metric(f"Selling fees ({literal(currency)})", fmt.number(margin.selling_fees, 2))

st.subheader("Breakdown", anchor=False)
parts = landed.parts_table(chosen)
shown = parts.assign(
    per_unit=[money(v) if v is not None else "—" for v in parts["per_unit"]],
    total=[money(v) if v is not None else "—" for v in parts["total"]])
shown.loc[len(shown)] = {"part": "Landed cost", "per_unit": money(chosen.per_unit),
                         "total": money(chosen.total),
                         "source": "the sum" + (" (import charges not included)"
                                                if chosen.excludes else "")}
st.dataframe(shown[["part", "per_unit", "total", "source"]], hide_index=True,
             width="stretch", column_config={
                 "part": "Part", "per_unit": "Per unit", "total": f"For {quantity:,}",
                 "source": st.column_config.TextColumn("Where it comes from", width="large")})
st.altair_chart(charts.landed_bar(parts, currency=currency), width="stretch")

st.subheader("Landed cost per unit against quantity", anchor=False)
points = []
for q in steps_at:
    answer = answers.get(q)
    if isinstance(answer, FetchError) or answer is None:
        points.append((q, None))
        continue
    at_q = landed.landed_all(product, sku_id, answer, dataclasses.replace(inputs, quantity=q),
                             platform_label=platform.label, shipping_source=source)
    points.append((q, landed.choose(at_q, rule)))
curve = landed.curve(points)
if len(curve) >= 2:
    log_x = analysis.spans_orders_of_magnitude(curve["quantity"])
    st.altair_chart(charts.landed_steps(curve, currency=currency, quantity=quantity,
                                        log_x=log_x), width="stretch")
    best_q = landed.cheapest_quantity(curve)
    skipped = [q for q, r in points if r is None]
    st.caption(f"Worked out at each price-tier break and at your quantity, with the "
               f"{names.get(rule, rule).lower()} shipping option quoted there. Cheapest per "
               f"unit among these quantities: {best_q:,} units at {money(curve['landed_per_unit'].min())}."
               + (f" No quote at {', '.join(f'{q:,}' for q in skipped)} units."
                  if skipped else ""))
else:
    st.caption("One price for every quantity and one quote: nothing to draw against "
               "quantity.")

st.subheader("Shipping options", anchor=False)
if product.pinned and platform.quotes_shipping:
    st.caption(":material/push_pin: The product is as of its snapshot; the shipping quotes "
               "are asked for now (the store keeps products, not quotes).")
st.dataframe(landed.options_table(results, options), hide_index=True, width="stretch")
st.caption(f"Quoted for {quantity:,} units of this variant to {literal(country)}"
           + (f" by {platform.label}." if platform.quotes_shipping else
              ": the figure is yours.")
           + f" Money in {literal(currency)}; other currencies converted with the "
             f"{rates.source_text()}.")

stem = f"{product.platform}-{product.product_id}"
ui.download_table(landed.export_table(results), "landed-cost", stem,
                  "Download the breakdown")
