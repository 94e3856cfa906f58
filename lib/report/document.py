"""The report's page: one HTML document with its styles inline, for screens and print.

Screen: one column up to 1000 px, tables scroll sideways inside their box on a phone.
Print (A4 or Letter, lib/report/pdf.py): each main section on a new page, page numbers
at the foot, tables and charts kept whole where they fit, colours optional (every
coloured cell also says what it is in words).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable

from lib.report.assets import ImageLoader
from lib.report.markup import Html, el, join

APP_NAME = "Product explorer"
PAPERS = {"A4": "A4", "Letter": "letter"}

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f1f3f5; color: #212529;
  font: 15px/1.45 "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; }
main { max-width: 1000px; margin: 0 auto; background: #fff; padding: 24px 28px 8px; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: .2rem 0 .4rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 1.8rem 0 .6rem; padding-top: .6rem;
  border-top: 2px solid #dee2e6; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
p, li { overflow-wrap: anywhere; }
a { color: #1864ab; overflow-wrap: anywhere; }
.muted { color: #5c6470; font-size: .88rem; }
.badge { display: inline-block; border: 1px solid #adb5bd; border-radius: 4px;
  padding: 0 6px; margin-right: 4px; font-size: .8rem; background: #f8f9fa; }
.badge.demo { border-color: #e8590c; color: #a33a05; background: #fff4e6; }
.head { display: flex; gap: 20px; align-items: flex-start; }
.head .picture { flex: 0 0 200px; }
.head .picture img { width: 200px; height: auto; border: 1px solid #dee2e6; }
.head .about { flex: 1 1 auto; min-width: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px;
  margin: .5rem 0; }
dl.facts dt { color: #5c6470; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.figures { display: flex; flex-wrap: wrap; gap: 10px; margin: .6rem 0; }
.figure { border: 1px solid #dee2e6; border-radius: 6px; padding: 6px 12px;
  min-width: 150px; flex: 1 1 150px; }
.figure .label { color: #5c6470; font-size: .82rem; }
.figure .value { font-size: 1.2rem; font-weight: 600; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .4rem 0; font-size: .86rem; }
th, td { border: 1px solid #dee2e6; padding: 3px 7px; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
th { background: #f1f3f5; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.gap { color: #6c757d; }
td.best { background: #d3f9d8; font-weight: 600; }
.best-mark { font-size: .72rem; font-weight: 600; border: 1px solid #2b8a3e; color: #2b8a3e;
  border-radius: 3px; padding: 0 3px; margin-left: 4px; }
.chart-box { overflow-x: auto; max-width: 100%; }
.scroll-hint { display: none; font-size: .78rem; color: #5c6470; margin: .2rem 0; }
svg.marks { max-width: 100%; height: auto; display: block; margin: .4rem 0; }
table.side-by-side { table-layout: fixed; width: 100%; }
table.side-by-side th, table.side-by-side td { overflow-wrap: anywhere; white-space: normal; }
table.side-by-side thead th:first-child { width: 9.5rem; }
.gallery { display: flex; flex-wrap: wrap; gap: 10px; }
.gallery figure { margin: 0; width: 120px; }
.gallery img { width: 120px; height: 120px; object-fit: contain; border: 1px solid #dee2e6;
  background: #fff; }
.gallery figcaption { font-size: .78rem; color: #5c6470; overflow-wrap: anywhere; }
.missing-picture { width: 120px; height: 120px; border: 1px dashed #adb5bd; display: flex;
  align-items: center; justify-content: center; text-align: center; font-size: .75rem;
  color: #6c757d; padding: 6px; }
.note { border-left: 4px solid #74c0fc; background: #f1f8ff; padding: 6px 10px; margin: .5rem 0; }
.warn { border-left: 4px solid #fcc419; background: #fff9db; padding: 6px 10px; margin: .5rem 0; }
.description { border: 1px solid #dee2e6; padding: 8px 12px; overflow-wrap: anywhere; }
.description table { display: block; overflow-x: auto; }
.product-card { border: 1px solid #dee2e6; border-radius: 6px; padding: 10px 14px; margin: .8rem 0; }
.product-card .head .picture { flex-basis: 96px; } .product-card .head .picture img { width: 96px; }
footer { max-width: 1000px; margin: 0 auto; padding: 10px 28px 24px; background: #fff;
  border-top: 2px solid #dee2e6; color: #5c6470; font-size: .82rem; }
@media (max-width: 640px) {
  body { font-size: 14px; } main { padding: 14px 12px 4px; } footer { padding: 10px 12px 18px; }
  .head { flex-direction: column; gap: 8px; } .head .picture { flex-basis: auto; }
  .head .picture img { width: 160px; }
  .figure { min-width: 130px; } dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: 4px; }
  /* A chart keeps readable labels on a phone: it scrolls sideways instead. */
  .chart-box svg.marks { max-width: none; width: 560px; }
  .scroll-hint { display: block; }
  table.side-by-side { table-layout: auto; width: auto; }
  table.side-by-side td, table.side-by-side th { min-width: 9rem; }
}
@page { size: A4; margin: 16mm 14mm 18mm;
  @bottom-left { content: string(report-title); font: 7.5pt "DejaVu Sans", sans-serif;
    color: #5c6470; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
    font: 7.5pt "DejaVu Sans", sans-serif; color: #5c6470; } }
.running-title { height: 0; overflow: hidden; margin: 0; }
@media print {
  body { background: #fff; font-size: 9.5pt; }
  main, footer { max-width: none; padding: 0; }
  .running-title { string-set: report-title content(); }
  h2.new-page { break-before: page; border-top: none; padding-top: 0; margin-top: 0; }
  h2, h3 { break-after: avoid; }
  table { font-size: 7.5pt; width: 100%; }
  th, td { overflow-wrap: break-word; padding: 2px 4px; }
  thead { display: table-header-group; }
  figure, svg.marks, .figure, .product-card, .head, dl.facts { break-inside: avoid; }
  tr { break-inside: avoid; }
  .scroll, .chart-box { overflow: visible; }
  .scroll-hint { display: none; }
  .chart-box svg.marks { width: auto; max-width: 100%; }
  a { color: #000; }
  td.best { background: #e9f7ec; }
}
"""


