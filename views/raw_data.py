"""Raw data: the payload as received, each normalised table, the warnings."""
import json

import streamlit as st

from lib import ui
from lib.export import file_stem, tables

product = ui.current_product()
ui.page_intro(product, "Raw data")

if product.warnings:
    st.subheader("Notes about the data", anchor=False)
    for warning in product.warnings:
        st.markdown(f"- {warning}")
if product.not_provided:
    st.subheader("Not provided by this platform", anchor=False)
    for line in product.not_provided:
        st.markdown(f"- {line}")

st.subheader("Normalised tables", anchor=False)
for name, frame in tables(product).items():
    with st.expander(f"{name} · {len(frame)} row{'s' if len(frame) != 1 else ''}"):
        if frame.empty:
            st.caption("Empty for this product.")
        else:
            st.dataframe(frame, hide_index=True, width="stretch")
            ui.download_csv(frame, name, product)

st.subheader("Payload as received", anchor=False)
st.download_button("Download the payload (JSON)",
                   lambda: json.dumps(product.raw, ensure_ascii=False, indent=1).encode("utf-8"),
                   file_name=f"{file_stem(product)}-payload.json", mime="application/json",
                   icon=":material/download:")
st.json(product.raw, expanded=False)
