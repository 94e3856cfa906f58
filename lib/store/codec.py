"""A Product as stored and back: the moving values in rows, the rest in one document.

A snapshot is split so that what changes between fetches (prices, stock, store figures,
title, status) sits in the snapshot's row that history reads directly (the variants'
values packed as one compressed list per column), and the rest in content-addressed
blobs: the variant list (ids and property values), and one JSON document with the
variant table's other columns, tiers, media, terms, description... Two fetches of an
unchanged listing share both blobs even when their prices differ. The raw answer is kept
beside them, also content-addressed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import struct
import zlib
from typing import Any

import numpy as np
import pandas as pd

from lib.model import Image, Media, Product, Store, Trade, Video, frame_from_columns

FORMAT_VERSION = 1
# The variant columns whose values move between fetches: kept in snapshot_skus rows.
MOVING_SKU_COLUMNS = ("price", "sale_price", "discount_pct", "currency", "stock")
FRAMES = ("tiers", "lead_times", "country_prices", "attributes")


@dataclasses.dataclass
class Encoded:
    """What one snapshot writes: the row (moving values packed in it) and its blobs."""
    row: dict[str, Any]
    variants: bytes
    doc: bytes
    raw: bytes | None
    raw_format: str


# The variants' moving values, packed per snapshot: a count, then price, sale price and
# discount as float64 (NaN = not sent), stock as int64 with a "sent" mask, then the
# currencies as JSON (one string when every variant has the same). Binary, because the
# History page reads a year of snapshots at once: JSON lists took 30 ms of its 50 ms.
_FLOATS = ("price", "sale_price", "discount_pct")
_COUNT = struct.Struct("<I")


def pack_values(values: dict[str, list]) -> bytes:
    count = len(values["price"])
    parts = [_COUNT.pack(count)]
    for name in _FLOATS:
        parts.append(np.array([np.nan if v is None else v for v in values[name]],
                              dtype="<f8").tobytes())
    stock = values["stock"]
    parts.append(np.array([0 if v is None else v for v in stock], dtype="<i8").tobytes())
    parts.append(np.array([v is not None for v in stock], dtype=np.uint8).tobytes())
    currencies = values["currency"]
    same = len(set(currencies)) == 1
    parts.append(_json(currencies[0] if same and count else currencies))
    return compress(b"".join(parts))


def unpack_arrays(data: bytes) -> dict[str, Any]:
    """The packed values as numpy arrays (floats with NaN, stock with its mask) and the
    currency list."""
    raw = decompress(data)
    (count,) = _COUNT.unpack_from(raw)
    offset, found = _COUNT.size, {}
    for name in _FLOATS:
        found[name] = np.frombuffer(raw, "<f8", count, offset)
        offset += 8 * count
    found["stock"] = np.frombuffer(raw, "<i8", count, offset)
    offset += 8 * count
    found["stock_sent"] = np.frombuffer(raw, np.uint8, count, offset).astype(bool)
    offset += count
    currencies = json.loads(raw[offset:])
    found["currency"] = [currencies] * count if isinstance(currencies, str) or \
        currencies is None else currencies
    return found


def unpack_values(data: bytes) -> dict[str, list]:
    """The packed values as Python lists, None where a value was not sent."""
    arrays = unpack_arrays(data)
    values = {name: [None if v != v else float(v) for v in arrays[name].tolist()]
              for name in _FLOATS}
    values["stock"] = [int(v) if sent else None
                       for v, sent in zip(arrays["stock"].tolist(), arrays["stock_sent"])]
    values["currency"] = list(arrays["currency"])
    return values


def variants_doc(data: bytes) -> tuple[list[str], list[tuple[str, list]]]:
    """(properties, [(sku_id, values in property order)]) of a variants blob."""
    doc = json.loads(data)
    return doc["properties"], [(sku_id, values) for sku_id, values in doc["skus"]]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compress(data: bytes) -> bytes:
    return zlib.compress(data, 6)


def decompress(data: bytes) -> bytes:
    return zlib.decompress(data)


_SIMPLE = (str, int, bool)


def _plain(value: Any) -> Any:
    """A cell as JSON: missing (None, NaN, pd.NA) as null, numpy numbers as Python."""
    if value is None or value is pd.NA:
        return None
    if type(value) in _SIMPLE:
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def _frame_doc(frame: pd.DataFrame, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    columns = [str(c) for c in frame.columns]
    return {"columns": columns,
            "dtypes": {str(c): str(t) for c, t in zip(columns, frame.dtypes.tolist())},
            "data": {c: [_plain(v) for v in values]
                     for c, values in zip(columns, _column_lists(frame)) if c not in drop}}


def _column_lists(frame: pd.DataFrame) -> list[list]:
    """Each column as a list of Python values, gaps as None (one conversion for the whole
    frame: column by column costs five times as much, and a page waits for it)."""
    if frame.shape[1] == 0:
        return []
    if frame.shape[0] == 0:
        return [[] for _ in frame.columns]
    return frame.to_numpy(dtype=object, na_value=None).T.tolist()


def _frame_back(doc: dict[str, Any], extra: dict[str, list] | None = None) -> pd.DataFrame:
    """The frame again, each column in the dtype it had (the contract's columns get theirs
    from lib.model; a platform's extra column, e.g. a Float64 "app price", keeps its own)."""
    data = dict(doc["data"])
    data.update(extra or {})
    frame = frame_from_columns(data, doc["columns"])
    for column, dtype in (doc.get("dtypes") or {}).items():
        if str(frame[column].dtype) != dtype:
            frame[column] = frame[column].astype(dtype)
    return frame


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False, default=str).encode("utf-8")


