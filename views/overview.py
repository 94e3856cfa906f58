"""Overview: the header card and the key numbers of the product on screen."""
import streamlit as st

from lib import analysis, export, ui
from lib import format as fmt

product = ui.current_product()
ui.header_card(product)

currency = product.currency
sale = product.price_range("sale_price")
original = product.price_range("price")
store = product.store

unit = f" ({currency})" if currency else ""
prices = st.columns(2)
prices[0].metric(f"Price{unit}", fmt.money_range(*sale) if sale else "—",
                 help="Sale price, lowest to highest over all variants")
prices[1].metric(f"Original price{unit}", fmt.money_range(*original) if original else "—",
                 help="List price before discounts, lowest to highest over all variants")

numbers = st.columns(5)
numbers[0].metric("Rating", fmt.rating(store.product_rating))
numbers[1].metric("Reviews", fmt.count(store.review_count))
numbers[2].metric("Sold", fmt.count(store.sales_count, store.sales_text))
numbers[3].metric("Variants", f"{product.variant_count}",
                  help=f"{product.out_of_stock_count} out of stock")
numbers[4].metric("Images", f"{len(product.media.images)}",
                  help=f"{len(product.media.videos)} video(s)")

store_line = store.name or "—"
if store.url:
    store_line = f"[{store_line}]({store.url})"
details = [f"**Store:** {store_line}" + (f" ({store.country})" if store.country else ""),
           f"**Ships from:** {', '.join(product.trade.ship_from_countries) or '—'}"]
if product.trade.delivery_days is not None:
    details.append(f"**Delivery:** about {product.trade.delivery_days} days to "
                   f"{product.trade.ship_to_country or 'the selected country'}")
if product.trade.package_size:
    weight = (f", {product.trade.gross_weight_kg:g} kg" if product.trade.gross_weight_kg
              else "")
    details.append(f"**Package:** {product.trade.package_size}{weight}")
st.markdown("  \n".join(details))

highlights = analysis.highlights(product)
if highlights:
    st.subheader("What stands out", anchor=False)
    st.markdown("\n".join(f"- {line}" for line in highlights))

if product.description_html:
    with st.expander("Seller's description"):
        # Already through the allow-list sanitiser (lib/sanitize.py) when parsed.
        st.html(product.description_html)

ui.warnings_box(product)
left, right = st.columns([1, 3])
with left:
    ui.refresh_button(product.query)
with right:
    # A callable: the workbook is built only when someone clicks, not on every rerun.
    st.download_button("Download all tables (Excel)",
                       lambda: export.excel_bytes(export.tables(product)),
                       file_name=f"{export.file_stem(product)}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/table_view:")
