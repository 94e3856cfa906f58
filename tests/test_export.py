"""lib.export: the workbook opened back with openpyxl, CSV read back with pandas and,
where LibreOffice is installed, through a real spreadsheet's CSV import."""
from __future__ import annotations

import dataclasses
import io
import os
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest

from lib import export
from lib.client import fetch_product
from lib.query import ProductQuery
from test_analysis import BACKPACK, BOTTLE, fixture_result, fixture_sku, fixture_skus, product

SHEETS = ["Summary", "SKUs", "Price tiers", "Lead times", "Country prices", "Attributes",
          "Media", "Store"]
CONTRACT_NAMES = {"sku_id", "sku_attr", "sale_price", "price", "discount_pct", "stock",
                  "image_url", "min_qty", "max_qty", "unit_price", "url", "kind"}


def _book(item) -> openpyxl.Workbook:
    data = export.workbook_bytes(item)
    assert data[:2] == b"PK"                      # an xlsx is a zip file
    return openpyxl.load_workbook(io.BytesIO(data))


def _workbook(product_id: str) -> openpyxl.Workbook:
    return _book(product(product_id))


def _records(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:]]


def _summary(book) -> dict[str, object]:
    return {r["Field"]: r["Value"] for r in _records(book["Summary"])}


# --- the workbook --------------------------------------------------------------------
def test_workbook_opens_with_summary_then_every_table():
    assert _workbook(BACKPACK).sheetnames == SHEETS
    assert list(export.tables(product(BOTTLE))) == [
        "skus", "tiers", "lead_times", "country_prices", "attributes", "media", "store"]


def test_summary_sheet_of_the_backpack():
    raw = fixture_result(BACKPACK)
    base, store = raw["ae_item_base_info_dto"], raw["ae_store_info"]
    skus = fixture_skus(BACKPACK)
    book = _workbook(BACKPACK)
    summary = _summary(book)
    assert summary["Title"] == base["subject"]
    assert summary["Link"] == f"https://www.aliexpress.com/item/{BACKPACK}.html"
    assert summary["Platform"] == "AliExpress (dropshipping)"
    assert summary["Product id"] == BACKPACK == str(base["product_id"])
    assert summary["Fetched at"] == product(BACKPACK).fetched_at.strftime("%Y-%m-%d %H:%M UTC")
    assert summary["Ship to"] == "US"
    assert summary["Currency"] == "USD"
    sale = [s["sale"] for s in skus]
    original = [s["price"] for s in skus]
    assert summary["Sale price range"] == f"{min(sale):.2f}–{max(sale):.2f} USD" \
        == "24.90–40.90 USD"
    assert summary["Original price range"] == f"{min(original):.2f}–{max(original):.2f} USD"
    assert summary["Variants"] == len(skus) == 45
    assert summary["Stock"] == "6 of 45 variants out of stock"
    assert summary["MOQ"] == "1"                          # the lowest tier starts at 1
    assert summary["FOB price range"] is None             # AliExpress sends no FOB
    assert summary["Store name"] == store["store_name"]
    assert summary["Store id"] == str(store["store_id"])
    assert summary["Store rating: Item as described"] == float(store["item_as_described_rating"])
    assert summary["Store rating: Communication"] == float(store["communication_rating"])
    assert summary["Store rating: Shipping speed"] == float(store["shipping_speed_rating"])
    assert summary["Product rating (of 5)"] == float(base["avg_evaluation_rating"])
    assert summary["Reviews"] == int(base["evaluation_count"])
    assert summary["Sales"] == base["sales_count"] == "10000+"
    notes = {r["Field"]: r["Note"] for r in _records(book["Summary"])}
    assert notes["FOB price range"] == "not sent by this platform"
    # the ids are text cells, not numbers that a spreadsheet would round
    (id_cell,) = [row[1] for row in book["Summary"].iter_rows() if row[0].value == "Product id"]
    assert id_cell.data_type == "s" and id_cell.number_format == "@"