def _text(value: str | None) -> str:
    """A payload string for a text column: PostgreSQL refuses NUL characters."""
    return (value or "").replace("\x00", "")


def _raw_bytes(raw: Any) -> tuple[bytes | None, str]:
    if raw is None:
        return None, ""
    if isinstance(raw, bytes):
        return raw, "text"
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogatepass"), "text"
    try:
        return _json(raw), "json"
    except (TypeError, ValueError):
        return str(raw).encode("utf-8", "surrogatepass"), "text"


def query_key(query) -> str:
    return "|".join((query.platform, query.product_id, query.country, query.currency,
                     query.language))


def _number(value: Any, whole: bool = False) -> float | int | None:
    value = _plain(value)
    if value is None:
        return None
    return int(value) if whole else float(value)


def encode(product: Product) -> Encoded:
    """Split a Product into what one snapshot writes (pure; no I/O)."""
    query = product.query
    skus = product.skus
    properties = list(product.sku_properties)
    store = product.store
    columns = dict(zip([str(c) for c in skus.columns], _column_lists(skus)))
    count = len(skus)
    empty = [None] * count

    def column(name: str) -> list:
        return [_plain(v) for v in columns[name]] if name in columns else list(empty)
    variants = _json({"properties": properties,
                      "skus": [[str(sku_id or ""), values] for sku_id, values in
                               zip(column("sku_id"), zip(*[column(p) for p in properties])
                                   if properties else [[] for _ in range(count)])]})
    moving = {name: column(name) for name in MOVING_SKU_COLUMNS}
    moving["price"] = [_number(v) for v in moving["price"]]
    moving["sale_price"] = [_number(v) for v in moving["sale_price"]]
    moving["discount_pct"] = [_number(v) for v in moving["discount_pct"]]
    moving["stock"] = [_number(v, whole=True) for v in moving["stock"]]
    band = product.price_range("sale_price")
    doc = {
        "format": FORMAT_VERSION,
        "platform": product.platform, "product_id": product.product_id,
        "url": product.url, "category": product.category,
        "description_html": product.description_html, "alt_ids": dict(product.alt_ids),
        "sku_properties": properties,
        "query": None if query is None else {
            "platform": query.platform, "product_id": query.product_id,
            "country": query.country, "currency": query.currency,
            "language": query.language, "extras": dict(query.extras)},
        "skus": _frame_doc(skus, drop=MOVING_SKU_COLUMNS),
        **{name: _frame_doc(getattr(product, name)) for name in FRAMES},
        "store": {"name": store.name, "store_id": store.store_id, "country": store.country,
                  "url": store.url, "missing_ratings": list(store.missing_ratings)},
        "media": {"images": [dataclasses.asdict(i) for i in product.media.images],
                  "videos": [dataclasses.asdict(v) for v in product.media.videos]},
        "trade": dataclasses.asdict(product.trade),
        "warnings": list(product.warnings), "not_provided": list(product.not_provided),
        "raw_cut": product.raw_cut,
        # As sent, for the rebuilt product; the row's copies are for history queries and
        # lose any NUL (PostgreSQL text cannot hold one).
        "title": product.title or "", "status": product.status or "",
        "currency": product.currency or "", "sales_text": store.sales_text or "",
    }
    raw, raw_format = _raw_bytes(product.raw)
    row = {
        "query_key": query_key(query), "platform": query.platform,
        "product_id": query.product_id, "country": query.country,
        "currency": query.currency, "language": query.language,
        "fetched_at": product.fetched_at, "demo": bool(product.demo),
        "title": _text(product.title), "status": _text(product.status),
        "product_currency": _text(product.currency),
        "properties": _json(properties).decode(), "sku_count": count,
        "price_min": band[0] if band else None, "price_max": band[1] if band else None,
        "product_rating": _number(store.product_rating),
        "review_count": _number(store.review_count, whole=True),
        "sales_count": _number(store.sales_count, whole=True),
        "sales_text": _text(store.sales_text),
        "positive_feedback_pct": _number(store.positive_feedback_pct),
        "ratings": _json({k: float(v) for k, v in store.ratings.items()}).decode(),
        "raw_format": raw_format, "format_version": FORMAT_VERSION,
        "sku_values": pack_values(moving),
    }
    return Encoded(row=row, variants=variants, doc=_json(doc), raw=raw, raw_format=raw_format)


