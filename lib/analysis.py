"""Figures the views derive from a Product: SKU matrix cells, tier quotes, highlights.

Pure functions over the model's DataFrames (no Streamlit, no raw field names).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from lib import format as fmt
from lib.format import money
from lib.labels import DASH, country_name
from lib.model import Product

METRICS = {
    "sale_price": "Sale price",
    "price": "Original price",
    "discount_pct": "Discount %",
    "stock": "Stock",
}
MISSING, SOLD_OUT, AVAILABLE = "no such variant", "out of stock", "available"
# A cell whose variants are none known to be in stock and some of unknown stock.
STOCK_UNKNOWN = "stock not sent"


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
            return ("stock not sent for the variant" if self.variants == 1 else
                    f"stock not sent for any of the {self.variants} variants")
        counted = f"{self.sold_out} out of stock"
        if self.unknown:
            return f"stock known for {self.known} of {self.variants} variants: {counted}"
        noun = "variant" if self.variants == 1 else "variants"
        return f"{self.sold_out} of {self.variants} {noun} out of stock"


def stock_facts(skus: pd.DataFrame) -> StockFacts:
    stock = pd.to_numeric(skus["stock"], errors="coerce") if "stock" in skus else \
        pd.Series([], dtype="Float64")
    known = stock.dropna()
    return StockFacts(variants=len(skus), known=len(known), sold_out=int((known <= 0).sum()),
                      in_stock=int((known > 0).sum()),
                      units=whole_units(known) if len(known) else None)


def whole_units(values) -> int:
    """The sum of the positive counts as an exact Python int. Not pandas' sum: that adds
    in int64 and wraps (two variants of 2^62 units gave -9.2e18)."""
    return sum(int(v) for v in values
               if v > 0 and not (isinstance(v, float) and not math.isfinite(v)))


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


def metric_title(metric: str, currency: str) -> str:
    """A metric's axis or legend title: prices say their currency ('Sale price (USD)',
    'Sale price (currency not stated)'); discount and stock are as named."""
    label = METRICS[metric]
    return fmt.with_unit(label, currency) if metric in ("sale_price", "price") else label


def default_filters(product: Product, row: str | None, col: str | None) -> dict[str, list]:
    """The first value of every property that is neither rows nor columns, so each
    cell starts as one single variant."""
    return {p: list(dict.fromkeys(product.skus[p].dropna()))[:1]
            for p in product.sku_properties if p not in (row, col)}


def cell_status(skus: int, in_stock: int, stock_known: int) -> str:
    """available: some variant known to be in stock; out of stock: every variant's stock
    known and none left; stock not sent: none known in stock, some not sent."""
    if skus == 0:
        return MISSING
    if in_stock > 0:
        return AVAILABLE
    return SOLD_OUT if stock_known == skus else STOCK_UNKNOWN


def matrix_cells(skus: pd.DataFrame, row: str, col: str, metric: str,
                 row_order: list[str] | None = None,
                 col_order: list[str] | None = None) -> pd.DataFrame:
    """One cell per (row value, column value): the metric's mean over matching SKUs
    (more than one when further properties are not filtered), how many SKUs, how many
    known to be in stock, how many with a stock figure at all, and a status (see
    cell_status). Missing stock is never counted as in stock."""
    rows = row_order or list(dict.fromkeys(skus[row].dropna()))
    cols = col_order or list(dict.fromkeys(skus[col].dropna()))
    grouped = skus.groupby([row, col], sort=False, dropna=True)
    stats = {}
    for (r, c), group in grouped:
        values = pd.to_numeric(group[metric], errors="coerce").dropna()
        facts = stock_facts(group)
        stats[(r, c)] = (float(values.mean()) if len(values) else None, len(group),
                         facts.in_stock, facts.known)
    cells = []
    for r in rows:
        for c in cols:
            value, n, in_stock, known = stats.get((r, c), (None, 0, 0, 0))
            cells.append({"row": r, "col": c, "value": value, "skus": n,
                          "in_stock": in_stock, "stock_known": known,
                          "status": cell_status(n, in_stock, known)})
    return pd.DataFrame(cells, columns=["row", "col", "value", "skus", "in_stock",
                                        "stock_known", "status"])


def stock_status(stock: object) -> str:
    """One variant: available / out of stock / stock not sent."""
    value = pd.to_numeric(pd.Series([stock]), errors="coerce").iloc[0]
    if pd.isna(value):
        return STOCK_UNKNOWN
    return AVAILABLE if value > 0 else SOLD_OUT


def summary_line(skus: pd.DataFrame, currency: str) -> str:
    """'45 variants · 6 out of stock · sale price 24.90–40.90 USD'; stock that was not
    sent is said so ('1 variant · stock not sent · …'), never counted as in stock."""
    facts = stock_facts(skus)
    total = facts.variants
    parts = [f"{total} variant{'s' if total != 1 else ''}"]
    if total and facts.known == 0:
        parts.append("stock not sent")
    elif total:
        parts.append(f"{facts.sold_out} out of stock")
        if facts.unknown:
            parts.append(f"stock not sent for {facts.unknown}")
    prices = pd.to_numeric(skus["sale_price"], errors="coerce").dropna() if total else []
    if len(prices):
        low, high = float(prices.min()), float(prices.max())
        span = (fmt.number(low, 2) if low == high or abs(high - low) < 0.005
                else f"{fmt.number(low, 2)}–{fmt.number(high, 2)}")
        parts.append(f"sale price {span} {currency}" if currency
                     else f"sale price {span} ({fmt.NO_CURRENCY})")
    return " · ".join(parts)


def single_variant_line(sku_row: pd.Series, currency: str) -> str:
    """The one-variant product in a sentence, each price with its currency."""
    cur = sku_row.get("currency") or currency
    def price(value):
        return price_text(value, cur)
    stock = pd.to_numeric(pd.Series([sku_row.get("stock")]), errors="coerce").iloc[0]
    stock_text = "stock not sent" if pd.isna(stock) else f"stock {fmt.number(stock)}"
    return (f"This product has a single variant (SKU {sku_row['sku_id']}): "
            f"{price(sku_row['sale_price'])} (list price {price(sku_row['price'])}), "
            f"{stock_text}.")


def single_variant_note(product: Product, platform_label: str) -> str:
    """The one message for a product without variant properties: its single variant,
    and why there is no matrix when the platform says so (one box, not two)."""
    line = single_variant_line(product.skus.iloc[0], product.currency)
    reason = next((n.split(": ", 1)[-1] for n in product.not_provided
                   if "variant" in n.lower()), "")
    return f"{line} {platform_label}: {reason}" if reason else line


def variant_label(product: Product, sku_row: pd.Series) -> str:
    """'Red / 40L / China' (or the SKU id when there are no properties)."""
    values = [str(sku_row[p]) for p in product.sku_properties if pd.notna(sku_row.get(p))]
    return " / ".join(values) if values else f"SKU {sku_row['sku_id']}"


def variant_labels(product: Product, skus: pd.DataFrame | None = None) -> dict[str, str]:
    """SKU id -> variant label, unique (a repeated label gets its SKU id), so a label
    can stand for its variant in a widget and in a shared link."""
    skus = product.skus if skus is None else skus
    labels = {str(row["sku_id"]): variant_label(product, row) for _, row in skus.iterrows()}
    counts = pd.Series(list(labels.values())).value_counts()
    return {sku_id: (f"{label} (SKU {sku_id})" if counts.get(label, 0) > 1 else label)
            for sku_id, label in labels.items()}


def sku_table(product: Product, shown: pd.DataFrame) -> pd.DataFrame:
    """The SKU table as shown, every gap "—" (a column with gaps becomes text; a
    complete one stays a number to sort by). Stock not sent reads "not sent", never 0.
    Column names stay the model's; sku_headers() gives the headers with the currency."""
    props = product.sku_properties
    extras = ([c for c in shown.columns if c.endswith("(system value)")]
              + [c for c in ("barcode", "ean")
                 if c in shown and shown[c].fillna("").astype(str).str.strip().astype(bool).any()])
    table = pd.DataFrame(index=shown.index)
    table["image_url"] = (shown["image_url"].map(lambda u: u if isinstance(u, str) else "")
                          if "image_url" in shown else "")
    for prop in props:
        table[prop] = shown[prop].map(lambda v: DASH if pd.isna(v) else str(v))
    table["sale_price"] = _number_or_text(shown["sale_price"], "{:,.2f}")
    table["price"] = _number_or_text(shown["price"], "{:,.2f}")
    table["discount_pct"] = _number_or_text(shown["discount_pct"], "{:.0f}%")
    table["stock"] = _number_or_text(shown["stock"], "{:,.0f}", gap="not sent")
    table["currency"] = shown["currency"].map(fmt.currency_label)
    table["sku_id"] = shown["sku_id"].astype(str)
    for column in extras:
        table[column] = shown[column].map(lambda v: DASH if pd.isna(v) or not str(v).strip()
                                          else str(v))
    return table.reset_index(drop=True)


