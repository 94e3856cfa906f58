"""lib/history.py (and the history chart builders) on a hand-built History: exact values."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from lib import charts
from lib import history as hist
from lib.query import ProductQuery
from lib.store import History, diff
from lib.store.facts import Facts, sku_frame

NOW = datetime(2026, 11, 28, 14, 5, tzinfo=timezone.utc)
T = [NOW - timedelta(days=40), NOW - timedelta(days=20), NOW - timedelta(days=5),
     NOW - timedelta(hours=1)]
IDS = ["s0", "s1", "s2", "s3"]
PROPS = ["Color", "Size"]
NA = None
# A: Red 40L, in every snapshot; s2 did not send its price. B: Blue 40L, stock never
# sent, missing from s2 altogether.
A = dict(sku_id="111", Color="Red", Size="40L", variant="Color: Red · Size: 40L")
B = dict(sku_id="222", Color="Blue", Size="40L", variant="Color: Blue · Size: 40L")
ROWS = [  # snapshot, sku, price, sale_price, stock
    ("s0", A, 12.0, 10.0, 5), ("s0", B, 25.0, 20.0, NA),
    ("s1", A, 14.0, 12.0, 0), ("s1", B, 25.0, 20.0, NA),
    ("s2", A, 14.0, NA, 4),
    ("s3", A, 12.0, 9.0, 0), ("s3", B, 22.0, 18.0, NA),
]


def build(demo=(False, False, False, False), source=("fetch",) * 4) -> History:
    times = dict(zip(IDS, T))
    snapshots = pd.DataFrame({
        "snapshot_id": IDS, "fetched_at": pd.to_datetime(T, utc=True),
        "demo": pd.array(list(demo), dtype=bool), "source": list(source),
        "title": ["Backpack"] * 4, "status": ["onSelling"] * 4, "currency": ["USD"] * 4,
        "sku_count": pd.array([2, 2, 1, 2], dtype="Int64"),
        "price_min": pd.array([10.0, 12.0, NA, 9.0], dtype="Float64"),
        "price_max": pd.array([20.0, 20.0, NA, 18.0], dtype="Float64"),
        "product_rating": pd.array([4.7, 4.7, 4.6, 4.6], dtype="Float64"),
        "review_count": pd.array([100, 110, NA, 130], dtype="Int64"),
        "sales_count": pd.array([NA] * 4, dtype="Int64")})
    skus = pd.DataFrame({
        "snapshot_id": [r[0] for r in ROWS],
        "fetched_at": pd.to_datetime([times[r[0]] for r in ROWS], utc=True),
        "sku_id": [r[1]["sku_id"] for r in ROWS], "variant": [r[1]["variant"] for r in ROWS],
        "Color": [r[1]["Color"] for r in ROWS], "Size": [r[1]["Size"] for r in ROWS],
        "price": pd.array([r[2] for r in ROWS], dtype="Float64"),
        "sale_price": pd.array([r[3] for r in ROWS], dtype="Float64"),
        "currency": ["USD"] * len(ROWS), "stock": pd.array([r[4] for r in ROWS], dtype="Int64")})
    ratings = pd.DataFrame({"snapshot_id": ["s0", "s1", "s3", "s0"],
                            "fetched_at": pd.to_datetime([T[0], T[1], T[3], T[0]], utc=True),
                            "label": ["Communication", "Communication", "Communication",
                                      "Shipping speed"],
                            "score": [4.7, 4.6, 4.8, 4.5]})
    return History(query=ProductQuery("aliexpress", "1005006789012345"), properties=PROPS,
                   snapshots=snapshots, skus=skus, ratings=ratings, _rows=[])


def test_when_reads_like_a_date():
    assert hist.when(NOW) == "28 Nov 2026, 14:05 UTC"
    assert hist.when(datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))) \
        == "1 Dec 2026, 07:00 UTC"


@pytest.mark.parametrize("window,ids", [("7", ["s2", "s3"]), ("30", ["s1", "s2", "s3"]),
                                        ("90", IDS), ("all", IDS)])
def test_window_counts_back_from_now(window, ids):
    history = build()
    shown = hist.windowed(history, window, NOW)
    assert list(shown.snapshots["snapshot_id"]) == ids
    assert set(shown.skus["snapshot_id"]) == set(ids)
    assert shown.first == pd.Timestamp(T[-len(ids)]) and shown.last == pd.Timestamp(T[-1])


def test_window_description_and_empty_window():
    history = build()
    assert hist.windowed(history, "30", NOW).describe() == (
        "3 snapshots in the last 30 days: first 8 Nov 2026, 14:05 UTC, "
        "last 28 Nov 2026, 13:05 UTC.")
    later = hist.windowed(history, "7", NOW + timedelta(days=30))
    assert later.count == 0 and later.describe() == \
        "No snapshots in the last 7 days: pick a longer window."
    # an unknown window (a hand-edited link) is the default, not an error
    assert hist.windowed(history, "365", NOW).key == hist.DEFAULT_WINDOW


def test_demo_note_all_mixed_none():
    assert hist.demo_note(build(demo=(True,) * 4).snapshots) == \
        "Demo history: generated for the demo, not observed."
    assert hist.demo_note(build(source=("demo-history",) * 4).snapshots) == \
        "Demo history: generated for the demo, not observed."
    mixed = hist.demo_note(build(source=("demo-history",) * 3 + ("fetch",)).snapshots)
    assert mixed == ("Demo history: generated for the demo, not observed for 3 of 4 "
                     "snapshots (from 19 Oct 2026, 14:05 UTC to 23 Nov 2026, 14:05 UTC, "
                     "drawn as diamonds); the other 1 were fetched.")
    assert hist.demo_note(build().snapshots) == ""


def test_per_sku_figures_all_window():
    history = build()
    window = hist.windowed(history, "all", NOW)
    labels = hist.sku_labels(history.skus)
    table = hist.sku_summary(history, window, ["111", "222"], labels).set_index("sku_id")
    a, b = table.loc["111"], table.loc["222"]
    assert a["variant"] == "Color: Red · Size: 40L" and a["Color"] == "Red"
    assert (a["low"], a["high"], a["current"]) == (9.0, 12.0, 9.0)
    assert a["average"] == pytest.approx((10 + 12 + 9) / 3)      # s2 sent no price: not 0
    assert a["first_seen"] == pd.Timestamp(T[0]) and a["last_seen"] == pd.Timestamp(T[3])
    assert a["sold_out"] == 2                                    # 5 -> 0, 4 -> 0
    assert (b["low"], b["high"], b["current"]) == (18.0, 20.0, 18.0)
    assert b["average"] == pytest.approx((20 + 20 + 18) / 3)
    assert b["sold_out"] == 0                                    # stock never sent


def test_per_sku_figures_30_days():
    history = build()
    window = hist.windowed(history, "30", NOW)
    table = hist.sku_summary(history, window, ["111"], hist.sku_labels(history.skus))
    row = table.iloc[0]
    assert (row["low"], row["high"], row["average"]) == (9.0, 12.0, 10.5)
    assert row["first_seen"] == pd.Timestamp(T[1])
    assert row["sold_out"] == 1           # 0 (first in window, no transition), 4, 0


def test_current_is_na_when_the_latest_snapshot_did_not_list_the_sku():
    history = build()
    keep = ~((history.skus["snapshot_id"] == "s3") & (history.skus["sku_id"] == "222"))
    history.skus = history.skus[keep].reset_index(drop=True)
    table = hist.sku_summary(history, hist.windowed(history, "all", NOW), ["222"],
                             hist.sku_labels(history.skus))
    assert pd.isna(table.loc[0, "current"]) and table.loc[0, "high"] == 20.0


def test_sold_out_times_skips_unknown_stock():
    assert hist.sold_out_times([5, None, 0, 2, 0]) == 2
    assert hist.sold_out_times([0, 0, 3]) == 0
    assert hist.sold_out_times([pd.NA, pd.NA]) == 0


def test_step_points_keep_gaps_as_na():
    history = build()
    window = hist.windowed(history, "all", NOW)
    labels = hist.sku_labels(history.skus)
    points = hist.step_points(window, ["111", "222"], labels, "sale_price")
    a = points[points["series"] == "Color: Red · Size: 40L"]
    b = points[points["series"] == "Color: Blue · Size: 40L"]
    assert list(a["time"]) == list(pd.to_datetime(T, utc=True))
    assert a["value"].tolist()[:2] == [10.0, 12.0] and pd.isna(a["value"].iloc[2]) \
        and a["value"].iloc[3] == 9.0                   # not sent: NA, not 0, not 12
    assert b["value"].tolist()[:2] == [20.0, 20.0] and pd.isna(b["value"].iloc[2])
    assert b["value"].iloc[3] == 18.0                   # not listed in s2: a gap too
    stock = hist.step_points(window, ["222"], labels, "stock")
    assert stock["value"].isna().all()                  # never sent: never 0
    assert set(points["seen"]) == {"fetched"}
    assert a["when"].iloc[0] == "19 Oct 2026, 14:05 UTC"


def test_history_chart_is_steps_through_points_with_gaps():
    history = build()
    window = hist.windowed(history, "all", NOW)
    points = hist.step_points(window, ["111"], hist.sku_labels(history.skus), "sale_price")
    spec = charts.history_steps(points, value_title="Sale price (USD)").to_dict()
    line, dots = spec["layer"]
    assert line["mark"]["interpolate"] == "step-after"
    assert line["mark"]["invalid"] == "break-paths-filter-domains"
    assert dots["mark"]["type"] == "point"
    assert line["encoding"]["y"]["title"] == "Sale price (USD)"
    (values,) = spec["datasets"].values()
    assert [v["value"] for v in values] == [10.0, 12.0, None, 9.0]


def test_price_band_chart_data():
    band = hist.band_points(hist.windowed(build(), "all", NOW))
    assert band["low"].tolist()[:2] == [10.0, 12.0] and pd.isna(band["low"].iloc[2])
    assert band["skus"].tolist() == [2, 2, 1, 2]
    assert hist.band_caption(band) == ("Lowest to highest sale price over the variants of "
                                       "each snapshot; from 1 to 2 variants (now 2).")
    spec = charts.price_band_steps(band, value_title="Sale price (USD)").to_dict()
    assert spec["layer"][0]["mark"]["type"] == "area"
    assert spec["layer"][0]["mark"]["interpolate"] == "step-after"
    assert spec["layer"][0]["encoding"]["y2"]["field"] == "high"


def test_metrics_never_sent_are_left_out():
    found, missing = hist.metric_points(hist.windowed(build(), "all", NOW))
    assert list(found) == ["Product rating", "Review count", "DSR scores"]
    assert missing == ["Sales count"]
    assert hist.not_sent_caption(missing) == \
        "Not sent in any snapshot of this window, so not drawn: sales count."
    reviews = found["Review count"]["value"]
    assert reviews.tolist()[:2] == [100, 110] and pd.isna(reviews.iloc[2])
    dsr = found["DSR scores"]
    speed = dsr[dsr["series"] == "Shipping speed"]["value"]
    assert speed.iloc[0] == 4.5 and speed.iloc[1:].isna().all()   # sent once: one point


def test_filters_and_default_cap():
    history = build()
    assert hist.property_values(history.skus, PROPS) == {"Color": ["Red", "Blue"],
                                                         "Size": ["40L"]}
    assert hist.sku_ids(hist.filter_skus(history.skus, {"Color": ["Blue"], "Size": []})) \
        == ["222"]
    assert hist.default_filters(history.skus, PROPS) == {"Color": [], "Size": []}
    assert hist.default_filters(history.skus, PROPS, limit=1) == \
        {"Color": ["Red"], "Size": ["40L"]}
    assert hist.lines_to_draw([str(i) for i in range(15)]) == \
        ([str(i) for i in range(12)], 3)
    assert "first 12 of 15 variants (3 hidden)" in hist.hidden_note(12, 3)


def _facts(snapshot_id, at, sale, stock, rating=4.7, title="Backpack"):
    skus = sku_frame([{**A, "price": 12.0, "sale_price": sale, "currency": "USD",
                       "stock": stock}], PROPS)
    return Facts(snapshot_id=snapshot_id, fetched_at=at, demo=False, title=title,
                 status="onSelling", currency="USD", properties=tuple(PROPS), skus=skus,
                 product_rating=rating, review_count=100, sales_count=None,
                 ratings={"Communication": 4.7})


def test_change_rows_from_two_facts():
    before, after = _facts("s0", T[0], 10.0, 5), _facts("s1", T[1], 9.0, 0)
    rows = hist.change_rows([before, after], diff)
    assert list(rows.columns) == ["When", "What changed", "Kind"]
    assert rows["Kind"].tolist() == ["Price down", "Sold out"]
    assert set(rows["When"]) == {"8 Nov 2026, 14:05 UTC"}
    price, stock = rows["What changed"]
    assert price.startswith("Color: Red · Size: 40L: sale price 10.00 USD → 9.00 USD")
    assert "−10.0 %" in price
    assert stock == "Color: Red · Size: 40L: sold out (was 5 in stock)"


def test_change_rows_newest_first_and_windowed():
    timeline = [_facts("s0", T[0], 10.0, 5), _facts("s1", T[1], 9.0, 5),
                _facts("s2", T[2], 9.0, 5, title="Backpack 40L")]
    rows = hist.change_rows(timeline, diff)
    assert rows["When"].tolist() == ["23 Nov 2026, 14:05 UTC", "8 Nov 2026, 14:05 UTC"]
    assert rows["Kind"].tolist() == ["Title", "Price down"]
    # 7 days back: only the pair whose later snapshot is inside the window
    start = hist.window_start("7", NOW)
    assert hist.change_rows(timeline, diff, start)["Kind"].tolist() == ["Title"]
    assert hist.change_rows(timeline[:1], diff).empty


def test_downloads_one_row_per_snapshot_and_sku():
    history = build()
    window = hist.windowed(history, "all", NOW)
    skus = hist.sku_history_table(window, PROPS)
    assert list(skus.columns) == ["Time (UTC)", "Snapshot", "SKU id", "Variant", "Color",
                                  "Size", "Original price", "Sale price", "Currency", "Stock"]
    assert len(skus) == len(ROWS) and skus["Time (UTC)"].dt.tz is None
    assert pd.isna(skus.loc[4, "Sale price"]) and skus.loc[4, "Stock"] == 4
    product = hist.product_history_table(window, "USD")
    assert product["Communication (DSR, 0–5)"].tolist()[:2] == [4.7, 4.6]
    assert pd.isna(product.loc[2, "Communication (DSR, 0–5)"])
    assert product["Lowest sale price (USD)"].tolist()[:2] == [10.0, 12.0]
    assert product["Demo (generated)"].tolist() == ["no"] * 4
    from lib.export import csv_bytes, excel_bytes
    assert b"None" not in csv_bytes(skus) and b"nan" not in csv_bytes(product)
    assert excel_bytes({"SKU history": skus, "Product history": product})[:2] == b"PK"


def test_sentences():
    history = build()
    assert hist.storage_line(history) == (
        "4 snapshots of this product are stored (all, not only this window), from "
        "19 Oct 2026, 14:05 UTC to 28 Nov 2026, 13:05 UTC.")
    assert hist.pruned_text(0, 30) == "No snapshot was older than 30 days: nothing was deleted."
    assert hist.pruned_text(3, 30) == "Deleted 3 snapshots older than 30 days (of every product)."
    assert hist.history_currency(history) == "USD"
    history.skus.loc[0, "currency"] = "EUR"
    assert hist.history_currency(history) is None


def test_drawn_labels_name_only_what_differs():
    history = build()
    labels = hist.sku_labels(history.skus)
    assert hist.drawn_labels(history.skus, ["111", "222"], PROPS, labels) == \
        ({"111": "Red", "222": "Blue"}, "Color (Size: 40L)")
    # one line: nothing differs, the full label
    assert hist.drawn_labels(history.skus, ["111"], PROPS, labels) == \
        ({"111": "Color: Red · Size: 40L"}, "Variant")


def test_mixed_demo_and_fetched_points_have_their_own_shapes():
    history = build(source=("demo-history",) * 3 + ("fetch",))
    window = hist.windowed(history, "all", NOW)
    points = hist.step_points(window, ["111"], hist.sku_labels(history.skus), "sale_price")
    assert points["seen"].tolist() == ["demo (generated)"] * 3 + ["fetched"]
    dots = charts.history_steps(points, value_title="Sale price (USD)",
                                mixed=True).to_dict()["layer"][1]
    assert dots["encoding"]["shape"]["field"] == "seen"
    assert dots["encoding"]["shape"]["scale"]["range"] == ["circle", "diamond"]


def test_original_price_is_a_second_dashed_measure():
    history = build()
    window = hist.windowed(history, "all", NOW)
    points = hist.price_points(window, ["111"], hist.sku_labels(history.skus), True)
    assert points.groupby("measure", sort=False)["value"].apply(
        lambda v: [None if pd.isna(x) else x for x in v]).to_dict() == {
        "Sale price": [10.0, 12.0, None, 9.0], "Original price": [12.0, 14.0, 14.0, 12.0]}
    line = charts.history_steps(points, value_title="Price (USD)").to_dict()["layer"][0]
    assert line["encoding"]["strokeDash"]["field"] == "measure"
    assert line["encoding"]["detail"]["field"] == "measure"
