"""Batch fetch without Streamlit: reading many pasted ids or links, the results and
failures tables (human headers, ready to show and to download), and which failures are
worth fetching again."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lib import compare
from lib import format as fmt
from lib.compare import RefProblem
from lib.errors import FetchError
from lib.labels import platform_label
from lib.model import Product
from lib.query import ProductQuery

# The failure kinds in words, for people reading the failures table.
KIND_WORDS = {
    "InvalidQuery": "not a product id or link", "ProductNotFound": "product not found",
    "NotAvailableInCountry": "not sold to this country", "AuthError": "credentials refused",
    "RateLimited": "rate limited", "UpstreamError": "marketplace error",
    "BadResponse": "answer could not be read", "NetworkError": "network problem",
    "StoreError": "fetched, not saved", "FetchError": "internal error",
}
REJECTED = "not a product id or link"
# The long "Problem" last, so that the short columns stay in view.
FAILURE_COLUMNS = ["Platform", "Product id", "Entered as", "Kind", "Retry possible", "Problem",
                   "What to do", "Marketplace said"]
# Figures of the compare table that say nothing new in a batch row: the image is a URL
# nobody reads, the platform has its own column, and the unit price at 1 is the lowest
# price again (the cheapest variant at quantity 1) or empty below the MOQ.
_NOT_IN_BATCH = {"Image", "Platform", "Unit price at 1"}


@dataclass(frozen=True)
class Duplicate:
    text: str                 # as entered
    key: str                  # the product it repeats ("aliexpress:1005…")


@dataclass
class Reading:
    """What a paste (or uploaded column) holds: the products to fetch, in order and
    once each, the entries that are not ids or links, and the repeats skipped."""
    queries: list[ProductQuery] = field(default_factory=list)
    rejected: list[RefProblem] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    def summary(self) -> str:
        """'9 entries are not product ids or links · 3 duplicates skipped'."""
        parts = []
        if self.rejected:
            n = len(self.rejected)
            parts.append("1 entry is not a product id or link" if n == 1 else
                         f"{n} entries are not product ids or links")
        if self.duplicates:
            n = len(self.duplicates)
            parts.append(f"{n} duplicate{'s' if n != 1 else ''} skipped")
        return " · ".join(parts)

    def skipped_table(self) -> pd.DataFrame:
        """One row per entry not fetched, with the reason (shown as plain text)."""
        rows = [{"Entered as": p.text, "Why skipped": p.message} for p in self.rejected]
        rows += [{"Entered as": d.text, "Why skipped": f"duplicate of {d.key}"}
                 for d in self.duplicates]
        return pd.DataFrame(rows, columns=["Entered as", "Why skipped"])


def tokens(text: str) -> list[str]:
    """The entries of a paste, split exactly as compare.parse_refs splits them."""
    return [t for t in compare._SPLIT.split(text or "") if t]


def read_refs(text: str, platform: str | None = None, **locale: str) -> Reading:
    """compare.parse_refs entry by entry, so that repeats are counted, not dropped
    silently: '1005006789012345' and its product link are the same product."""
    reading = Reading()
    seen: set[str] = set()
    for token in tokens(text):
        queries, problems = compare.parse_refs(token, platform, **locale)
        reading.rejected.extend(problems)
        for query in queries:
            if query.key in seen:
                reading.duplicates.append(Duplicate(token[:120], query.key))
            else:
                seen.add(query.key)
                reading.queries.append(query)
    return reading


# --- fetched results --------------------------------------------------------------------
def fetch(queries: list[ProductQuery], credentials=None, on_progress=None, **options
          ) -> list[Product | FetchError]:
    """The one call of batch jobs to the client (paced, retried, one failure never stops
    the rest; `options` go to fetch_many); tests replace it to put a transport in between."""
    from lib.client import fetch_many

    return fetch_many(queries, credentials=credentials, on_progress=on_progress, **options)


def retryable(result: object) -> bool:
    """Worth another try: the client marks rate limits, network faults, 5xx and cut-off
    answers as transient; not-found, refused credentials and bad ids are final."""
    return isinstance(result, FetchError) and bool(result.retryable)


def to_retry(queries: list[ProductQuery], results: list[Product | FetchError]
             ) -> list[ProductQuery]:
    return [q for q, r in zip(queries, results) if retryable(r)]


def product_link(product: Product) -> str | None:
    """The product page, only as a web address (never a script or data URL)."""
    url = (product.url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else None


# Counts stay whole numbers: a gap in a column must not turn MOQ 10 into 10.0.
COUNT_COLUMNS = ("MOQ", compare.DELIVERY, compare.PRODUCTION, compare.STOCK, "Reviews",
                 "Variants", "Images", "Videos")


def _whole_numbers_as_integers(table: pd.DataFrame) -> pd.DataFrame:
    for column in COUNT_COLUMNS:
        if column in table:
            values = pd.to_numeric(table[column], errors="coerce")
            if (values.dropna() == values.dropna().round()).all():
                table[column] = values.astype("Int64")
    return table


def result_row(query: ProductQuery, product: Product) -> dict:
    """One fetched product's row of the results table (a job keeps it with the item)."""
    figures = {k: v for k, v in compare.product_column(product).items()
               if k not in _NOT_IN_BATCH}
    return {"Platform": platform_label(query.platform), "Product id": query.product_id,
            "Link": product_link(product), **figures}


