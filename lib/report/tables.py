"""DataFrames as HTML tables: every cell escaped, gaps "—", numbers right-aligned."""
from __future__ import annotations

import math
from typing import Callable, Mapping

import pandas as pd

from lib import format as fmt
from lib.report.markup import Html, el, join

Format = Callable[[object], str]


def _missing(value: object) -> bool:
    try:
        return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def money_cell(value: object) -> str:
    return fmt.number(value, 2)


def count_cell(value: object) -> str:
    return fmt.number(value)


def frame_table(frame: pd.DataFrame, headers: Mapping[str, str] | None = None, *,
                formats: Mapping[str, Format] | None = None, index: str | None = None,
                limit: int | None = None, best: Mapping[str, list[str]] | None = None,
                caption: str = "", class_: str | None = None) -> Html:
    """`frame` as a table (columns as given, or those of `headers` in their order).
    `index`: a header for the index, written as the first column (row names).
    `best`: row name -> the columns whose cell is the best of the row (marked in words
    too, so it survives black-and-white print). `limit`: at most this many rows, and
    the table says how many were left out."""
    headers = dict(headers or {c: str(c) for c in frame.columns})
    columns = [c for c in headers if c in frame.columns]
    formats = formats or {}
    shown = frame if limit is None else frame.head(limit)
    head = el("tr", el("th", index, scope="col") if index is not None else None,
              *[el("th", headers[c], scope="col") for c in columns])
    rows = []
    for name, row in shown.iterrows():
        winners = (best or {}).get(str(name), [])
        cells = [el("th", str(name), scope="row")] if index is not None else []
        for column in columns:
            value = row[column]
            classes = []
            if _missing(value):
                shown_text = "—"
                classes.append("gap")
            elif column in formats:
                shown_text = formats[column](value)
            elif isinstance(value, bool):
                shown_text = "yes" if value else "no"
            elif isinstance(value, (int, float)):
                shown_text = fmt.number(value, 0 if float(value).is_integer() else 2)
                classes.append("num")
            else:
                shown_text = str(value)
                if shown_text.startswith("—"):
                    classes.append("gap")
            if column in formats and not _missing(value):
                classes.append("num")
            mark = None
            if column in winners:
                classes.append("best")
                mark = el("span", "best", class_="best-mark")
            cells.append(el("td", shown_text, mark, class_=" ".join(classes) or None))
        rows.append(el("tr", *cells))
    table = el("table", el("thead", head), el("tbody", *rows), class_=class_)
    left = len(frame) - len(shown)
    note = (el("p", f"The first {len(shown):,} of {len(frame):,} rows; the app's downloads "
                    "have them all.", class_="muted") if left > 0 else None)
    return join(el("div", table, class_="scroll"),
                el("p", caption, class_="muted") if caption else None, note)
