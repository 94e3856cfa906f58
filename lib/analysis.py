"""Figures the views derive from a Product: SKU matrix cells, tier quotes, highlights.

Pure functions over the model's DataFrames (no Streamlit, no raw field names).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from lib.format import money
from lib.model import Product

METRICS = {
    "sale_price": "Sale price",
    "price": "Original price",
    "discount_pct": "Discount %",
    "stock": "Stock",
}
MISSING, SOLD_OUT, AVAILABLE = "no such variant", "out of stock", "available"


# --- stock: unknown is unknown ----------------------------------------------------------
@dataclass(frozen=True)
class StockFacts:
    """What is known about the stock of a set of variants. A variant whose stock the
    platform did not send counts as unknown: never as in stock, never as 0."""
    variants: int
    known: int                    # variants with a stock figure
    sold_out: int                 # known and <= 0
    in_stock: int                 # known and > 0
    units: int | None             # total units over the known ones (None if none known)

    @property
    def unknown(self) -> int:
        return self.variants - self.known

    def describe(self) -> str:
        """'6 of 45 variants out of stock' / 'stock known for 30 of 45 variants: 2 out of
        stock' / 'stock not sent for any of the 3 variants'."""
        if self.variants == 0:
            return "no variants"
        if self.known == 0:
            return (f"stock not sent for the variant" if self.variants == 1 else
                    f"stock not sent for any of the {self.variants} variants")
        counted = f"{self.sold_out} out of stock"
        if self.unknown:
            return f"stock known for {self.known} of {self.variants} variants: {counted}"
        return f"{self.sold_out} of {self.variants} variants out of stock"


def stock_facts(skus: pd.DataFrame) -> StockFacts:
    stock = pd.to_numeric(skus["stock"], errors="coerce") if "stock" in skus else \
        pd.Series([], dtype="Float64")
    known = stock.dropna()
    return StockFacts(variants=len(skus), known=len(known), sold_out=int((known <= 0).sum()),
                      in_stock=int((known > 0).sum()),
                      units=int(known.clip(lower=0).sum()) if len(known) else None)


# --- SKU matrix ------------------------------------------------------------------------
def default_axes(product: Product) -> tuple[str | None, str | None]:
    """Row and column properties: the two with most distinct values."""
    ranked = sorted(product.sku_properties,
                    key=lambda p: (-product.skus[p].nunique(), product.sku_properties.index(p)))
    row = ranked[0] if ranked else None
    col = ranked[1] if len(ranked) > 1 else None
    return row, col


def filtered_skus(product: Product, filters: dict[str, list[str]]) -> pd.DataFrame:
    skus = product.skus
    for prop, values in filters.items():
        if values and prop in skus:
            skus = skus[skus[prop].isin(values)]
    return skus


def matrix_cells(skus: pd.DataFrame, row: str, col: str, metric: str,
                 row_order: list[str] | None = None,
                 col_order: list[str] | None = None) -> pd.DataFrame:
    """One cell per (row value, column value): the metric's mean over matching SKUs
    (more than one when further properties are not filtered), how many SKUs, how many
    in stock, and a status: available / out of stock / no such variant."""
    rows = row_order or list(dict.fromkeys(skus[row].dropna()))
    cols = col_order or list(dict.fromkeys(skus[col].dropna()))
    grouped = skus.groupby([row, col], sort=False, dropna=True)
    stats = {}
    for (r, c), group in grouped:
        values = pd.to_numeric(group[metric], errors="coerce").dropna()
        in_stock = int((group["stock"].fillna(1) > 0).sum())
        stats[(r, c)] = (float(values.mean()) if len(values) else None, len(group), in_stock)
    cells = []
    for r in rows:
        for c in cols:
            value, n, in_stock = stats.get((r, c), (None, 0, 0))
            status = MISSING if n == 0 else (SOLD_OUT if in_stock == 0 else AVAILABLE)
            cells.append({"row": r, "col": c, "value": value, "skus": n,
                          "in_stock": in_stock, "status": status})
    return pd.DataFrame(cells, columns=["row", "col", "value", "skus", "in_stock", "status"])


def summary_line(skus: pd.DataFrame, currency: str) -> str:
    """'42 variants · 6 out of stock · sale price 3.10–5.80 USD'."""
    total = len(skus)
    sold_out = int((skus["stock"].fillna(1) <= 0).sum()) if total else 0
    parts = [f"{total} variant{'s' if total != 1 else ''}", f"{sold_out} out of stock"]
    prices = skus["sale_price"].dropna() if total else []
    if len(prices):
        low, high = float(prices.min()), float(prices.max())
        span = f"{low:.2f}" if abs(high - low) < 0.005 else f"{low:.2f}–{high:.2f}"
        parts.append(f"sale price {span} {currency}".rstrip())
    return " · ".join(parts)


def variant_label(product: Product, sku_row: pd.Series) -> str:
    """'Red / 40L / China' (or the SKU id when there are no properties)."""
    values = [str(sku_row[p]) for p in product.sku_properties if pd.notna(sku_row.get(p))]
    return " / ".join(values) if values else f"SKU {sku_row['sku_id']}"


# --- price tiers ------------------------------------------------------------------------
@dataclass(frozen=True)
class Quote:
    quantity: int
    unit_price: float
    total: float
    single_unit_price: float
    saving: float                 # against buying the quantity at the single-unit price
    tier_min_qty: int
    tier_max_qty: int | None
    source: str
    below_moq: bool = False