def sku_headers(currency: str) -> dict[str, str]:
    """Headers of the SKU table's own columns; prices say their currency."""
    return {"image_url": "Image", "sale_price": fmt.with_unit("Sale price", currency),
            "price": fmt.with_unit("Original price", currency), "discount_pct": "Discount",
            "stock": "Stock", "currency": "Currency", "sku_id": "SKU id"}


def _number_or_text(values: pd.Series, pattern: str, gap: str = DASH) -> pd.Series:
    """Numbers as they are when none is missing; else text with `gap` for the missing."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        return numbers
    # Past a quadrillion in powers of ten (fmt.number), never 300 digits in a cell.
    return numbers.map(lambda v: gap if pd.isna(v) else
                       pattern.format(v) if abs(v) < fmt.BIG_NUMBER else
                       fmt.number(v, 2) + ("%" if pattern.endswith("%") else "")
                       ).astype(object)


# --- country prices (seller API national quote configuration) ---------------------------
@dataclass(frozen=True)
class CountryPrices:
    table: pd.DataFrame          # Variant, list price, one text column per country
    countries: dict[str, str]    # column header (country name) -> ISO code
    tidy: pd.DataFrame           # one row per variant and country, for downloads
    caption: str


_PERCENT_RULE = r"^([+-])(\d+(?:\.\d+)?)%(.*)$"
_AMOUNT_RULE = r"^([+-])(\d+(?:\.\d+)?)(.*)$"


def rule_text(rule: str, currency: str) -> str:
    """The parser's rule in words: '+5%' -> '+5 %', '-1.50' -> '−1.50 USD' (an amount
    in the product's currency), 'absolute' -> 'fixed price'."""
    text = str(rule or "").strip()
    if text.startswith("absolute"):
        return "fixed price" + text[len("absolute"):]
    unit = currency or fmt.NO_CURRENCY
    for pattern, shape in ((_PERCENT_RULE, "{sign}{num} %{rest}"),
                           (_AMOUNT_RULE, "{sign}{num} " + unit + "{rest}")):
        match = re.match(pattern, text)
        if match:
            sign = "+" if match.group(1) == "+" else "−"
            return shape.format(sign=sign, num=match.group(2), rest=match.group(3))
    return text or DASH


