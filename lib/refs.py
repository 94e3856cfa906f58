"""Lists and links from outside, kept bounded: the Compare list read from a link or a
paste (at most MAX_COMPARED products, junk entries summed up in one message), and the
variant a product link names (sku_id), preselected on the pages that pick a variant.

Pure: no Streamlit. Messages are for Markdown slots: outside text in them goes through
lib.text.literal.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from lib import analysis
from lib.compare import RefProblem, read_refs
from lib.model import Product
from lib.query import ProductQuery
from lib.text import literal

# Products on one Compare page: each one is a gateway call on the owner's quota, and
# the page draws them all on every rerun.
MAX_COMPARED = 50
# Entries of one list read at all (Streamlit itself takes at most 1,000 URL parameters).
MAX_READ = 1_000
FIRST_SHOWN = 3          # entries quoted in a summary message
_SHOWN_CHARS = 60


@dataclass
class CompareList:
    """A compare list as read: the products compared (the first `limit`), the readable
    products left out past the limit, entries not read at all (past MAX_READ), the
    entries not understood and the repeats."""
    queries: list[ProductQuery] = field(default_factory=list)
    left_out: list[ProductQuery] = field(default_factory=list)
    unread: int = 0
    problems: list[RefProblem] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    limit: int = MAX_COMPARED

    @property
    def keys(self) -> list[str]:
        return [q.key for q in self.queries]

    @property
    def clean(self) -> bool:
        """Nothing dropped, skipped or repeated: the list is exactly what it says."""
        return not (self.left_out or self.unread or self.problems or self.duplicates)

    def notices(self) -> list[str]:
        """At most two messages: what was left out past the limit, what was skipped."""
        return [m for m in (over_limit_message(self), skipped_message(self)) if m]


def read_compare_list(text: str, platform: str | None = None, *, limit: int = MAX_COMPARED,
                      transport: Any = None, **locale: str) -> CompareList:
    """The entries of a compare link or paste, bounded: at most MAX_READ entries are
    read and the first `limit` products kept."""
    reading = read_refs(text, platform, transport=transport, max_entries=MAX_READ, **locale)
    return CompareList(reading.queries[:limit], reading.queries[limit:], reading.unread,
                       reading.problems, reading.duplicates, limit)


def _shown(entries: Iterable[str]) -> str:
    return ", ".join(literal(e, _SHOWN_CHARS) for e in entries)


def over_limit_message(listing: CompareList) -> str:
    """'At most 50 products are compared at once …: 949 more were left out, starting
    with …' ("" when nothing was left out)."""
    extra = len(listing.left_out) + listing.unread
    if not extra:
        return ""
    first = _shown(q.key for q in listing.left_out[:FIRST_SHOWN])
    more = f"{extra:,} more {'entry was' if extra == 1 else 'entries were'} left out"
    return (f"This list is too long: at most {listing.limit} products are compared at once "
            f"(each one is a call to the marketplace). The first {len(listing.queries)} "
            f"are compared; {more}" + (f", starting with {first}" if first else "") + ".")


def skipped_message(listing: CompareList) -> str:
    """One message for every entry skipped: the count by reason and the first few
    entries ("" when none). A single bad entry gets its full explanation."""
    problems, repeats = listing.problems, listing.duplicates
    count = len(problems) + len(repeats)
    if count == 0:
        return ""
    if count == 1 and problems:
        return literal(str(problems[0]))
    if count == 1:
        return f"{literal(repeats[0], _SHOWN_CHARS)} was skipped: that product is already listed."
    platforms = sum(p.kind == "platform" for p in problems)
    reasons = [(len(problems) - platforms, "is not a product ID or link",
                "are not product IDs or links"),
               (platforms, "names a platform this app does not know",
                "name a platform this app does not know"),
               (len(repeats), "repeats a product already listed",
                "repeat a product already listed")]
    parts = [f"{n:,} {one if n == 1 else many}" for n, one, many in reasons if n]
    first = [(p.text, "unknown platform" if p.kind == "platform" else "not readable")
             for p in problems] + [(text, "repeat") for text in repeats]
    quoted = ", ".join(f"“{literal(text, _SHOWN_CHARS)}” ({why})"
                       for text, why in first[:FIRST_SHOWN])
    return (f"{count:,} entries were skipped: " + "; ".join(parts) + f". The first: {quoted}"
            + (" …" if count > FIRST_SHOWN else "."))


def add_to_list(keys: list[str], new: list[str], limit: int = MAX_COMPARED
                ) -> tuple[list[str], list[str]]:
    """(the list with `new` added, once each and at most `limit` long; the new keys that
    did not fit)."""
    merged = list(dict.fromkeys(keys))
    not_added = []
    for key in dict.fromkeys(new):
        if key in merged:
            continue
        (merged if len(merged) < limit else not_added).append(key)
    return merged, not_added


def not_added_message(not_added: list[str], limit: int = MAX_COMPARED, unread: int = 0
                      ) -> str:
    """'3 products were not added (…): at most 50 are compared at once …' ("" for none).
    `unread`: entries of the paste past MAX_READ, not read at all."""
    if not not_added and not unread:
        return ""
    n = len(not_added)
    first = _shown(not_added[:FIRST_SHOWN]) + (" …" if n > FIRST_SHOWN else "")
    said = (f"{n:,} {'product was' if n == 1 else 'products were'} not added ({first})"
            if n else "")
    if unread:
        said += ("; " if said else "") + (f"{unread:,} further "
                                          f"{'entry was' if unread == 1 else 'entries were'} "
                                          f"not read (at most {MAX_READ:,} are read at once)")
    return (f"{said[0].upper()}{said[1:]}: at most {limit} products are compared at once. "
            "Remove some from the list first (Clear the list), or compare them in "
            "another tab.")


# --- the variant a link names (sku_id) ------------------------------------------------------
def requested_sku(product: Product, among: Iterable[Any] | None = None) -> str | None:
    """The sku_id of the link that opened `product`, when it is one of its variants (or
    one of `among`); else None."""
    query = product.query
    wanted = query.extras.get("sku_id") if isinstance(query, ProductQuery) else None
    if not wanted:
        return None
    ids = product.skus["sku_id"] if among is None else among
    return wanted if wanted in {str(i) for i in ids} else None


def initial_filters(product: Product, row: str | None, col: str | None) -> dict[str, list]:
    """The SKU matrix's first filter values: the variant the link names when there is
    one (its value of each property that is neither rows nor columns), else the first
    value of each (analysis.default_filters)."""
    filters = analysis.default_filters(product, row, col)
    sku_id = requested_sku(product)
    if sku_id is None:
        return filters
    variant = product.skus[product.skus["sku_id"].astype(str) == sku_id].iloc[0]
    for prop in filters:
        value = variant.get(prop)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            filters[prop] = [value]
    return filters


# --- products of the list that could not be loaded ------------------------------------------
FAILURES_ONE_BY_ONE = 3   # up to this many failures get their own error box


def failed_message(failed: list[tuple[ProductQuery, Any]], total: int) -> str:
    """'12 of 50 products could not be loaded: aliexpress:1 (product not found), …'."""
    from lib.batch import KIND_WORDS

    first = ", ".join(f"{literal(query.key, _SHOWN_CHARS)} "
                      f"({KIND_WORDS.get(getattr(error, 'kind', ''), 'failed')})"
                      for query, error in failed[:FIRST_SHOWN])
    return (f"{len(failed):,} of {total:,} products could not be loaded: {first}"
            + (" …" if len(failed) > FIRST_SHOWN else "."))
