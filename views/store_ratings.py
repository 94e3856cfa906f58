"""Store ratings: DSR scores on a fixed 0-5 scale, product rating, reviews, sales."""
import streamlit as st

from lib import analysis, charts, ui
from lib.labels import countries_label
from lib.text import link, literal

product = ui.current_product()
ui.page_intro(product, "Store ratings")
explained = ui.not_provided_note(product, "rating")
store = product.store

# Figures this platform never sends are said once, not drawn as a row of dashes.
numbers, unsent = analysis.fold_unsent(analysis.store_numbers(product))
for column, number in zip(st.columns(len(numbers)) if numbers else [], numbers):
    # "Rating" on the Overview; here beside the store's own scores it needs its subject.
    label = "Product rating" if number.label == "Rating" else number.label
    column.metric(literal(label), literal(number.value),
                  help=literal(number.help) if number.help else None)
for line in [] if explained else unsent:      # the info box above already says it
    st.caption(literal(line))

st.subheader("Detailed seller ratings", anchor=False)
if store.ratings or store.missing_ratings:
    st.altair_chart(charts.ratings_chart(store.ratings, store.missing_ratings),
                    width="stretch")
    if store.missing_ratings:
        st.caption(literal("Not rated (missing in the answer, not zero): "
                           + ", ".join(store.missing_ratings)))
elif explained:                               # the info box above says why
    st.caption("Not sent by this platform.")
else:
    st.info("The answer carries no detailed seller ratings.", icon=":material/info:")

st.subheader("Store", anchor=False)
name = literal(store.name) if store.name else "—"
if store.url:     # on the marketplace's own site (lib/platforms/urls.py)
    name = link(store.name or "Store page", store.url)
country = countries_label(store.country)
if store.name or store.store_id or store.url or country:
    st.markdown(f"**Name:** {name}  \n"
                f"**Store id:** {literal(store.store_id) or '—'}  \n"
                f"**Country:** {literal(country.text) if country else '—'}",
                help=literal(country.detail) if country else None)
else:
    st.caption(literal(f"Not sent. {analysis.not_sent_reason(product, 'store')}"))

from lib.export import store_table  # noqa: E402  (kept next to its only use)

ui.download_csv(store_table(product), "store", product)