def country_prices(product: Product) -> CountryPrices | None:
    """The national quote configuration as a matrix a buyer reads: variants (by their
    labels, not the platform's keys) down, countries across, each cell the country's
    price with its currency and the rule that made it; None when there is none."""
    prices = product.country_prices
    if prices.empty:
        return None
    skus = product.skus
    by_attr = {str(a): row for a, (_, row) in zip(skus["sku_attr"].fillna(""), skus.iterrows())}
    labels = variant_labels(product)
    currency = product.currency
    tidy_rows, kinds = [], set()
    for _, entry in prices.iterrows():
        attr = "" if pd.isna(entry["sku_attr"]) else str(entry["sku_attr"])
        sku = by_attr.get(attr)
        label = (labels[str(sku["sku_id"])] if sku is not None
                 else f"variant not among the SKUs (key {attr or 'none'})")
        cur = (sku.get("currency") if sku is not None else "") or currency
        rule = str(entry["rule"] or "")
        kinds.add("fixed" if rule.startswith("absolute") else
                  "percent" if "%" in rule.split(" (")[0] else "amount")
        tidy_rows.append({
            "Variant": label, "Country": country_name(entry["country"]),
            "Country code": entry["country"],
            fmt.with_unit("List price", cur): None if sku is None else sku["price"],
            fmt.with_unit("Country price", cur): entry["price"],
            "Rule": rule_text(rule, cur),
            "_cell": f"{price_text(entry['price'], cur)} ({rule_text(rule, cur)})"})
    tidy = pd.DataFrame(tidy_rows)
    codes = dict.fromkeys(tidy["Country code"])
    countries = {country_name(c): c for c in codes}
    variants = list(dict.fromkeys(
        [labels[str(s)] for s in skus["sku_id"] if labels[str(s)] in set(tidy["Variant"])]
        + list(tidy["Variant"])))
    list_price = fmt.with_unit("List price", currency)
    table_rows = []
    for variant in variants:
        mine = tidy[tidy["Variant"] == variant]
        sku_id = next((s for s, label in labels.items() if label == variant), None)
        base = skus.loc[skus["sku_id"].astype(str) == sku_id, "price"] if sku_id else []
        row = {"Variant": variant,
               list_price: price_text(base.iloc[0], currency) if len(base) else DASH}
        for name, code in countries.items():
            cell = mine[mine["Country code"] == code]
            row[name] = cell["_cell"].iloc[0] if len(cell) else DASH
        table_rows.append(row)
    table = pd.DataFrame(table_rows, columns=["Variant", list_price, *countries])
    return CountryPrices(table=table, countries=countries,
                         tidy=tidy.drop(columns="_cell"),
                         caption=_country_caption(kinds, (table == DASH).any().any()))


