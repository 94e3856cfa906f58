"""Several products side by side: the comparison table, best values, price curves.

Pure functions over Products (no Streamlit, no raw field names).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from lib import analysis, rates
from lib.format import currency_label, number
from lib.labels import platform_label
from lib.errors import FetchError, InvalidQuery
from lib.model import Product
from lib.query import ProductQuery, parse_product_ref, quote_input

QUANTITIES = (1, 10, 100, 1000)
_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class RefProblem:
    text: str
    message: str
    kind: str = "unreadable"          # or "platform": names a platform we do not know

    def __str__(self) -> str:
        """The message, naming the entry unless the message already quotes it."""
        return self.message if self.text in self.message else f"“{self.text}”: {self.message}"


@dataclass
class RefReading:
    """What a list of ids/links holds: the products in order and once each, the entries
    not understood, the entries repeating an earlier product (as entered), and how many
    entries were past `max_entries` and not looked at."""
    queries: list[ProductQuery] = field(default_factory=list)
    problems: list[RefProblem] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unread: int = 0


def parse_refs(text: str, platform: str | None = None, *, transport: Any = None,
               **locale: str) -> tuple[list[ProductQuery], list[RefProblem]]:
    """Many ids/links (one per line, or separated by spaces, commas or semicolons) ->
    queries in order without repeats, plus a plain message for each one not understood.
    'platform:id' (the form used in compare links) is accepted too. (read_refs also
    says which entries were repeats.)

    Short links (s.click.aliexpress.com/e/…, a.aliexpress.com/_…, ali.click/…,
    alibaba.com/x/…) are opened with lib.shortlinks, all at once (a few at a time) and
    only they: ids and full links never touch the network. At most
    shortlinks.MAX_SHORT_LINKS of them per list; the rest are reported, not opened.
    `transport`: the httpx transport for them (default: shortlinks.default_transport())."""
    reading = read_refs(text, platform, transport=transport, **locale)
    return reading.queries, reading.problems


def read_refs(text: str, platform: str | None = None, *, transport: Any = None,
              max_entries: int | None = None, **locale: str) -> RefReading:
    """parse_refs with the repeats listed, reading at most `max_entries` entries (the
    rest are only counted: a list from a link may be huge, and reading costs time)."""
    from lib import shortlinks

    tokens = [t for t in _SPLIT.split(text or "") if t]
    reading = RefReading()
    if max_entries is not None and len(tokens) > max_entries:
        reading.unread = len(tokens) - max_entries
        tokens = tokens[:max_entries]
    short = list(dict.fromkeys(t for t in tokens
                               if not _is_key(t) and shortlinks.is_short_link(t)))
    capped = short[:shortlinks.MAX_SHORT_LINKS]
    opened = dict(zip(capped, shortlinks.resolve_many(capped, platform, transport=transport,
                                                      **locale)))
    too_many = InvalidQuery(f"This short link was not opened: at most "
                            f"{shortlinks.MAX_SHORT_LINKS} short links are opened per list. "
                            "Paste this product's full link or its ID instead.")
    seen: set[str] = set()
    for token in tokens:
        try:
            if token in short:
                query = opened.get(token, too_many)
                if isinstance(query, InvalidQuery):
                    raise query
            elif _is_key(token):
                query = parse_key(token, **locale)
            elif unknown := _unknown_platform(token):
                reading.problems.append(RefProblem(token[:120], unknown, "platform"))
                continue
            else:
                query = parse_product_ref(token, platform, **locale)
        except InvalidQuery as exc:
            reading.problems.append(RefProblem(token[:120], exc.user_message))
            continue
        if query.key in seen:
            reading.duplicates.append(token[:120])
        else:
            seen.add(query.key)
            reading.queries.append(query)
    return reading


# 'word:id' where word is not one of ours: a compare-link entry for an unknown platform
# (links have "//" or "/" after the scheme; ids never contain ":").
_KEY_LIKE = re.compile(r"([a-z][a-z0-9-]{0,29}):([A-Za-z0-9_-]{1,120})")


def _unknown_platform(token: str) -> str:
    """The message for an entry naming a platform we do not know, else ""."""
    from lib.platforms import PLATFORMS

    match = _KEY_LIKE.fullmatch(token)
    if not match or match.group(1) in PLATFORMS or match.group(1) in ("http", "https"):
        return ""
    return (f"{quote_input(match.group(1))} is not a platform this app knows. Use one of: "
            + ", ".join(PLATFORMS) + ".")


def _is_key(token: str) -> bool:
    from lib.platforms import PLATFORMS

    prefix, sep, _ = token.partition(":")
    return bool(sep) and prefix in PLATFORMS


def parse_key(key: str, **locale: str) -> ProductQuery:
    """'aliexpress:1005006789012345' -> ProductQuery (validated like a typed id)."""
    platform, _, product_id = key.partition(":")
    return parse_product_ref(product_id, platform, **locale)


# --- the comparison table ----------------------------------------------------------------
# Every cell says what it is: a value, or "—" with the reason it is missing. Only figures
# where less or more is plainly better get a "best" cell (price, MOQ, days, stock,
# ratings); counts of variants, images, videos, reviews and sales describe a listing and
# are never "best". Prices are compared in one base currency, converted with the rates
# given (the reference rates by default, lib/rates.py).
DELIVERY = "Delivery (days)"                       # AliExpress: days to the buyer
PRODUCTION = "Production lead time (days)"         # Alibaba: days to make the order
STOCK = "Stock (all variants)"
PRICE_ROWS = ["Lowest price", "Highest price"] + [f"Unit price at {q:,}" for q in QUANTITIES]
# Row name -> which value is best: "min", "max" or None (not ranked).
ROWS: dict[str, str | None] = {
    "Image": None, "Title": None, "Platform": None, "Currency": None,
    "Lowest price": "min", "Highest price": "min", "Cheapest variant": None,
    **{f"Unit price at {q:,}": "min" for q in QUANTITIES},
    "MOQ": "min", DELIVERY: "min", PRODUCTION: "min", STOCK: "max",
    "Rating": "max", "Reviews": None, "Sales": None,
    "Ships from": None, "Variants": None, "Images": None, "Videos": None,
    "Fetched at": None,
}
NOT_SENT = "not sent"
BELOW_MOQ = "below MOQ"
NO_CURRENCY = "currency not stated"
NO_RATE = "no exchange rate"


@dataclass(frozen=True)
class Cell:
    """One figure of one product: its value (None = missing, with `reason`) and the
    number that competes for "best" (None = never best, e.g. partly unknown stock)."""
    value: object = None
    reason: str = ""
    rank: float | None = None

    @property
    def text(self) -> str:
        if self.value is None:
            return f"— {self.reason or NOT_SENT}"
        if isinstance(self.value, float):
            return number(self.value, 2)            # 1e308 reads, never "inf"
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            return number(self.value)
        return str(self.value)


def _number(value: object, reason: str = NOT_SENT) -> Cell:
    """A figure that may be ranked; missing (None/NaN) -> '— not sent'."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return Cell(None, reason)
    return Cell(value, rank=float(value))


