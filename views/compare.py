"""Compare: several products (any platforms) side by side; the list lives in the URL, and
so do the base currency, every changed exchange rate and the chart's price axis."""
import dataclasses

import streamlit as st

from lib import charts, compare, compare_landed, compare_view, rates, refs, ui
from lib.errors import FetchError
from lib.text import literal
from lib.platforms import PLATFORMS
from lib.sandbox import DEMO_PRODUCTS

ui.product_picker()
st.title("Compare products", anchor=False)
st.caption("Paste ids or links from any platform; the list is kept in the page address, "
           "so the comparison can be shared.")

locale = ui.current_locale()
ui.list_to_compare(**locale)          # ?list=<name>: that list's products are compared
# At most refs.MAX_COMPARED products; what a link or a paste held beyond that, or could
# not be read, is said in one message each (kept while the list is unchanged).
queries, notices = ui.compare_list(**locale)
listed = [q.key for q in queries]

with st.form("compare-add", border=True):
    left, right = st.columns([3, 1])
    text = left.text_area("Add products (one id or link per line)", height=100,
                          placeholder="1005006789012345\nhttps://www.aliexpress.com/item/…")
    platform = right.selectbox("Platform for bare ids", list(PLATFORMS),
                               format_func=lambda k: PLATFORMS[k].label)
    added = st.form_submit_button("Add to comparison", type="primary")
if added:
    pasted = refs.read_compare_list(text, platform, **locale)
    keys, not_added = refs.add_to_list(listed, pasted.keys + [q.key for q in pasted.left_out])
    ui.set_compare_keys(keys, [refs.not_added_message(not_added, unread=pasted.unread),
                               refs.skipped_message(pasted)])
    st.rerun()

buttons = st.columns(3)
demo_keys = [q.key for q in DEMO_PRODUCTS if ui.is_demo(q.platform)]
if demo_keys and buttons[0].button("Add the demo products", icon=":material/science:"):
    keys, not_added = refs.add_to_list(listed, demo_keys)
    ui.set_compare_keys(keys, [refs.not_added_message(not_added)])
    st.rerun()
current = st.session_state.get(ui.STATE_QUERY)
if current and buttons[1].button("Add the product on screen", icon=":material/add:"):
    keys, not_added = refs.add_to_list(listed, [current.key])
    ui.set_compare_keys(keys, [refs.not_added_message(not_added)])
    st.rerun()
if queries and buttons[2].button("Clear the list", icon=":material/delete:"):
    ui.set_compare_keys([])
    st.rerun()
if queries:
    ui.save_to_list(queries, key="compare-save")

for notice in notices:
    st.warning(notice)         # built by lib.refs: outside text already literal
if not queries:
    st.info("Nothing to compare yet: add two or more products above.", icon=":material/info:")
    st.stop()

results = ui.load_products(queries)
products = [r for r in results if not isinstance(r, FetchError)]
failed = [(q, r) for q, r in zip(queries, results) if isinstance(r, FetchError)]
if len(failed) > refs.FAILURES_ONE_BY_ONE:
    st.error(refs.failed_message(failed, len(queries)), icon=":material/error:")
    ui.refresh_button([q for q, _ in failed], "Try the failed ones again")
else:
    for query, result in failed:
        st.caption(literal(f"{query.key} could not be compared:"))
        ui.error_box(result)
        ui.refresh_button(query, "Try again")
if not products:
    st.stop()

# --- currencies: one base, reference rates by default, every rate editable --------------
found = compare.currencies(products)
options = compare.base_options(products, locale["currency"])
base = options[0] if options else None
given: dict[str, float | None] = {}
if options:
    with st.container(border=True):
        cols = st.columns([1, 3])
        base = cols[0].selectbox("Compare prices in", options, key="base",
                                 bind="query-params",
                                 help="Defaults to the sidebar currency (else the one most "
                                      "products are priced in).")
        others = [c for c in found if c != base]
        reference = rates.rates_for(base, others)
        cols[1].caption(f"Rates: {reference.source}, bundled with the app. Change any rate "
                        "below; a changed rate is kept in the page address." if others else
                        f"Every product is priced in {literal(base)}: nothing to convert.")
        if others:
            inputs = st.columns(4)
            for i, currency in enumerate(others):
                default = reference.rate(currency)
                given[currency] = inputs[i % len(inputs)].number_input(
                    f"1 {literal(currency)} = ? {literal(base)}", min_value=0.0, value=default,
                    step=compare.rate_step(default), format="%.6f",
                    key=f"rate_{currency}_{base}", bind="query-params",
                    help=None if default is not None else
                    f"The European Central Bank does not quote {literal(currency)}: "
                    f"type a rate to "
                    f"compare these prices.")

