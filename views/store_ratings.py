"""Store ratings: DSR scores on a fixed 0-5 scale, product rating, reviews, sales."""
import streamlit as st

from lib import charts, ui
from lib import format as fmt

product = ui.current_product()
ui.page_intro(product, "Store ratings")
ui.not_provided_note(product, "rating")
store = product.store

cols = st.columns(4)
cols[0].metric("Product rating", fmt.rating(store.product_rating))
cols[1].metric("Reviews", fmt.count(store.review_count))
cols[2].metric("Sold", fmt.count(store.sales_count, store.sales_text),
               help="As the marketplace shows it (e.g. 1000+)")
cols[3].metric("Positive feedback", fmt.percent(store.positive_feedback_pct, 1))

st.subheader("Detailed seller ratings", anchor=False)
if store.ratings or store.missing_ratings:
    st.altair_chart(charts.ratings_chart(store.ratings, store.missing_ratings),
                    width="stretch")
    if store.missing_ratings:
        st.caption("Not rated (missing in the answer, not zero): "
                   + ", ".join(store.missing_ratings))
else:
    st.info("The answer carries no detailed seller ratings.", icon=":material/info:")

st.subheader("Store", anchor=False)
name = f"[{store.name or 'Store'}]({store.url})" if store.url else (store.name or "—")
st.markdown(f"**Name:** {name}  \n**Store id:** {store.store_id or '—'}  \n"
            f"**Country:** {store.country or '—'}")

from lib.export import store_table  # noqa: E402  (kept next to its only use)

ui.download_csv(store_table(product), "store", product)
