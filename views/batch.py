"""Batch fetch: hundreds of ids or links (typed or from a CSV), fetched as a job that
runs on the server (paced, retried) and survives reloads, page switches and restarts."""
import pandas as pd
import streamlit as st

from lib import batch, jobs, ui
from lib import format as fmt
from lib.platforms import PLATFORMS
from lib.sandbox import DEMO_PRODUCTS
from lib.text import literal

MAX_ITEMS = 1000
STATE_JOB = "explorer_batch_job"
RECENT = 20

ui.product_picker()
st.title("Batch fetch", anchor=False)
st.caption("Paste many ids or links, or upload a CSV with a column of them. The fetch runs "
           "on the server as a job: calls are paced per platform so the gateway's limits "
           "are never hit, one failure never stops the batch, and you may reload, switch "
           "pages or close the tab: the results are kept and open again here.")

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



def open_job(job_id: str) -> None:
    st.session_state[STATE_JOB] = job_id
    st.query_params[ui.JOB_PARAM] = job_id


if st.button(f"Fetch {len(queries)} product(s)", type="primary", disabled=not queries,
             icon=":material/download:"):
    skipped = {"rejected": [{"text": p.text, "message": p.message} for p in reading.rejected],
               "duplicates": [{"text": d.text, "key": d.key} for d in reading.duplicates]}
    started = ui.start_job(jobs.BATCH, queries, settings=skipped,
                           title=f"Batch of {len(queries):,} product(s)")
    if started is not None:
        open_job(started.id)

board = ui.job_board()
job_id = ui.job_param() or st.session_state.get(STATE_JOB, "")
if ui.job_param():
    st.session_state[STATE_JOB] = job_id
elif job_id:
    st.query_params[ui.JOB_PARAM] = job_id      # a page switch dropped it: a reload keeps it
job = board.get(job_id) if board is not None and job_id else None
if job_id and board is not None and job is None:
    st.warning("The job in this link is not in the history database (it may have been "
               "removed, or the link belongs to another server).", icon=":material/help:")


def show_job(job) -> None:
    st.subheader(f"Job started {fmt.fetched(job.created_at)}", anchor=False)
    by = f" · by {job.created_by}" if job.created_by else ""
    st.caption(literal(f"{job.title}{by} · job {job.id}"))
    ui.job_progress(job.id, key=f"job-{job.id}")
    rows, failures = ui.job_tables(job)
    duplicates = job.settings.get("duplicates", [])
    skipped = batch.Reading(rejected=[None] * len(job.settings.get("rejected", [])),
                            duplicates=[None] * len(duplicates))
    if job.finished:
        line = f"**{job.done} fetched · {job.failed} failed** of {job.total}"
        if job.skipped:
            line += f" · {job.skipped} not fetched (cancelled)"
        if skipped.summary():
            line += f" · {skipped.summary()}"
        st.markdown(line)
    else:
        st.caption("The job runs on the server: this page follows it, and the tables "
                   "below hold what was done when the page was drawn (all of it once "
                   "the job ends)." + (f" {skipped.summary()}." if skipped.summary() else ""))
    if job.finished and job.skipped:
        if st.button(f"Fetch the {job.skipped} not fetched", icon=":material/play_arrow:",
                     key="batch-resume"):
            board.retry(job.id, lambda item: item.state == jobs.SKIPPED)
            ui.job_runner().submit(job.id)
            st.rerun()
    if not failures.empty:
        st.subheader("Failures", anchor=False)
        st.dataframe(failures, hide_index=True, width="stretch")
        again = [i for i in board.items(job.id, states=[jobs.FAILED])
                 if jobs.retryable_failure(i)]
        if again and job.finished:
            if st.button(f"Retry {len(again)} failed", icon=":material/replay:",
                         key="batch-retry",
                         help="Only failures marked “Retry possible: yes” (rate limits, "
                              "network faults, the marketplace's own trouble)."):
                board.retry(job.id, jobs.retryable_failure)
                ui.job_runner().submit(job.id)
                st.rerun()
        elif job.finished:
            st.caption("Trying again will not help these: fix the ids or links, or the "
                       "settings named in the problem.")
        ui.download_table(failures, "batch-failures", "", label="Download failures")
    if not rows.empty:
        st.subheader("Results", anchor=False)
        # A platform that sends no product page (Tuya): an empty cell, not "None".
        shown = rows.assign(Link=rows["Link"].where(rows["Link"].notna(), ""))
        st.dataframe(shown, hide_index=True, width="stretch", column_config={
            "Link": st.column_config.LinkColumn("Link", display_text="Open product")})
        ui.download_table(rows, "batch-results", "", label="Download results")
        fetched = [i.query for i in board.items(job.id, states=[jobs.ITEM_DONE])]
        save = getattr(ui, "save_to_list", None)
        if save is not None and fetched and job.finished:
            save(fetched, key="batch-save-list")


if job is not None:
    show_job(job)

def recent_table(recent) -> pd.DataFrame:
    return pd.DataFrame([{
        "Started (UTC)": j.created_at.strftime("%Y-%m-%d %H:%M"),
        "Products": j.total, "Fetched": j.done, "Failed": j.failed,
        "State": j.state_text, "By": j.created_by or "not known", "Job": j.id}
        for j in recent])


@st.fragment(run_every=ui.JOB_POLL_S * 2)
def live_recent_table() -> None:
    """The table follows running jobs (the select below is drawn with the page)."""
    st.dataframe(recent_table(board.recent(RECENT, kind=jobs.BATCH)), hide_index=True,
                 width="stretch")


recent = board.recent(RECENT, kind=jobs.BATCH) if board is not None else []
if recent:
    st.subheader("Recent batch jobs", anchor=False)
    st.caption("Every batch run on this server, newest first: open one to see its "
               "results again.")
    if all(j.finished for j in recent):
        st.dataframe(recent_table(recent), hide_index=True, width="stretch")
    else:
        live_recent_table()
    labels = {j.id: f"{j.created_at:%Y-%m-%d %H:%M} UTC · {j.total:,} products · "
                    f"{ui.job_line(j)}" for j in recent}
    choice = st.selectbox("Open a job", list(labels), format_func=labels.get,
                          index=list(labels).index(job.id) if job is not None and
                          job.id in labels else None, key="batch-open-job",
                          placeholder="Choose a job")
    if choice and (job is None or choice != job.id):
        open_job(choice)
        st.rerun()
elif board is None:
    st.caption(literal(f"Jobs need the history database: {ui.store_problem()}"))
