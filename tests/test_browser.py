"""The running app in headless Chromium, opened at share URLs as a colleague would."""
from __future__ import annotations

from playwright.sync_api import expect

from browser_util import decoded_images, screenshot, wait_for_app_run

BACKPACK = "/?platform=aliexpress&id=1005006789012345&country=US&currency=USD&language=en"


def test_share_url_opens_product_with_decoded_image(streamlit_server, page_at):
    page = page_at()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(streamlit_server + BACKPACK)
    title = page.get_by_role("heading", name="Trail 40L Hiking Backpack")
    expect(title).to_be_visible(timeout=30_000)
    wait_for_app_run(page)
    image = page.get_by_test_id("stImage").locator("img").first
    expect(image).to_be_visible()
    assert image.evaluate("i => i.complete && i.naturalWidth") > 0
    expect(page.get_by_text("Demo data")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Price (USD)").first).to_contain_text(
        "24.90–40.90")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert all(width > 0 for width in decoded_images(page))
    screenshot(page, "overview-1280")
    assert errors == []


def test_demo_button_switches_product_and_url(streamlit_server, page_at):
    page = page_at()
    page.goto(streamlit_server + BACKPACK)
    wait_for_app_run(page)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Shockproof matte phone case").click()
    expect(page.get_by_role("heading", name="Shockproof Matte Phone Case")).to_be_visible(
        timeout=20_000)
    wait_for_app_run(page)
    assert "id=1005004321098765" in page.url
    page.reload()
    expect(page.get_by_role("heading", name="Shockproof Matte Phone Case")).to_be_visible(
        timeout=20_000)


def test_narrow_screen_renders_without_errors(streamlit_server, page_at):
    page = page_at(width=420, height=900)
    page.goto(streamlit_server + BACKPACK)
    expect(page.get_by_role("heading", name="Trail 40L Hiking Backpack")).to_be_visible(
        timeout=30_000)
    wait_for_app_run(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "overview-420")
