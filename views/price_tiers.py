"""Price tiers: unit price against quantity per SKU, an order calculator, lead times."""
import streamlit as st

from lib import analysis, charts, ui
from lib import format as fmt

product = ui.current_product()
ui.page_intro(product, "Price tiers")
ui.not_provided_note(product, "tier")

skus = product.skus.dropna(subset=["sale_price"])
currency = product.currency
trade = product.trade

if skus.empty:
    st.info("This product has no prices in the answer, so there are no tiers to show.",
            icon=":material/info:")
    st.stop()

labels = {row["sku_id"]: analysis.variant_label(product, row) for _, row in skus.iterrows()}
cheapest = skus.loc[skus["sale_price"].idxmin(), "sku_id"]
dearest = skus.loc[skus["sale_price"].idxmax(), "sku_id"]
has_tiers = not product.tiers.empty

if not has_tiers:
    low, high = product.price_range("sale_price") or (None, None)
    st.info("No wholesale price tiers for this product: every quantity costs the same "
            f"unit price ({fmt.money_range(low, high, currency)}).", icon=":material/info:")

facts = []
moq = analysis.moq(product)
if trade.moq:
    facts.append(f"**MOQ:** {trade.moq:,} {trade.moq_unit}".strip())
elif moq and moq > 1:
    facts.append(f"**MOQ:** {moq:,}")
if trade.fob_min is not None:
    facts.append(f"**FOB:** {fmt.money_range(trade.fob_min, trade.fob_max, trade.fob_currency)}")
if trade.supply_ability:
    facts.append(f"**Supply ability:** {trade.supply_ability}")
if facts:
    st.markdown(" · ".join(facts))

chosen = st.multiselect("Variants", list(labels), default=list(dict.fromkeys([cheapest, dearest])),
                        format_func=labels.get,
                        key=f"tiers-skus-{product.platform}-{product.product_id}",
                        help="Default: the cheapest and the dearest variant")
if chosen:
    points = analysis.step_points(product, chosen)
    log_x = analysis.spans_orders_of_magnitude(points["quantity"])
    st.altair_chart(charts.tier_steps(points, currency=currency, log_x=log_x, moq=moq),
                    width="stretch")
else:
    st.caption("Pick one or more variants to draw their price steps.")

st.subheader("Order calculator", anchor=False)
left, right = st.columns([2, 1])
sku_id = left.selectbox("Variant", list(labels), index=list(labels).index(cheapest),
                        format_func=labels.get, key="calc-sku")
quantity = right.number_input("Quantity", min_value=1, max_value=10_000_000, value=100,
                              step=1, key="calc-qty")
quote = analysis.quote(product, sku_id, int(quantity))
if quote:
    cols = st.columns(4)
    tier_text = (f"{quote.tier_min_qty:,}+" if quote.tier_max_qty is None
                 else f"{quote.tier_min_qty:,}–{quote.tier_max_qty:,}")
    cols[0].metric("Tier (units)", tier_text, help=quote.source)
    cols[1].metric(f"Unit price ({currency})", fmt.money(quote.unit_price))
    cols[2].metric(f"Total ({currency})", fmt.money(quote.total))
    cols[3].metric(f"Saving ({currency})", fmt.money(quote.saving),
                   help=f"Against {int(quantity):,} × the single-unit price "
                        f"{fmt.money(quote.single_unit_price, currency)}")
    if quote.below_moq:
        st.warning(f"{int(quantity):,} units is below the first tier "
                   f"({quote.tier_min_qty:,}); the supplier may not accept the order.")

if has_tiers:
    st.subheader("All tiers", anchor=False)
    tiers = product.tiers.copy()
    tiers.insert(1, "variant", tiers["sku_id"].map(lambda s: labels.get(s, "all variants")))
    st.dataframe(tiers, hide_index=True, width="stretch", column_config={
        "unit_price": st.column_config.NumberColumn(f"Unit price ({currency})", format="%.2f"),
        "discount": st.column_config.NumberColumn("Discount", format="%.1f%%"),
        "min_qty": st.column_config.NumberColumn("From (units)", format="%d"),
        "max_qty": st.column_config.NumberColumn("To (units)", format="%d"),
    })
    ui.download_csv(product.tiers, "tiers", product)

if not product.lead_times.empty:
    st.subheader("Lead time by quantity", anchor=False)
    st.dataframe(product.lead_times.rename(columns={"max_qty": "up to (units)",
                                                     "days": "days"}),
                 hide_index=True)
    ui.download_csv(product.lead_times, "lead-times", product)
