"""Product explorer: pick a marketplace product and look at it from every side.

Run with `make run`. Without credentials it starts in demo mode on bundled products.
"""
import streamlit as st

st.set_page_config(page_title="Product explorer", page_icon=":material/storefront:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
]

st.navigation(PAGES).run()
