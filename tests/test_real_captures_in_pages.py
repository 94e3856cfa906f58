"""Every captured aliexpress.ds.product.get answer in ../shared/real-responses/ds, fed
through every page: the demo gateway serves the capture as-is (wrapped, inner-body or
flattened, exactly as the other project stored it) and the page shows its real values.

Expected values are read from the capture JSON here, without the app's parser.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lib.format import money_range
from paths import REAL
from test_views_apptest import chart_rows, open_page, summary, texts, vega_charts

DS = REAL / "ds"
CAPTURES = sorted(DS.glob("*.json"))


def _listed(value, key):
    inner = value.get(key, []) if isinstance(value, dict) else value or []
    return inner if isinstance(inner, list) else [inner]


def result_of(data: dict) -> dict:
    """The `result` object of a capture in any of its three stored shapes."""
    if "aliexpress_ds_product_get_response" in data:
        return data["aliexpress_ds_product_get_response"]["result"]
    return data.get("result") or data


def capture_facts(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    result = result_of(data)
    skus = _listed(result["ae_item_sku_info_dtos"], "ae_item_sku_info_d_t_o")
    sales = [float(s["offer_sale_price"]) for s in skus]
    media = result.get("ae_multimedia_info_dto") or {}
    videos = _listed(media.get("ae_video_dtos") or [], "ae_video_d_t_o")
    return {
        "data": data,
        "id": str(result["product_id_converter_result"]["main_product_id"]),
        "title": result["ae_item_base_info_dto"]["subject"],
        "skus": len(skus),
        "sold_out": sum(int(s["sku_available_stock"]) == 0 for s in skus),
        "currency": skus[0]["currency_code"],
        "sale_range": (min(sales), max(sales)),
        "main_images": len([u for u in media.get("image_urls", "").split(";") if u]),
        "playable_videos": len([v for v in videos
                                if str(v.get("media_url", "")).startswith("http")]),
        "store": result["ae_store_info"],
        "tiers": [(int(t["min_quantity"]), float(str(t["wholesale_price"]).strip('"')))
                  for s in skus for t in _listed(s.get("wholesale_price_tiers") or [],
                                                 "wholesale_price_tier")],
    }


FACTS = {path.name: capture_facts(path) for path in CAPTURES}


@pytest.fixture
def served(tmp_path, monkeypatch):
    """The demo gateway's fixture folder swapped for copies of the captures."""
    import lib.sandbox.gateway as gateway

    folder = tmp_path / "aliexpress"
    folder.mkdir()
    for path in CAPTURES:
        shutil.copyfile(path, folder / f"{FACTS[path.name]['id']}.json")
    monkeypatch.setattr(gateway, "FIXTURES", tmp_path)
    return tmp_path


def test_all_six_captures_are_here():
    assert len(CAPTURES) == 6, [p.name for p in CAPTURES]
    assert sorted(f["skus"] for f in FACTS.values()) == [1, 1, 1, 12, 30, 90]
    assert len({f["id"] for f in FACTS.values()}) == 6


@pytest.mark.parametrize("name", list(FACTS))
def test_overview(served, name):
    facts = FACTS[name]
    at = open_page("overview", facts["id"], facts["currency"])
    assert [s.value for s in at.subheader][0] == facts["title"].strip()
    shown = {m.label: m.value for m in at.metric}
    assert shown["Variants"] == str(facts["skus"])
    assert shown[f"Price ({facts['currency']})"] == money_range(*facts["sale_range"])


@pytest.mark.parametrize("name", list(FACTS))
def test_sku_matrix(served, name):
    facts = FACTS[name]
    at = open_page("sku_matrix", facts["id"], facts["currency"])
    n = facts["skus"]
    assert summary(at).startswith(
        f"{n} variant{'s' if n != 1 else ''} · {facts['sold_out']} out of stock · sale price ")
    assert summary(at).endswith(f" {facts['currency']}")
    assert len(at.dataframe[0].value) == n


@pytest.mark.parametrize("name", list(FACTS))
def test_price_tiers(served, name):
    facts = FACTS[name]
    at = open_page("price_tiers", facts["id"], facts["currency"])
    shown = {m.label: m.value for m in at.metric}
    currency = facts["currency"]
    if facts["tiers"]:
        tiers = at.dataframe[0].value
        assert list(zip(tiers["min_qty"], tiers["unit_price"])) == [
            (q, pytest.approx(p)) for q, p in facts["tiers"]]
        assert shown[f"Unit price ({currency})"] == f"{facts['tiers'][0][1]:.2f}"
    else:
        (info,) = [i.value for i in at.main.info]
        assert info.startswith("No wholesale price tiers for this product")
        low = facts["sale_range"][0]
        assert shown[f"Unit price ({currency})"] == f"{low:.2f}"
        assert shown[f"Total ({currency})"] == f"{low * 100:,.2f}"


@pytest.mark.parametrize("name", list(FACTS))
def test_store_ratings(served, name):
    facts = FACTS[name]
    at = open_page("store_ratings", facts["id"], facts["currency"])
    store = facts["store"]
    ((spec, frames),) = vega_charts(at)
    scores = chart_rows(spec, frames).set_index("label")["score"].to_dict()
    assert scores == {"Item as described": float(store["item_as_described_rating"]),
                      "Communication": float(store["communication_rating"]),
                      "Shipping speed": float(store["shipping_speed_rating"])}
    assert f"**Store id:** {store['store_id']}" in texts(at)


@pytest.mark.parametrize("name", list(FACTS))
def test_media_gallery(served, name):
    facts = FACTS[name]
    at = open_page("media_gallery", facts["id"], facts["currency"])
    n, v = facts["main_images"], facts["playable_videos"]
    line = texts(at)
    assert f"**{n}** main image{'s' if n != 1 else ''}" in line
    assert f"**{v}** video{'s' if v != 1 else ''}" in line
    assert len(at.get("video")) == v
    assert len(at.image) >= n


@pytest.mark.parametrize("name", list(FACTS))
def test_raw_data(served, name):
    facts = FACTS[name]
    at = open_page("raw_data", facts["id"], facts["currency"])
    assert json.loads(at.json[0].value) == facts["data"]        # the payload as received
    (skus,) = [e for e in at.main.expander if e.label.startswith("skus · ")]
    assert skus.label == f"skus · {facts['skus']} row{'s' if facts['skus'] != 1 else ''}"


def test_doc_copy_notes_are_shown(served):
    """The documentation example answers for another (regional) id and lists a video
    without an address: both are said on the raw data page."""
    name = "mercadodasophia-design__mercadodasophia-api__DOC-COPY_product-info-wholesale.json"
    at = open_page("raw_data", FACTS[name]["id"], FACTS[name]["currency"])
    notes = [m.value for m in at.main.markdown if m.value.startswith("- ")]
    assert any("4000903675543" in n and "32982857990" in n for n in notes), notes
    assert any("video" in n.lower() for n in notes), notes
