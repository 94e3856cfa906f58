"""Price tiers: unit price against quantity per SKU, an order calculator, lead times.

Settings bound to query params: qty (order quantity), variant (calculator variant),
variants (the chart's variants); keys carry no product id, so a shared link reads well.
"""
import streamlit as st

from lib import analysis, charts, refs, ui
from lib import format as fmt
from lib.text import literal
from lib.platforms import PLATFORMS

product = ui.current_product()
ui.page_intro(product, "Price tiers")

skus = product.skus.dropna(subset=["sale_price"])
currency = product.currency
trade = product.trade
has_tiers = not product.tiers.empty

if has_tiers:
    ui.not_provided_note(product, "tier")

if skus.empty:
    st.info("This product has no prices in the answer, so there are no tiers to show.",
            icon=":material/info:")
    st.stop()

labels = analysis.variant_labels(product, skus)
cheapest = str(skus.loc[skus["sale_price"].idxmin(), "sku_id"])
# The calculator starts on the variant the link names (sku_id), else the cheapest.
preselected = refs.requested_sku(product, labels) or cheapest
dearest = str(skus.loc[skus["sale_price"].idxmax(), "sku_id"])
chart_default = list(dict.fromkeys([cheapest, dearest]))
ui.bound_settings("price-tiers", product, {"variant": preselected, "variants": chart_default})

if not has_tiers:
    # One message (why, and the one unit price); no chart of flat lines.
    st.info(literal(analysis.flat_price_note(product, PLATFORMS[product.platform].label)),
            icon=":material/info:")

facts = []
moq = analysis.moq(product)
if trade.moq:
    facts.append(f"**MOQ:** {trade.moq:,} {literal(trade.moq_unit)}".strip())
elif moq and moq > 1:
    facts.append(f"**MOQ:** {moq:,}")
if trade.fob_min is not None:
    fob_currency = trade.fob_currency or currency
    fob = fmt.money_range(trade.fob_min, trade.fob_max, fob_currency)
    facts.append(f"**FOB:** {literal(fob)}"
                 + ("" if fob_currency else f" ({fmt.NO_CURRENCY})"))
if trade.supply_ability:
    facts.append(f"**Supply ability:** {literal(trade.supply_ability)}")
if facts:
    st.markdown(" · ".join(facts))

if has_tiers:
    chosen = st.multiselect("Variants", list(labels), default=chart_default,
                            format_func=labels.get, key="variants", bind="query-params",
                            help="Default: the cheapest and the dearest variant")
    if chosen:
        points = analysis.step_points(product, chosen)
        log_x = analysis.spans_orders_of_magnitude(points["quantity"])
        st.altair_chart(charts.tier_steps(points, currency=fmt.currency_label(currency),
                                          log_x=log_x, moq=moq), width="stretch")
    else:
        st.caption("Pick one or more variants to draw their price steps.")

st.subheader("Order calculator", anchor=False)
left, right = st.columns([2, 1])
sku_id = left.selectbox("Variant", list(labels), index=list(labels).index(preselected),
                        format_func=labels.get, key="variant", bind="query-params")
quantity = right.number_input("Quantity", min_value=1, max_value=10_000_000, value=100,
                              step=1, key="qty", bind="query-params")
quote = analysis.quote(product, sku_id, int(quantity))
ui.remember_view("price-tiers", product, variant=sku_id, quantity=int(quantity),
                 chart_variants=tuple(chosen) if has_tiers else None)
if quote:
    cols = st.columns(4)
    cols[0].metric("Tier (units)", analysis.tier_span(quote.tier_min_qty, quote.tier_max_qty),
                   help=literal(quote.source))
    # The currency is the payload's: labels and tooltips take it as literal text.
    cols[1].metric(literal(fmt.with_unit("Unit price", currency)), fmt.money(quote.unit_price))
    cols[2].metric(literal(fmt.with_unit("Total", currency)), fmt.money(quote.total))
    cols[3].metric(literal(fmt.with_unit("Saving", currency)), fmt.money(quote.saving),
                   help=literal(f"Against {int(quantity):,} × the single-unit price "
                                f"{analysis.price_text(quote.single_unit_price, currency)}"))
    if quote.below_moq:
        st.warning(f"{int(quantity):,} units is below the first tier "
                   f"({quote.tier_min_qty:,}); the supplier may not accept the order.")

if has_tiers:
    st.subheader("All tiers", anchor=False)
    headers = {**analysis.TIER_HEADERS,
               "unit_price": fmt.with_unit(analysis.TIER_HEADERS["unit_price"], currency)}
    config = {column: st.column_config.TextColumn(header) for column, header in headers.items()}
    config["min_qty"] = st.column_config.NumberColumn(headers["min_qty"], format="%d")
    config["unit_price"] = st.column_config.NumberColumn(headers["unit_price"], format="%.2f")
    tiers = analysis.tiers_table(product, labels)
    if str(tiers["unit_price"].dtype) == "object":        # a gap made it text ("—")
        config["unit_price"] = st.column_config.TextColumn(headers["unit_price"])
    st.dataframe(tiers, hide_index=True, width="stretch", column_config=config)
    ui.download_csv(product.tiers, "tiers", product)

if not product.lead_times.empty:
    st.subheader("Lead time by quantity", anchor=False)
    st.dataframe(analysis.lead_times_table(product), hide_index=True)
    ui.download_csv(product.lead_times, "lead-times", product)
