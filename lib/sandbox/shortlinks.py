"""The demo short-link service: an httpx transport that answers the marketplace apps'
short links of the demo products with the redirect chains the real services send.

The links and their chains are data (shortlinks.json beside the fixtures): every address
of a chain but the last answers a redirect to the next one; the last one (the product
page) answers a small HTML page; any other address answers 404, as an expired or unknown
short link does. lib/shortlinks.py follows these chains exactly as it follows real ones.
"""
from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx

from lib.query import ProductQuery

SHORT_LINKS_FILE = Path(__file__).parent / "shortlinks.json"


@lru_cache(maxsize=1)
def demo_short_links() -> tuple[dict[str, Any], ...]:
    """Every demo short link: short_url, platform, product_id, title, chain."""
    return tuple(json.loads(SHORT_LINKS_FILE.read_text(encoding="utf-8")))


def _key(url: httpx.URL | str) -> str:
    """An address as the service looks it up: scheme-less, host lower-cased."""
    url = httpx.URL(str(url))
    query = f"?{url.query.decode('ascii', 'replace')}" if url.query else ""
    return f"{url.host.lower()}{url.path}{query}"


@lru_cache(maxsize=1)
def _routes() -> dict[str, tuple[int, str | None]]:
    """address -> (status, where it redirects, or None for the landing page)."""
    routes: dict[str, tuple[int, str | None]] = {}
    for entry in demo_short_links():
        chain = entry["chain"]
        for here, there in zip(chain, chain[1:]):
            routes[_key(here)] = (int(entry.get("status", 302)), there)
        routes.setdefault(_key(chain[-1]), (200, None))
    return routes


def _answer(request: httpx.Request) -> httpx.Response:
    if request.method != "GET":
        return httpx.Response(405, text="Only GET is served here.")
    status, location = _routes().get(_key(request.url), (404, None))
    if location is not None:
        return httpx.Response(status, headers={"Location": location},
                              text=f"Redirecting to {location}")
    if status == 200:
        return httpx.Response(200, headers={"Content-Type": "text/html; charset=utf-8"},
                              text="<!doctype html><title>Demo product page</title>")
    return httpx.Response(404, text="This short link does not exist (demo).")


class ShortLinkTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Both a sync and an async httpx transport over the demo short links."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []      # what was asked, for tests

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return _answer(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await asyncio.sleep(0)
        return _answer(request)


def demo_query_for(query: ProductQuery) -> ProductQuery:
    """In demo mode, a product link is read as the demo product of that id: AliExpress's
    three APIs share one link form, so a link (or short link) to the affiliate or seller
    demo product must open it on its own platform, not on the one the link read as."""
    from lib.sandbox import DEMO_PRODUCTS

    if any(demo.key == query.key for demo in DEMO_PRODUCTS):
        return query
    for demo in DEMO_PRODUCTS:
        if demo.product_id == query.product_id:
            return ProductQuery(demo.platform, query.product_id, query.country,
                                query.currency, query.language, query.extras)
    return query
