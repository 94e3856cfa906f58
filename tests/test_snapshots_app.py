"""Snapshots through the app (AppTest): every fetch saved, what changed on the Overview,
links pinned to what was seen, and a store that fails never costs the product on screen.

The scenario of issue 11: fetch a demo product, change the sandbox's answer (a copy of
the fixtures, EXPLORER_DEMO_FIXTURES), fetch again: the Overview lists the exact
changes, the History page draws the two observed points, and a link pinned to the first
snapshot still shows the first price.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from apptest_util import open_view, texts
from lib import ui
from test_views_apptest import chart_rows, vega_charts

BACKPACK = "1005006789012345"
# Ship to GB: a query the bundled demo history (US) does not cover, so the history of
# this test holds exactly the fetches it makes.
LOCALE = {"country": "GB"}
FIRST_SKU = "12000421038262485"       # Black / 20L / China: 24.90 USD, 583 in stock
SECOND_SKU_STOCK = None



def _edit_backpack(fixtures: Path, sku_id: str, **values) -> None:
    path = fixtures / "aliexpress" / f"{BACKPACK}.json"
    payload = json.loads(path.read_text())
    skus = (payload["aliexpress_ds_product_get_response"]["result"]["ae_item_sku_info_dtos"]
            ["ae_item_sku_info_d_t_o"])
    (sku,) = [s for s in skus if s["sku_id"] == sku_id]
    sku.update(values)
    path.write_text(json.dumps(payload))


def _pinned_links(at) -> list[str]:
    return [c.value for c in at.code if "snapshot=" in c.value]


def _refresh(at):
    at.button(key=f"refresh-aliexpress:{BACKPACK}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _second_sku(fixtures: Path) -> str:
    payload = json.loads((fixtures / "aliexpress" / f"{BACKPACK}.json").read_text())
    skus = (payload["aliexpress_ds_product_get_response"]["result"]["ae_item_sku_info_dtos"]
            ["ae_item_sku_info_d_t_o"])
    return next(s["sku_id"] for s in skus if s["sku_id"] != FIRST_SKU
                and int(s["sku_available_stock"]) > 0)


def test_fetch_change_fetch_lists_changes_draws_history_and_pins(store_at, fixtures):
    at = open_view("overview", "aliexpress", BACKPACK, **LOCALE)
    assert "First time seen" in texts(at)
    (first_link,) = _pinned_links(at)
    first_id = first_link.split("snapshot=")[1]

    other = _second_sku(fixtures)
    _edit_backpack(fixtures, FIRST_SKU, offer_sale_price="21.90")
    _edit_backpack(fixtures, other, sku_available_stock=0)
    _refresh(at)
    (changed,) = [e for e in at.expander if e.label.startswith("What changed since")]
    lines = [m.value for m in changed.markdown][0].splitlines()
    assert len(lines) == 2, lines
    assert "sale price 24.90 USD → 21.90 USD (−12.0 %)" in lines[0]
    assert "Color: Black · Size: 20L · Ships From: China" in lines[0].replace("\\", "")
    assert "sold out (was" in lines[1]
    (second_link,) = _pinned_links(at)
    assert second_link.split("snapshot=")[1] != first_id

    # History: the changed SKU has exactly the two observed points, as steps.
    store = ui.store()
    assert store.wait_idle(10)
    history = open_view("history", "aliexpress", BACKPACK, **LOCALE)
    history.run()
    (spec, frames), = [(spec, frames) for spec, frames in vega_charts(history)
                       if spec.get("layer") and
                       spec["layer"][0]["encoding"]["y"].get("title") == "Sale price (USD)"]
    rows = chart_rows(spec, frames)
    black = rows[rows["series"] == "Black"].sort_values("time")     # 20L from China
    assert [round(float(v), 2) for v in black["value"]] == [24.90, 21.90]
    assert "step-after" in json.dumps(spec)

    # The first snapshot's link shows the first price, after the second fetch.
    pinned = open_view("sku_matrix", "aliexpress", BACKPACK, snapshot=first_id, **LOCALE)
    assert any("Pinned view, as of" in i.value for i in pinned.info)
    assert _sale_price(pinned, FIRST_SKU) == pytest.approx(24.90)
    # ... and the session that fetched again, the second.
    at.switch_page("views/sku_matrix.py").run()
    assert _sale_price(at, FIRST_SKU) == pytest.approx(21.90)
    assert not any("Pinned view" in i.value for i in at.info)


def _sale_price(at, sku_id: str) -> float:
    """The sale price of one variant in the SKU matrix's variant table."""
    (table,) = [d.value for d in at.dataframe if "sku_id" in d.value.columns]
    return float(table.loc[table["sku_id"].astype(str) == sku_id, "sale_price"].iloc[0])



