"""Issue 16: the reports in real headless Chromium.

1. Offline: the HTML reports of the 45-SKU backpack, of the single-variant bottle and of
   the four-platform comparison, written to files and opened as file:// with every
   request that is not file: or data: aborted and recorded. None may be attempted; no
   console error, no page error; every picture decodes, every chart has marks, the
   heatmap's cells carry their values; no sideways overflow at 1280 or 420 px.
   Screenshots (1280, 420 and print) go to artifacts/screenshots/report-*.png.
2. The app's downloads: the Overview's "Download report" popover (HTML and PDF A4), the
   settings the user saw on the SKU matrix (metric Stock) carried into the report, and
   the Compare page's report with the demo products added.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser_util import SHOTS, wait_for_app_run
from report_util import network_findings, parse, static_loader

BACKPACK = "aliexpress:1005006789012345"
BOTTLE = "aliexpress:1005005432109876"                       # one variant, no matrix
FOUR_PLATFORMS = [BACKPACK, "aliexpress-affiliate:1005006543210987",
                  "alibaba:AAHq3mZ8Kx2WvN7p-Tb4sL9e", "tuya:CMsmartplug01"]
LOCALE = {"country": "US", "currency": "USD", "language": "en"}
QUERY = "?platform=aliexpress&id=1005006789012345&country=US&currency=USD&language=en"
TITLE = "Trail 40L Hiking Backpack"
WIDTHS = (1280, 420)
OVERFLOW_TOLERANCE_PX = 2


def _links(products) -> set[str]:
    """The plain links a reader may click: the products' and their stores' pages."""
    return {u for p in products for u in (p.url, p.store.url) if u}


def _app_links(root, base_url: str) -> set[str]:
    """The report's links back to the app that made it (the live and pinned views)."""
    return {a.attr("href") for a in root.find_all("a")
            if (a.attr("href") or "").startswith((base_url + "/", base_url + "?"))}


# --- the offline reports ----------------------------------------------------------------------
def _expected_backpack_cells(product) -> Counter:
    """What the default heatmap (Color x Size, shipped from China, sale price) writes in
    its 15 cells, read straight from the SKU rows: the price, "sold out" under it when
    the variant has no stock."""
    skus = product.skus[product.skus["Ships From"] == "China"]
    assert len(skus) == 15
    return Counter(f"{row.sale_price:,.2f}" + ("sold out" if row.stock == 0 else "")
                   for row in skus.itertuples())


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    """The three reports, built once: name -> {path, html, expected heatmap cells}."""
    from lib.client import fetch_freight_many, fetch_product
    from lib.compare import parse_key
    from lib.compare_landed import freight_requests
    from lib.report import CompareSettings, ReportContext, comparison_report, product_report

    folder = tmp_path_factory.mktemp("reports")
    context = ReportContext(images=static_loader)
    backpack = fetch_product(parse_key(BACKPACK, **LOCALE))
    bottle = fetch_product(parse_key(BOTTLE, **LOCALE))
    assert len(backpack.skus) == 45 and len(bottle.skus) == 1
    products = [fetch_product(parse_key(key, **LOCALE)) for key in FOUR_PLATFORMS]
    wanted = freight_requests(products, 100)
    flat = [request for requests in wanted.values() for request in requests]
    answers = dict(zip(flat, fetch_freight_many(flat)))
    quotes_at = {key: {r.quantity: answers[r] for r in requests}
                 for key, requests in wanted.items()}
    assert quotes_at, "no product of the comparison has a shipping quote"
    built = {
        "backpack": (product_report(backpack, None, context), [backpack],
                     _expected_backpack_cells(backpack)),
        "bottle": (product_report(bottle, None, context), [bottle], None),
        "comparison": (comparison_report(products, CompareSettings(base="USD", country="US"),
                                         quotes_at, context), products, None),
    }
    out = {}
    for name, (html, shown, cells) in built.items():
        path = folder / f"report-{name}.html"
        path.write_bytes(html)
        out[name] = {"path": path, "html": html.decode("utf-8"), "links": _links(shown),
                     "cells": cells}
    return out