# --- landed cost: one quantity, the sidebar's country, the cheapest quoted option ---------
with st.container(border=True):
    cols = st.columns([1, 1, 3])
    quantity = int(cols[0].number_input("Quantity for landed cost", min_value=1,
                                        max_value=1_000_000, value=100, step=1, key="qty",
                                        bind="query-params"))
    duty = cols[1].number_input("Duty + VAT (%)", min_value=0.0, max_value=200.0, value=None,
                                step=0.5, key="duty", bind="query-params",
                                placeholder="left out",
                                help="One rate of goods + shipping for every product; "
                                     "empty: import charges are left out for all")
    cols[2].caption(f"Each product's cheapest variant at {quantity:,} units, shipped to "
                    f"{literal(locale['country'])} (the sidebar's country) with its cheapest "
                    "quoted option, in the comparison's currency. "
                    + ("Import charges: " + (f"{duty:g} % of goods + shipping."
                                             if duty is not None else
                                             "left out for every product.")))
curve_mode = st.session_state.get("curve", st.query_params.get("curve")) == compare_view.LANDED
wanted = compare_landed.freight_requests(products, quantity, curves=curve_mode)
flat = [request for requests in wanted.values() for request in requests]
answers = dict(zip(flat, ui.load_freight(flat))) if flat else {}
quotes_at = {key: {r.quantity: answers[r] for r in requests} for key, requests in wanted.items()}
settings = compare_view.CompareSettings(
    base=base, rates=given, quantity=quantity, duty=duty,
    chart=compare_view.LANDED if curve_mode else compare_view.UNIT_PRICE,
    price_axis=st.session_state.get("price_axis"), country=locale["country"])
view = compare_view.arrange(products, settings, quotes_at)
products, table = view.products, view.table
best = table.best()
shown = table.text().drop(index=["Image"])
unstated = [compare.product_label(p) for p in products if not p.currency]


def highlight(frame):
    styles = frame.copy()
    styles.loc[:, :] = ""
    for row, winners in best.items():
        for column in winners:
            styles.loc[row, column] = "background-color: #d3f9d8; font-weight: 600"
    styles[frame.map(lambda v: str(v).startswith("—"))] = "color: #868e96"
    return styles


def compare_columns(labels):
    """Four products fit side by side at 1280 px; more scroll, the figure names pinned."""
    width = 150 if len(labels) >= 4 else "medium"
    config = {label: st.column_config.TextColumn(label, width=width) for label in labels}
    config["_index"] = st.column_config.TextColumn("Figure", width=180)
    return config


image_columns = st.columns(min(len(products), 6))
for i, product in enumerate(products):
    column = image_columns[i % len(image_columns)]
    if product.main_image:
        column.image(ui.image_source(product.main_image), width=96)
    column.caption(literal(compare.product_label(product)))
    mark = ui.price_change_mark(product)
    if mark:
        column.caption(f":orange[{literal(mark)}]")
# st.dataframe pins the index (the figure names) when the table scrolls sideways.
st.dataframe(shown.style.apply(highlight, axis=None), width="stretch",
             height=min(36 * (len(shown) + 1), 1000),
             column_config=compare_columns(shown.columns))
notes = ["Ordered by landed cost per unit, cheapest first." if view.by_landed_cost else "",
         "Green: the best value in the row (prices, landed cost, MOQ, days, stock, ratings "
         "only).",
         "“—” says why a figure is missing."]
if table.base and any(p.currency and p.currency != table.base for p in products):
    notes.append(literal(compare.rate_note(table)))
if unstated:
    notes.append("Not ranked: the currency of " + ", ".join(literal(u) for u in unstated)
                 + " is not stated (for a Tuya mall, set “currency” in its settings).")
st.caption(" ".join(n for n in notes if n))

mode = st.segmented_control("Chart", list(compare_view.CHARTS), default=compare_view.UNIT_PRICE,
                            key="curve", bind="query-params", required=True)
if mode != settings.chart:              # an unreadable ?curve= in the link: as drawn
    settings = dataclasses.replace(settings, chart=mode or compare_view.UNIT_PRICE)
    view = compare_view.arrange(products, settings, quotes_at)
st.subheader("Landed cost per unit against quantity" if mode == compare_view.LANDED
             else "Unit price against quantity", anchor=False)
if view.curves.empty:
    st.info("No prices to draw in one currency." if mode != compare_view.LANDED else
            "No landed cost to draw: no product has a shipping quote.")
else:
    suggested = compare.suggested_price_axis(view.curves)
    choice = st.segmented_control("Price axis", list(compare.PRICE_AXES), default=suggested,
                                  key="price_axis", bind="query-params", required=True)
    settings = dataclasses.replace(settings, price_axis=choice or suggested)
    axis = compare.PRICE_AXES[choice or suggested]
    st.altair_chart(charts.compare_price_steps(
        view.curves, currency=table.base or "", axis=axis,
        value_title="Landed cost per unit" if mode == compare_view.LANDED else "Unit price"),
        width="stretch" if axis != "independent" else "content")
    if view.left_out:
        st.caption("Not drawn: " + "; ".join(literal(t) for t in view.left_out) + ".")

ratings = compare.ratings_long(products)
if not ratings.empty:
    st.subheader("Store ratings", anchor=False)
    st.altair_chart(charts.ratings_by_product(ratings), width="stretch")

table_out = table.export().drop(index=["Image"])
table_out.insert(0, "figure", table_out.index)
ui.download_table(table_out, "comparison", "", "Download the comparison")
ui.comparison_report_buttons(products, settings, quotes_at)
