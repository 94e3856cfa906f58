"""The report of a product or a comparison (lib/report/), without a browser.

Each demo product's HTML report, and a four-platform comparison with real shipping
quotes from the sandbox, is parsed with the standard library's HTML parser and judged
as a browser would read it: nothing in it loads from a network (only data:image/
pictures, SVG #fragments and the product's and store's pages as plain links), the charts
are Vega's inline SVG with their marks, and every figure is the one the views compute
(lib.analysis, lib.compare_view) for the same settings. The PDF (WeasyPrint) is read back
with pypdfium2: page count and size, text, and page 1 rendered (artifacts/screenshots/
report-*.png). The hostile demo set gives reports whose outside text is text. Every
report is built once per module. `pytest -s` prints each report's size and build time.
"""
from __future__ import annotations

import html
import re
import time
from collections import Counter
from datetime import datetime, timezone

import pandas as pd
import pytest

from hostile import MARK, build_hostile_set
from lib import analysis, charts, compare, compare_landed, compare_view
from lib import format as fmt
from lib.client import fetch_freight_many, fetch_many
from lib.labels import DASH
from lib.platforms import PLATFORMS
from lib.report import (CompareSettings, ProductSettings, ReportContext, comparison_report,
                        product_report, to_pdf)
from lib.report import markup
from lib.report.markup import Html, el, link, text
from lib.report.pdf import pdf_available
from lib.sandbox import DEMO_PRODUCTS
from lib.sandbox.gateway import FIXTURES_ENV
from lib.text import clean
from report_util import (SCREENSHOTS, SVG_TAGS, facts, figures, network_findings, parse,
                         section, static_loader, svg_mark_groups, table_rows)

BACKPACK = "aliexpress:1005006789012345"           # 45 SKUs: Color x Size x Ships From
BOTTLE = "aliexpress:1005005432109876"             # one variant, no properties
LOCK = "tuya:CMdoorlock02"                         # one property
# One product each of four platforms; only AliExpress (dropshipping) quotes shipping.
COMPARED = [BACKPACK, "alibaba:AAHq3mZ8Kx2WvN7p-Tb4sL9e",
            "aliexpress-affiliate:1005007246813579", "tuya:CMsmartplug01"]
KEYS = [q.key for q in DEMO_PRODUCTS]
MADE_AT = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
CONTEXT = ReportContext(generated_at=MADE_AT, images=static_loader)
SIZE_BUDGET = 2_000_000
SHARE = "https://explorer.example.com/?platform=aliexpress&id=1005005432109876"
PINNED = "https://explorer.example.com/?platform=aliexpress&id=1005005432109876&snapshot=7"


def _fetch(queries) -> dict:
    results = fetch_many(list(queries))
    for query, result in zip(queries, results):
        assert not isinstance(result, Exception), (query.key, result)
    return {q.key: p for q, p in zip(queries, results)}


def _links(product) -> set[str]:
    return {u for u in (product.url, product.store.url) if u}


def _without_ids(page: bytes) -> str:
    """The document with Vega's generated ids (clip12, gradient_6: a counter per
    process) made equal, for comparing two builds."""
    return re.sub(r"\b(clip|gradient_|pattern_)\d+", r"\1N", page.decode("utf-8"))


class Built:
    def __init__(self, page: bytes, seconds: float):
        self.page, self.seconds = page, seconds
        self.source = page.decode("utf-8")
        self.root = parse(page)


def _build(make) -> Built:
    started = time.perf_counter()
    page = make()
    return Built(page, time.perf_counter() - started)


@pytest.fixture(scope="module")
def demo():
    return _fetch(DEMO_PRODUCTS)


@pytest.fixture(scope="module")
def reports(demo):
    """Each demo product's report with the views' default settings."""
    built = {key: _build(lambda p=product: product_report(p, None, CONTEXT))
             for key, product in demo.items()}
    print("\nHTML report per demo product (size, build time):")
    for key, report in built.items():
        print(f"  {key:45} {len(report.page) / 1024:8.1f} KiB {report.seconds:6.2f} s")
    return built


def _quotes_at(products, quantity, curves=False):
    wanted = compare_landed.freight_requests(products, quantity, curves=curves)
    flat = [r for requests in wanted.values() for r in requests]
    answers = dict(zip(flat, fetch_freight_many(flat))) if flat else {}
    return {key: {r.quantity: answers[r] for r in requests}
            for key, requests in wanted.items()}


@pytest.fixture(scope="module")
def comparison(demo):
    products = [demo[k] for k in COMPARED]
    quotes_at = _quotes_at(products, 100)
    settings = CompareSettings(base="USD", quantity=100, country="US")
    report = _build(lambda: comparison_report(products, settings, quotes_at, CONTEXT))
    print(f"\ncomparison of {len(products)}: {len(report.page) / 1024:.1f} KiB, "
          f"{report.seconds:.2f} s")
    return products, settings, quotes_at, report


