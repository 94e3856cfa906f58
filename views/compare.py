"""Compare: several products (any platforms) side by side; the list lives in the URL."""
import pandas as pd
import streamlit as st

from lib import charts, compare, export, ui
from lib.errors import FetchError
from lib.platforms import PLATFORMS
from lib.sandbox import DEMO_PRODUCTS

ui.product_picker()
st.title("Compare products", anchor=False)
st.caption("Paste ids or links from any platform; the list is kept in the page address, "
           "so the comparison can be shared.")

locale = ui.current_locale()
listed = ui.compare_keys()
queries, problems = compare.parse_refs(" ".join(listed), **locale)

with st.form("compare-add", border=True):
    left, right = st.columns([3, 1])
    text = left.text_area("Add products (one id or link per line)", height=100,
                          placeholder="1005006789012345\nhttps://www.aliexpress.com/item/…")
    platform = right.selectbox("Platform for bare ids", list(PLATFORMS),
                               format_func=lambda k: PLATFORMS[k].label)
    added = st.form_submit_button("Add to comparison", type="primary")
if added:
    new, bad = compare.parse_refs(text, platform, **locale)
    problems += bad
    if new:
        ui.set_compare_keys([q.key for q in queries] + [q.key for q in new])
        st.rerun()

buttons = st.columns(3)
demo_keys = [q.key for q in DEMO_PRODUCTS if ui.is_demo(q.platform)]
if demo_keys and buttons[0].button("Add the demo products", icon=":material/science:"):
    ui.set_compare_keys([q.key for q in queries] + demo_keys)
    st.rerun()
current = st.session_state.get(ui.STATE_QUERY)
if current and buttons[1].button("Add the product on screen", icon=":material/add:"):
    ui.set_compare_keys([q.key for q in queries] + [current.key])
    st.rerun()
if queries and buttons[2].button("Clear the list", icon=":material/delete:"):
    ui.set_compare_keys([])
    st.rerun()

for problem in problems:
    st.warning(str(problem))
if not queries:
    st.info("Nothing to compare yet: add two or more products above.", icon=":material/info:")
    st.stop()

results = ui.load_products(queries)
products = [r for r in results if not isinstance(r, FetchError)]
for query, result in zip(queries, results):
    if isinstance(result, FetchError):
        st.error(f"{query.key}: {result.user_message}", icon=":material/error:")
if not products:
    st.stop()

# Currencies: never mix silently.
found = compare.currencies(products)
rates, base = None, None
if len(found) > 1:
    st.warning(f"These products are priced in different currencies ({', '.join(found)}). "
               "Give exchange rates to compare prices, or fetch them all in one currency "
               "(set the currency in the sidebar and reload, where the platform converts).",
               icon=":material/currency_exchange:")
    base = st.selectbox("Compare prices in", found, key="compare-base")
    rate_columns = st.columns(len(found) - 1)
    rates = {}
    for column, currency in zip(rate_columns, [c for c in found if c != base]):
        rates[currency] = column.number_input(f"1 {currency} = ? {base}", min_value=0.0,
                                              value=0.0, step=0.01, format="%.4f",
                                              key=f"rate-{currency}") or None
comparable = len(found) <= 1 or (rates is not None and all(rates.values()))

table = compare.comparison_table(products, rates, base)
best = compare.best_cells(table, comparable)
shown = table.drop(index=["Image"])
display = shown.map(lambda v: "—" if v is None or (isinstance(v, float) and pd.isna(v))
                    else (f"{v:,.2f}" if isinstance(v, float) else str(v)))


def highlight(frame: pd.DataFrame) -> pd.DataFrame:
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for row, winners in best.items():
        for column in winners:
            styles.loc[row, column] = "background-color: #d3f9d8; font-weight: 600"
    styles[frame == "—"] = "color: #868e96"
    return styles


image_columns = st.columns(len(products))
for column, product in zip(image_columns, products):
    if product.main_image:
        column.image(ui.image_source(product.main_image), width=120)
    column.caption(compare.product_label(product))
st.dataframe(display.style.apply(highlight, axis=None), width="stretch",
             height=min(38 * (len(display) + 1), 900))
st.caption("Green: the best value in the row. “—”: the platform did not send it. "
           + ("" if comparable else "Prices are not highlighted until they are in one "
                                    "currency."))

st.subheader("Unit price against quantity", anchor=False)
curves = compare.price_curves(products)
if curves.empty:
    st.info("No prices to draw.")
else:
    unit = base if (rates and comparable) else (found[0] if len(found) == 1 else "mixed")
    if rates and comparable:
        for product in products:
            rate = rates.get(product.currency)
            if rate:
                mask = curves["series"] == compare.product_label(product)
                curves.loc[mask, "unit_price"] = curves.loc[mask, "unit_price"] * rate
    st.altair_chart(charts.tier_steps(curves, currency=unit, log_x=True,
                                      series_title="Product (cheapest variant)"),
                    width="stretch")

ratings = compare.ratings_long(products)
if not ratings.empty:
    st.subheader("Store ratings", anchor=False)
    st.altair_chart(charts.ratings_by_product(ratings), width="stretch")

table_out = table.copy()
table_out.insert(0, "figure", table_out.index)
left, right = st.columns(2)
with left:
    st.download_button("Download comparison (CSV)", export.csv_bytes(table_out),
                       file_name="comparison.csv", mime="text/csv",
                       icon=":material/download:")
with right:
    st.download_button("Download comparison (Excel)",
                       export.excel_bytes({"comparison": table_out}),
                       file_name="comparison.xlsx", icon=":material/table_view:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
