"""History: price and stock over time from the store, observed points only.

Settings bound to query params (window, variant-<property>, original), so a shared link
reopens the same view; keys carry no product id. The figures come from lib/history.py.
"""
from datetime import datetime, timezone

import streamlit as st

from lib import charts, ui
from lib import history as hist
from lib.analysis import _number_or_text
from lib.export import file_stem
from lib.format import with_unit
from lib.store import StoreError, diff, keep_days
from lib.text import literal

SAVE_WAIT_S = 3.0

product = ui.current_product()
ui.page_intro(product, "History")

store = ui.store()
if store is None:
    st.warning(literal(f"History is off: {ui.store_problem() or 'the store could not be opened.'}"),
               icon=":material/database_off:")
    st.caption("The product itself is shown as usual on the other pages; only its "
               "snapshots (history, changes, pinned links) are unavailable.")
    st.stop()

if product.snapshot_id and store.status(product.snapshot_id) == "pending":
    # This page draws what the write stores: give it a moment (the first start also
    # loads the demo history before it), instead of drawing a history without it.
    with st.spinner("Saving this fetch to the history …"):
        store.wait(product.snapshot_id, SAVE_WAIT_S)
history = store.history(product.query)


@st.fragment(run_every=1.5)
def _draw_when_saved(snapshot_id: str) -> None:
    """Poll the pending write; draw the page again once it is done."""
    if store.status(snapshot_id) != "pending":
        st.rerun()


if history.empty:
    outcome = store.status(product.snapshot_id) if product.snapshot_id else None
    if outcome == "pending":
        st.info("No snapshots of this product yet: this fetch is being saved…",
                icon=":material/hourglass_top:")
        _draw_when_saved(product.snapshot_id)
    elif isinstance(outcome, StoreError):
        st.warning(literal(f"No snapshots of this product: this fetch could not be saved "
                           f"({outcome.user_message})."), icon=":material/cloud_off:")
    else:
        st.info("No snapshots of this product yet.", icon=":material/info:")
    st.stop()

props = history.properties
values = hist.property_values(history.skus, props)
starting = hist.default_filters(history.skus, props)
# A bound control writes its option's label to the URL ("window=7 days"); the aliases let
# a hand-written link say window=7 / 30 / 90 / all as well.
ui.bound_settings("history", product, {f"variant-{p}": starting[p] for p in props},
                  aliases={"window": {key: key for key in hist.WINDOWS}})

window_key = st.segmented_control(
    "Window", list(hist.WINDOWS), format_func=hist.WINDOWS.get, default=hist.DEFAULT_WINDOW,
    required=True, key="window", bind="query-params", on_change=ui.keep_choice,
    args=("window", st.session_state.get("window", hist.DEFAULT_WINDOW)),
) or hist.DEFAULT_WINDOW
window = hist.windowed(history, window_key, datetime.now(timezone.utc))
st.caption(window.describe())
demo_note = hist.demo_note(window.snapshots)
if demo_note:
    st.caption(f":material/science: {demo_note}")          # our words and dates only
if window.count == 0:
    st.info("Pick a longer window to see this product's snapshots.", icon=":material/info:")
    st.stop()
mixed = bool(hist.is_demo(window.snapshots).any() and not hist.is_demo(window.snapshots).all())

currency = hist.history_currency(history)
price_title = (with_unit("Sale price", currency) if currency is not None
               else "Sale price (mixed currencies: see the table)")
labels = hist.sku_labels(history.skus)

# --- per variant: price and stock --------------------------------------------------------
st.subheader("Price and stock by variant", anchor=False)
filters = {}
if props:
    columns = st.columns(min(len(props), 3))
    for position, prop in enumerate(props):
        filters[prop] = columns[position % len(columns)].multiselect(
            literal(prop), values[prop], default=starting[prop], key=f"variant-{prop}",
            bind="query-params", placeholder="All values",
            help="Pick values to choose the variants drawn; nothing picked: all of them.")
chosen = hist.sku_ids(hist.filter_skus(window.skus, filters))
if not chosen:
    st.warning("No variant in this window matches these filters.")
else:
    drawn, hidden = hist.lines_to_draw(chosen)
    if hidden:
        st.info(hist.hidden_note(len(drawn), hidden), icon=":material/filter_alt:")
    with_original = st.toggle("Also draw the original price (dashed)", key="original",
                              bind="query-params")
    line_names, series_title = hist.drawn_labels(window.skus, drawn, props, labels)
    st.altair_chart(charts.history_steps(
        hist.price_points(window, drawn, line_names, with_original),
        value_title=price_title.replace("Sale price", "Sale and original price")
        if with_original else price_title,
        series_title=series_title, mixed=mixed), width="stretch")
    st.altair_chart(charts.history_steps(
        hist.step_points(window, drawn, line_names, "stock"), value_title="Stock (units)",
        value_format=",.0f", series_title=series_title, zero=True, mixed=mixed),
        width="stretch")
    st.caption("Each point is a snapshot; a line holds its value until the next one. A gap "
               "is a snapshot that did not list the variant or did not send the value: "
               "nothing is filled in between fetches. Variants with the same figures draw "
               "on top of each other: hover a point to see each.")

# --- the product's price band ------------------------------------------------------------
st.subheader("Price band of the product", anchor=False)
band = hist.band_points(window)
unit = currency if currency is not None else "mixed currencies"
st.altair_chart(charts.price_band_steps(
    band, value_title=with_unit("Sale price band", unit),
    low_title=with_unit("Lowest sale price", unit),
    high_title=with_unit("Highest sale price", unit), mixed=mixed), width="stretch")
st.caption(hist.band_caption(band))