def price_text(value: object, currency: str) -> str:
    """'14.24 USD', or '14.24 (currency not stated)' when the platform did not say."""
    return money(value, currency) if currency else f"{money(value)} ({fmt.NO_CURRENCY})"


def _country_caption(kinds: set[str], gaps: bool) -> str:
    """Which base price the rules apply to (seed 003: percentage and relative rules
    adjust the benchmark price, the SKU's own price before discounts)."""
    parts = []
    if kinds & {"percent", "amount"}:
        parts.append("Percentages and amounts are the seller's national quote rules: "
                     "they apply to each variant's list price (its SKU price before "
                     "discounts, in the List price column), not to the sale price.")
    if "fixed" in kinds:
        parts.append("A fixed price is set by the seller for that country and replaces "
                     "the list price.")
    if gaps:
        parts.append(f"{DASH} no country price set: the variant's usual price applies.")
    return " ".join(parts)


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
    last tier is extended so its step is visible. Series are the unique variant labels
    (two variants with the same label would otherwise draw as one line)."""
    rows = []
    labels = variant_labels(product) if sku_ids else {}
    for sku_id in sku_ids:
        ladder = sku_tiers(product, sku_id)
        if ladder.empty:
            continue
        label = labels.get(str(sku_id), sku_id)
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


def tier_span(min_qty: int, max_qty: int | None) -> str:
    """'10–49', or '200 and up' for an open-ended tier."""
    return f"{min_qty:,} and up" if max_qty is None else f"{min_qty:,}–{max_qty:,}"


def tiers_table(product: Product, labels: dict[str, str]) -> pd.DataFrame:
    """Every tier as shown: the variant by its label, 'and up' for an open-ended tier
    (max_qty as text), discounts with '%', gaps '—'. Column names stay the model's
    (the view gives them headers with the currency)."""
    tiers = product.tiers
    table = pd.DataFrame({
        "variant": [labels.get(str(s), "all variants") if isinstance(s, str) and s
                    else "all variants" for s in tiers["sku_id"]],
        "min_qty": pd.to_numeric(tiers["min_qty"], errors="coerce"),
        "max_qty": [("and up" if pd.isna(m) else f"{int(m):,}") for m in tiers["max_qty"]],
        "unit_price": _number_or_text(tiers["unit_price"], "{:,.2f}"),
        "discount": [DASH if pd.isna(d) else fmt.percent(d, 0 if float(d).is_integer() else 1)
                     for d in pd.to_numeric(tiers["discount"], errors="coerce")],
        "source": [DASH if pd.isna(s) or not str(s).strip() else str(s)
                   for s in tiers["source"]],
        "sku_id": [str(s) if isinstance(s, str) and s else DASH for s in tiers["sku_id"]],
    })
    return table.reset_index(drop=True)


TIER_HEADERS = {"sku_id": "SKU id", "variant": "Variant", "min_qty": "From (units)",
                "max_qty": "To (units)", "unit_price": "Unit price", "discount": "Discount",
                "source": "Source"}


def lead_times_table(product: Product) -> pd.DataFrame:
    """Alibaba deliver periods: 'up to 500 units: 15 days'; the last open-ended."""
    rows = product.lead_times
    return pd.DataFrame({
        "Order size (units)": [("any larger order" if pd.isna(m) else f"up to {int(m):,}")
                               for m in rows["max_qty"]],
        "Lead time (days)": [DASH if pd.isna(d) else f"{int(d):,}" for d in rows["days"]],
    })


def flat_price_note(product: Product, platform_label: str) -> str:
    """The one message for a product without tiers: why (the platform's own line when
    it has one) and the unit price every quantity costs, with its currency."""
    reason = next((line.split(": ", 1)[-1] for line in product.not_provided
                   if "tier" in line.lower()), "")
    span = product.price_range("sale_price")
    currency = product.currency
    price = (fmt.money_range(*span, currency) if currency else
             f"{fmt.money_range(*span)} ({fmt.NO_CURRENCY})") if span else DASH
    why = f" ({platform_label}: {reason.rstrip('.')})" if reason else ""
    return (f"No wholesale price tiers for this product{why}: every quantity costs the "
            f"same unit price ({price}), so there is no price curve to draw.")


# --- highlights and key numbers ---------------------------------------------------------
def highlights(product: Product) -> list[str]:
    """A short 'what stands out' list computed from the data. Stock the platform did
    not send is unknown: never counted as in stock."""
    notes: list[str] = []
    skus = product.skus
    currency = product.currency
    priced = skus.dropna(subset=["sale_price"]) if len(skus) else skus
    if len(priced) > 1:
        cheapest = priced.loc[priced["sale_price"].idxmin()]
        dearest = priced.loc[priced["sale_price"].idxmax()]
        notes.append(f"Cheapest variant: {variant_label(product, cheapest)} at "
                     f"{_price_text(cheapest['sale_price'], currency)}.")
        notes.append(f"Dearest variant: {variant_label(product, dearest)} at "
                     f"{_price_text(dearest['sale_price'], currency)}.")
    if len(skus):
        notes.append(stock_highlight(product))
    discounts = skus["discount_pct"].dropna() if len(skus) else []
    if len(discounts) and discounts.max() > 0:
        deepest = skus.loc[skus["discount_pct"].idxmax()]
        notes.append(f"Discount: {deepest['discount_pct']:.0f}% off the list price."
                     if len(skus) == 1 else
                     f"Biggest discount: {deepest['discount_pct']:.0f}% off on "
                     f"{variant_label(product, deepest)}.")
    if not product.tiers.empty and len(priced):
        sku_id = str(priced.iloc[0]["sku_id"])
        q = quote(product, sku_id, 100)
        if q and q.saving > 0:
            notes.append(f"Ordering 100 saves {_price_text(q.saving, currency)} "
                         f"({(1 - q.unit_price / q.single_unit_price) * 100:.0f}%) against "
                         f"the single-unit price ({variant_label(product, priced.iloc[0])}).")
    if product.store.ratings:
        label, score = min(product.store.ratings.items(), key=lambda kv: kv[1])
        notes.append(f"Weakest store rating: {label} {score:.1f} / 5.")
    if product.store.missing_ratings:
        notes.append("Not rated: " + ", ".join(product.store.missing_ratings) + ".")
    return notes


def _price_text(value: float, currency: str) -> str:
    return money(value, currency) if currency else f"{money(value)} ({fmt.NO_CURRENCY})"


def stock_highlight(product: Product) -> str:
    """The stock line: counts known values only and says how many are not sent."""
    facts = stock_facts(product.skus)
    if facts.known == 0:
        return (f"{_sentence(facts.describe())[:-1]}: "
                f"{_lower_first(not_sent_reason(product, 'stock'))}")
    if facts.unknown == 0:
        if facts.sold_out == 0:
            return "Every variant is in stock."
        return (f"{facts.sold_out:,} of {facts.variants:,} variants out of stock "
                f"({_share(facts.sold_out, facts.known)}).")
    counted = (f"{facts.sold_out:,} out of stock ({_share(facts.sold_out, facts.known)} "
               f"of the known)" if facts.sold_out else "none out of stock")
    return (f"Stock known for {facts.known:,} of {facts.variants:,} variants: {counted}; "
            f"not sent for {facts.unknown:,}.")


def _share(part: int, whole: int) -> str:
    """'13%'; a share under 1 % keeps a decimal ('0.2%'), never a false '0%'."""
    share = part / whole * 100
    return f"{share:.1f}%" if 0 < share < 1 else f"{share:.0f}%"


def not_sent_reason(product: Product, *topics: str) -> str:
    """Why a figure is missing: the platform's own 'not provided' line that names one of
    the topics, else that this answer simply did not carry it."""
    for line in product.not_provided:
        if any(topic in line.lower() for topic in topics):
            return _sentence(line.split(": ", 1)[-1])
    return "Not in the answer for this product."


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@dataclass(frozen=True)
class KeyNumber:
    """One figure for an st.metric: a "—" value always comes with its reason."""
    label: str
    value: str
    help: str = ""


def _figure(label: str, value: str, meaning: str, product: Product, *topics: str,
            ) -> KeyNumber:
    if value == DASH:
        return KeyNumber(label, value, f"Not sent. {not_sent_reason(product, *topics)}")
    return KeyNumber(label, value, meaning)


def price_numbers(product: Product) -> list[KeyNumber]:
    """Sale and list price ranges with their currency, and the minimum order."""
    numbers = []
    for column, label, meaning in (
            ("sale_price", "Price", "Sale price, lowest to highest over all variants"),
            ("price", "Original price",
             "List price before discounts, lowest to highest over all variants")):
        span = product.price_range(column)
        numbers.append(KeyNumber(fmt.with_unit(label, product.currency),
                                 fmt.money_range(*span) if span else DASH,
                                 meaning if span else
                                 "Not sent. The answer carries no price for any variant."))
    if product.trade.moq:
        numbers.append(KeyNumber("Minimum order",
                                 f"{product.trade.moq:,} {product.trade.moq_unit}".strip(),
                                 "The smallest quantity the seller accepts in one order"))
    return numbers


def store_numbers(product: Product) -> list[KeyNumber]:
    """Product rating, reviews, sales and positive feedback, each "—" with its reason."""
    store = product.store
    return [
        _figure("Rating", fmt.rating(store.product_rating), "Product rating on a 0-5 scale",
                product, "product rating", "rating"),
        _figure("Reviews", fmt.count(store.review_count), "Number of buyer reviews",
                product, "review", "store ratings"),
        _figure("Sold", fmt.count(store.sales_count, store.sales_text),
                "As the marketplace shows it (e.g. 1000+)", product, "sales", "sold"),
        _figure("Positive feedback", fmt.percent(store.positive_feedback_pct, 1),
                "Share of the store's buyer feedback that is positive", product,
                "feedback", "store ratings"),
    ]


def fold_unsent(numbers: list[KeyNumber]) -> tuple[list[KeyNumber], list[str]]:
    """Figures the platform never sends, for one and the same reason, said once in a
    line ("Rating, Reviews and Sold: not sent. The Tuya mall API ...") instead of a row
    of dashes. A lone "—" keeps its place, its reason in the tooltip."""
    prefix = "Not sent. "
    groups: dict[str, list[str]] = {}
    for number in numbers:
        if number.value == DASH and number.help.startswith(prefix):
            groups.setdefault(number.help, []).append(number.label)
    folded = {reason: labels for reason, labels in groups.items() if len(labels) > 1}
    kept = [n for n in numbers if not (n.value == DASH and n.help in folded)]
    lines = [f"{_join(labels)}: not sent. {reason[len(prefix):]}"
             for reason, labels in folded.items()]
    return kept, lines


def _join(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def key_numbers(product: Product) -> list[KeyNumber]:
    """The Overview's row of figures: ratings and sales, variants, stock, media."""
    facts = stock_facts(product.skus)
    numbers = [n for n in store_numbers(product)
               if n.label != "Positive feedback" or n.value != DASH]
    variants_help = _sentence(facts.describe())
    if any("variant" in line.lower() for line in product.not_provided):
        variants_help = f"{not_sent_reason(product, 'variant')} {variants_help}"
    numbers.append(KeyNumber("Variants", fmt.number(facts.variants), variants_help))
    if facts.known == 0:
        numbers.append(KeyNumber("Stock (units)", DASH,
                                 f"{_sentence(facts.describe())} "
                                 f"{not_sent_reason(product, 'stock')}"))
    else:
        numbers.append(KeyNumber(
            "Stock (units)", fmt.number(facts.units),
            f"Units over the {facts.known} of {facts.variants} variants whose stock is "
            f"known; not sent for {facts.unknown}." if facts.unknown else
            "Units in stock over all variants."))
    videos = len(product.media.videos)
    numbers.append(KeyNumber("Images", f"{len(product.media.images)}",
                             f"{videos} video{'s' if videos != 1 else ''}"))
    return numbers


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value))
