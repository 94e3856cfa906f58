"""Batch fetch: hundreds of ids or links (typed or from a CSV), fetched with pacing."""
import pandas as pd
import streamlit as st

from lib import compare, export, ui
from lib.client import fetch_many
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
platform = right.selectbox("Platform for bare ids", list(PLATFORMS), key="batch-platform",
                           format_func=lambda k: PLATFORMS[k].label)
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

queries, problems = compare.parse_refs(refs, platform, **locale)
if len(queries) > MAX_ITEMS:
    st.warning(f"Only the first {MAX_ITEMS} of {len(queries)} products are fetched.")
    queries = queries[:MAX_ITEMS]
for problem in problems[:20]:
    st.warning(str(problem))
if len(problems) > 20:
    st.warning(f"… and {len(problems) - 20} more entries that are not product ids or links.")


def run_batch(batch_queries) -> None:
    bar = st.progress(0.0, text="Starting …")
    counts = {"done": 0, "failed": 0}

    def on_progress(done: int, total: int, result) -> None:
        counts["done"] = done
        counts["failed"] += isinstance(result, FetchError)
        bar.progress(done / total, text=f"{done} of {total} done · {counts['failed']} failed")

    live = {p: c for p in {q.platform for q in batch_queries}
            if (c := ui.credentials_for(p)) is not None}
    # Platforms without credentials run on the demo sandbox.
    results = fetch_many(batch_queries, credentials=live or None, on_progress=on_progress)
    previous = st.session_state.get(STATE, {})
    merged = dict(zip(previous.get("keys", []), previous.get("results", [])))
    merged.update({q.key: r for q, r in zip(batch_queries, results)})
    order = previous.get("order") or [q.key for q in batch_queries]
    order += [q.key for q in batch_queries if q.key not in order]
    st.session_state[STATE] = {"keys": list(merged), "results": list(merged.values()),
                               "order": order,
                               "queries": {**previous.get("queries", {}),
                                           **{q.key: q for q in batch_queries}}}


if st.button(f"Fetch {len(queries)} product(s)", type="primary", disabled=not queries,
             icon=":material/download:"):
    st.session_state.pop(STATE, None)
    run_batch(queries)

state = st.session_state.get(STATE)
if state:
    by_key = dict(zip(state["keys"], state["results"]))
    ordered = [k for k in state["order"] if k in by_key]
    all_queries = [state["queries"][k] for k in ordered]
    results = [by_key[k] for k in ordered]
    rows, failures = compare.batch_table(results, all_queries)
    st.markdown(f"**{len(rows)} fetched · {len(failures)} failed** of {len(ordered)}")
    if not failures.empty:
        st.subheader("Failures", anchor=False)
        st.dataframe(failures, hide_index=True, width="stretch")
        if st.button("Retry the failed ones", icon=":material/replay:"):
            failed = [state["queries"][f"{r.platform}:{r.id}"] for r in failures.itertuples()]
            run_batch(failed)
            st.rerun()
    if not rows.empty:
        st.subheader("Results", anchor=False)
        st.dataframe(rows, hide_index=True, width="stretch")
        left, right = st.columns(2)
        with left:
            st.download_button("Download results (CSV)", export.csv_bytes(rows),
                               file_name="batch.csv", mime="text/csv",
                               icon=":material/download:")
        with right:
            st.download_button("Download results (Excel)",
                               export.excel_bytes({"results": rows, "failures": failures}),
                               file_name="batch.xlsx", icon=":material/table_view:",
                               mime="application/vnd.openxmlformats-officedocument."
                                    "spreadsheetml.sheet")
