"""The first run of a shared link (issue 15): what it computes and in which order.

- The chart of the SKU matrix is built once per arguments (lib.ui.chart caches the
  Vega-Lite spec), and the spec sent is the one st.altair_chart sends.
- A fresh store opened by a page run loads the demo history after that page, so the
  first visitor's own snapshot is saved (and said so) without waiting behind it.
- After its first page the process freezes its long-lived objects out of the garbage
  collector's full collections (Streamlit runs one after every script run).
"""
from __future__ import annotations

import gc
import json
import time

import pytest
import streamlit as st

from apptest_util import open_view, run_app
from lib import charts, ui

BACKPACK = "1005006789012345"


def _chart(at):
    (chart,) = at.get("vega_lite_chart")
    return json.loads(chart.proto.spec), list(chart.proto.datasets)


@pytest.fixture
def fresh_caches(store_at):
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def test_matrix_chart_built_once_and_as_st_altair_chart_sends_it(fresh_caches, monkeypatch):
    built = []
    original = charts.sku_heatmap

    def counting(*args, **kwargs):
        built.append(kwargs)
        return original(*args, **kwargs)
    monkeypatch.setattr(charts, "sku_heatmap", counting)

    first = _chart(open_view("sku_matrix", "aliexpress", BACKPACK))
    second = _chart(open_view("sku_matrix", "aliexpress", BACKPACK))   # another session
    assert len(built) == 1, built
    assert first == second
    spec, datasets = first
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "rect", "text"]
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Size"
    assert len(datasets) == 1

    # Without the cache (no Streamlit converter): st.altair_chart, the same chart.
    monkeypatch.setattr(ui, "_chart_spec", lambda *args: None)
    plain_spec, plain_datasets = _chart(open_view("sku_matrix", "aliexpress", BACKPACK))
    assert len(built) == 2
    assert plain_spec == spec
    assert [d.data.data for d in plain_datasets] == [d.data.data for d in datasets]

    # Other settings: another chart, built again.
    _chart(open_view("sku_matrix", "aliexpress", BACKPACK, metric="stock"))
    assert len(built) == 3


def test_demo_history_of_a_fresh_store_waits_for_the_first_page(fresh_caches, monkeypatch):
    monkeypatch.setenv("EXPLORER_DEMO_HISTORY", "1")
    monkeypatch.setattr(ui, "SAVE_WAIT_S", 1.0)
    ui.reset_store()
    started = []
    original = ui._load_demo_history

    def slow_history(opened):           # a demo history that takes longer than the save wait
        started.append(time.monotonic())
        time.sleep(2.0)
        original(opened)
    monkeypatch.setattr(ui, "_load_demo_history", slow_history)

    at = run_app()                     # the first visitor: Overview of the demo backpack
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption)
    assert "Saved to the history" in captions, captions
    assert "Saving this fetch" not in captions
    opened = ui.store()
    deadline = time.monotonic() + 30       # queued behind the snapshot, on the writer thread
    while not started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert started, "the demo history was not queued after the page"
    assert ui.history_loading(opened)   # loading: "first time seen" is not claimed meanwhile
    assert opened.wait_idle(60)
    assert not ui.history_loading(opened)
    query = at.session_state[ui.STATE_QUERY]
    live = ui._fetch_cached(query, False, "")          # the visitor's product (cached)
    before = opened.previous(query, live.fetched_at, exclude=live.snapshot_id)
    assert before is not None and before.demo          # the demo history is in


def test_demo_history_outside_a_page_starts_at_once(store_at, monkeypatch):
    monkeypatch.setenv("EXPLORER_DEMO_HISTORY", "1")
    ui.reset_store()
    started = []
    monkeypatch.setattr(ui, "_load_demo_history", lambda opened: started.append(opened))
    opened = ui.store()
    assert opened.wait_idle(30)
    assert started == [opened]
    assert not ui.history_loading(opened)


def test_first_page_freezes_long_lived_objects(store_at):
    run_app()
    assert ui._FROZEN.is_set()
    assert gc.get_freeze_count() > 0
