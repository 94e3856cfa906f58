"""lib.export: the Excel workbook opened back with openpyxl, CSV read back with pandas."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from lib import export
from test_analysis import BACKPACK, BOTTLE, fixture_sku, fixture_skus, product

SHEETS = ["skus", "tiers", "lead_times", "country_prices", "attributes", "media", "store"]


def _workbook(product_id: str) -> openpyxl.Workbook:
    data = export.excel_bytes(export.tables(product(product_id)))
    assert data[:2] == b"PK"                      # an xlsx is a zip file
    return openpyxl.load_workbook(io.BytesIO(data))


def _records(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:]]


def test_workbook_sheet_names():
    assert _workbook(BACKPACK).sheetnames == SHEETS
    assert list(export.tables(product(BOTTLE))) == SHEETS


def test_workbook_skus_sheet_real_values():
    skus = _records(_workbook(BACKPACK)["skus"])
    assert len(skus) == 45
    red_40 = fixture_sku(BACKPACK, Color="Red", Size="40L", Ships_From="China")
    (row,) = [r for r in skus if r["sku_id"] == red_40["sku_id"]]
    # the 17-digit id stays text (as a number Excel would round it to 1.20004210382627E16)
    assert isinstance(row["sku_id"], str) and row["sku_id"] == "12000421038262741"
    assert (row["Color"], row["Size"], row["Ships From"]) == ("Red", "40L", "China")
    assert row["sale_price"] == pytest.approx(red_40["sale"])
    assert row["price"] == pytest.approx(red_40["price"])
    assert row["stock"] == 0
    assert row["currency"] == "USD"


def test_workbook_tiers_sheet_real_values():
    tiers = _records(_workbook(BACKPACK)["tiers"])
    assert len(tiers) == 45 * 4
    first = fixture_skus(BACKPACK)[0]
    ladder = sorted((r["min_qty"], r["unit_price"], r["max_qty"]) for r in tiers
                    if r["sku_id"] == first["sku_id"])
    assert [(q, p) for q, p, _ in ladder] == [(q, pytest.approx(p)) for q, p in first["tiers"]]
    assert [m for _, _, m in ladder] == [9, 49, 199, None]      # open top tier: empty cell
    assert ladder[1][1] == pytest.approx(23.66)


def test_workbook_media_and_store_sheets():
    book = _workbook(BACKPACK)
    media = _records(book["media"])
    assert len(media) == 12 + 2
    assert [r["kind"] for r in media].count("video") == 2
    assert {r["label"] for r in media if r["kind"] == "sku"} == {
        "Color: Black", "Color: Red", "Color: Blue", "Color: Forest Green"}
    videos = [r for r in media if r["kind"] == "video"]
    assert videos[0]["poster"] == "/app/static/demo/backpack_video_1_poster.png"
    store = {r["field"]: r["value"] for r in _records(book["store"])}
    assert store["store name"] == "TrailForge Outdoor Store"
    assert store["sales"] == "10000+"
    assert store["rating: Shipping speed"] == "4.6"


def test_workbook_bottle_not_rated_and_empty_sheets():
    book = _workbook(BOTTLE)
    store = {r["field"]: r["value"] for r in _records(book["store"])}
    assert store["rating: Communication"] == "not rated"
    assert store["rating: Item as described"] == "4.9"
    # an empty table still gets its sheet, with the header row of the column contract
    tiers = list(book["tiers"].iter_rows(values_only=True))
    assert tiers == [("sku_id", "min_qty", "max_qty", "unit_price", "discount", "currency",
                      "source")]
    (sku,) = _records(book["skus"])
    assert sku["sku_id"] == fixture_skus(BOTTLE)[0]["sku_id"]
    assert sku["sale_price"] == pytest.approx(14.24)


def test_workbook_sheet_names_are_made_safe():
    frame = pd.DataFrame({"a": [1]})
    book = openpyxl.load_workbook(io.BytesIO(export.excel_bytes(
        {"prices/by:country?": frame, "x" * 40: frame})))
    assert book.sheetnames == ["prices_by_country_", "x" * 31]


def test_csv_has_bom_and_round_trips_non_latin_text():
    frame = pd.DataFrame({
        "sku_id": ["12000421038262741", "12000481863849014"],
        "title": ["בקבוק מים 750 מ\"ל", "Acessórios roupas, coração; 中文 — 「引用」"],
        "price": [36.9, 14.24],
    })
    data = export.csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")               # Excel needs the BOM for UTF-8
    assert "בקבוק".encode("utf-8") in data
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"sku_id": str})
    assert list(back.columns) == ["sku_id", "title", "price"]   # no BOM glued to a name
    assert back["title"].tolist() == frame["title"].tolist()
    assert back["sku_id"].tolist() == frame["sku_id"].tolist()
    assert back["price"].tolist() == [36.9, 14.24]


def test_csv_of_product_skus_round_trip():
    skus = product(BACKPACK).skus
    back = pd.read_csv(io.BytesIO(export.csv_bytes(skus)), encoding="utf-8-sig",
                       dtype={"sku_id": str, "sku_attr": str})
    assert len(back) == 45
    assert back["sku_id"].tolist() == [s["sku_id"] for s in fixture_skus(BACKPACK)]
    assert back["sale_price"].tolist() == pytest.approx([s["sale"] for s in fixture_skus(BACKPACK)])
    assert back["stock"].tolist() == [s["stock"] for s in fixture_skus(BACKPACK)]


def test_file_stem():
    assert export.file_stem(product(BACKPACK)) == "aliexpress-1005006789012345"
