"""Lists: named watchlists of products, refreshed as jobs, with what changed since the
previous refresh. The list on screen is in the URL (?list=<name>, any case), so a link
reopens it; the figures come from lib/watchlists."""
import streamlit as st

from lib import batch, ui
from lib.jobs import REFRESH
from lib.platforms import PLATFORMS
from lib.store import StoreError
from lib.text import literal
from lib.watchlists import (MAX_NAME, MAX_PRODUCTS, ListError, list_changes, refresh_title,
                            usable_refreshes)
from lib.watchlists.book import MAX_SCHEDULE_HOURS
from lib.watchlists.changes import stamp
from lib.watchlists.tables import file_stem, product_labels, product_rows

PICKED = "list-picked"             # the selectbox's key
PENDING = "list-pending"           # a list to pick on the next run ("" = none)
SEEN = "list-param-seen"           # the ?list= value already applied
NOTICE = "list-notice"             # (kind, message) to show once
CONFIRM = "list-confirm-delete"    # id of the list whose deletion awaits a yes

ui.product_picker()
st.title("Lists", anchor=False)
st.caption("Named lists of products to watch. “Refresh all” fetches every product again "
           "as a job (it goes on when you leave the page or close the tab), and each list "
           "shows what changed since its previous refresh.")

book, board, store = ui.list_book(), ui.job_board(), ui.store()
if book is None or board is None:
    problem = ui.store_problem() or "the history database could not be opened."
    st.warning(literal(f"Lists are unavailable: {problem}"), icon=":material/database_off:")
    st.stop()


@st.fragment(run_every=1.5)
def _when_demo_loaded() -> None:
    if not ui.history_loading(store):
        st.rerun(scope="app")


if ui.history_loading(store):
    st.info("The demo history and its demo list are being loaded (first start of this "
            "store, a few seconds) …", icon=":material/hourglass_top:")
    _when_demo_loaded()


def _notice(kind: str, message: str) -> None:
    st.session_state[NOTICE] = (kind, message)


def _read(text: str, platform: str):
    return batch.read_refs(text, platform, **ui.current_locale())


# --- create --------------------------------------------------------------------------------
names = book.names()
with st.expander("Create a list", expanded=not names, icon=":material/add:"):
    with st.form("list-create", border=False):
        new_name = st.text_input("Name", max_chars=MAX_NAME, key="list-new-name",
                                 placeholder="e.g. Backpacks to watch")
        left, right = st.columns([3, 1])
        pasted = left.text_area("Products (optional): ids or links, one per line",
                                height=100, key="list-new-refs",
                                placeholder="1005006789012345\nhttps://www.aliexpress.com/item/…")
        platform = right.selectbox("Platform for bare ids", list(PLATFORMS),
                                   format_func=lambda k: PLATFORMS[k].label,
                                   key="list-new-platform")
        st.caption("Products are kept with the sidebar's ship-to, currency and language.")
        create = st.form_submit_button("Create the list", type="primary",
                                       icon=":material/add:", key="list-create-submit")
    if create:
        reading = _read(pasted, platform)
        try:
            made = book.create(new_name, reading.queries)
        except (ListError, StoreError) as exc:
            st.error(literal(exc.user_message), icon=":material/error:")
        else:
            n = len(made.queries)
            skipped = reading.summary()
            _notice("success", f"Created the list “{made.name}” with {n} "
                               f"product{'' if n == 1 else 's'}."
                    + (f" Skipped: {skipped}." if skipped else ""))
            st.session_state[PENDING] = made.name
            st.rerun()

# --- which list: the URL's, a new one, or the one picked ---------------------------------
wanted = st.query_params.get(ui.LIST_PARAM)
if wanted is not None and wanted != st.session_state.get(SEEN):
    st.session_state[SEEN] = wanted
    found = book.get(wanted)
    if found is not None:
        st.session_state[PENDING] = found.name
    else:
        _notice("warning", f"There is no list called “{wanted}” (it may have been deleted "
                           "or renamed): pick one below.")
if PENDING in st.session_state:
    pending = st.session_state.pop(PENDING)
    if pending in names:
        st.session_state[PICKED] = pending
    else:
        st.session_state.pop(PICKED, None)
if st.session_state.get(PICKED) not in names:
    st.session_state.pop(PICKED, None)