def sku_tiers(product: Product, sku_id: str) -> pd.DataFrame:
    """The ladder for one SKU: its own tiers, else the product-level ones, else the
    SKU's sale price as a single step from 1."""
    tiers = product.tiers
    own = tiers[tiers["sku_id"] == sku_id] if not tiers.empty else tiers
    if own.empty and not tiers.empty:
        own = tiers[tiers["sku_id"].isna() | (tiers["sku_id"] == "")]
    if own.empty:
        row = product.skus[product.skus["sku_id"] == sku_id]
        price = row["sale_price"].iloc[0] if len(row) else None
        if price is None or pd.isna(price):
            return own
        return pd.DataFrame([{"sku_id": sku_id, "min_qty": 1, "max_qty": None,
                              "unit_price": float(price), "discount": 0.0,
                              "currency": row["currency"].iloc[0], "source": "single price"}])
    return own.sort_values("min_qty").reset_index(drop=True)


def quote(product: Product, sku_id: str, quantity: int) -> Quote | None:
    ladder = sku_tiers(product, sku_id)
    if ladder.empty or quantity < 1:
        return None
    applicable = ladder[ladder["min_qty"] <= quantity]
    below_moq = applicable.empty
    tier = (ladder.iloc[0] if below_moq else applicable.iloc[-1])
    single = float(ladder.iloc[0]["unit_price"])
    unit = float(tier["unit_price"])
    max_qty = tier["max_qty"]
    return Quote(quantity=quantity, unit_price=unit, total=round(unit * quantity, 2),
                 single_unit_price=single, saving=round((single - unit) * quantity, 2),
                 tier_min_qty=int(tier["min_qty"]),
                 tier_max_qty=None if pd.isna(max_qty) else int(max_qty),
                 source=str(tier["source"] or ""), below_moq=below_moq)


def moq(product: Product) -> int | None:
    if product.trade.moq:
        return product.trade.moq
    if product.tiers.empty:
        return None
    return int(product.tiers["min_qty"].min())


def step_points(product: Product, sku_ids: list[str]) -> pd.DataFrame:
    """Points for a step chart of unit price against quantity, one series per SKU; the
    last tier is extended so its step is visible."""
    rows = []
    for sku_id in sku_ids:
        ladder = sku_tiers(product, sku_id)
        if ladder.empty:
            continue
        sku = product.skus[product.skus["sku_id"] == sku_id]
        label = variant_label(product, sku.iloc[0]) if len(sku) else sku_id
        for _, tier in ladder.iterrows():
            rows.append({"series": label, "sku_id": sku_id, "quantity": int(tier["min_qty"]),
                         "unit_price": float(tier["unit_price"])})
        last = ladder.iloc[-1]
        end = int(last["min_qty"]) * 2 if int(last["min_qty"]) > 1 else 10
        rows.append({"series": label, "sku_id": sku_id, "quantity": end,
                     "unit_price": float(last["unit_price"])})
    return pd.DataFrame(rows, columns=["series", "sku_id", "quantity", "unit_price"])


def spans_orders_of_magnitude(quantities: pd.Series) -> bool:
    values = quantities[quantities > 0]
    return len(values) > 0 and values.max() / values.min() >= 100


# --- highlights ---------------------------------------------------------------------------
def highlights(product: Product) -> list[str]:
    """A short 'what stands out' list computed from the data."""
    notes: list[str] = []
    skus = product.skus
    currency = product.currency
    priced = skus.dropna(subset=["sale_price"]) if len(skus) else skus
    if len(priced) > 1:
        cheapest = priced.loc[priced["sale_price"].idxmin()]
        dearest = priced.loc[priced["sale_price"].idxmax()]
        notes.append(f"Cheapest variant: {variant_label(product, cheapest)} at "
                     f"{money(cheapest['sale_price'], currency)}.")
        notes.append(f"Dearest variant: {variant_label(product, dearest)} at "
                     f"{money(dearest['sale_price'], currency)}.")
    if len(skus):
        sold_out = int((skus["stock"].fillna(1) <= 0).sum())
        share = sold_out / len(skus) * 100
        notes.append(f"{sold_out} of {len(skus)} variants out of stock ({share:.0f}%)."
                     if sold_out else "Every variant is in stock.")
    discounts = skus["discount_pct"].dropna() if len(skus) else []
    if len(discounts) and discounts.max() > 0:
        best = skus.loc[skus["discount_pct"].idxmax()]
        notes.append(f"Biggest discount: {best['discount_pct']:.0f}% off on "
                     f"{variant_label(product, best)}.")
    if not product.tiers.empty and len(priced):
        sku_id = str(priced.iloc[0]["sku_id"])
        q = quote(product, sku_id, 100)
        if q and q.saving > 0:
            notes.append(f"Ordering 100 saves {money(q.saving, currency)} "
                         f"({(1 - q.unit_price / q.single_unit_price) * 100:.0f}%) against "
                         f"the single-unit price ({variant_label(product, priced.iloc[0])}).")
    if product.store.ratings:
        label, score = min(product.store.ratings.items(), key=lambda kv: kv[1])
        notes.append(f"Weakest store rating: {label} {score:.1f} / 5.")
    if product.store.missing_ratings:
        notes.append("Not rated: " + ", ".join(product.store.missing_ratings) + ".")
    return notes


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value))
