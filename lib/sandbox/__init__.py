"""Demo mode: the bundled gateway (see gateway.py) and the demo products it serves."""
from __future__ import annotations

from lib.query import ProductQuery
from lib.sandbox.gateway import (DEMO_CREDENTIALS, SandboxGateway, SandboxTransport,
                                 catalogue, fixture_ids, load_fixture)
from lib.sandbox.shortlinks import ShortLinkTransport, demo_query_for, demo_short_links

# Every platform lists its demo products in fixtures/<platform>/catalogue.json (data;
# the AliExpress one is written by tools/build_demo.py with its fixtures).
_CATALOGUE = [{"platform": platform, **entry} for platform in DEMO_CREDENTIALS
              for entry in catalogue(platform)]


def _demo_products() -> list[ProductQuery]:
    """The catalogue's products first, in its order; any further bundled fixture after."""
    listed = [(entry["platform"], entry["product_id"]) for entry in _CATALOGUE]
    extra = [(platform, product_id) for platform in DEMO_CREDENTIALS
             for product_id in fixture_ids(platform) if (platform, product_id) not in listed]
    return [ProductQuery(platform, product_id) for platform, product_id in listed + extra
            if product_id in fixture_ids(platform)]


DEMO_PRODUCTS: list[ProductQuery] = _demo_products()
DEMO_TITLES: dict[str, str] = {f"{e['platform']}:{e['product_id']}": e["title"]
                               for e in _CATALOGUE}


def demo_title(query: ProductQuery) -> str:
    """The catalogue title, read from the fixture folder in use now (EXPLORER_DEMO_FIXTURES
    may point elsewhere than at import; the ids are the same, the titles need not be)."""
    entries = catalogue(query.platform) if query.platform in DEMO_CREDENTIALS else []
    found = next((e.get("title") for e in entries if e.get("product_id") == query.product_id),
                 None)
    return found or DEMO_TITLES.get(query.key, query.key)


__all__ = ["DEMO_PRODUCTS", "DEMO_CREDENTIALS", "DEMO_TITLES", "SandboxGateway",
           "SandboxTransport", "ShortLinkTransport", "demo_query_for", "demo_short_links",
           "demo_title", "fixture_ids", "load_fixture"]