@dataclass(frozen=True)
class ReportContext:
    """About the report rather than the product: when it is made, the links back to the
    app, and where its pictures come from (URL -> bytes, or None: leave them out)."""
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    share_link: str = ""              # the live view in the app
    pinned_link: str = ""             # the snapshot's view (when the store has it)
    images: ImageLoader | None = None


def figures(items: Iterable[tuple[str, str, str]]) -> Html:
    """A row of figure boxes: (label, value, what it means or why it is missing)."""
    boxes = [el("div", el("div", label, class_="label"), el("div", value, class_="value"),
                el("div", meaning, class_="muted") if meaning else None, class_="figure")
             for label, value, meaning in items]
    return el("div", *boxes, class_="figures") if boxes else Html("")


def facts(items: Iterable[tuple[str, object]]) -> Html:
    """A definition list; a value may be Html (a link) or text."""
    rows = [join(el("dt", label), el("dd", value)) for label, value in items
            if value not in (None, "")]
    return el("dl", *rows, class_="facts") if rows else Html("")


def section(title: str, *content: object, new_page: bool = True) -> Html:
    return el("section", el("h2", title, class_="new-page" if new_page else None), *content)


def stamp(at: datetime | None) -> str:
    """'2026-11-23 09:41 UTC': a report is read later, so never "3 min ago"."""
    if at is None:
        return "—"
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def footer(generated_at: datetime, sources: str, demo: bool) -> Html:
    made = stamp(generated_at)
    return el("footer", el("p", f"Made by {APP_NAME} on {made} from {sources}."
                           + (" Demo data: bundled example products, not a live answer."
                              if demo else "")),
              el("p", "Every figure is as the platform sent it; “—” says why one is "
                      "missing. Prices carry their currency; figures in another currency "
                      "say which rate converted them."))


def document(title: str, body: Iterable[object], foot: Html) -> bytes:
    page = join(Html("<!DOCTYPE html>"), el(
        "html",
        el("head", Html('<meta charset="utf-8">'),
           Html('<meta name="viewport" content="width=device-width, initial-scale=1">'),
           Html('<meta name="referrer" content="no-referrer">'),
           # The report asks for nothing: no script, font, picture or frame from outside.
           Html('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                'img-src data:; style-src \'unsafe-inline\'">'),
           el("title", title), el("style", Html(CSS))),
        el("body", el("main", el("p", running_title(title), class_="running-title"), *body),
           foot), lang="en"))
    return page.encode("utf-8")


def running_title(title: str, limit: int = 80) -> str:
    """The title at the foot of each printed page: one line, cut at a word."""
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0] + " …"