def _query_back(doc_query: dict | None):
    if doc_query is None:
        return None
    from lib.query import ProductQuery

    extras = doc_query.get("extras") or {}
    return ProductQuery(doc_query["platform"], doc_query["product_id"], doc_query["country"],
                        doc_query["currency"], doc_query["language"],
                        **({"extras": extras} if extras else {}))


def decode(row: dict[str, Any], doc_bytes: bytes, raw_bytes: bytes | None) -> Product:
    """The Product a snapshot recorded (pure): the same views draw it as a live one."""
    doc = json.loads(doc_bytes)
    moving = unpack_values(row["sku_values"])
    skus = _frame_back(doc["skus"], {c: v for c, v in moving.items()
                                     if c in doc["skus"]["columns"]})
    store_doc = doc["store"]
    store = Store(name=store_doc["name"], store_id=store_doc["store_id"],
                  country=store_doc["country"], url=store_doc["url"],
                  ratings=json.loads(row["ratings"]),
                  missing_ratings=list(store_doc["missing_ratings"]),
                  positive_feedback_pct=row["positive_feedback_pct"],
                  product_rating=row["product_rating"],
                  review_count=row["review_count"], sales_count=row["sales_count"],
                  sales_text=doc["sales_text"])
    media = Media(images=[Image(**i) for i in doc["media"]["images"]],
                  videos=[Video(**v) for v in doc["media"]["videos"]])
    raw: Any = None
    if raw_bytes is not None:
        text = raw_bytes.decode("utf-8", "surrogatepass")
        raw = json.loads(text) if row["raw_format"] == "json" else text
    return Product(
        platform=doc["platform"], product_id=doc["product_id"], title=doc["title"],
        url=doc["url"], category=doc["category"], status=doc["status"],
        currency=doc["currency"], fetched_at=row["fetched_at"],
        query=_query_back(doc["query"]), demo=bool(row["demo"]),
        description_html=doc["description_html"], alt_ids=dict(doc["alt_ids"]),
        skus=skus, sku_properties=list(doc["sku_properties"]),
        **{name: _frame_back(doc[name]) for name in FRAMES},
        store=store, media=media, trade=Trade(**doc["trade"]),
        warnings=list(doc["warnings"]), not_provided=list(doc["not_provided"]),
        raw=raw, raw_cut=doc["raw_cut"], snapshot_id=row["id"], pinned=True)