def _offline_page(browser, width: int):
    """A fresh context in which every request but file: and data: is aborted and noted."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    attempted: list[str] = []
    problems: list[str] = []

    def block(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            attempted.append(url)
            route.abort()

    context.route("**/*", block)
    page = context.new_page()
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:"))
            else attempted.append(r.url))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    return context, page, attempted, problems


def _chart_marks(page: Page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('svg.marks')].map(svg => ({
        groups: svg.querySelectorAll('.role-mark').length,
        drawn: svg.querySelectorAll(
            '.role-mark path, .role-mark rect, .role-mark text, .role-mark line').length,
        width: svg.getBoundingClientRect().width}))""")


def _shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.parametrize("name", ["backpack", "bottle", "comparison"])
def test_report_opens_offline_at_desktop_and_phone_width(browser, reports, name):
    report = reports[name]
    html = report["html"]
    assert network_findings(parse(html), report["links"]) == []
    svg_count = html.count("<svg")
    assert svg_count >= 1
    context, page, attempted, problems = _offline_page(browser, WIDTHS[0])
    try:
        page.goto(report["path"].as_uri(), wait_until="load")
        assert page.title().endswith("· report")
        # every picture decoded (they are data: URIs, so nothing was fetched)
        pictures = page.locator("img").evaluate_all(
            "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert len(pictures) >= (4 if name == "comparison" else 2), pictures
        assert all(w > 0 for w in pictures), pictures
        # every chart has marks
        marks = _chart_marks(page)
        assert len(marks) == svg_count
        assert all(m["groups"] > 0 and m["drawn"] > 0 for m in marks), marks
        if report["cells"] is not None:
            heatmap = page.locator("section").filter(has=page.get_by_role(
                "heading", name="SKU matrix", exact=True)).locator("svg.marks").first
            texts = heatmap.locator("g.mark-text.role-mark text").all_text_contents()
            assert Counter(texts) == report["cells"], texts
        if name == "comparison":
            table = page.locator("table.side-by-side")
            expect(table).to_have_count(1)
            assert table.locator("td.best").count() >= 1
            for key in FOUR_PLATFORMS:
                assert key.split(":", 1)[1] in table.locator("thead").inner_text()
        widths = {}
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(100)
            widths[width] = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
            _shot(page, f"report-{name}-{width}")
        for width, (document_width, body_width) in widths.items():
            assert document_width <= width + OVERFLOW_TOLERANCE_PX, (width, widths)
            assert body_width <= width + OVERFLOW_TOLERANCE_PX, (width, widths)
        if name == "backpack":
            page.set_viewport_size({"width": 800, "height": 1130})      # about A4 at 96 dpi
            page.emulate_media(media="print")
            page.wait_for_timeout(100)
            _shot(page, f"report-{name}-print")
            assert all(m["drawn"] > 0 for m in _chart_marks(page))
        assert attempted == [], attempted
        assert problems == [], problems
    finally:
        context.close()


def test_the_offline_check_catches_a_network_picture(browser, tmp_path):
    """The blocker above really sees a request: a page asking for a picture on a server
    is caught (so an empty list above means nothing was asked for)."""
    page_file = tmp_path / "leaky.html"
    page_file.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/x.png">'
                         '<div style="background:url(https://example.com/a.png)">x</div>')
    assert len(network_findings(parse(page_file.read_text()), set())) == 2
    context, page, attempted, _ = _offline_page(browser, 420)
    try:
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_timeout(200)
        assert "http://127.0.0.1:9/x.png" in attempted
    finally:
        context.close()


# --- the app's downloads ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def _server_past_first_run(streamlit_server, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(streamlit_server + "/")
    wait_for_app_run(page)
    context.close()


