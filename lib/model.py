"""The normalised Product and the column contract of each of its tables.

Every platform fills what it has and leaves the rest empty; views read only this.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

try:
    import pyarrow as pa
except ImportError:         # pandas then stores strings itself; _text_array copes
    pa = None

# Column contracts. Variant property columns (e.g. "Color", "Size") sit between
# SKU_KEY_COLUMNS and SKU_VALUE_COLUMNS in `Product.skus`.
SKU_KEY_COLUMNS = ["sku_id", "sku_attr"]
SKU_VALUE_COLUMNS = ["price", "sale_price", "discount_pct", "currency", "stock",
                     "image_url", "barcode", "ean"]
TIER_COLUMNS = ["sku_id", "min_qty", "max_qty", "unit_price", "discount", "currency",
                "source"]
LEAD_TIME_COLUMNS = ["max_qty", "days"]
COUNTRY_PRICE_COLUMNS = ["sku_attr", "country", "price", "rule"]
ATTRIBUTE_COLUMNS = ["name", "value", "unit"]
# Shipping options (lib.platforms.parse_freight): one row per option; `fee` is the
# shipment's fee for the quantity asked (0.0 for a free option), days are whole days,
# free_shipping / tracking / vat_included are True, False or None (not sent).
FREIGHT_COLUMNS = ["option", "carrier", "fee", "currency", "free_shipping", "min_days",
                   "max_days", "guaranteed_days", "ship_from", "tracking", "vat_included"]

_DTYPES = {
    "price": "Float64", "sale_price": "Float64", "discount_pct": "Float64",
    "stock": "Int64", "min_qty": "Int64", "max_qty": "Int64", "unit_price": "Float64",
    "discount": "Float64", "days": "Int64", "fee": "Float64", "min_days": "Int64",
    "max_days": "Int64", "guaranteed_days": "Int64",
}


def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A DataFrame with exactly `columns` (missing ones empty), typed by the contract:
    numbers as nullable Float64/Int64, everything else as objects with None for gaps."""
    return frame_from_columns({c: [row.get(c) for row in rows] for c in columns}, columns)


def frame_from_columns(data: dict[str, list], columns: list[str]) -> pd.DataFrame:
    """Like `frame`, from column lists (cheaper for parsers building big tables)."""
    length = max((len(v) for v in data.values()), default=0)
    typed = {}
    for column in columns:
        values = data.get(column) or [None] * length
        if column in _DTYPES:
            dtype = _DTYPES[column]
            try:       # parsers hand over numbers or None already: convert in one go
                array = _numeric_array(values, dtype) if values else None
                typed[column] = array if array is not None else pd.array(values, dtype=dtype)
            except (TypeError, ValueError, OverflowError):
                whole = dtype == "Int64"
                typed[column] = pd.array([_number(v, whole) for v in values], dtype=dtype)
        elif values and _TEXT_TYPES.issuperset(kinds := set(map(type, values))) \
                and str in kinds:
            # Text with None gaps (the usual case): the "str" column pandas would infer
            # from the object array below, built directly (None reads as missing).
            typed[column] = _text_array(values)
        else:
            typed[column] = pd.array([None if v is None or v != v else v for v in values],
                                     dtype=object)
    if typed and len(typed) == len(columns):     # new arrays: no copy (copy=True is 2x)
        return pd.DataFrame(typed, copy=False)
    return pd.DataFrame(typed, columns=columns)


_TEXT_TYPES = frozenset({str, type(None)})
_INT_TYPES = frozenset({int, type(None)})
_FLOAT_TYPES = frozenset({float, type(None)})


def _numeric_array(values: list, dtype: str) -> Any:
    """pd.array(values, dtype) built in numpy for a list of int (Int64) or float (Float64)
    and None: the same array (None and NaN missing) without pandas' per-value pass.
    None for any other list; OverflowError for an int beyond int64, as pd.array."""
    kinds = set(map(type, values))
    if dtype == "Int64" and _INT_TYPES.issuperset(kinds):
        if type(None) in kinds:
            objects = np.array(values, dtype=object)
            mask = np.equal(objects, None)
            objects[mask] = 0
            return pd.arrays.IntegerArray(objects.astype(np.int64), mask)
        return pd.arrays.IntegerArray(np.array(values, dtype=np.int64),
                                      np.zeros(len(values), dtype=bool))
    if dtype == "Float64" and _FLOAT_TYPES.issuperset(kinds):
        data = np.array(values, dtype=np.float64)        # None -> NaN
        return pd.arrays.FloatingArray(data, np.isnan(data))
    return None