def _text(value: object, reason: str = NOT_SENT) -> Cell:
    return Cell(value, "") if value not in (None, "") else Cell(None, reason)


def cheapest_sku(product: Product) -> pd.Series | None:
    priced = product.skus.dropna(subset=["sale_price"])
    if priced.empty:
        return None
    return priced.loc[priced["sale_price"].idxmin()]


def product_label(product: Product) -> str:
    title = product.title or product.product_id
    short = title if len(title) <= 40 else title[:38].rstrip() + "…"
    return f"{short} ({product.platform}:{product.product_id})"


def stock_cell(product: Product) -> Cell:
    """Known units only; partly unknown stock is said so and never ranked."""
    facts = analysis.stock_facts(product.skus)
    if facts.variants == 0 or facts.known == 0:
        return Cell(None, NOT_SENT)
    if facts.unknown:
        return Cell(f"{number(facts.units)} · unknown for {facts.unknown} of {facts.variants} "
                    f"variants")
    return Cell(facts.units, rank=float(facts.units))


def product_cells(product: Product) -> dict[str, Cell]:
    """Every row's cell for one product, prices in the product's own currency."""
    prices = product.price_range("sale_price")
    cheapest = cheapest_sku(product)
    cells: dict[str, Cell] = {
        "Image": _text(product.main_image),
        "Title": _text(product.title),
        "Platform": Cell(platform_label(product.platform)),
        "Currency": Cell(currency_label(product.currency)),
        "Lowest price": _number(prices[0] if prices else None),
        "Highest price": _number(prices[1] if prices else None),
        "Cheapest variant": _text(analysis.variant_label(product, cheapest)
                                  if cheapest is not None else None),
    }
    moq = analysis.moq(product)
    for q in QUANTITIES:
        quote = analysis.quote(product, str(cheapest["sku_id"]), q) if cheapest is not None \
            else None
        row = f"Unit price at {q:,}"
        if quote is None:
            cells[row] = Cell(None, NOT_SENT)
        elif quote.below_moq:
            cells[row] = Cell(None, f"{BELOW_MOQ} ({moq:,})" if moq else BELOW_MOQ)
        else:
            cells[row] = _number(quote.unit_price)
    lead = pd.to_numeric(product.lead_times["days"], errors="coerce").dropna()
    store = product.store
    cells.update({
        "MOQ": _number(moq),
        DELIVERY: _number(product.trade.delivery_days),
        PRODUCTION: _number(int(lead.min()) if len(lead) else None),
        STOCK: stock_cell(product),
        "Rating": _number(store.product_rating),
        "Reviews": _text(store.review_count),
        "Sales": _text(store.sales_text if store.sales_text and not
                       store.sales_text.replace(",", "").isdigit() else store.sales_count),
        "Ships from": _text(", ".join(product.trade.ship_from_countries)),
        "Variants": Cell(len(product.skus)),
        "Images": Cell(len(product.media.images)),
        "Videos": Cell(sum(video.playable for video in product.media.videos)),
        "Fetched at": Cell(product.fetched_at.strftime("%Y-%m-%d %H:%M UTC")),
    })
    for label, score in store.ratings.items():
        cells[f"DSR: {label}"] = _number(score)
    for label in store.missing_ratings:
        cells.setdefault(f"DSR: {label}", Cell(None, NOT_SENT))
    return cells