def results_table(queries: list[ProductQuery], results: list[Product | FetchError]
                  ) -> pd.DataFrame:
    """One row per fetched product: platform, id, link, then the compare figures, each
    column once. Price columns carry the currency when every row has the same one."""
    return rows_table([result_row(q, r) for q, r in zip(queries, results)
                       if isinstance(r, Product)])


def rows_table(rows: list[dict]) -> pd.DataFrame:
    """The results table from result_row's rows."""
    table = pd.DataFrame(rows)
    if "Sales" in table:       # "10000+" beside 2841: text, as each platform shows it
        table["Sales"] = [None if v is None or v != v else
                          (f"{int(v):,}" if isinstance(v, (int, float)) and float(v).is_integer()
                           else str(v)) for v in table["Sales"]]
    if table.empty:
        return pd.DataFrame(columns=["Platform", "Product id", "Link"])
    currencies = {str(c) for c in table.get("Currency", pd.Series(dtype=object)).dropna()}
    if len(currencies) == 1:
        (currency,) = currencies
        price_rows = [c for c in getattr(compare, "PRICE_ROWS", []) if c in table]
        table = table.rename(columns={c: fmt.with_unit(c, currency) for c in price_rows})
    return _whole_numbers_as_integers(table.loc[:, ~table.columns.duplicated()])


def failures_table(queries: list[ProductQuery], results: list[Product | FetchError],
                   rejected: list[RefProblem] = ()) -> pd.DataFrame:
    """One row per product that failed and per entry that was not understood, each with
    its reason and whether trying again may help."""
    return failure_rows_table([failure_row(q, r) for q, r in zip(queries, results)
                               if isinstance(r, FetchError)], rejected)


def failure_row(query: ProductQuery, error) -> dict:
    """One failed product's row: `error` is a FetchError or a job item's ItemError (the
    same plain parts: kind, user message or message, hint, gateway message, retryable)."""
    message = getattr(error, "user_message", None) or getattr(error, "message", "")
    return {"Platform": platform_label(query.platform), "Product id": query.product_id,
            "Entered as": "",                               # the id says it
            "Problem": message, "Kind": KIND_WORDS.get(error.kind, error.kind),
            "Retry possible": "yes" if error.retryable else "no",
            "What to do": getattr(error, "hint", "") or "",
            "Marketplace said": getattr(error, "gateway_message", "") or ""}


def failure_rows_table(rows: list[dict], rejected: list[RefProblem] = ()) -> pd.DataFrame:
    rows = list(rows)
    rows += [{"Platform": "", "Product id": "", "Entered as": p.text, "Problem": p.message,
              "Kind": REJECTED, "Retry possible": "no", "What to do": "", "Marketplace said": ""}
             for p in rejected]
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS)


def batch_table(results: list[Product | FetchError], queries: list[ProductQuery],
                rejected: list[RefProblem] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per fetched product, one row per failure or rejected entry)."""
    return results_table(queries, results), failures_table(queries, results, rejected)
