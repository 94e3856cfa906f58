"""Waiting on a Streamlit page in a real browser (see shared/BROWSER-TESTING.md)."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


def wait_for_app_run(page: Page, timeout: int = 30_000) -> None:
    """Streamlit publishes its run state on the root element; wait until a run is over.
    The short pause covers the gap between an interaction and the rerun request."""
    page.wait_for_timeout(250)
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


def screenshot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def decoded_images(page: Page) -> list[int]:
    """naturalWidth of every <img> in the main area (0 = failed to decode)."""
    return page.locator('[data-testid="stMain"] img').evaluate_all(
        "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
