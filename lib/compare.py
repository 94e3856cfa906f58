"""Several products side by side: the comparison table, best values, price curves.

Pure functions over Products (no Streamlit, no raw field names).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from lib import analysis
from lib.errors import FetchError, InvalidQuery
from lib.model import Product
from lib.query import ProductQuery, parse_product_ref

QUANTITIES = (1, 10, 100, 1000)
_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class RefProblem:
    text: str
    message: str

    def __str__(self) -> str:
        """The message, naming the entry unless the message already quotes it."""
        return self.message if self.text in self.message else f"“{self.text}”: {self.message}"


def parse_refs(text: str, platform: str | None = None, **locale: str
               ) -> tuple[list[ProductQuery], list[RefProblem]]:
    """Many ids/links (one per line, or separated by spaces, commas or semicolons) ->
    queries in order without repeats, plus a plain message for each one not understood.
    'platform:id' (the form used in compare links) is accepted too."""
    queries: list[ProductQuery] = []
    problems: list[RefProblem] = []
    seen: set[str] = set()
    for token in (t for t in _SPLIT.split(text or "") if t):
        try:
            query = parse_key(token, **locale) if _is_key(token) else \
                parse_product_ref(token, platform, **locale)
        except InvalidQuery as exc:
            problems.append(RefProblem(token[:120], exc.user_message))
            continue
        if query.key not in seen:
            seen.add(query.key)
            queries.append(query)
    return queries, problems


def _is_key(token: str) -> bool:
    from lib.platforms import PLATFORMS

    prefix, sep, _ = token.partition(":")
    return bool(sep) and prefix in PLATFORMS


def parse_key(key: str, **locale: str) -> ProductQuery:
    """'aliexpress:1005006789012345' -> ProductQuery (validated like a typed id)."""
    platform, _, product_id = key.partition(":")
    return parse_product_ref(product_id, platform, **locale)


# --- the comparison table ----------------------------------------------------------------
# Row name -> which value is best: "min", "max" or None (not comparable).
ROWS: dict[str, str | None] = {
    "Image": None, "Title": None, "Platform": None, "Currency": None,
    "Lowest price": "min", "Highest price": "min", "Cheapest variant": None,
    **{f"Unit price at {q:,}": "min" for q in QUANTITIES},
    "MOQ": "min", "Lead time (days)": "min", "Stock (all variants)": "max",
    "Rating": "max", "Reviews": "max", "Sales": "max",
    "Ships from": None, "Variants": "max", "Images": "max", "Videos": "max",
    "Fetched at": None,
}
PRICE_ROWS = ["Lowest price", "Highest price"] + [f"Unit price at {q:,}" for q in QUANTITIES]


def cheapest_sku(product: Product) -> pd.Series | None:
    priced = product.skus.dropna(subset=["sale_price"])
    if priced.empty:
        return None
    return priced.loc[priced["sale_price"].idxmin()]


def product_label(product: Product) -> str:
    title = product.title or product.product_id
    short = title if len(title) <= 40 else title[:38].rstrip() + "…"
    return f"{short} ({product.platform}:{product.product_id})"


def product_column(product: Product) -> dict[str, object]:
    """One product's values for every row of the comparison (None = missing)."""
    prices = product.price_range("sale_price")
    cheapest = cheapest_sku(product)
    column: dict[str, object] = {
        "Image": product.main_image or None,
        "Title": product.title or None,
        "Platform": product.platform,
        "Currency": product.currency or None,
        "Lowest price": prices[0] if prices else None,
        "Highest price": prices[1] if prices else None,
        "Cheapest variant": analysis.variant_label(product, cheapest)
        if cheapest is not None else None,
    }
    for q in QUANTITIES:
        quote = analysis.quote(product, str(cheapest["sku_id"]), q) if cheapest is not None \
            else None
        column[f"Unit price at {q:,}"] = None if quote is None or quote.below_moq \
            else quote.unit_price
    lead = product.lead_times["days"].dropna()
    stock = product.skus["stock"].dropna()
    store = product.store
    column.update({
        "MOQ": analysis.moq(product),
        "Lead time (days)": int(lead.min()) if len(lead) else product.trade.delivery_days,
        "Stock (all variants)": int(stock.sum()) if len(stock) else None,
        "Rating": store.product_rating,
        "Reviews": store.review_count,
        "Sales": store.sales_count,
        "Ships from": ", ".join(product.trade.ship_from_countries) or None,
        "Variants": len(product.skus),
        "Images": len(product.media.images),
        "Videos": len(product.media.videos),
        "Fetched at": product.fetched_at.strftime("%Y-%m-%d %H:%M UTC"),
    })
    for label, score in store.ratings.items():
        column[f"DSR: {label}"] = score
    return column


