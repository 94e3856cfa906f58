"""Every view of the backpack in real headless Chromium, opened by its share URL.

Charts must really draw (SVG marks), images must really decode, page switches through
the sidebar navigation must keep the product (and write it back into the URL), and the
share box must hand out a link to it. Screenshots of each page at 1280 and 420 px wide
go to artifacts/screenshots for a human to look at.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from browser_util import decoded_images, screenshot, wait_for_app_run
from conftest import running_app

BACKPACK_ID = "1005006789012345"
QUERY = f"?platform=aliexpress&id={BACKPACK_ID}&country=US&currency=USD&language=en"
TITLE = "Trail 40L Hiking Backpack"
# url path -> (page heading, nav label, draws an Altair chart)
PAGES = {
    "": ("Overview", "Overview", False),
    "sku-matrix": ("SKU matrix", "SKU matrix", True),
    "price-tiers": ("Price tiers", "Price tiers", True),
    "landed-cost": ("Landed cost", "Landed cost", True),
    "store-ratings": ("Store ratings", "Store ratings", True),
    "media": ("Media gallery", "Media gallery", False),
    "raw-data": ("Raw data", "Raw data", False),
}
SHOT_NAMES = {"": "overview", "sku-matrix": "sku-matrix", "price-tiers": "price-tiers",
              "landed-cost": "landed-cost",
              "store-ratings": "store-ratings", "media": "media", "raw-data": "raw-data"}


@pytest.fixture(scope="module", autouse=True)
def _server_past_first_run(streamlit_server, browser):
    """The first visit of a server process by a deep link is tested on its own fresh
    server below; here the shared server is opened once at its root so that these tests
    do not depend on which browser test runs first."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(streamlit_server + "/")
    wait_for_app_run(page)
    context.close()


def _track_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _expect_product(page: Page, path: str) -> None:
    heading, _, _ = PAGES[path]
    main = page.get_by_test_id("stMain")
    if path == "":
        expect(main.get_by_role("heading", name=re.compile(TITLE))).to_be_visible(
            timeout=30_000)
    else:
        expect(main.get_by_role("heading", name=heading, exact=True)).to_be_visible(
            timeout=30_000)
        expect(main.get_by_test_id("stCaptionContainer").filter(
            has_text=TITLE).first).to_be_visible()


def _all_images_decoded(page: Page) -> list[int]:
    """naturalWidth of every image in the main area, after scrolling each into view
    (the browser may defer images below the fold)."""
    images = page.locator('[data-testid="stMain"] img')
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stMain\"] img')]"
        ".every(i => i.complete)", timeout=15_000)
    return decoded_images(page)


def _whole_page_screenshot(page: Page, name: str) -> None:
    """Streamlit scrolls inside its main container, so a full-page screenshot stops at
    the viewport: grow the viewport to the content's height for the shot, then restore."""
    size = page.viewport_size
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMainBlockContainer"]');
        const bar = document.querySelector('[data-testid="stSidebarContent"]');
        const open = bar && bar.getBoundingClientRect().width > 150;   // not collapsed
        return Math.max(main ? main.scrollHeight : 0, open ? bar.scrollHeight : 0);
    }""")
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(height + 40, 8000)})
        page.wait_for_timeout(300)                        # charts re-fit their width
    screenshot(page, name)
    page.set_viewport_size(size)


def _check_page(page: Page, path: str) -> None:
    _, _, has_chart = PAGES[path]
    _expect_product(page, path)
    wait_for_app_run(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)          # e.g. "Page not found"
    main = page.get_by_test_id("stMain")
    if has_chart:
        marks = main.locator('[data-testid="stVegaLiteChart"] svg.marks').first
        expect(marks).to_be_visible(timeout=15_000)
        drawn = marks.locator("path, rect").count()
        assert drawn > 0, f"{path}: chart drew no marks"
    widths = _all_images_decoded(page)
    assert all(width > 0 for width in widths), (path, widths)
    if path == "media":
        assert len(widths) >= 6 + 4 + 2 + 2           # main, variant, detail, posters
    if path == "":
        assert len(widths) >= 1                       # the header card image


def _check_heatmap(page: Page) -> None:
    chart = page.get_by_test_id("stMain").get_by_test_id("stVegaLiteChart").first
    texts = chart.locator("svg.marks text").all_text_contents()
    # 15 cells (5 colours x 3 sizes, shipped from China); two are sold out
    assert "24.90" in texts and "36.90" in texts
    # a sold-out cell is written on two lines: the price, then "sold out"
    assert texts.count("36.90sold out") == 2, texts
    lines = chart.locator("svg.marks text tspan").all_text_contents()
    assert lines.count("sold out") == 2, lines
    assert len(chart.locator("svg.marks g.mark-rect path").all()) >= 15


@pytest.mark.parametrize("width, height", [(1280, 900), (420, 900)])
def test_every_page_by_share_url(streamlit_server, page_at, width, height):
    page = page_at(width, height)
    errors = _track_errors(page)
    for path in PAGES:
        page.goto(f"{streamlit_server}/{path}{QUERY}")
        _check_page(page, path)
        assert f"id={BACKPACK_ID}" in page.url
        if path == "sku-matrix":
            _check_heatmap(page)
        _whole_page_screenshot(page, f"view-{SHOT_NAMES[path]}-{width}")
    assert errors == [], errors


def test_sidebar_navigation_keeps_the_product(streamlit_server, page_at):
    page = page_at()
    errors = _track_errors(page)
    page.goto(f"{streamlit_server}/sku-matrix{QUERY}")
    _check_page(page, "sku-matrix")
    nav = page.get_by_test_id("stSidebarNav")
    for path in ("price-tiers", "media", "store-ratings", ""):
        nav.get_by_role("link", name=PAGES[path][1]).click()
        _expect_product(page, path)
        wait_for_app_run(page)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        # the product is written back into the address after the switch
        expect(page).to_have_url(re.compile(rf"/{path}\?.*id={BACKPACK_ID}"))
        assert "platform=aliexpress" in page.url
        if path == "price-tiers":
            _check_share_box(page, streamlit_server, path)
    assert errors == [], errors


def _check_share_box(page: Page, base_url: str, path: str) -> None:
    """The sidebar's "Share this view" hands out a link to this product on this page."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Share this view").click()
    code = sidebar.get_by_test_id("stCode").first
    expect(code).to_be_visible()
    link = code.inner_text().strip()
    assert f"id={BACKPACK_ID}" in link and "platform=aliexpress" in link, link
    assert link.startswith(f"{base_url}/{path}?"), link    # reopens this page, not Overview