def product_column(product: Product) -> dict[str, object]:
    """One product's values for every row of the comparison (None = missing)."""
    return {row: cell.value for row, cell in product_cells(product).items()}


# --- currencies ----------------------------------------------------------------------------
def currencies(products: list[Product]) -> list[str]:
    """The stated currencies, the most used first (ties: in order of appearance)."""
    found = [p.currency for p in products if p.currency]
    counts = Counter(found)
    return sorted(dict.fromkeys(found), key=lambda c: -counts[c])


def default_base(products: list[Product], sidebar_currency: str | None) -> str | None:
    """The sidebar's currency if a product is priced in it or it has reference rates;
    else the currency most products are priced in (never the alphabetical first)."""
    found = currencies(products)
    sidebar = (sidebar_currency or "").strip().upper()
    if sidebar and (sidebar in found or rates.has_rate(sidebar)):
        return sidebar
    return found[0] if found else (sidebar or None)


def base_options(products: list[Product], sidebar_currency: str | None) -> list[str]:
    """The default first, then the products' currencies, then every quoted currency."""
    first = default_base(products, sidebar_currency)
    options = [first] if first else []
    options += currencies(products) + rates.quoted_currencies()
    return list(dict.fromkeys(options))


def conversion(product: Product, base: str | None, given: Mapping[str, float | None]
               ) -> tuple[float | None, str]:
    """(factor into base, reason when there is none) for one product's prices."""
    currency = (product.currency or "").upper()
    if not currency:
        return None, NO_CURRENCY
    if base is None or currency == base:
        return 1.0, ""
    rate = given.get(currency)
    return (float(rate), "") if rate else (None, f"{NO_RATE} for {currency}")