def comparison_table(products: list[Product], rates: dict[str, float] | None = None,
                     base_currency: str | None = None) -> pd.DataFrame:
    """Rows = compared figures, columns = products. With `rates` (currency -> value of
    one unit in base_currency) the price rows are converted to base_currency."""
    columns = {}
    for product in products:
        column = product_column(product)
        if rates and base_currency and product.currency and product.currency != base_currency:
            rate = rates.get(product.currency)
            for row in PRICE_ROWS:
                value = column.get(row)
                column[row] = round(value * rate, 2) if value is not None and rate else None
            column["Currency"] = f"{base_currency} (from {product.currency})" if rate \
                else f"{product.currency} (no rate)"
        columns[product_label(product)] = column
    rows = list(ROWS) + sorted({k for c in columns.values() for k in c if k.startswith("DSR: ")})
    table = pd.DataFrame({label: [col.get(r) for r in rows] for label, col in columns.items()},
                         index=rows)
    return table


def best_direction(row: str) -> str | None:
    return "max" if row.startswith("DSR: ") else ROWS.get(row)


def best_cells(table: pd.DataFrame, comparable: bool = True) -> dict[str, list[str]]:
    """Row -> the columns holding the best value (ties all win). Price rows only count
    when the prices are comparable (one currency, or converted)."""
    best: dict[str, list[str]] = {}
    for row in table.index:
        direction = best_direction(row)
        if direction is None or (row in PRICE_ROWS and not comparable):
            continue
        values = pd.to_numeric(table.loc[row], errors="coerce").dropna()
        if len(values) < 2 or values.nunique() == 1:
            continue
        target = values.min() if direction == "min" else values.max()
        best[row] = [str(c) for c in values.index[values == target]]
    return best


def currencies(products: list[Product]) -> list[str]:
    return sorted({p.currency for p in products if p.currency})


def price_curves(products: list[Product], labels: dict[str, str] | None = None
                 ) -> pd.DataFrame:
    """Unit price against quantity for each product's cheapest variant (step points)."""
    frames = []
    for product in products:
        cheapest = cheapest_sku(product)
        if cheapest is None:
            continue
        points = analysis.step_points(product, [str(cheapest["sku_id"])])
        points["series"] = (labels or {}).get(product.product_id, product_label(product))
        frames.append(points)
    if not frames:
        return pd.DataFrame(columns=["series", "sku_id", "quantity", "unit_price"])
    curves = pd.concat(frames, ignore_index=True)
    # Stretch every curve to the largest quantity so crossovers stay visible.
    end = int(curves["quantity"].max())
    tails = curves.loc[curves.groupby("series")["quantity"].idxmax()].copy()
    tails["quantity"] = end
    return pd.concat([curves, tails], ignore_index=True).drop_duplicates(
        subset=["series", "quantity", "unit_price"])


def ratings_long(products: list[Product]) -> pd.DataFrame:
    rows = [{"product": product_label(p), "rating": label, "score": score}
            for p in products for label, score in p.store.ratings.items()]
    return pd.DataFrame(rows, columns=["product", "rating", "score"])


def batch_table(results: list[Product | FetchError], queries: list[ProductQuery]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per fetched product with the compare figures, one row per failure)."""
    rows, failures = [], []
    for query, result in zip(queries, results):
        if isinstance(result, FetchError):
            failures.append({"platform": query.platform, "id": query.product_id,
                             "problem": result.user_message, "kind": result.kind})
            continue
        column = product_column(result)
        column.pop("Image", None)
        rows.append({"platform": query.platform, "id": query.product_id, **column})
    return (pd.DataFrame(rows), pd.DataFrame(failures, columns=["platform", "id", "problem",
                                                                "kind"]))
