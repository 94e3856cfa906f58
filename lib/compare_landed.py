"""Compare by landed cost: each product's cheapest variant at the comparison's quantity,
delivered to the comparison's country with the cheapest quoted shipping option, in the
comparison's base currency (lib/landed.py does the arithmetic).

Like with like: every product gets the same quantity, country, currency and import
rule (the user's duty/VAT rate, or import charges left out for all); a product whose
platform has no shipping call, or whose quote failed, has no cell and says why.
Pure: the quotes are fetched by the page (lib.ui.load_freight) and handed in.
"""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from lib import analysis, landed
from lib.compare import Cell, product_label
from lib.errors import FetchError, NotAvailableInCountry
from lib.model import Product
from lib.platforms import PLATFORMS
from lib.query import FreightQuery

DAYS_ROW = "Days to deliver (cheapest option)"
RANK_ROW = "Rank by landed cost"
NO_CALL = "no shipping quote: {platform} has no shipping call here"


def landed_row(quantity: int) -> str:
    return f"Landed per unit at {quantity:,}"


def rows(quantity: int) -> dict[str, str | None]:
    """The rows this adds, with which value is best (the rank itself is not "best")."""
    return {RANK_ROW: None, landed_row(quantity): "min", DAYS_ROW: "min"}


def landed_sku(product: Product, quantity: int) -> str | None:
    """The variant with the lowest tier price at `quantity`, leaving out variants sold
    out (stock sent as 0); None when no variant has a price."""
    best: tuple[float, str] | None = None
    for _, sku in product.skus.dropna(subset=["sale_price"]).iterrows():
        stock = sku["stock"]
        if stock is not None and not pd.isna(stock) and stock <= 0:
            continue
        quote = analysis.quote(product, str(sku["sku_id"]), quantity)
        if quote is not None and (best is None or quote.unit_price < best[0]):
            best = (quote.unit_price, str(sku["sku_id"]))
    return best[1] if best else None


def freight_requests(products: list[Product], quantity: int, *, curves: bool = False
                     ) -> dict[str, list[FreightQuery]]:
    """Product key -> the shipping quotes it needs, for products whose platform has a
    shipping call: at `quantity`; with curves=True also at each of its landed variant's
    tier breaks (lib.landed.curve_quantities)."""
    wanted: dict[str, list[FreightQuery]] = {}
    for product in products:
        sku = landed_sku(product, quantity)
        platform = PLATFORMS[product.platform]
        if sku is None or not platform.quotes_shipping or product.query is None:
            continue
        amounts = (landed.curve_quantities(product, sku, quantity) if curves
                   else [quantity])
        wanted[product.query.key] = [FreightQuery(product.query, sku, q) for q in amounts]
    return wanted


def _inputs(quantity: int, base: str, used_rates: Mapping[str, float | None],
            duty_pct: float | None) -> landed.Inputs:
    return landed.Inputs(quantity=quantity, currency=base,
                         import_mode=landed.BY_RATE if duty_pct is not None
                         else landed.NO_CHARGES, duty_pct=duty_pct,
                         rates={k: v for k, v in used_rates.items() if v})


def quote_reason(error: FetchError, country: str) -> str:
    if isinstance(error, NotAvailableInCountry):
        return f"not delivered to {country}"
    return f"no shipping quote: {error.user_message}"


def best_option(product: Product, quantity: int, quote: Any, base: str,
                used_rates: Mapping[str, float | None], duty_pct: float | None
                ) -> tuple[landed.Landed | None, str]:
    """(the cheapest option's landed cost, "") or (None, why there is none)."""
    platform = PLATFORMS[product.platform]
    sku = landed_sku(product, quantity)
    if sku is None:
        return None, "no price sent"
    if not platform.quotes_shipping:
        return None, NO_CALL.format(platform=platform.label)
    country = product.query.country if product.query else ""
    if isinstance(quote, FetchError):
        return None, quote_reason(quote, country)
    if quote is None or quote.empty:
        return None, f"no shipping option to {country}"
    results = landed.landed_all(product, sku, quote, _inputs(quantity, base, used_rates,
                                                             duty_pct),
                                platform_label=platform.label,
                                shipping_source=f"{platform.label} shipping quote")
    chosen = landed.cheapest(results)
    if chosen is None:
        return None, landed.no_choice_reason(results, landed.CHEAPEST)
    return chosen, ""