@dataclass
class Comparison:
    """The comparison table: rows = figures, columns = products (product_label)."""
    cells: dict[str, dict[str, Cell]]          # column label -> row -> cell
    rows: list[str]
    base: str | None
    rates: dict[str, float | None] = field(default_factory=dict)
    directions: dict[str, str | None] = field(default_factory=dict)   # extra rows' best

    @property
    def labels(self) -> list[str]:
        return list(self.cells)

    def cell(self, row: str, label: str) -> Cell:
        return self.cells[label].get(row, Cell(None, NOT_SENT))

    def values(self) -> pd.DataFrame:
        """The raw values (None where missing): for export and tests."""
        return pd.DataFrame({label: [self.cell(r, label).value for r in self.rows]
                             for label in self.labels}, index=self.rows, dtype=object)

    def text(self) -> pd.DataFrame:
        """What the page shows: values formatted, "— reason" where missing."""
        return pd.DataFrame({label: [self.cell(r, label).text for r in self.rows]
                             for label in self.labels}, index=self.rows)

    def export(self) -> pd.DataFrame:
        """For CSV/Excel: numbers stay numbers, a missing figure says why ("— not sent")."""
        return pd.DataFrame({label: [c.value if (c := self.cell(r, label)).value is not None
                                     else c.text for r in self.rows] for label in self.labels},
                            index=self.rows, dtype=object)

    def best(self) -> dict[str, list[str]]:
        """Row -> the columns holding the best value (ties all win). A row is ranked only
        when two or more products have a value to rank; the stock row not at all while
        any product's stock is unknown."""
        best: dict[str, list[str]] = {}
        for row in self.rows:
            direction = self.directions.get(row, best_direction(row))
            if direction is None:
                continue
            ranks = {label: self.cell(row, label).rank for label in self.labels}
            if row == STOCK and any(r is None for r in ranks.values()):
                continue
            known = {label: r for label, r in ranks.items() if r is not None}
            if len(known) < 2 or len(set(known.values())) == 1:
                continue
            target = (min if direction == "min" else max)(known.values())
            best[row] = [label for label, r in known.items() if r == target]
        return best


def best_direction(row: str) -> str | None:
    return "max" if row.startswith("DSR: ") else ROWS.get(row)


def used_rates(products: list[Product], base: str | None,
               given_rates: Mapping[str, float | None] | None = None
               ) -> dict[str, float | None]:
    """Currency -> value of one unit in `base`: the user's rates, the reference rates
    for the rest (a rate left empty or 0 falls back to the reference rate)."""
    table = rates.rates_for(base, [p.currency for p in products]) if base else None
    used = dict(table.rates) if table else {}
    used.update({k.upper(): float(v) for k, v in (given_rates or {}).items() if v})
    return used