if NOTICE in st.session_state:
    kind, message = st.session_state.pop(NOTICE)
    {"success": st.success, "warning": st.warning, "error": st.error}[kind](literal(message))

if not names:
    st.info("No lists yet: create one above (a name, and ids or links if you have them), "
            "or add the product on screen with “Add to a list” in the sidebar of any page, "
            "or save the products of Compare or Batch fetch with “Save as a list”.",
            icon=":material/checklist:")
    if ui.LIST_PARAM in st.query_params:
        del st.query_params[ui.LIST_PARAM]
    st.stop()

picked = st.selectbox("List", names, key=PICKED)
watch = book.get(picked)
if watch is None:                  # deleted in another tab since the names were read
    st.rerun()
st.session_state[SEEN] = watch.name
st.query_params[ui.LIST_PARAM] = watch.name          # a link to this page reopens it

refreshes = usable_refreshes(board, watch.id, limit=1)
latest_items = board.items(refreshes[0].id) if refreshes else []
n = len(watch.queries)
facts = [f"{n} product{'' if n == 1 else 's'} (at most {MAX_PRODUCTS})",
         f"created {stamp(watch.created_at)}"]
if refreshes:
    facts.append(f"last refreshed {stamp(refreshes[0].created_at)}")
if watch.demo:
    facts.append("the demo list: its first two refreshes come from the demo history")
st.subheader(literal(watch.name), anchor=False)
st.caption(literal(" · ".join(facts)))

# --- refresh, compare, delete ---------------------------------------------------------------
running = next((j for j in board.recent(5, kind=REFRESH, list_id=watch.id)
                if not j.finished), None)
with st.container(horizontal=True):
    refresh = st.button("Refresh all", type="primary", icon=":material/sync:",
                        key="list-refresh", disabled=running is not None or not n,
                        help="Fetch every product of the list again, as a job: it goes on "
                             "when you leave the page.")
    to_compare = st.button("Open in Compare", icon=":material/compare_arrows:",
                           key="list-compare", disabled=not n,
                           help="Compare reads the products with the sidebar's ship-to, "
                                "currency and language (at most 50 at once).")
    delete = st.button("Delete this list", icon=":material/delete:", key="list-delete")

if refresh:
    job = ui.start_job(REFRESH, list(watch.queries), title=refresh_title(watch.name),
                       list_id=watch.id)
    if job is not None:
        running = job
if running is not None:
    ui.job_progress(running.id, key=f"list-job-{watch.id}")
if to_compare:
    ui.set_compare_keys([q.key for q in watch.queries])
    st.switch_page("views/compare.py")
if delete:
    st.session_state[CONFIRM] = watch.id