# --- 1. self-contained ---------------------------------------------------------------
@pytest.mark.parametrize("key", KEYS)
def test_demo_report_loads_nothing_from_a_network(reports, demo, key):
    report, product = reports[key], demo[key]
    assert network_findings(report.root, _links(product)) == []
    # the product's and store's pages are the only links, each as sent
    hrefs = {a.attr("href") for a in report.root.find_all("a")}
    assert hrefs == _links(product)
    pictures = report.root.find_all("img")
    assert pictures and all(img.attr("src").startswith("data:image/") for img in pictures)
    # the header's picture is the main image, loaded and embedded
    assert report.root.find("header").find_all("img"), key
    assert "Picture not loaded" not in report.root.text()
    assert len(report.page) < SIZE_BUDGET, (key, len(report.page))
    # the policy a browser enforces even if something slipped through
    csp = [m.attr("content") for m in report.root.find_all("meta")
           if m.attr("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0] and "img-src data:" in csp[0]


def test_the_scanner_finds_what_a_browser_would_load():
    """The judge of the test above, on a page with one of each way to load something."""
    page = ('<html><head><link rel="stylesheet" href="https://cdn.example/a.css">'
            '<style>body { background: url("https://e.example/b.png") } @import "x.css";'
            '</style><script src="https://e.example/s.js"></script></head><body>'
            '<img src="https://e.example/p.png"><img src="data:image/png;base64,AA">'
            '<img srcset="https://e.example/p2.png 2x" src="data:image/png;base64,AA">'
            '<a href="https://shop.example/item">ok</a><a href="https://evil.example/">x</a>'
            '<a href="javascript:alert(1)">y</a><video poster="https://e.example/v.jpg">'
            '</video><form action="https://e.example/f"></form><object data="x.swf">'
            '</object><iframe src="https://e.example/"></iframe>'
            '<div style="background-image: url(//e.example/c.png)" onclick="x()"></div>'
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="https://e.example/ns">'
            '<g clip-path="url(#clip1)"><path fill="url(https://e.example/f)"/></g>'
            '<use href="#a"/><image href="https://e.example/i.png"/></svg>'
            '<meta http-equiv="refresh" content="0; url=https://e.example/"></body></html>')
    found = "\n".join(network_findings(parse(page), {"https://shop.example/item"}))
    for expected in ["<link>", "<style>: url(https://e.example/b.png)", "@import",
                     "<script>", "p.png", "srcset", "https://evil.example/",
                     "javascript:", "poster", "action", "<object>", "<iframe>",
                     "url(//e.example/c.png)", "event handler", "namespace",
                     "url(https://e.example/f)", "<image>", "<use>", "<meta refresh>"]:
        assert expected in found, expected
    assert "clip1" not in found and "shop.example" not in found
    assert "data:image/png" not in found


# --- 2. the charts are inline SVG with marks ---------------------------------------------
def _expected_charts(product) -> int:
    """The views' charts for this product: the SKU matrix (heatmap or bars), the price
    steps (tiers), the seller ratings."""
    s = ProductSettings().resolved(product)
    priced = not product.skus.dropna(subset=["sale_price"]).empty
    steps = priced and not product.tiers.empty and len(analysis.step_points(
        product, list(s.chart_variants))) > 0
    ratings = bool(product.store.ratings or product.store.missing_ratings)
    return (len(product.sku_properties) >= 1) + steps + ratings


@pytest.mark.parametrize("key", KEYS)
def test_demo_report_charts_are_inline_svg_with_marks(reports, demo, key):
    report, product = reports[key], demo[key]
    boxes = report.root.find_all("div", "chart-box")
    svgs = report.root.find_all("svg")
    assert len(boxes) == len(svgs) == _expected_charts(product)
    for box in boxes:
        (svg,) = [c for c in box.children if not isinstance(c, str) and c.tag == "svg"]
        assert svg.tag == "svg" and "marks" in svg.classes
        assert svg.attr("viewbox"), "scales with the page"
        assert {n.tag for n in svg.iter()} <= SVG_TAGS
        drawn = [n for g in svg_mark_groups(svg) for n in g.iter()
                 if n.tag in ("path", "text", "line", "rect")]
        assert drawn, "a chart without marks"


def _heatmap(root):
    """The SKU matrix's heatmap: the chart with rect and text marks in its section."""
    (svg,) = section(root, "SKU matrix").find_all("svg")
    return svg


@pytest.mark.parametrize("key", KEYS)
def test_heatmap_cells_say_the_matrix_values(reports, demo, key):
    """The heatmap of the default rows, columns and filters: one coloured rect per cell
    with a value, every cell's value (or "sold out", "—") written in it, as
    analysis.matrix_cells computes them for the SKU matrix view."""
    product = demo[key]
    matrix = section(reports[key].root, "SKU matrix")
    label = analysis.metric_title("sale_price", product.currency)
    if not product.sku_properties:          # one variant: the note, no chart
        assert not matrix.find_all("svg")
        platform = PLATFORMS[product.platform].label
        assert matrix.find("p", "note").text() == clean(
            analysis.single_variant_note(product, platform))
        return
    if len(product.sku_properties) == 1:    # a bar per variant, its price written
        (svg,) = matrix.find_all("svg")
        assert f"{label} by {product.sku_properties[0]}." in matrix.text()
        groups = svg_mark_groups(svg)
        bars = [g for g in groups if "mark-rect" in g.classes]
        written = [g for g in groups if "mark-text" in g.classes]
        assert len(bars[0].find_all("path")) == len(product.skus)
        assert sorted(t.text() for t in written[0].find_all("text")) == sorted(
            format(v, ",.2f") for v in product.skus["sale_price"])
        return
    row, col = analysis.default_axes(product)
    shown = analysis.filtered_skus(product, analysis.default_filters(product, row, col))
    cells = analysis.matrix_cells(shown, row, col, "sale_price",
                                  row_order=list(dict.fromkeys(product.skus[row].dropna())),
                                  col_order=list(dict.fromkeys(product.skus[col].dropna())))
    expected = Counter("".join(charts._cell_label(s, v, ",.2f").split())
                       for s, v in zip(cells["status"], cells["value"]))
    svg = _heatmap(reports[key].root)
    groups = svg_mark_groups(svg)
    rects = [g for g in groups if "mark-rect" in g.classes]
    texts = [g for g in groups if "mark-text" in g.classes]
    assert rects and len(texts) == 1
    value_cells = sum(charts._shade(s, v) == "value"
                      for s, v in zip(cells["status"], cells["value"]))
    assert len(rects[0].find_all("path")) == value_cells
    written = Counter("".join(t.raw_text().split()) for t in texts[0].find_all("text"))
    assert written == expected
    assert any(label in (g.attr("aria-label") or "") for g in svg.find_all("g")), "legend"


# --- 3. the numbers are the views' -------------------------------------------------------
def _cheapest(product) -> str | None:
    priced = product.skus.dropna(subset=["sale_price"])
    return None if priced.empty else str(priced.loc[priced["sale_price"].idxmin(), "sku_id"])


def _calculator(root):
    tiers = section(root, "Price tiers")
    heads = tiers.find_all("h3")
    start = next(h for h in heads if h.text() == "Order calculator")
    # the order calculator's figures are the first figure row after its heading
    siblings = [c for c in tiers.children if not isinstance(c, str)]
    after = siblings[siblings.index(start) + 1:]
    return next(n for n in after if "figures" in n.classes), after[0]


@pytest.mark.parametrize("key", KEYS)
def test_demo_report_numbers_equal_the_views(reports, demo, key):
    report, product = reports[key], demo[key]
    root, currency = report.root, product.currency
    shown = figures(root)
    # price range (Overview)
    for number in analysis.price_numbers(product):
        assert shown[number.label][0] == number.value, number.label
    price = analysis.price_numbers(product)[0]
    assert price.value != DASH and re.match(r"^\d[\d,.]*(–\d[\d,.]*)?$", price.value)
    # the order calculator at the view's defaults: the cheapest variant, 100 units
    sku = _cheapest(product)
    quote = analysis.quote(product, sku, 100)
    assert quote is not None
    boxes, sentence = _calculator(root)
    calculator = figures(boxes)
    assert calculator[fmt.with_unit("Total", currency)] == [fmt.money(quote.total)]
    assert calculator[fmt.with_unit("Unit price", currency)] == [fmt.money(quote.unit_price)]
    assert sentence.text() == f"100 units of {analysis.variant_labels(product)[sku]}."
    assert quote.total == round(quote.unit_price * 100, 2)
    # ratings (the Overview's figures and the store ratings)
    kept, unsent = analysis.fold_unsent(analysis.store_numbers(product))
    ratings = section(root, "Store ratings")
    in_ratings = figures(ratings)
    for number in kept:
        label = "Product rating" if number.label == "Rating" else number.label
        assert in_ratings[label] == [number.value], label
    for line in unsent:
        assert line in ratings.text()
    if product.store.product_rating is not None:
        assert in_ratings["Product rating"] == [fmt.rating(product.store.product_rating)]
        assert re.fullmatch(r"\d\.\d / 5", in_ratings["Product rating"][0])
    scores = ratings.find_all("table")
    if product.store.ratings:
        head, rows = table_rows(scores[0])
        assert head == ["Rating", "Score"]
        assert {r[0].text(): r[1].text() for r in rows} == {
            k: f"{v:.1f} / 5" for k, v in product.store.ratings.items()} | {
            k: "— not rated (missing, not zero)" for k in product.store.missing_ratings}
    else:
        assert not scores
    # the variant table has every variant (the 45 of the backpack), the summary line
    matrix = section(root, "SKU matrix")
    variants = matrix.find_all("table")[0]
    shown_skus = product.skus
    if len(product.sku_properties) >= 2:
        row, col = analysis.default_axes(product)
        shown_skus = analysis.filtered_skus(product, analysis.default_filters(product, row,
                                                                              col))
    assert len(table_rows(variants)[1]) == len(shown_skus) >= 1
    assert analysis.summary_line(shown_skus, currency) in matrix.text()
    # what stands out, and the footer
    for line in analysis.highlights(product):
        assert clean(line) in root.text()
    assert root.find("footer").text().startswith(
        "Made by Product explorer on 2026-12-01 12:00 UTC")
    assert "Demo data" in root.find("header").text()


def test_backpack_figures_by_value(reports, demo):
    """The numbers themselves, for the product everyone knows (against a typo in both
    the view and the report)."""
    root = reports[BACKPACK].root
    shown = figures(root)
    assert shown["Price (USD)"] == ["24.90–40.90"]
    boxes, _ = _calculator(root)
    assert figures(boxes)["Total (USD)"] == ["2,241.00"]      # 100 x 22.41
    assert figures(section(root, "Store ratings"))["Product rating"] == ["4.7 / 5"]
    assert "4.8 / 5" in section(root, "Store ratings").text()   # Item as described
    heads = [table_rows(t)[0] for t in section(root, "Price tiers").find_all("table")]
    assert [h for head in heads for h in head if h.endswith("(your 100)")] == \
        ["50–199 units (your 100)"]


# --- 4. the settings the user saw --------------------------------------------------------
@pytest.fixture(scope="module")
def chosen(demo):
    product = demo[BACKPACK]
    skus = product.skus
    variant = str(skus[(skus["Color"] == "Blue") & (skus["Size"] == "30L")
                       & (skus["Ships From"] == "Spain")]["sku_id"].iloc[0])
    settings = ProductSettings(metric="stock", rows="Size", cols="Ships From",
                               filters={"Color": ["Blue", "Red"]}, quantity=500,
                               variant=variant)
    return settings, _build(lambda: product_report(product, settings, CONTEXT))


def test_report_follows_the_views_settings(demo, chosen):
    product = demo[BACKPACK]
    settings, report = chosen
    matrix = section(report.root, "SKU matrix")
    assert ("Stock by Size (rows) and Ships From (columns). Filters: Color: Blue, Red."
            in matrix.text())
    assert "Cells average several variants." in matrix.text()
    shown = analysis.filtered_skus(product, {"Color": ["Blue", "Red"]})
    assert len(shown) == 18
    assert analysis.summary_line(shown, product.currency) in matrix.text()
    assert len(table_rows(matrix.find_all("table")[0])[1]) == 18
    # the heatmap: stock, the mean over the two colours, integers
    svg = _heatmap(report.root)
    cells = analysis.matrix_cells(shown, "Size", "Ships From", "stock",
                                  row_order=["20L", "30L", "40L"],
                                  col_order=list(dict.fromkeys(product.skus["Ships From"])))
    expected = Counter("".join(charts._cell_label(s, v, ",.0f").split())
                       for s, v in zip(cells["status"], cells["value"]))
    texts = [g for g in svg_mark_groups(svg) if "mark-text" in g.classes][0]
    assert Counter("".join(t.raw_text().split()) for t in texts.find_all("text")) == expected
    assert any("Stock" in (g.attr("aria-label") or "") and "legend" in
               (g.attr("aria-roledescription") or "") for g in svg.find_all("g"))
    # the order calculator at 500 units of the chosen variant
    quote = analysis.quote(product, settings.variant, 500)
    boxes, sentence = _calculator(report.root)
    assert sentence.text() == "500 units of Blue / 30L / Spain."
    assert figures(boxes)["Total (USD)"] == [fmt.money(quote.total)]
    assert quote.total == 500 * quote.unit_price and quote.tier_min_qty <= 500
    heads = [table_rows(t)[0] for t in section(report.root, "Price tiers").find_all("table")]
    assert len([h for head in heads for h in head if h.endswith("(your 500)")]) == 1


def test_report_of_a_missing_filter_value_says_no_variant_matches(demo):
    """A filter value no variant has combined with one that exists keeps only those."""
    product = demo[BACKPACK]
    page = product_report(product, ProductSettings(filters={"Ships From": ["Spain", "Mars"]}),
                          CONTEXT)
    matrix = section(parse(page), "SKU matrix")
    assert "Filters: Ships From: Spain." in matrix.text()
    assert len(table_rows(matrix.find_all("table")[0])[1]) == 15


@pytest.mark.parametrize("key", [BACKPACK, BOTTLE, LOCK])
def test_invalid_settings_fall_back_to_the_defaults(demo, reports, key):
    product = demo[key]
    wrong = ProductSettings(metric="no such metric", rows="No such property",
                            cols="Nor this", filters={"Nope": ["x"]}, variant="999",
                            quantity=0, chart_variants=("also wrong",))
    page = product_report(product, wrong, CONTEXT)
    # the same report as with no settings at all (but the price steps' variants)
    assert network_findings(parse(page), _links(product)) == []
    if product.tiers.empty:
        assert _without_ids(page) == _without_ids(reports[key].page)
    else:
        tiers = section(parse(page), "Price tiers").text()
        assert "Unit price against quantity" not in tiers    # no known variant to draw
        wrong = ProductSettings(metric="no such metric", rows="No such property",
                                cols="Nor this", filters={"Nope": ["x"]}, variant="999",
                                quantity=0)
        page = product_report(product, wrong, CONTEXT)
        assert _without_ids(page) == _without_ids(reports[key].page)


@pytest.mark.parametrize("quantity", [-5, 10**9])
def test_odd_quantities_do_not_crash(demo, quantity):
    product = demo[BACKPACK]
    page = parse(product_report(product, ProductSettings(quantity=quantity), CONTEXT))
    boxes, sentence = _calculator(page)
    used = max(1, quantity)
    assert sentence.text().startswith(f"{used:,} units of ")
    quote = analysis.quote(product, _cheapest(product), used)
    assert figures(boxes)["Total (USD)"] == [fmt.money(quote.total)]


def test_report_links_back_to_the_app_when_given(demo):
    product = demo[BOTTLE]
    context = ReportContext(generated_at=MADE_AT, images=static_loader, share_link=SHARE,
                            pinned_link=PINNED)
    root = parse(product_report(product, None, context))
    assert network_findings(root, _links(product) | {SHARE, PINNED}) == []
    shown = facts(root)
    assert shown["Pinned link"] == [PINNED] and shown["Live link"] == [SHARE]
    assert shown["As of"][0].endswith(": the stored snapshot")
    # a link that is not a web address shows as text, never as a link
    hostile = ReportContext(generated_at=MADE_AT, share_link="javascript:alert(1)",
                            pinned_link="data:text/html,<script>alert(1)</script>")
    root = parse(product_report(product, None, hostile))
    assert network_findings(root, _links(product)) == []
    assert facts(root)["Live link"] == ["javascript:alert(1)"]
    assert facts(root)["Pinned link"] == ["data:text/html,<script>alert(1)</script>"]
    # no loader: no pictures, and the report says so
    assert not root.find_all("img") and "Picture not loaded" in root.text()


# --- 5. the comparison -------------------------------------------------------------------
def test_comparison_loads_nothing_from_a_network(comparison):
    products, _, quotes_at, report = comparison
    allowed = set().union(*(_links(p) for p in products))
    assert network_findings(report.root, allowed) == []
    assert {p.platform for p in products} == {"aliexpress", "alibaba",
                                              "aliexpress-affiliate", "tuya"}
    assert len(report.page) < SIZE_BUDGET
    pictures = report.root.find_all("img")
    assert len(pictures) == 4 and all(i.attr("src").startswith("data:image/")
                                      for i in pictures)
    # a real quote was loaded (the backpack's) and used
    (answer,) = quotes_at[BACKPACK].values()
    assert isinstance(answer, pd.DataFrame) and len(answer)


def test_comparison_table_is_the_compare_views(comparison):
    products, settings, quotes_at, report = comparison
    view = compare_view.arrange(products, settings, quotes_at)
    shown = view.table.text().drop(index=["Image"])
    best = view.table.best()
    (table,) = report.root.find_all("table", "side-by-side")
    head, rows = table_rows(table)
    assert head == ["Figure", *shown.columns]
    assert [r[0].text() for r in rows] == list(shown.index)
    marked = set()
    for cells in rows:
        name = cells[0].text()
        for label, cell in zip(shown.columns, cells[1:]):
            assert cell.text(skip={"best-mark"}) == shown.loc[name, label], (name, label)
            if "best" in cell.classes:
                marked.add((name, label))
                assert cell.find("span", "best-mark").text() == "best"
            else:
                assert not cell.find_all("span", "best-mark")
            if shown.loc[name, label].startswith("—"):
                assert "gap" in cell.classes
    assert marked == {(row, label) for row, labels in best.items() for label in labels}
    assert len(marked) >= 5
    # the cheapest landed cost first, the reasons for the empty cells as the page says
    assert head[1] == compare.product_label(products[0])
    assert shown.loc["Landed per unit at 100"].iloc[0] == "33.69"
    gaps = [c for c in shown.loc["Landed per unit at 100"] if c.startswith("— ")]
    assert gaps == ["— no shipping quote: Alibaba.com has no shipping call here",
                    "— no shipping quote: AliExpress (affiliate) has no shipping call here",
                    "— no shipping quote: Tuya mall has no shipping call here"]
    page_text = report.root.text()
    for gap in gaps + ["— below MOQ (48)", "— not sent"]:
        assert gap in page_text
    assert "Ordered by landed cost per unit, cheapest first." in page_text
    assert facts(report.root)["1 EUR"] == [f"{view.table.rates['EUR']:.6g} USD"]


def test_comparison_charts_and_product_sections(comparison):
    products, settings, quotes_at, report = comparison
    view = compare_view.arrange(products, settings, quotes_at)
    chart_section = section(report.root, "Charts")
    svgs = chart_section.find_all("svg")
    assert len(svgs) == 2                           # unit price steps, store ratings
    for svg in svgs:
        assert "marks" in svg.classes and svg_mark_groups(svg)
    steps = [g for g in svg_mark_groups(svgs[0]) if "mark-line" in g.classes]
    assert len(steps) >= 1 and steps[0].find_all("path")
    assert f"Price axis: {view.axis_choice.lower()}, in USD." in chart_section.text()
    cards = section(report.root, "The products").find_all("div", "product-card")
    assert [c.find("h3").text() for c in cards] == [clean(p.title) for p in view.products]
    for card, product in zip(cards, view.products):
        shown = figures(card)
        for number in analysis.price_numbers(product):
            if number.value != DASH:
                assert shown[number.label] == [number.value]
        if product.store.product_rating is not None:
            assert shown["Rating"] == [fmt.rating(product.store.product_rating)]
        assert [a.attr("href") for a in card.find_all("a")] == (
            [product.url] if product.url else [])


def test_comparison_in_landed_mode_at_500_units_with_duty(demo):
    products = [demo[k] for k in COMPARED]
    quotes_at = _quotes_at(products, 500, curves=True)
    assert len(quotes_at[BACKPACK]) > 1           # a quote per tier break: the curve
    settings = CompareSettings(base="USD", quantity=500, duty=10.0, country="US",
                               chart=compare_view.LANDED)
    root = parse(comparison_report(products, settings, quotes_at, CONTEXT))
    view = compare_view.arrange(products, settings, quotes_at)
    shown = view.table.text().drop(index=["Image"])
    text = root.text()
    assert ("Landed cost: each product's cheapest variant at 500 units, shipped to US with "
            "its cheapest quoted option; import charges 10 % of goods + shipping.") in text
    assert "Landed cost per unit against quantity" in text
    (table,) = root.find_all("table", "side-by-side")
    rows = {r[0].text(): r for r in table_rows(table)[1]}
    landed = rows["Landed per unit at 500"][1].text(skip={"best-mark"})
    assert landed == shown.loc["Landed per unit at 500"].iloc[0]
    assert re.fullmatch(r"\d+\.\d\d", landed)
    svgs = section(root, "Charts").find_all("svg")
    assert len(svgs) == 2 and all(svg_mark_groups(s) for s in svgs)


# --- 6. PDF ------------------------------------------------------------------------------
PAPER_POINTS = {"A4": (595.3, 841.9), "Letter": (612.0, 792.0)}


@pytest.fixture(scope="module")
def pdfs(reports, comparison):
    if not pdf_available():
        pytest.skip("WeasyPrint's Pango is not installed")
    made = {}

    def get(name, paper):
        if (name, paper) not in made:
            page = comparison[3].page if name == "comparison" else reports[name].page
            started = time.perf_counter()
            made[(name, paper)] = to_pdf(page, paper)
            print(f"\nPDF {name} {paper}: {len(made[(name, paper)]) / 1024:.0f} KiB, "
                  f"{time.perf_counter() - started:.2f} s")
        return made[(name, paper)]
    return get


def _pdf_text(document) -> str:
    return " ".join(" ".join(document[i].get_textpage().get_text_range().split())
                    for i in range(len(document)))


def _render(document, index: int, name: str):
    """Page `index` as a picture (saved for a person to look at); its ink share."""
    picture = document[index].render(scale=1).to_pil()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    picture.save(SCREENSHOTS / name)
    dark = sum(picture.convert("L").histogram()[:128])
    return picture, dark / (picture.width * picture.height)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("name", [BACKPACK, BOTTLE, "comparison"])
def test_pdf_pages_size_and_text(pdfs, demo, comparison, name, paper):
    import pypdfium2 as pdfium

    data = pdfs(name, paper)
    assert data.startswith(b"%PDF-")
    document = pdfium.PdfDocument(data)
    pages = len(document)
    assert 3 <= pages <= 20, pages
    for i in range(pages):
        width, height = document[i].get_size()
        assert (round(width, 1), round(height, 1)) == PAPER_POINTS[paper], (i, width, height)
    words = _pdf_text(document)
    assert f"Page 1 of {pages}" in words and f"Page {pages} of {pages}" in words
    if name == "comparison":
        products, settings, quotes_at, _ = comparison
        shown = compare_view.arrange(products, settings, quotes_at).table.text()
        assert "Comparison of 4 products" in words
        assert "Side by side" in words and "Landed per unit at 100" in words
        for cell in shown.loc["Unit price at 100"]:
            assert cell in words
        for product in products:
            assert analysis.price_numbers(product)[0].value in words
    else:
        product = demo[name]
        assert " ".join(product.title.split()[:4]) in words
        assert analysis.price_numbers(product)[0].value in words
        quote = analysis.quote(product, _cheapest(product), 100)
        assert fmt.money(quote.total) in words
        assert "Order calculator" in words and "Store ratings" in words
    short = name.split(":")[-1]
    picture, ink = _render(document, 0, f"report-{short}-{paper.lower()}.png")
    assert all(abs(got - want) <= 1 for got, want in zip(picture.size, PAPER_POINTS[paper]))
    assert 0.005 < ink < 0.5, ink            # text and a picture, not blank nor black
    if name == BACKPACK and paper == "A4":   # the heatmap's page, for print
        matrix = next(i for i in range(pages) if "SKU matrix" in
                      document[i].get_textpage().get_text_range()[:200])
        _render(document, matrix, "report-1005006789012345-a4-matrix.png")


# --- 7. hostile text ---------------------------------------------------------------------
def _any_picture_loader():
    """Static pictures as the app serves them, and for any web address a small real
    picture (a marketplace that answers): every picture gets embedded."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    web = out.getvalue()
    asked = []

    def load(url):
        asked.append(url)
        local = static_loader(url)
        return local if local is not None else (web if url.startswith("http") else None)
    return load, asked


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-report-fixtures")
    build_hostile_set(folder)
    load, asked = _any_picture_loader()
    context = ReportContext(generated_at=MADE_AT, images=load)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(FIXTURES_ENV, str(folder))
        products = _fetch(DEMO_PRODUCTS)
        built = {k: _build(lambda p=p: product_report(p, None, context))
                 for k, p in products.items()}
        view = [products[k] for k in COMPARED]
        together = _build(lambda: comparison_report(view, CompareSettings(base="USD"),
                                                    _quotes_at(view, 100), context))
    print("\nhostile reports:", ", ".join(f"{k.split(':')[1]} {b.seconds:.1f} s"
                                          for k, b in built.items()))
    return products, built, together, asked


# Tags outside text would bring (tests/hostile.py CASES and HOSTILE_HTML) that the
# report itself never writes.
HOSTILE_TAGS = {"b", "script", "iframe", "a", "img", "style"}


def _hostile_findings(root, allowed) -> list[str]:
    found = network_findings(root, allowed)
    for node in root.iter():
        for name, value in node.attrs:
            if name.startswith("on") or ("evil.example" in (value or "") and name in (
                    "href", "src", "action", "srcset", "xlink:href")):
                found.append(f"<{node.tag} {name}={value!r}>")
        if node.tag == "b":
            found.append("<b> element")
    return found


@pytest.mark.parametrize("key", KEYS)
def test_hostile_product_report_shows_outside_text_as_text(hostile, key):
    products, built, _, _ = hostile
    product, report = products[key], built[key]
    root, source = report.root, report.source
    assert MARK in product.title
    assert _hostile_findings(root, _links(product)) == []
    for a in root.find_all("a"):
        assert a.attr("href") in _links(product) and "evil.example" not in a.attr("href")
    assert all(i.attr("src").startswith("data:image/") for i in root.find_all("img"))
    assert MARK in root.text()
    # the title shows as exactly its characters, in the header and the page's title
    assert root.find("h1").text() == clean(product.title)
    assert root.find("title").text().startswith(clean(product.title))
    assert html.escape(clean(product.title), quote=True) in source
    if product.store.name:
        assert clean(product.store.name) in section(root, "Store ratings").text()
    # every shown variant's property values are in the variant table as text
    matrix = section(root, "SKU matrix")
    shown = product.skus
    if len(product.sku_properties) >= 2:
        row, col = analysis.default_axes(product)
        shown = analysis.filtered_skus(product, analysis.default_filters(product, row, col))
    head, rows = table_rows(matrix.find_all("table")[0])
    assert len(rows) == len(shown)
    for prop in product.sku_properties:
        column = head.index(clean(prop))
        assert [r[column].text() for r in rows] == [
            clean(v) if isinstance(v, str) else "—" for v in shown[prop]], prop
    # the seller's description: sanitised, without its pictures and links
    description = root.find_all("div", "description")
    if product.description_html:
        (div,) = description
        assert MARK in div.text() and not div.find_all("a") and not div.find_all("img")
        assert not {n.tag for n in div.iter()} & {"script", "iframe", "img", "a"}


def test_hostile_markup_is_escaped_everywhere(hostile):
    """Across the set: the cases that look like markup show as their characters."""
    products, built, together, _ = hostile
    sources = "\n".join(b.source for b in built.values())
    texts = "\n".join(b.root.text() for b in built.values())
    bold = [k for k, p in products.items() if p.title.startswith("<b>bold</b>")]
    assert bold == ["aliexpress-seller:1005003987654321"]
    assert re.search(r"&lt;b&gt;bold&lt;/b&gt; EVIL\d+ &lt;img src=x onerror=alert\(1\)&gt;",
                     sources)
    assert re.search(r"<b>bold</b> EVIL\d+ <img src=x onerror=alert\(1\)>", texts)
    assert re.search(r"&amp;lt;i&amp;gt; EVIL\d+", sources)       # an entity as text
    assert re.search(r"&lt;i&gt; EVIL\d+", texts)
    assert re.search(r"=HYPERLINK\(\"https://evil.example\",\"EVIL\d+\"\)", texts)
    # zero-width and bidi controls are gone from what shows
    assert "\u200b" not in sources and "\u202e" not in sources
    for tag in HOSTILE_TAGS - {"a", "img", "style"}:
        assert not any(b.root.find_all(tag) for b in built.values()), tag
    assert _hostile_findings(together.root, set().union(
        *(_links(products[k]) for k in COMPARED))) == []
    assert MARK in together.root.text()


@pytest.mark.parametrize("key", [BACKPACK, "alibaba:AAHq3mZ8Kx2WvN7p-Tb4sL9e",
                                 "tuya:CMsmartplug01"])
def test_hostile_variant_names_in_the_charts_are_text(hostile, key):
    """The heatmap's axis labels are the hostile values `<b>bold</b> EVIL35 <img ...>`:
    Vega writes them as SVG text, escaped; no element inside the SVG comes from them."""
    products, built, _, _ = hostile
    report = built[key]
    svgs = report.root.find_all("svg")
    assert svgs
    for svg in svgs:
        assert {n.tag for n in svg.iter()} <= SVG_TAGS
        assert not [n for n in svg.iter() for name, _ in n.attrs if name.startswith("on")]
    heatmap = _heatmap(report.root)
    labels = " ".join(t.text() for t in heatmap.find_all("text"))
    assert MARK in labels and "<b>bold</b>" in labels
    chunks = re.findall(r"<svg.*?</svg>", report.source, re.DOTALL)
    assert any("&lt;b&gt;bold&lt;/b&gt;" in c for c in chunks)
    assert not any(re.search(r"<(b|img)[\s>]", c) for c in chunks)


def test_hostile_pictures_are_embedded_never_linked(hostile):
    """The loader is asked for the hostile picture addresses (a live report fetches
    them); what lands in the report is the picture as data:, never the address."""
    products, built, _, asked = hostile
    assert any("evil.example" in u for u in asked)
    for key, report in built.items():
        for img in report.root.find_all("img"):
            assert img.attr("src").startswith("data:image/")
            assert "evil.example" not in img.attr("src")


def test_hostile_pdf_shows_the_text(hostile):
    import pypdfium2 as pdfium

    if not pdf_available():
        pytest.skip("WeasyPrint's Pango is not installed")
    products, built, _, _ = hostile
    key = "aliexpress-seller:1005003987654321"
    document = pdfium.PdfDocument(to_pdf(built[key].page, "A4"))
    words = _pdf_text(document)
    assert 3 <= len(document) <= 20
    assert " ".join(clean(products[key].title).split()[:3]) in words   # "<b>bold</b> EVILn"
    assert MARK in words
    _render(document, 0, "report-hostile-lamp-a4.png")


# --- 8. markup -----------------------------------------------------------------------------
def test_el_escapes_text_children_and_attributes():
    assert el("p", "<b>x</b> & 'y'") == "<p>&lt;b&gt;x&lt;/b&gt; &amp; &#x27;y&#x27;</p>"
    assert el("td", 3.5, None, "", False, 7) == "<td>3.57</td>"
    assert el("p", ["a", ["<i>", Html("<em>ok</em>")]]) == "<p>a&lt;i&gt;<em>ok</em></p>"
    page = el("span", "x", title='"><script>alert(1)</script>', class_="a b",
              data_id="1' onmouseover='x")
    assert page == ('<span title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" '
                    'class="a b" data-id="1&#x27; onmouseover=&#x27;x">x</span>')
    (span,) = parse(page).find_all("span")
    assert [k for k, _ in span.attrs] == ["title", "class", "data-id"]
    assert el("img", src=Html("data:image/png;base64,AA"), alt="<x>") == \
        '<img src="data:image/png;base64,AA" alt="&lt;x&gt;">'
    assert el("td", "x", hidden=True, title=None, lang=False) == "<td hidden>x</td>"


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JavaScript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>",
                                 "//evil.example/", "/app/static/x.png", "https:evil",
                                 "ftp://example.com/", "vbscript:x", "", 42,
                                 "http://[::1"])
def test_el_refuses_a_link_that_is_not_a_web_address(url):
    with pytest.raises(ValueError):
        el("a", "x", href=url)
    shown = link("label <b>", url)
    assert shown == text("label <b>") == "label &lt;b&gt;" and "<a" not in shown


def test_link_to_a_web_address():
    shown = link("Store <1>", ' https://shop.example/item?a=1&b="2" ')
    assert shown == ('<a href="https://shop.example/item?a=1&amp;b=&quot;2&quot;" '
                     'rel="noopener noreferrer nofollow">Store &lt;1&gt;</a>')
    (a,) = parse(shown).find_all("a")
    assert a.attr("href") == 'https://shop.example/item?a=1&b="2"'
    assert markup.web_link("HTTPS://Shop.example/") == "HTTPS://Shop.example/"


@pytest.mark.parametrize("src", ["https://evil.example/p.png", "data:image/png;base64,AA",
                                 Html("https://evil.example/p.png"), Html("/app/static/x"),
                                 ""])
def test_el_refuses_a_picture_that_is_not_embedded(src):
    with pytest.raises(ValueError):
        el("img", src=src)


@pytest.mark.parametrize("name", ["onerror", "onclick", "style"])
def test_el_refuses_handlers_and_styles_from_text(name):
    with pytest.raises(ValueError):
        el("div", "x", **{name: "alert(1)"})
    if name == "style":
        assert el("div", style=Html("color: red")) == '<div style="color: red"></div>'
    else:
        with pytest.raises(ValueError):
            el("div", **{name: Html("alert(1)")})


def test_text_strips_invisible_characters_and_folds_lines():
    assert text("a\u200bb\u200dc\ufeffd \u202eRTL\u2066") == "abcd RTL"
    assert text("one\n# two\r\n\tthree") == "one # two three"
    assert text("a\x00b\x1bc") == "a b c"
    assert text(None) == "" and text(12) == "12"
    long = text("x" * 5000)
    assert len(long) == markup.MAX_LITERAL and long.endswith("…")
    assert len(markup.paragraph("y" * 5000)) == len("<p></p>") + 5000
    assert isinstance(text("<b>"), Html) and text("<b>") == "&lt;b&gt;"
    # escaped once: an Html child is never escaped again
    assert el("p", text("<b>")) == "<p>&lt;b&gt;</p>"
