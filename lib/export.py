"""Downloads: each table as CSV and Excel, and one Excel workbook per product.

Tables inside the app keep the column contract (`sale_price`, `sku_id`); a download is
for people, so `readable()` gives it human headers ("Sale price (USD)", "SKU id").

Ids are text. Product and SKU ids have 16-17 digits, more than the 15 significant
digits a spreadsheet keeps, so a spreadsheet that reads them as numbers shows
1.00501E+15 and saves 1005006789012350. In the workbook they are text cells. In a CSV
they carry a leading tab (see `_csv_cell`).
"""
from __future__ import annotations

import io
import json
import math
import re
from datetime import datetime, timezone

import pandas as pd

from lib import analysis
from lib import format as fmt
from lib.labels import platform_label
from lib.model import Product

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def media_table(product: Product) -> pd.DataFrame:
    rows = [{"kind": i.kind, "label": i.label, "url": i.url, "poster": "", "note": ""}
            for i in product.media.images]
    rows += [{"kind": "video", "label": v.label, "url": v.url, "poster": v.poster,
              "note": getattr(v, "note", "")} for v in product.media.videos]
    return pd.DataFrame(rows, columns=["kind", "label", "url", "poster", "note"])


def store_table(product: Product) -> pd.DataFrame:
    store = product.store
    rows = [("store name", store.name), ("store id", store.store_id),
            ("store country", store.country), ("store url", store.url),
            ("product rating", store.product_rating), ("reviews", store.review_count),
            ("sales", store.sales_text or store.sales_count),
            ("positive feedback %", store.positive_feedback_pct)]
    rows += [(f"rating: {label}", score) for label, score in store.ratings.items()]
    rows += [(f"rating: {label}", "not rated") for label in store.missing_ratings]
    # Text values: one column mixes names, scores and counts ("1000+").
    return pd.DataFrame([(field, "" if value is None else str(value)) for field, value in rows],
                        columns=["field", "value"])


def tables(product: Product) -> dict[str, pd.DataFrame]:
    """Every table of a product, by name, empty ones included (contract columns)."""
    return {"skus": product.skus, "tiers": product.tiers, "lead_times": product.lead_times,
            "country_prices": product.country_prices, "attributes": product.attributes,
            "media": media_table(product), "store": store_table(product)}


SHEET_TITLES = {"skus": "SKUs", "tiers": "Price tiers", "lead_times": "Lead times",
                "country_prices": "Country prices", "attributes": "Attributes",
                "media": "Media", "store": "Store"}


# --- human headers ----------------------------------------------------------------------
_LABELS = {
    "sku_id": "SKU id", "sku_attr": "Variant key", "discount_pct": "Discount %",
    "currency": "Currency", "stock": "Stock", "image_url": "Image link", "barcode": "Barcode",
    "ean": "EAN", "min_qty": "From (units)", "max_qty": "To (units)", "discount": "Discount %",
    "source": "Source", "days": "Lead time (days)", "country": "Country", "rule": "Rule",
    "name": "Name", "value": "Value", "unit": "Unit", "kind": "Kind", "label": "Label",
    "url": "Link", "poster": "Poster", "note": "Note", "field": "Field",
    "sku_code": "SKU code", "external_code": "External code", "weight": "Weight",
}
_MONEY = {"price": "Original price", "sale_price": "Sale price", "unit_price": "Unit price",
          "app price": "App-only price"}
# Columns that hold identifiers (contract and human names): always text, never numbers.
ID_COLUMNS = {"sku_id", "sku_attr", "barcode", "ean", "id", "product_id", "store_id",
              "SKU id", "Variant key", "Barcode", "EAN", "Product id", "Store id"}


def table_currency(frame: pd.DataFrame, fallback: str = "") -> str | None:
    """The one currency of a table's prices; None when its rows mix currencies."""
    if "currency" not in frame:
        return fallback
    sent = {str(c).strip() for c in frame["currency"].dropna() if str(c).strip()}
    if len(sent) > 1:
        return None
    return sent.pop() if sent else fallback


def _header(column: str, columns: list[str], currency: str | None) -> str:
    if column in _MONEY:
        label = "Price" if column == "price" and "country" in columns else _MONEY[column]
        return f"{label} (see Currency)" if currency is None else fmt.with_unit(label, currency)
    if column == "max_qty" and "days" in columns:
        return "Up to (units)"                          # lead times: up to this order size
    if column in _LABELS:
        return _LABELS[column]
    # Platform extras ("price (CNY)", "stock by warehouse") read as sentences; variant
    # property names ("Ships From") are the seller's own and stay as they are.
    return column[:1].upper() + column[1:] if column[:1].islower() else column


