"""Product explorer: pick a marketplace product and look at it from every side.

Run with `make run`. Without credentials it starts in demo mode on bundled products.
Each page draws the sidebar product picker itself (lib.ui.current_product).
The views live in views/, not pages/: a pages/ folder beside this script switches
Streamlit 1.67 to its legacy multipage mode until the first st.navigation call, and the
first visitor of a deep link then sees "Page not found" over the right page.
"""
import sys

import streamlit as st

from lib import ui

st.set_page_config(page_title="Product explorer", page_icon=":material/storefront:",
                   layout="wide")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("views/sku_matrix.py", title="SKU matrix", icon=":material/grid_view:",
            url_path="sku-matrix"),
    st.Page("views/price_tiers.py", title="Price tiers", icon=":material/stacked_line_chart:",
            url_path="price-tiers"),
    st.Page("views/landed_cost.py", title="Landed cost", icon=":material/local_shipping:",
            url_path="landed-cost"),
    st.Page("views/store_ratings.py", title="Store ratings", icon=":material/star:",
            url_path="store-ratings"),
    st.Page("views/media_gallery.py", title="Media gallery", icon=":material/photo_library:",
            url_path="media"),
    st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:",
            url_path="compare-products"),
    st.Page("views/batch.py", title="Batch fetch", icon=":material/playlist_add:",
            url_path="batch-fetch"),
    st.Page("views/lists.py", title="Lists", icon=":material/checklist:", url_path="lists"),
    st.Page("views/history.py", title="History", icon=":material/history:",
            url_path="history"),
    st.Page("views/raw_data.py", title="Raw data", icon=":material/data_object:",
            url_path="raw-data"),
]

try:
    st.navigation(PAGES).run()
finally:
    # After the page is drawn: say whether the product's snapshot was saved (the write
    # runs off the script thread meanwhile) and offer the pinned link.
    ui.after_page(sys.exc_info()[1])