@pytest.mark.parametrize("page", ["overview", "sku_matrix", "price_tiers", "store_ratings",
                                  "media_gallery", "raw_data", "history"])
def test_pinned_link_opens_every_page_as_of(store_at, page):
    first = open_view("overview", "aliexpress", BACKPACK, **LOCALE)
    (link,) = _pinned_links(first)
    snapshot_id = link.split("snapshot=")[1]
    assert ui.store().wait(snapshot_id, 10) == "saved"
    at = open_view(page, "aliexpress", BACKPACK, snapshot=snapshot_id, **LOCALE)
    assert any("Pinned view, as of" in i.value for i in at.info), page
    assert [b for b in at.button if b.key == "unpin"], "no way back to the live product"


def test_load_the_live_product_unpins(store_at):
    first = open_view("overview", "aliexpress", BACKPACK, **LOCALE)
    snapshot_id = _pinned_links(first)[0].split("snapshot=")[1]
    ui.store().wait(snapshot_id, 10)
    at = open_view("overview", "aliexpress", BACKPACK, snapshot=snapshot_id, **LOCALE)
    at.button(key="unpin").click().run()
    assert not any("Pinned view" in i.value for i in at.info)
    assert "snapshot" not in at.query_params


def test_unknown_snapshot_says_so_and_shows_the_live_product(store_at):
    at = open_view("overview", "aliexpress", BACKPACK, snapshot="Nope12345678", **LOCALE)
    assert any("does not have" in w.value for w in at.warning)
    assert at.subheader, "the live product is shown"


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://explorer:s3cretPW@127.0.0.1:9/explorer",     # nothing listens
    "sqlite:////proc/explorer-history/history.db",                      # cannot be created
])
@pytest.mark.parametrize("page", ["overview", "sku_matrix", "history", "compare",
                                  "raw_data"])
def test_unavailable_store_leaves_every_page_working(monkeypatch, url, page):
    monkeypatch.setenv("EXPLORER_DB_URL", url)
    ui.reset_store()
    try:
        at = open_view(page, "aliexpress", BACKPACK)
        shown = texts(at) + "\n".join(w.value for w in at.warning) + \
            "\n".join(i.value for i in at.info)
        assert "s3cretPW" not in shown
        if page in ("overview", "sku_matrix", "raw_data"):
            assert any("Not saved to the history" in w.value for w in at.warning), page
    finally:
        ui.reset_store()


def test_read_only_database_keeps_the_product_with_a_note(tmp_path, monkeypatch):
    """A store that opens but refuses writes (a read-only file): the fetch is shown, and
    the page says it was not saved."""
    from lib.store import open_store

    path = tmp_path / "ro.db"
    open_store(f"sqlite:///{path}").close()          # migrated, then opened read-only
    monkeypatch.setenv("EXPLORER_DB_URL", f"sqlite:///file:{path}?mode=ro&uri=true")
    ui.reset_store()
    try:
        at = open_view("overview", "aliexpress", BACKPACK, **LOCALE)
        (note,) = [w.value for w in at.warning if "Not saved to the history" in w.value]
        assert "read-only" in note
        assert at.subheader and at.metric, "the product is on screen"
        assert not _pinned_links(at)
    finally:
        ui.reset_store()
