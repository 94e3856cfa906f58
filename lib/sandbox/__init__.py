"""Demo mode: the bundled gateway (see gateway.py) and the demo products it serves."""
from __future__ import annotations

from lib.query import ProductQuery
from lib.sandbox.gateway import (DEMO_CREDENTIALS, SandboxGateway, SandboxTransport,
                                 fixture_ids, load_fixture)

# Shown first, in this order; any further bundled fixture follows.
_PREFERRED = ["1005006789012345", "1005005432109876", "1005004321098765"]


def _demo_products() -> list[ProductQuery]:
    queries = []
    for platform in DEMO_CREDENTIALS:
        ids = fixture_ids(platform)
        ordered = [i for i in _PREFERRED if i in ids] + [i for i in ids if i not in _PREFERRED]
        queries += [ProductQuery(platform, product_id) for product_id in ordered]
    return queries


DEMO_PRODUCTS: list[ProductQuery] = _demo_products()

__all__ = ["DEMO_PRODUCTS", "DEMO_CREDENTIALS", "SandboxGateway", "SandboxTransport",
           "fixture_ids", "load_fixture"]
