"""Overview: the header card, the key numbers, and every term the platform sent."""
import streamlit as st

from lib import analysis, export, terms, ui
from lib.text import literal


def metric_rows(numbers: list[analysis.KeyNumber], per_row: int = 4) -> None:
    """Metrics in balanced rows of at most `per_row` (labels stay readable at 1280 px)."""
    rows = -(-len(numbers) // per_row)
    width = -(-len(numbers) // rows) if rows else 0
    for start in range(0, len(numbers), width or 1):
        chunk = numbers[start:start + width]
        for column, number in zip(st.columns(width), chunk):
            column.metric(literal(number.label), literal(number.value),
                          help=literal(number.help) if number.help else None)


def section(title: str, rows: terms.Rows) -> None:
    """A titled two-column table, drawn only when the platform sent something for it."""
    if not rows:
        return
    st.subheader(title, anchor=False)
    st.dataframe(terms.rows_table(rows), hide_index=True, width="stretch",
                 column_config={"Item": st.column_config.TextColumn(width="medium"),
                                "Value": st.column_config.TextColumn(width="large")})


product = ui.current_product()
ui.header_card(product)
ui.what_changed(product)

metric_rows(analysis.price_numbers(product))
numbers, unsent = analysis.fold_unsent(analysis.key_numbers(product))
metric_rows(numbers)
for line in unsent:                      # the platform's own reason, said once
    st.caption(literal(line))

store_line, store_tooltip = terms.store_line(product)
st.markdown(store_line, help=store_tooltip or None)
for label, text, tooltip in terms.shipping_lines(product):
    st.markdown(f"**{literal(label)}:** {literal(text)}",
                help=literal(tooltip) if tooltip else None)

highlights = analysis.highlights(product)
if highlights:
    st.subheader("What stands out", anchor=False)
    # Variant names come from the payload: escaped, never Markdown.
    st.markdown("\n".join(f"- {literal(line)}" for line in highlights))

section("Terms of trade", terms.terms_of_trade(product))
affiliate = terms.affiliate_terms(product)
section("Affiliate", affiliate)
if product.trade.promotion_link:
    st.link_button("Open the promotion link", product.trade.promotion_link,
                   icon=":material/open_in_new:")
section("About the listing", terms.listing_details(product))
if not product.attributes.empty:
    st.subheader("Attributes", anchor=False)
    st.dataframe(terms.attributes_table(product), hide_index=True, width="stretch")

if product.description_html:
    with st.expander("Seller's description"):
        ui.seller_description(product.description_html)

ui.warnings_box(product)
with st.container(horizontal=True, gap="small"):
    ui.refresh_button(product.query)
    ui.product_report_buttons(product)
    # A callable: the workbook is built only when someone clicks, not on every rerun.
    st.download_button("Download all tables (Excel)",
                       lambda: export.workbook_bytes(product),
                       file_name=f"{export.file_stem(product)}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/table_view:")
