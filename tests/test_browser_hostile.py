"""The running app on the hostile demo set, in real headless Chromium (issue 10, point 1).

A second `streamlit run` serves tests/hostile.py's set (EXPLORER_DEMO=1 and
EXPLORER_DEMO_FIXTURES); a few pages of one product per platform are opened on it and
on the normal server (the shared `streamlit_server`, normal fixtures). On the hostile
one: no <a> to a host other than the app's own and the platform's own sites and media
servers (`Platform.web_hosts`, `media_hosts`: "Open the video" links to the clip), no
<img> from anywhere but the app itself and the platform's media servers (hostile image
URLs on evil.example must have been dropped), no KaTeX element, no text with an RTL override, and as many h1-h6
headings as the same page has with the normal fixtures (a payload line starting with
"#" would add one).
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from browser_util import wait_for_app_run
from conftest import running_app
from hostile import build_hostile_set
from lib.platforms import PLATFORMS
from lib.sandbox import DEMO_PRODUCTS
from lib.sandbox.gateway import FIXTURES_ENV

PATHS = ["", "media", "store-ratings"]
# One product per platform: the first of each in the demo list.
PRODUCTS = list({q.platform: q for q in reversed(DEMO_PRODUCTS)}.values())[::-1]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-fixtures")
    build_hostile_set(folder)
    log = tmp_path_factory.mktemp("hostile-streamlit") / "server.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(FIXTURES_ENV, str(folder))        # running_app passes os.environ on
        with running_app(log) as base_url:
            yield base_url


def _open(page: Page, base_url: str, path: str, platform: str, product_id: str) -> None:
    page.goto(f"{base_url}/{path}?platform={platform}&id={product_id}"
              "&country=US&currency=USD&language=en")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stHeading").first).to_be_visible(timeout=30_000)
    wait_for_app_run(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _facts(page: Page) -> dict:
    """What a hostile payload could have added to the page, read from the DOM."""
    return page.evaluate("""() => ({
        links: [...document.querySelectorAll('a[href]')].map(a => a.href),
        images: [...document.querySelectorAll('img[src]')].map(i => i.src),
        katex: document.querySelectorAll('.katex, .katex-display, math').length,
        // headings Markdown made: not st.title/header/subheader, not the seller's
        // (sanitised) description HTML, which may have headings of its own
        headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter(h =>
            !h.closest('[data-testid="stHeading"], [data-testid="stHtml"]')).length,
        rtl: [...document.querySelectorAll('body *')].filter(e =>
                [...e.childNodes].some(n => n.nodeType === 3 && n.data.includes('\\u202e'))
                || (e.getAttribute('title') || '').includes('\\u202e')
                || (e.getAttribute('aria-label') || '').includes('\\u202e'))
             .map(e => (e.getAttribute('data-testid') || e.tagName) + ': '
                       + e.textContent.slice(0, 80)),
    })""")


def _on(url: str, hosts: tuple[str, ...]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in hosts)


def _foreign(url: str, base_url: str, hosts: tuple[str, ...]) -> bool:
    parts, own = urlsplit(url), urlsplit(base_url)
    if parts.scheme in ("data", "blob"):
        return False
    if parts.scheme not in ("http", "https"):
        return True                                    # javascript:, file:, ...
    host = (parts.hostname or "").lower()
    return parts.netloc != own.netloc and not any(
        host == h or host.endswith("." + h) for h in hosts)


@pytest.mark.parametrize("query", PRODUCTS, ids=[q.platform for q in PRODUCTS])
def test_hostile_product_pages_add_no_link_image_math_or_heading(
        hostile_server, streamlit_server, page_at, query):
    page = page_at()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    problems = []
    for path in PATHS:
        _open(page, streamlit_server, path, query.platform, query.product_id)
        normal = _facts(page)
        _open(page, hostile_server, path, query.platform, query.product_id)
        hostile = _facts(page)
        where = f"{query.key} /{path}"
        spec = PLATFORMS[query.platform]
        problems += [f"{where}: link to {url}" for url in hostile["links"]
                     if _foreign(url, hostile_server, spec.web_hosts + spec.media_hosts)]
        problems += [f"{where}: remote image {url}" for url in hostile["images"]
                     if not url.startswith((hostile_server + "/", "data:", "blob:"))
                     and not _on(url, spec.media_hosts)]
        if hostile["katex"]:
            problems.append(f"{where}: {hostile['katex']} KaTeX element(s)")
        if hostile["headings"] != normal["headings"]:
            problems.append(f"{where}: {hostile['headings']} headings, "
                            f"{normal['headings']} with the normal fixtures")
        problems += [f"{where}: text with an RTL override (U+202E) in {found!r}"
                     for found in hostile["rtl"]]
    assert not problems, "\n".join(problems)
    assert errors == [], errors
