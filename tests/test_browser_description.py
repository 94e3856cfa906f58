"""The seller's description stays inside its box: no wider than the column, at most
40rem tall (scrolling inside), long words, <pre> and pictures wrapped or scaled."""
from pathlib import Path

import pytest

from browser_util import wait_for_app_run
from conftest import running_app

APP = Path(__file__).with_name("description_app.py")


@pytest.fixture(scope="module")
def description_server(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("description") / "server.log",
                     app_file=APP) as base_url:
        yield base_url


@pytest.mark.parametrize("width", [1280, 420])
def test_a_hostile_description_is_bounded(description_server, page_at, width):
    page = page_at(width)
    page.goto(description_server)
    wait_for_app_run(page)
    box = page.locator(".seller-description")
    box.wait_for()
    size = box.evaluate("""e => ({height: e.getBoundingClientRect().height,
        scrollHeight: e.scrollHeight, width: e.getBoundingClientRect().width,
        column: e.closest('[data-testid=stMain]').getBoundingClientRect().width,
        pre: e.querySelector('pre').scrollWidth <= e.querySelector('pre').clientWidth + 1,
        img: e.querySelector('img').getBoundingClientRect().width,
        words: e.querySelector('p').scrollWidth <= e.clientWidth + 1,
        rem: parseFloat(getComputedStyle(document.documentElement).fontSize)})""")
    assert size["height"] <= 40 * size["rem"] + 1          # the box stops growing ...
    assert size["scrollHeight"] > size["height"]            # ... and scrolls inside
    assert size["width"] <= size["column"]
    assert size["img"] <= size["width"]                      # 4000 px wide, scaled down
    assert size["pre"] and size["words"]                     # wrapped, not cut or overflowing