def _download(page: Page, button: str, tmp_path: Path) -> bytes:
    """Open the "Download report" popover and save what `button` hands out."""
    main = page.get_by_test_id("stMain")
    popover = main.get_by_test_id("stPopover").filter(has_text="Download report")
    expect(popover).to_have_count(1, timeout=30_000)
    popover.get_by_role("button").first.click()
    target = page.get_by_role("button", name=re.compile(re.escape(button)))
    expect(target).to_be_visible(timeout=10_000)
    with page.expect_download(timeout=60_000) as download:
        target.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    page.keyboard.press("Escape")                       # close the popover
    return saved.read_bytes()


@pytest.fixture(scope="module")
def demo_links() -> set[str]:
    """The product and store pages of every demo product (what a report may link to)."""
    from lib.client import fetch_product
    from lib.sandbox import DEMO_PRODUCTS

    return _links([fetch_product(query) for query in DEMO_PRODUCTS])


def _offline_findings(html: str, links: set[str], base_url: str) -> list[str]:
    root = parse(html)
    return network_findings(root, links | _app_links(root, base_url))


def _nav(page: Page, label: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=label, exact=True).click()
    wait_for_app_run(page)


def test_app_downloads_follow_what_the_user_saw(_server_past_first_run, streamlit_server,
                                                page_at, tmp_path, demo_links):
    from lib.sandbox import DEMO_PRODUCTS

    page = page_at()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    main = page.get_by_test_id("stMain")

    # The Overview, as opened: the report of the product with the views' defaults.
    page.goto(f"{streamlit_server}/{QUERY}")
    expect(main.get_by_role("heading", name=re.compile(TITLE))).to_be_visible(timeout=30_000)
    wait_for_app_run(page)
    html = _download(page, "HTML file", tmp_path).decode("utf-8")
    assert re.search(rf"<title>{re.escape(TITLE)}[^<]*· report</title>", html), html[:600]
    assert _offline_findings(html, demo_links, streamlit_server) == []
    assert "Sale price (USD) by Color (rows) and Size (columns)" in html
    assert "Stock by " not in html
    links = _app_links(parse(html), streamlit_server)
    assert any("id=1005006789012345" in link for link in links), links   # the live view

    pdf = _download(page, "PDF (A4)", tmp_path)
    assert pdf.startswith(b"%PDF")
    import pypdfium2
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert 3 <= len(document) <= 30
        first = document[0].get_textpage().get_text_range()
        assert TITLE in first.replace("\r", "").replace("\n", " ")
    finally:
        document.close()

    # The SKU matrix with the metric set to Stock: the Overview's report follows.
    _nav(page, "SKU matrix")
    expect(main.get_by_role("heading", name="SKU matrix", exact=True)).to_be_visible()
    stock = main.locator("[data-testid=stButtonGroup] button").filter(has_text="Stock")
    stock.click()
    expect(stock).to_have_attribute("aria-checked", "true")
    wait_for_app_run(page)
    _nav(page, "Overview")
    expect(main.get_by_role("heading", name=re.compile(TITLE))).to_be_visible(timeout=30_000)
    html = _download(page, "HTML file", tmp_path).decode("utf-8")
    assert "Stock by Color (rows) and Size (columns)" in html
    assert "Sale price (USD) by Color" not in html
    assert _offline_findings(html, demo_links, streamlit_server) == []

    # Compare with the demo products added: the report has the table and its best cells.
    _nav(page, "Compare")
    main.get_by_role("button", name=re.compile("Add the demo products")).click()
    expect(main.get_by_test_id("stDataFrame")).to_have_count(1, timeout=60_000)
    wait_for_app_run(page, timeout=60_000)
    html = _download(page, "HTML file", tmp_path).decode("utf-8")
    assert f"<h1>Comparison of {len(DEMO_PRODUCTS)} products</h1>" in html, html[:600]
    table = parse(html).find("table", "side-by-side")
    assert len(table.find_all("td", "best")) >= 1
    assert {n.text() for n in table.find_all("span", "best-mark")} == {"best"}
    assert _offline_findings(html, demo_links, streamlit_server) == []
    assert errors == [], errors