def comparison(products: list[Product], base: str | None = None,
               given_rates: Mapping[str, float | None] | None = None,
               extra: Mapping[str, Mapping[str, Cell]] | None = None,
               extra_rows: Mapping[str, str | None] | None = None) -> Comparison:
    """Compare products; price rows in `base` (converted with `given_rates`, currency ->
    value of one unit in base; the reference rates fill any currency not given).
    `extra`: label -> row -> Cell of rows worked out elsewhere (landed cost), listed
    after the currency in `extra_rows` (row -> which value is best)."""
    base = (base or "").upper() or default_base(products, None)
    used = used_rates(products, base, given_rates)
    columns: dict[str, dict[str, Cell]] = {}
    for product in products:
        cells = product_cells(product)
        factor, reason = conversion(product, base, used)
        for row in PRICE_ROWS:
            cell = cells[row]
            if cell.value is None:
                continue
            if factor is None:
                cells[row] = Cell(None, reason)
            elif factor != 1.0:
                value = rates.round_money(float(cell.value) * factor)
                cells[row] = Cell(value, rank=value)
        currency = (product.currency or "").upper()
        if currency and base and currency != base:
            cells["Currency"] = Cell(f"{currency} → {base} at {factor:.6g}" if factor
                                     else f"{currency} ({NO_RATE})")
        cells.update((extra or {}).get(product_label(product), {}))
        columns[product_label(product)] = cells
    added = dict(extra_rows or {})
    rows = list(ROWS)
    at = rows.index("Currency") + 1
    rows[at:at] = list(added)
    rows += sorted({r for c in columns.values() for r in c if r.startswith("DSR: ")})
    return Comparison(columns, rows, base, used, directions=added)


def rate_step(rate: float | None) -> float:
    """The +/- step of a rate input: about a thousandth of the rate (0.001 for 1.12)."""
    if not rate or rate <= 0:
        return 0.0001
    return 10.0 ** (math.floor(math.log10(rate)) - 3)


def rate_note(table: Comparison) -> str:
    """Where the conversion rates come from, for the caption under the table."""
    return (f"Prices in {table.base}, converted with the {rates.source_text()} unless a "
            f"rate is changed above.") if table.base else ""


# --- charts' data --------------------------------------------------------------------------
def price_curves(products: list[Product], table: Comparison | None = None
                 ) -> tuple[pd.DataFrame, list[str]]:
    """Unit price against quantity for each product's cheapest variant (step points), in
    the comparison's base currency; plus a line for each product left out and why."""
    frames, left_out = [], []
    for product in products:
        cheapest = cheapest_sku(product)
        label = product_label(product)
        if cheapest is None:
            left_out.append(f"{label}: no price sent")
            continue
        factor, reason = conversion(product, table.base, table.rates) if table else (1.0, "")
        if factor is None:
            left_out.append(f"{label}: {reason}")
            continue
        points = analysis.step_points(product, [str(cheapest["sku_id"])])
        points["unit_price"] = points["unit_price"] * factor
        points["series"] = label
        frames.append(points)
    if not frames:
        return pd.DataFrame(columns=["series", "sku_id", "quantity", "unit_price"]), left_out
    curves = pd.concat(frames, ignore_index=True)
    # Stretch every curve to the largest quantity so crossovers stay visible.
    end = int(curves["quantity"].max())
    tails = curves.loc[curves.groupby("series")["quantity"].idxmax()].copy()
    tails["quantity"] = end
    curves = pd.concat([curves, tails], ignore_index=True).drop_duplicates(
        subset=["series", "quantity", "unit_price"])
    return curves, left_out


# What the chart's price axis choice says (also its value in the URL) -> chart mode.
PRICE_AXES = {"One scale": "linear", "Log scale": "log", "One panel per product": "independent"}


def suggested_price_axis(curves: pd.DataFrame) -> str:
    """The log scale when one product's prices dwarf another's (10x or more), so one
    outlier does not flatten the rest; else one linear scale. (A PRICE_AXES key.)"""
    prices = curves["unit_price"][curves["unit_price"] > 0] if len(curves) else []
    return "Log scale" if len(prices) and prices.max() / prices.min() >= 10 else "One scale"


def ratings_long(products: list[Product]) -> pd.DataFrame:
    rows = [{"product": product_label(p), "rating": label, "score": score}
            for p in products for label, score in p.store.ratings.items()]
    return pd.DataFrame(rows, columns=["product", "rating", "score"])


def batch_table(results: list[Product | FetchError], queries: list[ProductQuery]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Moved to lib.batch (the batch page's tables); kept here for older callers.
    Imported on call: lib.batch builds on this module."""
    from lib.batch import batch_table as moved

    return moved(results, queries)