def landed_cells(products: list[Product], quantity: int, quotes: Mapping[str, Any],
                 base: str, used_rates: Mapping[str, float | None],
                 duty_pct: float | None = None) -> dict[str, dict[str, Cell]]:
    """Comparison label -> the landed rows' cells. `quotes`: product key -> the
    shipping options at `quantity` (DataFrame) or the FetchError."""
    cells: dict[str, dict[str, Cell]] = {}
    per_unit: dict[str, float] = {}
    for product in products:
        label = product_label(product)
        key = product.query.key if product.query else ""
        chosen, reason = best_option(product, quantity, quotes.get(key), base, used_rates,
                                     duty_pct)
        if chosen is None or chosen.per_unit is None:
            reason = reason or (chosen.reason if chosen else "")
            cells[label] = {landed_row(quantity): Cell(None, reason),
                            DAYS_ROW: Cell(None, reason)}
            continue
        value = round(chosen.per_unit, 2)
        per_unit[label] = value
        days = landed.days_text(chosen)
        cells[label] = {
            landed_row(quantity): Cell(value, rank=value),
            DAYS_ROW: (Cell(f"{days} ({chosen.carrier})" if chosen.carrier else days,
                            rank=float(chosen.max_days)) if chosen.max_days is not None
                       else Cell(None, "days not sent")),
        }
    ladder = sorted(per_unit.values())
    for label in cells:
        if label in per_unit:
            place = ladder.index(per_unit[label]) + 1          # ties share a place
            cells[label][RANK_ROW] = Cell(f"{place} of {len(ladder)}")
        else:
            cells[label][RANK_ROW] = Cell(None, "no landed cost")
    return cells


def ranked_labels(cells: Mapping[str, Mapping[str, Cell]], quantity: int) -> list[str]:
    """The comparison's columns by landed cost per unit, cheapest first; products
    without one keep their order, after the others."""
    row = landed_row(quantity)
    known = [l for l in cells if cells[l][row].rank is not None]
    unknown = [l for l in cells if cells[l][row].rank is None]
    return sorted(known, key=lambda l: cells[l][row].rank) + unknown


def landed_curves(products: list[Product], quantity: int,
                  quotes_at: Mapping[str, Mapping[int, Any]], base: str,
                  used_rates: Mapping[str, float | None], duty_pct: float | None = None
                  ) -> tuple[pd.DataFrame, list[str]]:
    """Landed cost per unit against quantity per product (its landed variant, the
    cheapest option at each quantity), as step points in the base currency, with a line
    for each product left out and why. Column `unit_price` holds the landed cost so the
    price chart draws it."""
    frames, left_out = [], []
    for product in products:
        label = product_label(product)
        key = product.query.key if product.query else ""
        sku = landed_sku(product, quantity)
        points = []
        reason = ""
        for q, quote in sorted((quotes_at.get(key) or {}).items()):
            chosen, why = best_option(product, q, quote, base, used_rates, duty_pct)
            if chosen is not None and chosen.per_unit is not None:
                points.append({"series": label, "sku_id": sku, "quantity": q,
                               "unit_price": round(chosen.per_unit, 4)})
            reason = reason or why
        if not points:
            if key not in quotes_at:           # never quoted: say why (no price, no call)
                _, reason = best_option(product, quantity, None, base, used_rates, duty_pct)
            left_out.append(f"{label}: {reason or 'no landed cost'}")
            continue
        frames.append(pd.DataFrame(points))
    columns = ["series", "sku_id", "quantity", "unit_price"]
    if not frames:
        return pd.DataFrame(columns=columns), left_out
    return pd.concat(frames, ignore_index=True)[columns], left_out