def test_summary_lists_the_data_notes():
    bottle = product(BOTTLE)
    assert bottle.warnings                               # "Store ratings missing: …"
    rows = _records(_workbook(BOTTLE)["Summary"])
    assert [r["Value"] for r in rows if r["Field"] == "Data note"] == bottle.warnings
    assert {r["Field"]: r["Value"] for r in rows}["Store rating: Communication"] == "not rated"


def test_summary_without_a_currency_says_so():
    # A Tuya mall whose currency is not configured: the API itself sends none.
    sent = fetch_product(ProductQuery("tuya", "CMsmartplug01"))
    plug = dataclasses.replace(sent, currency="", skus=sent.skus.assign(currency=""))
    book = _book(plug)
    summary = _summary(book)
    assert summary["Currency"] == "currency not stated"
    assert summary["Sale price range"].endswith("(currency not stated)")
    headers = [c.value for c in book["SKUs"][1]]
    assert "Sale price (currency not stated)" in headers
    assert not any("()" in h for h in headers)


def test_every_sheet_has_human_headers():
    book = _workbook(BACKPACK)
    headers = {name: [c.value for c in book[name][1]] for name in book.sheetnames}
    assert headers["SKUs"][:2] == ["SKU id", "Variant key"]
    assert {"Sale price (USD)", "Original price (USD)", "Discount %", "Stock",
            "Color", "Size", "Ships From"} <= set(headers["SKUs"])
    assert headers["Price tiers"] == ["SKU id", "From (units)", "To (units)",
                                      "Unit price (USD)", "Discount %", "Currency", "Source"]
    assert headers["Lead times"] == ["Up to (units)", "Lead time (days)"]
    assert headers["Summary"] == ["Field", "Value", "Note"]
    for name, names in headers.items():
        assert not CONTRACT_NAMES & set(names), name
        assert len(names) == len(set(names)), name


def test_workbook_skus_sheet_real_values_and_text_ids():
    book = _workbook(BACKPACK)
    skus = _records(book["SKUs"])
    assert len(skus) == 45
    red_40 = fixture_sku(BACKPACK, Color="Red", Size="40L", Ships_From="China")
    (row,) = [r for r in skus if r["SKU id"] == red_40["sku_id"]]
    # the 17-digit id stays text (as a number Excel would round it to 1.20004210382627E16)
    assert isinstance(row["SKU id"], str) and row["SKU id"] == "12000421038262741"
    assert (row["Color"], row["Size"], row["Ships From"]) == ("Red", "40L", "China")
    assert row["Sale price (USD)"] == pytest.approx(red_40["sale"])
    assert row["Original price (USD)"] == pytest.approx(red_40["price"])
    assert row["Stock"] == 0
    assert row["Currency"] == "USD"
    id_cells = [r[0] for r in book["SKUs"].iter_rows(min_row=2)]
    assert {(c.data_type, c.number_format) for c in id_cells} == {("s", "@")}


def test_workbook_tiers_sheet_real_values():
    tiers = _records(_workbook(BACKPACK)["Price tiers"])
    assert len(tiers) == 45 * 4
    first = fixture_skus(BACKPACK)[0]
    ladder = sorted((r["From (units)"], r["Unit price (USD)"], r["To (units)"]) for r in tiers
                    if r["SKU id"] == first["sku_id"])
    assert [(q, p) for q, p, _ in ladder] == [(q, pytest.approx(p)) for q, p in first["tiers"]]
    assert [m for _, _, m in ladder] == [9, 49, 199, None]      # open top tier: empty cell
    assert ladder[1][1] == pytest.approx(23.66)


def test_unknown_values_are_empty_cells_never_none_or_nan():
    earbuds = fetch_product(ProductQuery("aliexpress-affiliate", "1005007246813579"))
    assert earbuds.skus["stock"].isna().all()            # the affiliate API sends no stock
    book = _book(earbuds)
    (sku,) = _records(book["SKUs"])
    assert sku["Stock"] is None
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not {"None", "nan", "NaN", "<NA>"} & {v for v in row if isinstance(v, str)}


