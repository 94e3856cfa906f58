"""Product explorer: pick a marketplace product and look at it from every side.

Run with `make run`. Without credentials it starts in demo mode on bundled products.
Each page draws the sidebar product picker itself (lib.ui.current_product).
URL paths never equal a file name in pages/: Streamlit would otherwise open that file
directly for a fresh session, without this navigation.
"""
import streamlit as st

st.set_page_config(page_title="Product explorer", page_icon=":material/storefront:",
                   layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("pages/sku_matrix.py", title="SKU matrix", icon=":material/grid_view:",
            url_path="sku-matrix"),
    st.Page("pages/price_tiers.py", title="Price tiers", icon=":material/stacked_line_chart:",
            url_path="price-tiers"),
    st.Page("pages/store_ratings.py", title="Store ratings", icon=":material/star:",
            url_path="store-ratings"),
    st.Page("pages/media_gallery.py", title="Media gallery", icon=":material/photo_library:",
            url_path="media"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:",
            url_path="compare-products"),
    st.Page("pages/batch.py", title="Batch fetch", icon=":material/playlist_add:",
            url_path="batch-fetch"),
    st.Page("pages/raw_data.py", title="Raw data", icon=":material/data_object:",
            url_path="raw-data"),
]

st.navigation(PAGES).run()