def readable(frame: pd.DataFrame, currency: str = "") -> pd.DataFrame:
    """The same table with human headers; prices say their currency."""
    columns = [str(c) for c in frame.columns]
    money_currency = table_currency(frame, currency)
    headers: list[str] = []
    for column in columns:
        header = _header(column, columns, money_currency)
        while header in headers:                        # a property named like a figure
            header += " (2)"
        headers.append(header)
    out = frame.copy()
    out.columns = headers
    return out


# --- the Summary sheet -------------------------------------------------------------------
def _range_text(low: float | None, high: float | None, currency: str) -> str | None:
    if low is None:
        return None
    if currency:
        return fmt.money_range(low, high, currency)
    return f"{fmt.money_range(low, high)} ({fmt.NO_CURRENCY})"


def summary_table(product: Product) -> pd.DataFrame:
    """Field / Value / Note rows that open the workbook: what the product is, where it
    came from, its key figures and the notes about the data. None = not sent."""
    store, trade, query = product.store, product.trade, product.query
    sale = product.price_range("sale_price") or (None, None)
    original = product.price_range("price") or (None, None)
    platform = platform_label(product.platform)
    moq = analysis.moq(product)
    fob_currency = trade.fob_currency or product.currency
    rows: list[tuple[str, object]] = [
        ("Title", product.title or None),
        ("Link", product.url or None),
        ("Platform", platform),
        ("Product id", product.product_id),
        ("Fetched at", product.fetched_at.astimezone(timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC")),
        ("Data source", "demo (bundled sandbox)" if product.demo else "live gateway"),
        ("Ship to", trade.ship_to_country or getattr(query, "country", "") or None),
        ("Currency", fmt.currency_label(product.currency)),
        ("Sale price range", _range_text(*sale, product.currency)),
        ("Original price range", _range_text(*original, product.currency)),
        ("Variants", product.variant_count),
        ("Stock", analysis.stock_facts(product.skus).describe()),
        ("MOQ", f"{moq:,} {trade.moq_unit}".strip() if moq else None),
        ("FOB price range", _range_text(trade.fob_min, trade.fob_max if trade.fob_max
                                        is not None else trade.fob_min, fob_currency)),
        ("Store name", store.name or None),
        ("Store id", store.store_id or None),
        ("Store country", store.country or None),
        ("Store link", store.url or None),
    ]
    rows += [(f"Store rating: {label}", score) for label, score in store.ratings.items()]
    rows += [(f"Store rating: {label}", "not rated") for label in store.missing_ratings]
    rows += [
        ("Positive feedback %", store.positive_feedback_pct),
        ("Product rating (of 5)", store.product_rating),
        ("Reviews", store.review_count),
        ("Sales", store.sales_text or store.sales_count),
    ]
    rows += [("Data note", warning) for warning in product.warnings]
    rows += [("Not provided by this platform", line) for line in product.not_provided]
    return pd.DataFrame(
        [(field, value, "not sent by this platform" if _blank(value) else "")
         for field, value in rows], columns=["Field", "Value", "Note"])


def workbook_bytes(product: Product) -> bytes:
    """The product's workbook: a Summary sheet, then every table with human headers."""
    sheets = {"Summary": summary_table(product)}
    for name, frame in tables(product).items():
        sheets[SHEET_TITLES.get(name, name)] = readable(frame, product.currency)
    return excel_bytes(sheets)


# --- writers -----------------------------------------------------------------------------
def _blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value == ""


_LONG_DIGITS = re.compile(r"\d{12,}|0\d+")
# What a spreadsheet may take for a number, a date or a time ("14:29", "3/4").
_NUMBER_LIKE = re.compile(r"[0-9][0-9.,:/ eE+-]*")


# --- formula safety: the one rule both writers apply ------------------------------------
# OWASP CSV injection: a cell whose text starts with = + - @ (also after leading spaces or
# double quotes, which some imports trim), or with a tab or carriage return, may be run as
# a formula (=HYPERLINK(...), =cmd|' /C calc'!A0). Full-width forms count too: some
# spreadsheets read them as the ASCII sign. A leading apostrophe already makes text.
_TRIGGER = "[\\s\"\u00a0\u3000]*[=+\\-@\uff1d\uff0b\uff0d\uff20]"
_FORMULA_START = re.compile(f"{_TRIGGER}|[\t\r]")
# In a CSV, a spreadsheet set to another separator (";" in much of Europe, or tabs) cuts
# a cell there, even inside quotes (checked with LibreOffice): a trigger after such a cut
# gets its apostrophe too. Only the CSV: a workbook cell is never cut.
_AFTER_A_CUT = re.compile(f"(?<=[;\t\r\n])(?={_TRIGGER})")


def starts_like_formula(text: str) -> bool:
    """True for text a spreadsheet could take for a formula (see _FORMULA_START). No
    exceptions: text "-3.5" is marked too (a number the parser made a number is not text
    and stays a number; a rule with exceptions is one more thing to get wrong)."""
    return bool(_FORMULA_START.match(text))


def neutral_text(text: str) -> str:
    """The text with a leading apostrophe when it starts like a formula: the OWASP rule.
    A spreadsheet then opens the cell as text (Excel hides the apostrophe)."""
    return "'" + text if starts_like_formula(text) else text


def _csv_cell(value: object, is_id: bool) -> object:
    """One CSV cell as a spreadsheet must see it.

    Text that starts like a formula gets a leading apostrophe (neutral_text), and so does
    a formula after a ";", tab or line break inside it (_AFTER_A_CUT). Ids and
    other long digit strings get a leading TAB: LibreOffice (checked, see
    tests/test_export.py) and Excel then keep the cell as text with every digit, and the
    tab is invisible there. Programs stay able to read the file: pandas reads such a
    column as exact integers, `int()` and `.strip()` drop the tab. Not ="…": that is a
    formula, and downloads carry no formulas."""
    if not isinstance(value, str) or not value:
        return value
    value = _AFTER_A_CUT.sub("'", value)
    if starts_like_formula(value):
        return "'" + value
    if _LONG_DIGITS.fullmatch(value) or (is_id and _NUMBER_LIKE.fullmatch(value)):
        return "\t" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as CSV, every text cell and header through _csv_cell (headers are
    outside text too: property names come from payloads). Numbers stay numbers."""
    safe = frame.copy()
    safe.columns = [_csv_cell(str(c), False) for c in frame.columns]
    for position, column in enumerate(frame.columns):
        values = safe.iloc[:, position]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            is_id = str(column) in ID_COLUMNS
            safe.isetitem(position, values.map(lambda v, i=is_id: _csv_cell(v, i)))
    # UTF-8 with BOM so Excel opens non-Latin titles (Hebrew, Portuguese) correctly.
    return safe.to_csv(index=False).encode("utf-8-sig")


# Characters an xlsx file cannot hold (openpyxl refuses them): shown as U+FFFD.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
EXCEL_CELL_LIMIT = 32_767                                 # characters per cell in Excel


def _excel_value(value: object) -> object:
    if _blank(value):
        return None                                       # an empty cell, never "None"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()                              # numpy scalar -> Python
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)                                 # "inf": an xlsx holds no infinity
    if isinstance(value, (int, float, bool)):
        return value
    text = _XML_ILLEGAL.sub("\ufffd", str(value))
    return text if len(text) <= EXCEL_CELL_LIMIT else text[:EXCEL_CELL_LIMIT - 1] + "…"


def _text_cell(cell) -> None:
    """A text cell stays text: a string type (openpyxl would make "=..." a formula), the
    text number format (an edit in Excel stays text), and for text that starts like a
    formula Excel's own quote prefix, as if typed with a leading apostrophe; the same
    rule as the CSV's apostrophe, and the text itself stays exact."""
    cell.data_type = "s"
    cell.number_format = "@"
    if starts_like_formula(cell.value):
        cell.quotePrefix = True


def sheet_title(name: str) -> str:
    """A valid, inert sheet name: no []:*?/\\ or control characters, no apostrophe at
    either end (Excel refuses it), at most 31 characters."""
    title = re.sub(r"[\[\]:*?/\\\x00-\x1f]", "_", str(name)).strip("'")
    return title[:31].strip("'") or "sheet"


def excel_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One sheet per table. Text, headers included, is written as text cells
    (_text_cell): ids keep every digit and a title starting with '=' is never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        sheet = book.create_sheet(sheet_title(name))
        sheet.append([_excel_value(str(c)) for c in frame.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_excel_value(v) for v in row])
        widths: dict[str, int] = {}
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    _text_cell(cell)
                if cell.value is not None:
                    widths[cell.column_letter] = max(widths.get(cell.column_letter, 0),
                                                     len(str(cell.value)))
        for letter, width in widths.items():
            sheet.column_dimensions[letter].width = min(60, max(8, width + 2))
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def file_stem(product: Product) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"{product.platform}-{product.product_id}").strip("-")


# --- the payload download ------------------------------------------------------------------
def _finite(value: object) -> object:
    """The same JSON value with NaN and ±Infinity as null: json.loads accepts them, but
    they are not JSON and strict readers (browsers, jq, other languages) refuse the file."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def payload_json_bytes(raw: object) -> bytes:
    """The payload as received, as a valid JSON file (UTF-8, indented). Text that is
    JSON is parsed first, so its NaN are replaced too; other text is one JSON string."""
    if isinstance(raw, (bytes, bytearray)):
        raw = bytes(raw).decode("utf-8", "replace")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            pass
    return json.dumps(_finite(raw), ensure_ascii=False, indent=1,
                      allow_nan=False).encode("utf-8")