def test_workbook_media_and_store_sheets():
    book = _workbook(BACKPACK)
    media = _records(book["Media"])
    assert len(media) == 12 + 2
    assert [r["Kind"] for r in media].count("video") == 2
    assert {r["Label"] for r in media if r["Kind"] == "sku"} == {
        "Color: Black", "Color: Red", "Color: Blue", "Color: Forest Green"}
    videos = [r for r in media if r["Kind"] == "video"]
    assert videos[0]["Poster"] == "/app/static/demo/backpack_video_1_poster.png"
    store = {r["Field"]: r["Value"] for r in _records(book["Store"])}
    assert store["store name"] == "TrailForge Outdoor Store"
    assert store["sales"] == "10000+"
    assert store["rating: Shipping speed"] == "4.6"


def test_workbook_bottle_empty_sheets_keep_their_headers():
    book = _workbook(BOTTLE)
    tiers = list(book["Price tiers"].iter_rows(values_only=True))
    assert tiers == [("SKU id", "From (units)", "To (units)", "Unit price (USD)", "Discount %",
                      "Currency", "Source")]
    (sku,) = _records(book["SKUs"])
    assert sku["SKU id"] == fixture_skus(BOTTLE)[0]["sku_id"]
    assert sku["Sale price (USD)"] == pytest.approx(14.24)


def test_workbook_sheet_names_are_made_safe():
    frame = pd.DataFrame({"a": [1]})
    book = openpyxl.load_workbook(io.BytesIO(export.excel_bytes(
        {"prices/by:country?": frame, "x" * 40: frame})))
    assert book.sheetnames == ["prices_by_country_", "x" * 31]


def test_text_that_looks_like_a_formula_stays_text():
    frame = pd.DataFrame({"Title": ["=HYPERLINK(\"http://x.example\",\"hi\")", "+1", "@A1",
                                    "-5", "plain"]})
    book = openpyxl.load_workbook(io.BytesIO(export.excel_bytes({"t": frame})))
    cells = [r[0] for r in book["t"].iter_rows(min_row=2)]
    assert [c.data_type for c in cells] == ["s"] * 5
    assert cells[0].value == frame["Title"][0]
    back = pd.read_csv(io.BytesIO(export.csv_bytes(frame)), encoding="utf-8-sig", dtype=str)
    assert back["Title"].tolist() == ["'" + v for v in frame["Title"][:4]] + ["plain"]


def test_readable_headers_for_mixed_currencies_point_at_the_currency_column():
    frame = pd.DataFrame({"sku_id": ["1"], "sale_price": [1.0], "currency": ["USD"]})
    mixed = pd.concat([frame, frame.assign(currency="EUR")])
    assert list(export.readable(frame)) == ["SKU id", "Sale price (USD)", "Currency"]
    assert list(export.readable(mixed, "USD")) == ["SKU id", "Sale price (see Currency)",
                                                   "Currency"]


# --- CSV ---------------------------------------------------------------------------------
def test_csv_has_bom_and_round_trips_non_latin_text():
    frame = pd.DataFrame({
        "SKU id": ["12000421038262741", "12000481863849014"],
        "title": ["בקבוק מים 750 מ\"ל", "Acessórios roupas, coração; 中文 — 「引用」"],
        "price": [36.9, 14.24],
    })
    data = export.csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")               # Excel needs the BOM for UTF-8
    assert "בקבוק".encode("utf-8") in data
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"SKU id": str})
    assert list(back.columns) == ["SKU id", "title", "price"]   # no BOM glued to a name
    assert back["title"].tolist() == frame["title"].tolist()
    assert back["SKU id"].str.strip().tolist() == frame["SKU id"].tolist()
    assert back["price"].tolist() == [36.9, 14.24]