def _text_array(values: list[str | None]) -> Any:
    """pd.array(values, dtype="str") for a list of str and None, without its per-value
    pass (ensure_string_array) when the strings are stored by pyarrow: the same array."""
    dtype = pd.api.types.pandas_dtype("str")
    if pa is not None and getattr(dtype, "storage", None) == "pyarrow":
        return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()),
                                          dtype=dtype)
    return pd.array(values, dtype=dtype)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


_INT64 = 2 ** 63 - 1


def _number(value: Any, whole: bool = False) -> float | int | None:
    """A value fit for a Float64 (or, with whole=True, Int64) column; None otherwise:
    fractions in a count column and numbers beyond int64 are dropped, not crashed on."""
    if isinstance(value, bool) or _blank(value):
        return None
    if not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError, OverflowError):
            return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if whole:
        if isinstance(value, float) and not value.is_integer():
            return None
        value = int(value)
        return value if -_INT64 <= value <= _INT64 else None
    return float(value) if abs(value) < 1e300 else None


def _empty(columns: list[str]):
    """A default_factory of empty tables with `columns`: a copy of one built once (a
    Product is made on every parse, and building an empty frame costs 20x its copy)."""
    template: list[pd.DataFrame] = []

    def make() -> pd.DataFrame:
        if not template:
            template.append(frame([], columns))
        return template[0].copy()
    return make


@dataclass
class Image:
    url: str
    kind: str = "main"          # "main" | "sku" | "detail"
    label: str = ""             # for SKU images: "Color: Red"


@dataclass
class Video:
    """One listed video. The parser decides `playable` (the address is an http(s) URL
    or a bundled /app/static/ file); an unplayable one keeps its poster and id, with
    `url` empty and `note` saying what the platform sent instead."""
    url: str
    poster: str = ""
    label: str = ""
    media_id: str = ""
    playable: bool = True
    note: str = ""


@dataclass
class Media:
    images: list[Image] = field(default_factory=list)
    videos: list[Video] = field(default_factory=list)

    def by_kind(self, kind: str) -> list[Image]:
        return [image for image in self.images if image.kind == kind]


@dataclass
class Store:
    name: str = ""
    store_id: str = ""
    country: str = ""
    url: str = ""
    ratings: dict[str, float] = field(default_factory=dict)   # label -> 0..5
    missing_ratings: list[str] = field(default_factory=list)  # labels sent empty
    positive_feedback_pct: float | None = None
    product_rating: float | None = None
    review_count: int | None = None
    sales_count: int | None = None
    sales_text: str = ""                                       # as shown: "1000+"


@dataclass
class Trade:
    """Terms of trade; each platform fills what it knows."""
    moq: int | None = None
    moq_unit: str = ""
    fob_min: float | None = None
    fob_max: float | None = None
    fob_currency: str = ""
    supply_ability: str = ""
    payment_methods: list[str] = field(default_factory=list)
    packaging: str = ""
    package_size: str = ""          # "45 × 30 × 20 cm"
    gross_weight_kg: float | None = None
    delivery_days: int | None = None
    handling_days: int | None = None
    ship_to_country: str = ""
    ship_from_countries: list[str] = field(default_factory=list)
    commission_rate_pct: float | None = None
    hot_commission_rate_pct: float | None = None
    promotion_link: str = ""
    postage: str = ""
    installation: str = ""
    # Import charges the platform estimates per unit, by sku_id (AliExpress sends them
    # per variant for US buyers), in import_charges_currency; {} = not sent.
    import_charges: dict[str, float] = field(default_factory=dict)
    import_charges_currency: str = ""
    price_includes_tax: bool | None = None
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Product:
    platform: str
    product_id: str
    title: str = ""
    url: str = ""
    category: str = ""
    status: str = ""
    currency: str = ""
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    query: Any = None                       # the ProductQuery that produced it
    demo: bool = False                      # served by the bundled sandbox
    description_html: str = ""              # sanitised seller HTML
    alt_ids: dict[str, str] = field(default_factory=dict)   # e.g. {"US": "3256..."}
    skus: pd.DataFrame = field(default_factory=_empty(SKU_KEY_COLUMNS + SKU_VALUE_COLUMNS))
    sku_properties: list[str] = field(default_factory=list)
    tiers: pd.DataFrame = field(default_factory=_empty(TIER_COLUMNS))
    lead_times: pd.DataFrame = field(default_factory=_empty(LEAD_TIME_COLUMNS))
    country_prices: pd.DataFrame = field(default_factory=_empty(COUNTRY_PRICE_COLUMNS))
    attributes: pd.DataFrame = field(default_factory=_empty(ATTRIBUTE_COLUMNS))
    store: Store = field(default_factory=Store)
    media: Media = field(default_factory=Media)
    trade: Trade = field(default_factory=Trade)
    warnings: list[str] = field(default_factory=list)
    not_provided: list[str] = field(default_factory=list)   # views this platform cannot feed
    raw: Any = None                         # the payload, cut to RAW_MAX_* (see bounded_raw)
    raw_cut: str = ""                       # why `raw` is a cut copy; "" when it is whole
    snapshot_id: str = ""                   # its snapshot in the store ("" = not saved)
    pinned: bool = False                    # rebuilt from a stored snapshot (a pinned link)

    # Derived figures the views share ------------------------------------------------
    def price_range(self, column: str = "sale_price") -> tuple[float, float] | None:
        values = self.skus[column].dropna() if column in self.skus else []
        if len(values) == 0:
            return None
        return float(values.min()), float(values.max())

    @property
    def main_image(self) -> str:
        images = self.media.by_kind("main") or self.media.images
        return images[0].url if images else ""

    @property
    def variant_count(self) -> int:
        """The variants in the answer (the affiliate API sends only the default one)."""
        return len(self.skus)

    @property
    def out_of_stock_count(self) -> int | None:
        """Variants whose stock was sent as 0 or less; None when no stock was sent at all
        (unknown, not "0 out of stock"). For the full picture, lib.analysis.stock_facts."""
        stock = self.skus["stock"].dropna() if "stock" in self.skus else []
        if len(stock) == 0:
            return None
        return int((stock <= 0).sum())


