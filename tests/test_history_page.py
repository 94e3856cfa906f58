"""The History page through AppTest on a throwaway SQLite store: the demo history drawn
as it was generated, two saved snapshots drawn as exactly two points, and a store that
cannot be opened leaving the page working with the reason."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import streamlit as st

from apptest_util import open_view, texts
from lib import ui
from lib.client import fetch_product
from lib.query import ProductQuery
from lib.store import open_store
from lib.store.demo_history import demo_history_products
from test_views_apptest import chart_rows, vega_charts

BACKPACK = "1005006789012345"
BLACK_20L_CHINA = "Color: Black · Size: 20L · Ships From: China"
BLACK = "Black"            # its line, in a chart filtered to 20L from China


@pytest.fixture
def store_url(tmp_path, monkeypatch):
    """A store of this test's own (without the demo history: tests/conftest.py)."""
    url = f"sqlite:///{tmp_path / 'history.db'}"
    monkeypatch.setenv("EXPLORER_DB_URL", url)
    ui.reset_store()
    st.cache_data.clear()          # a product cached by another test carries its snapshot id
    yield url
    ui.reset_store()


@pytest.fixture
def demo_store(store_url, monkeypatch):
    """A store of this test's own that loads the demo history on open, as `make run` does."""
    monkeypatch.setenv("EXPLORER_DEMO_HISTORY", "1")
    return store_url


