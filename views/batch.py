"""Batch fetch: hundreds of ids or links (typed or from a CSV), fetched with pacing."""
import pandas as pd
import streamlit as st

from lib import batch, ui
from lib.errors import FetchError
from lib.platforms import PLATFORMS
from lib.sandbox import DEMO_PRODUCTS

MAX_ITEMS = 1000
STATE = "explorer_batch"

ui.product_picker()
st.title("Batch fetch", anchor=False)
st.caption("Paste many ids or links, or upload a CSV with a column of them. Calls are "
           "paced per platform so the gateway's limits are never hit; one failure never "
           "stops the batch.")

locale = ui.current_locale()
left, right = st.columns([3, 1])
text = left.text_area("Ids or links (one per line)", height=160, key="batch-text")
# In the URL (?batch-platform=…): a shared link reads bare ids the same way.
platform = right.selectbox("Platform for bare ids", list(PLATFORMS), key="batch-platform",
                           format_func=lambda k: PLATFORMS[k].label, bind="query-params")
upload = right.file_uploader("…or a CSV file", type=["csv"], key="batch-csv")


def use_demo_products() -> None:
    st.session_state["batch-text"] = "\n".join(q.key for q in DEMO_PRODUCTS
                                               if ui.is_demo(q.platform))


right.button("Use the demo products", icon=":material/science:", on_click=use_demo_products)

refs = text
if upload is not None:
    try:
        table = pd.read_csv(upload, dtype=str, keep_default_na=False)
    except Exception:
        st.error("This file could not be read as CSV. Save it as comma-separated values "
                 "and try again.")
        table = None
    if table is not None and not table.empty:
        column = st.selectbox("Column with the ids or links", list(table.columns))
        refs = "\n".join([text] + list(table[column]))

reading = batch.read_refs(refs, platform, **locale)
queries = reading.queries
if len(queries) > MAX_ITEMS:
    st.warning(f"Only the first {MAX_ITEMS} of {len(queries)} products are fetched.")
    queries = queries[:MAX_ITEMS]
if reading.rejected or reading.duplicates:
    # One line for all of them, however many: the Fetch button stays in view.
    with st.expander(reading.summary(), icon=":material/warning:"):
        st.dataframe(reading.skipped_table(), hide_index=True, width="stretch")


def run_batch(batch_queries, fresh: bool) -> None:
    bar = st.progress(0.0, text="Starting …")
    counts = {"failed": 0}

    def on_progress(done: int, total: int, result) -> None:
        counts["failed"] += isinstance(result, FetchError)
        bar.progress(done / total, text=f"{done} of {total} done · {counts['failed']} failed")

    live = {p: c for p in {q.platform for q in batch_queries}
            if (c := ui.credentials_for(p)) is not None}
    # Platforms without credentials run on the demo sandbox.
    results = batch.fetch(batch_queries, credentials=live or None, on_progress=on_progress)
    ui.record_snapshots(results)          # every product fetched goes into the history
    previous = None if fresh else st.session_state.get(STATE)
    state = batch.merge(previous, batch_queries, results)
    if fresh:
        state["rejected"] = list(reading.rejected)
        state["duplicates"] = list(reading.duplicates)
    st.session_state[STATE] = state


if st.button(f"Fetch {len(queries)} product(s)", type="primary", disabled=not queries,
             icon=":material/download:"):
    run_batch(queries, fresh=True)

state = st.session_state.get(STATE)
if state and "rejected" not in state:        # a session from before this page's update
    state = None
if state:
    all_queries = [state["queries"][k] for k in state["order"]]
    results = [state["results"][k] for k in state["order"]]
    rows, failures = batch.batch_table(results, all_queries, state["rejected"])
    failed = sum(isinstance(r, FetchError) for r in results)
    line = f"**{len(rows)} fetched · {failed} failed** of {len(all_queries)}"
    skipped = batch.Reading(rejected=state["rejected"], duplicates=state["duplicates"])
    if skipped.summary():
        line += f" · {skipped.summary()}"
    st.markdown(line)
    if not failures.empty:
        st.subheader("Failures", anchor=False)
        st.dataframe(failures, hide_index=True, width="stretch")
        again = batch.to_retry(all_queries, results)
        if again:
            if st.button(f"Retry {len(again)} failed", icon=":material/replay:",
                         key="batch-retry",
                         help="Only failures marked “Retry possible: yes” (rate limits, "
                              "network faults, the marketplace's own trouble)."):
                run_batch(again, fresh=False)
                st.rerun()
        else:
            st.caption("Trying again will not help these: fix the ids or links, or the "
                       "settings named in the problem.")
        ui.download_table(failures, "batch-failures", "", label="Download failures")
    if not rows.empty:
        st.subheader("Results", anchor=False)
        st.dataframe(rows, hide_index=True, width="stretch", column_config={
            "Link": st.column_config.LinkColumn("Link", display_text="Open product")})
        ui.download_table(rows, "batch-results", "", label="Download results")