# What a Product keeps of its payload. A fetched product lives in a cache that pickles it on
# every rerun, so `raw` is bounded by size: the largest real payloads seen have about 2,400
# values in 130 kB; a 20 MB answer of 7 million ignored `{}` held 500 MB as Python objects.
RAW_MAX_VALUES = 50_000           # JSON values (objects, lists, strings, numbers) kept
RAW_MAX_CHARS = 1_000_000         # characters of keys and strings kept
RAW_MAX_DEPTH = 64                # nesting levels kept


class _Budget:
    def __init__(self, values: int, chars: int) -> None:
        self.values, self.chars = values, chars

    @property
    def spent(self) -> bool:
        return self.values <= 0 or self.chars <= 0


def _keep(value: Any, budget: _Budget, depth: int) -> tuple[Any, bool]:
    """(what is kept of `value`, whether anything was cut). Uncut parts are returned as
    they are (no copy); cut lists and objects end with a marker saying what is missing."""
    budget.values -= 1
    if isinstance(value, str):
        budget.chars -= len(value)
        if budget.chars < 0:
            keep = max(0, len(value) + budget.chars)
            return value[:keep] + f"… [cut: {len(value) - keep} more characters]", True
        return value, False
    if not isinstance(value, (dict, list)):
        return value, False
    if depth >= RAW_MAX_DEPTH:
        return "… [cut: nested too deep]", True
    cut = False
    if isinstance(value, list):
        kept_items = []
        for index, item in enumerate(value):
            if budget.spent:
                kept_items.append(f"… [cut: {len(value) - index} more items]")
                return kept_items, True
            kept, item_cut = _keep(item, budget, depth + 1)
            kept_items.append(kept)
            cut = cut or item_cut
        return (kept_items if cut else value), cut
    kept_fields: dict[str, Any] = {}
    for index, (key, item) in enumerate(value.items()):
        if budget.spent:
            kept_fields["…"] = f"[cut: {len(value) - index} more fields]"
            return kept_fields, True
        budget.chars -= len(str(key))
        kept, item_cut = _keep(item, budget, depth + 1)
        kept_fields[key] = kept
        cut = cut or item_cut
    return (kept_fields if cut else value), cut


def bounded_raw(payload: Any, max_values: int = RAW_MAX_VALUES,
                max_chars: int = RAW_MAX_CHARS) -> tuple[Any, str]:
    """(payload, "") when it is within the bounds; else (a cut copy that is still valid
    JSON, with markers where parts were left out, and a note saying so)."""
    budget = _Budget(max_values, max_chars)
    kept, cut = _keep(payload, budget, 0)
    if not cut:
        return payload, ""
    note = ("The answer was too large to keep whole: the Raw data page shows a cut copy "
            "(each part left out is marked \"… [cut: …]\"). The other pages read all of it.")
    return kept, note