def open_history(**params):
    """The History page once the store has written what it was given (demo history and
    this fetch), so what is drawn does not depend on the writer's speed."""
    at = open_view("history", "aliexpress", BACKPACK, **params)
    assert ui.store() is not None, ui.store_problem()
    assert ui.store().wait_idle(60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_by_title(at, title: str):
    """(spec, rows) of the one chart whose y axis is `title`."""
    found = [(spec, frames) for spec, frames in vega_charts(at)
             if spec.get("layer") and spec["layer"][0]["encoding"]["y"].get("title") == title]
    assert len(found) == 1, [s["layer"][0]["encoding"]["y"].get("title")
                             for s, _ in vega_charts(at) if s.get("layer")]
    spec, frames = found[0]
    return spec, chart_rows(spec, frames)


def series(rows, label: str):
    own = rows[rows["series"] == label].sort_values("time")
    return [None if v != v or v is None else float(v) for v in own["value"]]


def no_none_or_nan(at) -> None:
    shown = texts(at) + "\n".join(a.value for kind in ("info", "warning", "error", "success")
                                  for a in getattr(at, kind))
    assert not re.search(r"\bNone\b|\bnan\b|<NA>", shown), shown


def test_demo_history_drawn_as_generated(demo_store):
    at = open_history(window="all")
    demo = [p for p in demo_history_products(datetime.now(timezone.utc))
            if p.product_id == BACKPACK]
    assert len(demo) == 90
    live = fetch_product(ProductQuery("aliexpress", BACKPACK))
    black = live.skus[(live.skus["Color"] == "Black") & (live.skus["Size"] == "20L")
                      & (live.skus["Ships From"] == "China")]["sku_id"].iloc[0]

    def values(product, column):
        row = product.skus[product.skus["sku_id"] == black].iloc[0]
        return None if row[column] is None or row[column] != row[column] else float(row[column])

    spec, rows = chart_by_title(at, "Sale price (USD)")
    assert spec["layer"][0]["mark"]["interpolate"] == "step-after"
    assert series(rows, BLACK) == [values(p, "sale_price") for p in demo + [live]]
    assert list(dict.fromkeys(rows["series"])) == ["Black", "Red", "Blue", "Forest Green",
                                                   "Gray"]    # 20L from China at first
    assert spec["layer"][0]["encoding"]["color"]["title"] == \
        "Color (Size: 20L · Ships From: China)"
    _, stock = chart_by_title(at, "Stock (units)")
    assert series(stock, BLACK) == [values(p, "stock") for p in demo + [live]]
    page = texts(at)
    assert "91 snapshots in all: first " in page
    assert "Demo history: generated for the demo, not observed." in page
    ratings = [c for c in at.caption if "Not sent in any snapshot" in c.value]
    assert not ratings or "product rating" not in ratings[0].value
    assert {m.value for m in at.markdown} >= {"**Product rating**", "**Review count**",
                                              "**DSR scores**"}
    (changes,) = [d.value for d in at.dataframe if "What changed" in d.value.columns]
    assert len(changes) > 0 and changes["When"].iloc[0].endswith("UTC")
    no_none_or_nan(at)


def test_window_from_the_link(demo_store):
    at = open_history(window="7")
    assert re.search(r"\b7 snapshots in the last 7 days: first ", texts(at)), texts(at)
    _, rows = chart_by_title(at, "Sale price (USD)")
    assert len(series(rows, BLACK)) == 7


def test_two_saved_snapshots_are_two_points(store_url):
    query = ProductQuery("aliexpress", BACKPACK, country="DE", currency="EUR")
    store = open_store(store_url)
    try:
        ids = []
        now = datetime.now(timezone.utc)
        for days, price, stock in ((2, 11.11, 5), (1, 22.22, 0)):
            product = fetch_product(query)
            black = (product.skus["Color"] == "Black") & (product.skus["Size"] == "20L") \
                & (product.skus["Ships From"] == "China")
            skus = product.skus.copy()
            skus.loc[black, "sale_price"] = price
            skus.loc[black, "stock"] = stock
            product.skus = skus
            product.fetched_at = now - timedelta(days=days)
            product.demo = days == 1             # one fetched, one demo: a mixed history
            ids.append(store.save(product))
    finally:
        store.close()
    # pinned to the second one: the page records no new snapshot of its own
    at = open_history(country="DE", currency="EUR", snapshot=ids[1])
    _, rows = chart_by_title(at, "Sale price (EUR)")
    assert series(rows, BLACK) == [11.11, 22.22]
    _, stock = chart_by_title(at, "Stock (units)")
    assert series(stock, BLACK) == [5.0, 0.0]
    assert "2 snapshots in the last 90 days" in texts(at)
    assert "not observed for 1 of 2 snapshots (" in texts(at)
    spec, _ = chart_by_title(at, "Sale price (EUR)")
    assert spec["layer"][1]["encoding"]["shape"]["field"] == "seen"
    (table,) = [d.value for d in at.dataframe if "sold_out" in d.value.columns]
    row = table[table["variant"] == BLACK_20L_CHINA].iloc[0]
    assert (row["low"], row["high"], row["sold_out"]) == (11.11, 22.22, 1)
    assert row["average"] == pytest.approx(16.665)
    (changes,) = [d.value for d in at.dataframe if "What changed" in d.value.columns]
    assert f"{BLACK_20L_CHINA}: sold out (was 5 in stock)" in set(changes["What changed"])
    assert any(text.startswith(f"{BLACK_20L_CHINA}: sale price 11.11 EUR → 22.22 EUR")
               for text in changes["What changed"])
    no_none_or_nan(at)


def test_store_that_cannot_be_opened_says_so(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EXPLORER_DB_URL", f"sqlite:///{blocker / 'sub' / 'x.db'}")
    ui.reset_store()
    try:
        at = open_view("history", "aliexpress", BACKPACK)
        (warning,) = [w.value for w in at.warning if "History is off" in w.value]
        assert ui.store_problem() and not at.get("vega_lite_chart")
    finally:
        ui.reset_store()


def test_storage_prunes_old_snapshots_after_confirmation(store_url):
    query = ProductQuery("aliexpress", BACKPACK, country="DE", currency="EUR")
    store = open_store(store_url)
    try:
        now = datetime.now(timezone.utc)
        ids = []
        for days in (40, 1):
            product = fetch_product(query)
            product.fetched_at = now - timedelta(days=days)
            ids.append(store.save(product))
    finally:
        store.close()
    at = open_history(country="DE", currency="EUR", snapshot=ids[1], window="all")
    assert "2 snapshots in all: first " in texts(at)
    (button,) = [b for b in at.button if b.label == "Delete old snapshots"]
    assert button.disabled                       # not before the confirmation
    at.number_input(key="prune-days").set_value(30).run()
    at.checkbox(key="prune-sure").check().run()
    [b for b in at.button if b.label == "Delete old snapshots"][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == \
        ["Deleted 1 snapshot older than 30 days (of every product)."]
    assert "1 snapshot in all: " in texts(at)
    assert at.checkbox(key="prune-sure").value is False


def test_hostile_product_history_shows_its_text_as_text(store_url, tmp_path, monkeypatch):
    """Attacker text in titles, property names and values, DSR labels (tests/hostile.py):
    over two snapshots (so the changes table has rows), nothing renders as Markdown."""
    from hostile import MARK, build_hostile_set, hostile_texts
    from lib.sandbox.gateway import FIXTURES_ENV
    from markdown_scan import markdown_texts, report, scan

    mapping = build_hostile_set(tmp_path / "hostile")
    monkeypatch.setenv(FIXTURES_ENV, str(tmp_path / "hostile"))
    st.cache_data.clear()
    query = ProductQuery("aliexpress", BACKPACK)
    store = open_store(store_url)
    try:
        earlier = fetch_product(query)
        earlier.fetched_at -= timedelta(days=2)
        skus = earlier.skus.copy()
        skus["sale_price"] = skus["sale_price"] + 1
        earlier.skus, earlier.title = skus, earlier.title + " (older)"
        store.save(earlier)
    finally:
        store.close()
    try:
        at = open_history()
        assert any(MARK in text for _, _, text in markdown_texts(at)), "no payload on screen"
        (changes,) = [d.value for d in at.dataframe if "What changed" in d.value.columns]
        assert len(changes) > 0
        found = scan(at, hostile_texts(mapping))
        assert not found, report(found)
    finally:
        st.cache_data.clear()
