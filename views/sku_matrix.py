"""SKU matrix: a metric by two variant properties, filters for the rest, the SKU table."""
import streamlit as st

from lib import analysis, charts, ui
from lib import format as fmt

product = ui.current_product()
ui.page_intro(product, "SKU matrix")
ui.not_provided_note(product, "variant")

skus = product.skus
props = product.sku_properties
currency = product.currency

if skus.empty:
    st.info("This product's answer lists no variants (SKUs), so there is nothing to "
            "tabulate.", icon=":material/info:")
    st.stop()

metric = st.segmented_control("Metric", list(analysis.METRICS),
                              format_func=analysis.METRICS.get, default="sale_price",
                              key="matrix-metric") or "sale_price"
metric_label = analysis.METRICS[metric]
value_format = ",.0f" if metric == "stock" else (".1f" if metric == "discount_pct" else ",.2f")

if not props:
    row = skus.iloc[0]
    st.info(f"This product has a single variant (SKU {row['sku_id']}): "
            f"{fmt.money(row['sale_price'], row['currency'])}"
            f" (list price {fmt.money(row['price'], row['currency'])}), "
            f"stock {fmt.count(row['stock'])}.", icon=":material/info:")
    shown = skus
elif len(props) == 1:
    prop = props[0]
    st.altair_chart(charts.value_bars(skus, prop=prop, metric=metric,
                                      metric_label=metric_label), width="stretch")
    shown = skus
else:
    default_row, default_col = analysis.default_axes(product)
    left, right = st.columns(2)
    row_prop = left.selectbox("Rows", props, index=props.index(default_row), key="matrix-row")
    col_choices = [p for p in props if p != row_prop]
    col_default = default_col if default_col in col_choices else col_choices[0]
    col_prop = right.selectbox("Columns", col_choices, index=col_choices.index(col_default),
                               key="matrix-col")
    filters = {}
    others = [p for p in props if p not in (row_prop, col_prop)]
    if others:
        filter_columns = st.columns(len(others))
        for column, prop in zip(filter_columns, others):
            values = list(dict.fromkeys(skus[prop].dropna()))
            filters[prop] = column.multiselect(
                f"{prop} (filter)", values, default=values[:1], key=f"matrix-filter-{prop}",
                help="Each cell shows the average over the variants that match; pick one "
                     "value to see single variants.")
    shown = analysis.filtered_skus(product, filters)
    if shown.empty:
        st.warning("No variant matches these filters.")
    else:
        cells = analysis.matrix_cells(
            shown, row_prop, col_prop, metric,
            row_order=list(dict.fromkeys(skus[row_prop].dropna())),
            col_order=list(dict.fromkeys(skus[col_prop].dropna())))
        chart = charts.sku_heatmap(cells, row=row_prop, col=col_prop,
                                   metric_label=metric_label, value_format=value_format)
        st.altair_chart(chart, width="stretch")
        if any(len(v) != 1 for v in filters.values()):
            st.caption("Cells average several variants: pick a single value in the "
                       "filters to see individual variants.")

st.markdown(f"**{analysis.summary_line(shown, currency)}**")

# The SKU table: images, stock as a bar, prices with the currency.
table_columns = (["image_url"] + props + ["sale_price", "price", "discount_pct", "stock",
                                          "currency", "sku_id"]
                 + [c for c in skus.columns if c.endswith("(system value)")]
                 + [c for c in ("barcode", "ean") if skus[c].fillna("").astype(bool).any()])
table = shown[[c for c in table_columns if c in shown.columns]].copy()
table["image_url"] = table["image_url"].map(lambda u: ui.browser_url(u) if u else None)
max_stock = int(skus["stock"].max()) if skus["stock"].notna().any() else 0
st.dataframe(
    table, hide_index=True, width="stretch",
    column_config={
        "image_url": st.column_config.ImageColumn("Image", width="small"),
        "sale_price": st.column_config.NumberColumn(f"Sale price ({currency})", format="%.2f"),
        "price": st.column_config.NumberColumn(f"Original price ({currency})", format="%.2f"),
        "discount_pct": st.column_config.NumberColumn("Discount", format="%.0f%%"),
        "stock": st.column_config.ProgressColumn("Stock", format="%d", min_value=0,
                                                 max_value=max(1, max_stock)),
        "currency": st.column_config.TextColumn("Currency", width="small"),
        "sku_id": st.column_config.TextColumn("SKU id"),
    })
ui.download_csv(shown, "skus", product)

if not product.country_prices.empty:
    st.subheader("Price by ship-to country", anchor=False)
    pivot = product.country_prices.pivot_table(index="sku_attr", columns="country",
                                               values="price", aggfunc="first")
    st.dataframe(pivot, width="stretch")
    ui.download_csv(product.country_prices, "country-prices", product)
