"""Raw data: the payload as received, each normalised table, the warnings."""
import json

import streamlit as st

from lib import terms, ui
from lib.export import XLSX_MIME, file_stem, payload_json_bytes, tables, workbook_bytes
from lib.labels import gaps_as_dash
from lib.text import literal

product = ui.current_product()
ui.page_intro(product, "Raw data")

if product.warnings:
    st.subheader("Notes about the data", anchor=False)
    for warning in product.warnings:
        st.markdown(f"- {literal(warning)}")     # may quote the payload
if product.not_provided:
    st.subheader("Not provided by this platform", anchor=False)
    for line in product.not_provided:
        st.markdown(f"- {literal(line)}")

codes = terms.codes_as_sent(product)
if not codes.empty:
    st.subheader("Codes as sent", anchor=False)
    st.caption("The other pages show these in words.")
    st.dataframe(codes, hide_index=True, width="stretch")

st.subheader("Normalised tables", anchor=False)
for name, frame in tables(product).items():
    with st.expander(f"{name} · {len(frame)} row{'s' if len(frame) != 1 else ''}"):
        if frame.empty:
            st.caption("Empty for this product.")
        else:
            # Gaps as "—" on screen (never "None"); the download keeps the typed table.
            st.dataframe(gaps_as_dash(frame), hide_index=True, width="stretch")
            ui.download_csv(frame, name, product)

st.download_button("Download all tables (Excel)", lambda: workbook_bytes(product),
                   file_name=f"{file_stem(product)}.xlsx", mime=XLSX_MIME,
                   icon=":material/table_view:", key="raw-workbook",
                   help="A Summary sheet, then every table above with readable headers.")

st.subheader("Payload as received", anchor=False)
if product.raw_cut:      # a huge answer: the copy kept in memory is cut (lib/model.py)
    st.caption(literal(product.raw_cut))
if product.raw is None:  # a generated demo-history point (lib/store/demo_history.py)
    st.stop()
# Strict JSON: NaN and Infinity are null (the viewer below gets the same).
st.download_button("Download the payload (JSON)", payload_json_bytes(product.raw),
                   file_name=f"{file_stem(product)}-payload.json", mime="application/json",
                   icon=":material/download:")
st.json(json.loads(payload_json_bytes(product.raw)), expanded=False)