def test_demo_switch_on_price_tiers_keeps_the_chart(streamlit_server, page_at):
    """Switching product from the sidebar on this page draws the new product's steps
    (the variant picker must not keep the previous product's SKU ids). The seller
    earbuds have tiers of their own; the phone case has none, so it draws no steps."""
    page = page_at()
    page.goto(f"{streamlit_server}/price-tiers{QUERY}")
    _check_page(page, "price-tiers")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Other platforms' demo products").click()
    sidebar.get_by_role("button", name="ANC wireless earbuds (seller API)").click()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stCaptionContainer").filter(
        has_text="ANC Wireless Earbuds").first).to_be_visible(timeout=20_000)
    wait_for_app_run(page)
    expect(main.locator('[data-testid="stVegaLiteChart"] svg.marks')).to_have_count(1)
    expect(main.get_by_text("Pick one or more variants")).to_have_count(0)
    assert "id=1005007123456789" in page.url


def test_price_steps_plot_keeps_most_of_the_chart_height(streamlit_server, page_at):
    page = page_at()
    page.goto(f"{streamlit_server}/price-tiers{QUERY}")
    _check_page(page, "price-tiers")
    chart = page.get_by_test_id("stMain").get_by_test_id("stVegaLiteChart").first
    whole = chart.bounding_box()["height"]
    plot = chart.locator("g.role-frame path.background").first.bounding_box()["height"]
    assert plot >= 0.6 * whole, f"plot area {plot:.0f} px of a {whole:.0f} px chart"


def test_bottle_not_rated_label_is_grey(streamlit_server, page_at):
    """A missing rating is labelled "not rated" in grey at the axis, not drawn as 0."""
    page = page_at()
    page.goto(f"{streamlit_server}/store-ratings?platform=aliexpress&id=1005005432109876")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Store ratings", exact=True)).to_be_visible(
        timeout=30_000)
    wait_for_app_run(page)
    label = main.locator("svg.marks text", has_text="not rated")
    expect(label).to_have_count(1)
    assert label.get_attribute("fill") == "#868e96"
    value = main.locator("svg.marks text", has_text="4.9")
    assert value.first.get_attribute("fill") == "#1f2329"


@pytest.fixture
def fresh_server():
    """A `streamlit run` of its own, never visited before (the shared one may have been)."""
    with running_app() as base_url:
        yield base_url


def test_first_visit_by_deep_link_has_no_page_not_found(fresh_server, page_at):
    """A `pages/` folder beside app.py switches Streamlit 1.67 to its legacy pages mode
    until the first st.navigation call, and the first visitor of a deep link got "Page not
    found". The views live in views/ for that reason; this opens a fresh server by a deep
    link first."""
    page = page_at()
    page.goto(f"{fresh_server}/price-tiers{QUERY}")
    _expect_product(page, "price-tiers")
    wait_for_app_run(page)
    expect(page.get_by_role("dialog")).to_have_count(0, timeout=1_500)
