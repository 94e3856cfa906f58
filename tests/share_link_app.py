"""A small page for tests/test_share_links.py: the real sidebar picker (with its share
box) and view settings bound to the URL the way the views bind theirs."""
import streamlit as st

from lib import ui

query = ui.product_picker()
st.number_input("Quantity", min_value=1, max_value=10_000_000, value=100, step=1,
                key="qty", bind="query-params")
st.selectbox("Metric", ["Price", "Sale price", "Stock"], key="metric", bind="query-params")
st.multiselect("Variants", ["red", "blue", "green"], key="skus", bind="query-params")
st.code(ui.share_link(query) if query else "", language=None)     # read by the tests