if st.session_state.get(CONFIRM) == watch.id:
    st.warning(literal(f"Delete the list “{watch.name}” and its {n} product"
                       f"{'' if n == 1 else 's'}? Its past refreshes stay among the jobs "
                       "of the Batch fetch page."), icon=":material/delete:")
    with st.container(horizontal=True):
        if st.button("Yes, delete it", type="primary", key="list-delete-yes"):
            st.session_state.pop(CONFIRM, None)
            try:
                book.delete(watch)
            except StoreError as exc:
                _notice("error", exc.user_message)
            else:
                _notice("success", f"Deleted the list “{watch.name}”.")
                st.session_state[PENDING] = ""
                del st.query_params[ui.LIST_PARAM]
            st.rerun()
        if st.button("Cancel", key="list-delete-no"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()

# --- schedule and threshold -------------------------------------------------------------------
def _set_schedule(list_id: int) -> None:
    try:
        book.set_schedule(list_id, st.session_state[f"list-hours-{list_id}"] or None)
    except (ListError, StoreError) as exc:
        _notice("error", exc.user_message)


def _set_threshold(list_id: int) -> None:
    try:
        book.set_threshold(list_id, st.session_state[f"list-threshold-{list_id}"])
    except (ListError, StoreError) as exc:
        _notice("error", exc.user_message)


left, right = st.columns(2)
left.number_input("Refresh every N hours (0 = off)", min_value=0,
                  max_value=MAX_SCHEDULE_HOURS, step=1, value=int(watch.schedule_hours or 0),
                  key=f"list-hours-{watch.id}", on_change=_set_schedule,
                  args=(watch.id,))
if watch.schedule_hours and watch.next_refresh_at:
    left.caption(f"Next refresh: {stamp(watch.next_refresh_at)}. Scheduled refreshes run "
                 "while the app's server runs (a refresh due while it was off starts when "
                 "it is back).")
else:
    left.caption("No schedule: the list is refreshed when someone clicks “Refresh all”.")
right.number_input("Price change threshold (%)", min_value=0.0, max_value=100.0, step=0.5,
                   value=float(watch.threshold_pct), format="%.1f",
                   key=f"list-threshold-{watch.id}", on_change=_set_threshold,
                   args=(watch.id,),
                   help="Price drops and rises smaller than this are not listed as changes.")
right.caption("Sold-out and back-in-stock variants, rating changes and products not found "
              "are always listed.")

# --- what changed --------------------------------------------------------------------------
st.subheader("What changed since the previous refresh", anchor=False)
view = list_changes(board, store, watch)
(st.info if view.rows or view.state != "compared" else st.success)(
    literal(view.headline()), icon=":material/notifications:")
if view.rows:
    changes = view.table()
    # What changed in view first; platform and id after it (and in the downloads).
    st.dataframe(changes, hide_index=True, width="stretch",
                 column_order=["Product", "Change", "What changed", "Platform", "Product id"],
                 column_config={"Product": st.column_config.TextColumn(width=220),
                                "Change": st.column_config.TextColumn(width=130),
                                "What changed": st.column_config.TextColumn(width=480)})
    ui.download_table(changes, "changes", file_stem(watch.name), "Download the changes")
if view.threshold_note():
    st.caption(literal(view.threshold_note()))
if view.products and view.state != "no refresh":
    with st.expander("Product by product", icon=":material/list:",
                     expanded=not view.rows):
        st.dataframe(view.summary_table(), hide_index=True, width="stretch", column_config={
            "Product": st.column_config.TextColumn(width=220),
            "Platform": st.column_config.TextColumn(width=150),
            "Product id": st.column_config.TextColumn(width=140),
            "Summary": st.column_config.TextColumn(width="large")})

# --- the products --------------------------------------------------------------------------
st.subheader("Products", anchor=False)
if not n:
    st.info("This list has no products yet: paste ids or links under “Add products” "
            "below, or use “Add to a list” in the sidebar of any product page.",
            icon=":material/info:")
else:
    table = product_rows(watch.queries, latest_items)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "Platform": st.column_config.TextColumn(width=150),
        "Product id": st.column_config.TextColumn(width=140),
        "Ship to": st.column_config.TextColumn(width=100),
        "Title": st.column_config.TextColumn(width=260)})
    ui.download_table(table, "products", file_stem(watch.name), "Download the products")
    labels = product_labels(watch.queries, latest_items)
    with st.form(f"list-remove-{watch.id}", border=False):
        chosen = st.multiselect("Remove products", list(labels), format_func=labels.get,
                                key=f"list-remove-keys-{watch.id}",
                                placeholder="Pick products to take out of the list")
        if st.form_submit_button("Remove the selected", icon=":material/remove:",
                                 key=f"list-remove-submit-{watch.id}"):
            try:
                gone = book.remove(watch, chosen)
            except (ListError, StoreError) as exc:
                _notice("error", exc.user_message)
            else:
                if gone:
                    _notice("success", f"Removed {gone} product{'' if gone == 1 else 's'} "
                                       f"from “{watch.name}”.")
            st.rerun()

with st.expander("Add products", icon=":material/playlist_add:", expanded=not n):
    with st.form(f"list-add-{watch.id}", border=False):
        left, right = st.columns([3, 1])
        added_text = left.text_area("Ids or links, one per line", height=100,
                                    key=f"list-add-refs-{watch.id}")
        add_platform = right.selectbox("Platform for bare ids", list(PLATFORMS),
                                       format_func=lambda k: PLATFORMS[k].label,
                                       key=f"list-add-platform-{watch.id}")
        add = st.form_submit_button("Add to the list", type="primary", icon=":material/add:",
                                    key=f"list-add-submit-{watch.id}")
    if add:
        reading = _read(added_text, add_platform)
        try:
            outcome = book.add(watch, reading.queries)
        except (ListError, StoreError) as exc:
            _notice("error", exc.user_message)
        else:
            skipped = reading.summary()
            _notice("success", outcome.message() + (f" Skipped: {skipped}." if skipped else ""))
        st.rerun()
