"""The Compare view's figures from its settings: one function the page and the report
both call, so a report of a comparison is what the page showed.

The shipping quotes are I/O (the caller loads them: lib.compare_landed.freight_requests
says which); everything here is pure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from lib import compare, compare_landed
from lib.model import Product

UNIT_PRICE, LANDED = "Unit price", "Landed cost"
CHARTS = (UNIT_PRICE, LANDED)


@dataclass(frozen=True)
class CompareSettings:
    """What the Compare page's controls say."""
    base: str | None = None                      # the comparison's currency
    rates: Mapping[str, float | None] = field(default_factory=dict)   # the user's rates
    quantity: int = 100                          # for landed cost
    duty: float | None = None                    # duty + VAT %, None = left out
    chart: str = UNIT_PRICE
    price_axis: str | None = None                # a compare.PRICE_AXES key; None: suggested
    country: str = ""                            # ship-to (the sidebar's)


@dataclass
class Arranged:
    products: list[Product]                      # cheapest landed cost first
    table: compare.Comparison
    curves: pd.DataFrame
    left_out: list[str]                          # products not drawn, and why
    axis_choice: str                             # the PRICE_AXES key used

    @property
    def by_landed_cost(self) -> bool:
        row = compare_landed.landed_row(self.quantity)
        return any(self.table.cell(row, label).rank is not None for label in self.table.labels)

    quantity: int = 100


def arrange(products: list[Product], settings: CompareSettings,
            quotes_at: Mapping[str, Mapping[int, Any]] | None = None) -> Arranged:
    """The table (landed rows included), its order, and the chart's curves.
    `quotes_at`: product key -> quantity -> shipping options or the FetchError."""
    quotes_at = quotes_at or {}
    quantity = settings.quantity
    base = settings.base
    used = compare.used_rates(products, base, settings.rates)
    quotes = {key: at.get(quantity) for key, at in quotes_at.items()}
    cells = compare_landed.landed_cells(products, quantity, quotes, base or "", used,
                                        settings.duty)
    ranked = compare_landed.ranked_labels(cells, quantity)
    ordered = sorted(products, key=lambda p: ranked.index(compare.product_label(p)))
    table = compare.comparison(ordered, base, settings.rates, extra=cells,
                               extra_rows=compare_landed.rows(quantity))
    if settings.chart == LANDED:
        curves, left_out = compare_landed.landed_curves(ordered, quantity, quotes_at,
                                                        base or "", used, settings.duty)
    else:
        curves, left_out = compare.price_curves(ordered, table)
    suggested = compare.suggested_price_axis(curves) if len(curves) else "One scale"
    axis = settings.price_axis if settings.price_axis in compare.PRICE_AXES else suggested
    return Arranged(ordered, table, curves, left_out, axis, quantity=quantity)