def test_csv_ids_carry_a_leading_tab_and_stay_machine_readable():
    skus = export.readable(product(BACKPACK).skus, "USD")
    data = export.csv_bytes(skus)
    first_id = fixture_skus(BACKPACK)[0]["sku_id"]
    assert f"\n\t{first_id},".encode() in data
    # a program reading the file gets the exact numbers (no rounding) ...
    plain = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert plain["SKU id"].tolist() == [int(s["sku_id"]) for s in fixture_skus(BACKPACK)]
    # ... or, as text, the ids after a strip
    text = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"SKU id": str})
    assert text["SKU id"].str.strip().tolist() == [s["sku_id"] for s in fixture_skus(BACKPACK)]
    assert text["Sale price (USD)"].tolist() == pytest.approx(
        [s["sale"] for s in fixture_skus(BACKPACK)])
    assert text["Stock"].tolist() == [s["stock"] for s in fixture_skus(BACKPACK)]
    assert "Sale price (USD)" in text.columns and "sale_price" not in text.columns


def test_csv_protects_number_like_ids_but_not_plain_text():
    frame = pd.DataFrame({"SKU id": ["EB-BLA-CN", "14:29", "0012"], "Note": ["14:29", "12", ""]})
    back = pd.read_csv(io.BytesIO(export.csv_bytes(frame)), encoding="utf-8-sig", dtype=str,
                       keep_default_na=False)
    assert back["SKU id"].tolist() == ["EB-BLA-CN", "\t14:29", "\t0012"]
    assert back["Note"].tolist() == ["14:29", "12", ""]


def _libreoffice() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


def _spreadsheet_round_trip(csv_data: bytes, tmp_path) -> openpyxl.Workbook:
    """The CSV opened by LibreOffice Calc's import (UTF-8, comma) and saved as xlsx."""
    source = tmp_path / "table.csv"
    source.write_bytes(csv_data)
    profile = tmp_path / "lo-profile"        # a private profile: no lock shared with others
    subprocess.run([_libreoffice(), f"-env:UserInstallation=file://{profile}", "--headless",
                    "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir",
                    str(tmp_path), str(source)], check=True, capture_output=True, timeout=120)
    return openpyxl.load_workbook(tmp_path / "table.xlsx")


@pytest.mark.skipif(_libreoffice() is None and not os.environ.get("CI"),
                    reason="LibreOffice not installed: apt-get install libreoffice-calc-nogui")
def test_csv_ids_stay_text_in_a_spreadsheet(tmp_path):
    skus = export.readable(product(BACKPACK).skus, "USD")[["SKU id", "Sale price (USD)"]]
    naive = skus.to_csv(index=False).encode("utf-8-sig")      # what the app wrote before
    ours = export.csv_bytes(skus)
    expected = [s["sku_id"] for s in fixture_skus(BACKPACK)]
    (tmp_path / "naive").mkdir()
    rounded = [r[0] for r in _spreadsheet_round_trip(naive, tmp_path / "naive").active
               .iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(v, (int, float)) for v in rounded)  # the spreadsheet made numbers
    assert [str(v) for v in rounded] != expected             # ... and lost digits
    rows = list(_spreadsheet_round_trip(ours, tmp_path).active.iter_rows(min_row=2,
                                                                          values_only=True))
    assert [type(r[0]) for r in rows] == [str] * 45
    assert [r[0].strip() for r in rows] == expected
    assert [r[1] for r in rows] == pytest.approx([s["sale"] for s in fixture_skus(BACKPACK)])


@pytest.mark.skipif(_libreoffice() is None and not os.environ.get("CI"),
                    reason="LibreOffice not installed: apt-get install libreoffice-calc-nogui")
def test_csv_formula_text_is_not_a_formula_in_a_spreadsheet(tmp_path):
    frame = pd.DataFrame({"Title": ["=1+1", "@SUM(1,2)", "ok"]})
    book = _spreadsheet_round_trip(export.csv_bytes(frame), tmp_path)
    cells = [r[0] for r in book.active.iter_rows(min_row=2)]
    assert [c.data_type for c in cells] == ["s", "s", "s"]
    assert [c.value for c in cells] == ["'=1+1", "'@SUM(1,2)", "ok"]


def test_file_stem():
    assert export.file_stem(product(BACKPACK)) == "aliexpress-1005006789012345"
