"""SKU matrix: a metric by two variant properties, filters for the rest, the SKU table.

Every setting is bound to a query param (metric, rows, cols, filter-<property>), so a
shared link reopens the same view; keys carry no product id.
"""
import streamlit as st

from lib import analysis, refs, ui
from lib.platforms import PLATFORMS
from lib.text import literal

product = ui.current_product()
ui.page_intro(product, "SKU matrix")

skus = product.skus
props = product.sku_properties
currency = product.currency

if skus.empty:
    st.info("This product's answer lists no variants (SKUs), so there is nothing to "
            "tabulate.", icon=":material/info:")
    st.stop()

default_row, default_col = analysis.default_axes(product)
# Filters start on the variant the link names (sku_id), else on each first value.
filter_defaults = refs.initial_filters(product, default_row, default_col)
ui.bound_settings(
    "sku-matrix", product,
    {"metric": "sale_price", "rows": default_row, "cols": default_col,
     **{f"filter-{prop}": values for prop, values in filter_defaults.items()}},
    aliases={"metric": {key: key for key in analysis.METRICS}})

if not props:
    # One variant: nothing to chart, so no metric to pick; one message.
    st.info(literal(analysis.single_variant_note(product, PLATFORMS[product.platform].label)),
            icon=":material/info:")
    shown = skus
else:
    ui.not_provided_note(product, "variant")
    metric = st.segmented_control(
        "Metric", list(analysis.METRICS), format_func=analysis.METRICS.get,
        default="sale_price", required=True, key="metric", bind="query-params",
        on_change=ui.keep_choice, args=("metric", st.session_state.get("metric", "sale_price")),
    ) or "sale_price"
    metric_label = analysis.metric_title(metric, currency)
    value_format = ",.0f" if metric == "stock" else (".1f" if metric == "discount_pct"
                                                     else ",.2f")
    shown = skus

if len(props) == 1:
    ui.remember_view("sku-matrix", product, metric=metric)
    ui.chart("value_bars", skus, prop=props[0], metric=metric, metric_label=metric_label,
             value_format=value_format)
elif len(props) > 1:
    left, right = st.columns(2)
    row_prop = left.selectbox("Rows", props, index=props.index(default_row), key="rows",
                              bind="query-params")
    col_choices = [p for p in props if p != row_prop]
    col_default = default_col if default_col in col_choices else col_choices[0]
    col_prop = right.selectbox("Columns", col_choices, index=col_choices.index(col_default),
                               key="cols", bind="query-params")
    filters = {}
    others = [p for p in props if p not in (row_prop, col_prop)]
    if others:
        filter_columns = st.columns(len(others))
        starting = refs.initial_filters(product, row_prop, col_prop)
        for column, prop in zip(filter_columns, others):
            values = list(dict.fromkeys(skus[prop].dropna()))
            filters[prop] = column.multiselect(
                f"{literal(prop)} (filter)", values, default=starting[prop],
                key=f"filter-{prop}", bind="query-params",
                help="Each cell shows the average over the variants that match; pick one "
                     "value to see single variants.")
    shown = analysis.filtered_skus(product, filters)
    ui.remember_view("sku-matrix", product, metric=metric, rows=row_prop, cols=col_prop,
                     filters=filters)
    if shown.empty:
        st.warning("No variant matches these filters.")
    else:
        cells = analysis.matrix_cells(
            shown, row_prop, col_prop, metric,
            row_order=list(dict.fromkeys(skus[row_prop].dropna())),
            col_order=list(dict.fromkeys(skus[col_prop].dropna())))
        ui.chart("sku_heatmap", cells, row=row_prop, col=col_prop, metric_label=metric_label,
                 value_format=value_format)
        if any(len(v) != 1 for v in filters.values()):
            st.caption("Cells average several variants: pick a single value in the "
                       "filters to see individual variants.")
        if (cells["status"] == analysis.STOCK_UNKNOWN).any():
            st.caption("“stock not sent”: the platform did not say how many of these "
                       "variants are available, so they are not counted as in stock.")

st.markdown(f"**{literal(analysis.summary_line(shown, currency))}**")

# The SKU table: images, stock as a bar when every figure is known, prices with the
# currency in the header, gaps as "—" (never "None", never 0).
table = analysis.sku_table(product, shown)
table["image_url"] = table["image_url"].map(lambda u: ui.browser_url(u) if u else "")
headers = analysis.sku_headers(currency)
numeric = {c for c in table.columns if str(table[c].dtype) != "object"}
config = {"image_url": st.column_config.ImageColumn("Image", width="small"),
          "currency": st.column_config.TextColumn("Currency", width="small"),
          "sku_id": st.column_config.TextColumn("SKU id")}
for column in ("sale_price", "price", "discount_pct", "stock"):
    if column not in numeric:                       # gaps made it text ("—", "not sent")
        config[column] = st.column_config.TextColumn(headers[column])
    elif column == "stock":
        config[column] = st.column_config.ProgressColumn(
            headers[column], format="%d", min_value=0,
            max_value=int(max([1, *table[column].tolist()])))
    elif column == "discount_pct":
        config[column] = st.column_config.NumberColumn(headers[column], format="%.0f%%")
    else:
        config[column] = st.column_config.NumberColumn(headers[column], format="%.2f")
st.dataframe(table, hide_index=True, width="stretch", column_config=config)
ui.download_csv(shown, "skus", product)

country = analysis.country_prices(product)
if country is not None:
    st.subheader("Price by ship-to country", anchor=False)
    st.dataframe(country.table, hide_index=True, width="stretch", column_config={
        name: st.column_config.TextColumn(name, help=f"Ship-to country {literal(code)}")
        for name, code in country.countries.items()})
    st.caption(literal(country.caption))
    ui.download_csv(country.tidy, "country-prices", product)