# --- per variant table ---------------------------------------------------------------------
st.subheader("Per variant in this window", anchor=False)
table = hist.sku_summary(history, window, chosen or hist.sku_ids(window.skus), labels)
unit = currency if currency is not None else "see SKU history"
config = {"variant": st.column_config.TextColumn("Variant"),
          "first_seen": st.column_config.DatetimeColumn(
              "First seen (UTC)", format="D MMM YYYY, HH:mm", timezone="UTC",
              help="The first snapshot in this window that listed the variant"),
          "last_seen": st.column_config.DatetimeColumn(
              "Last seen (UTC)", format="D MMM YYYY, HH:mm", timezone="UTC",
              help="The last snapshot in this window that listed the variant"),
          "sold_out": st.column_config.NumberColumn(
              "Times sold out", format="%d",
              help="How often the stock went to 0 from a positive figure between "
                   "snapshots (snapshots without a stock figure are skipped)"),
          "sku_id": st.column_config.TextColumn("SKU id")}
helps = {"low": "The lowest sale price observed in this window",
         "high": "The highest sale price observed in this window",
         "average": "The average of the observed points in this window (each snapshot "
                    "counts once; not weighted by how long a price lasted)",
         "current": "The sale price in the latest snapshot; “—” when it did not list the "
                    "variant or did not send the price"}
names = {"low": "Low", "high": "High", "average": "Average", "current": "Current"}
for column, name in names.items():
    shown = _number_or_text(table[column], "{:,.2f}")
    table[column] = shown
    header = with_unit(name, unit) if currency is not None else f"{name} ({unit})"
    config[column] = (st.column_config.NumberColumn(header, format="%.2f", help=helps[column])
                      if str(shown.dtype) != "object" else
                      st.column_config.TextColumn(header, help=helps[column]))
# The variant label names every property: the property columns would repeat it.
st.dataframe(table, hide_index=True, width="stretch", column_config=config,
             column_order=["variant", *names, "first_seen", "last_seen", "sold_out", "sku_id"])

# --- rating, reviews, sales, store scores --------------------------------------------------
st.subheader("Rating, reviews, sales and store scores", anchor=False)
found, missing = hist.metric_points(window)
# Scales fit the values (a 4.7 -> 4.5 dip is the news); the axis titles say "of 5".
scales = {"Product rating": ("Product rating (of 5)", ".2f"),
          "Review count": ("Reviews", ",.0f"), "Sales count": ("Sales", ",.0f"),
          "DSR scores": ("Score (of 5)", ".2f")}
drawn_metrics = list(found.items())
for pair in range(0, len(drawn_metrics), 2):       # rows of two: the same order on a phone
    cells = st.columns(2)
    for cell, (name, points) in zip(cells, drawn_metrics[pair:pair + 2]):
        title, value_format = scales[name]
        with cell:
            st.markdown(f"**{name}**")
            st.altair_chart(charts.history_steps(
                points, value_title=title, value_format=value_format,
                series_title="Store rating" if name == "DSR scores" else name, mixed=mixed,
                height=180), width="stretch")
if missing:
    st.caption(hist.not_sent_caption(missing))

# --- changes -----------------------------------------------------------------------------
st.subheader("What changed", anchor=False)
changes = hist.change_rows(history.timeline(), diff, window.start)
if changes.empty:
    st.caption("Nothing changed between the snapshots in this window.")
else:
    kinds = list(dict.fromkeys(changes["Kind"]))
    picked = st.pills("Kinds of change", kinds, selection_mode="multi", default=kinds,
                      help="Pick the kinds of change to list")
    changes = changes[changes["Kind"].isin(picked or kinds)]
    st.dataframe(changes, hide_index=True, width="stretch", column_config={
        "When": st.column_config.TextColumn("When", width="medium"),
        "What changed": st.column_config.TextColumn("What changed", width="large")})

# --- downloads ---------------------------------------------------------------------------
st.subheader("Downloads", anchor=False)
st.caption(f"The {window.count} snapshot(s) of this window; pick “All” above for the "
           "whole history.")
ui.download_table(hist.sku_history_table(window, props), "sku-history", file_stem(product),
                  "Download SKU history")
ui.download_table(hist.product_history_table(window, currency), "product-history",
                  file_stem(product), "Download product history")


# --- storage -------------------------------------------------------------------------------
def _prune() -> None:
    days = st.session_state.get("prune-days", 365)
    try:
        removed = store.prune(days)
    except StoreError as exc:
        st.session_state["history-pruned"] = ("error", exc.user_message)
    else:
        st.session_state["history-pruned"] = ("ok", hist.pruned_text(removed, days))
    st.session_state["prune-sure"] = False


with st.expander("Storage", icon=":material/database:"):
    st.caption("Snapshots are kept in:")
    st.code(store.url_text, language=None, wrap_lines=True)
    st.markdown(hist.storage_line(history))
    kept = keep_days()
    st.caption(f"Automatic retention: snapshots older than {kept:g} days are deleted on "
               "start (EXPLORER_KEEP_DAYS)." if kept else
               "Automatic retention is off: snapshots are kept until deleted here (set "
               "EXPLORER_KEEP_DAYS to delete old ones on start).")
    days = st.number_input("Delete snapshots older than N days", min_value=1, value=365,
                           step=1, key="prune-days")
    sure = st.checkbox(f"Yes, delete the snapshots older than {days:,} days of every "
                       "product in this store, for everyone who uses it", key="prune-sure")
    st.button("Delete old snapshots", icon=":material/delete:", disabled=not sure,
              on_click=_prune)
    outcome = st.session_state.pop("history-pruned", None)
    if outcome and outcome[0] == "ok":
        st.success(outcome[1], icon=":material/check:")
    elif outcome:
        st.error(literal(outcome[1]), icon=":material/error:")
