"""A small page for tests/test_browser_description.py: a hostile seller description,
through the same sanitiser and the same bounded box the Overview uses."""
import streamlit as st

from lib import ui
from lib.sanitize import sanitize_html

WIDE = ('<p>' + "Unbroken" * 400 + '</p><pre>' + "pre-formatted-line-" * 300 + '</pre>'
        '<img src="/app/static/demo/alibaba_mug_black.png" width="4000" height="3000">'
        '<table><tr>' + "<td>cell-with-long-content</td>" * 60 + '</tr></table>'
        + "<p>Tall paragraph.</p>" * 200)
st.title("Description")
ui.seller_description(sanitize_html(WIDE))
