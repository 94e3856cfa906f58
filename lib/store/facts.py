"""What a snapshot says, in one shape for a product on screen and a stored snapshot, so
that "what changed" compares like with like (pure; no I/O)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from lib.model import frame_from_columns

FACT_SKU_VALUES = ["price", "sale_price", "currency", "stock"]


def variant_label(values: dict[str, Any], properties: list[str] | tuple[str, ...]) -> str:
    """'Color: Red · Size: 40L' ("" for a product with one variant and no properties)."""
    return " · ".join(f"{p}: {values.get(p)}" for p in properties
                      if values.get(p) not in (None, ""))


def fact_columns(properties) -> list[str]:
    return ["sku_id", "variant", *properties, *FACT_SKU_VALUES]


@dataclass(frozen=True)
class Facts:
    snapshot_id: str
    fetched_at: datetime
    demo: bool
    title: str
    status: str
    currency: str
    properties: tuple[str, ...]
    skus: pd.DataFrame = field(compare=False)
    product_rating: float | None = None
    review_count: int | None = None
    sales_count: int | None = None
    sales_text: str = ""
    ratings: dict[str, float] = field(default_factory=dict, compare=False)


def sku_frame(rows: list[dict[str, Any]], properties) -> pd.DataFrame:
    """The Facts variant table from dicts with sku_id, the properties and the values."""
    columns = fact_columns(properties)
    data = {c: [row.get(c) for row in rows] for c in columns}
    data["variant"] = [variant_label(row, properties) for row in rows]
    return frame_from_columns(data, columns)


def facts_from_product(product) -> Facts:
    properties = tuple(product.sku_properties)
    skus = product.skus
    rows = skus.reindex(columns=["sku_id", *properties, *FACT_SKU_VALUES]).astype(object)
    rows = rows.where(rows.notna(), None).to_dict("records")
    store = product.store
    return Facts(snapshot_id=product.snapshot_id, fetched_at=product.fetched_at,
                 demo=bool(product.demo), title=product.title or "",
                 status=product.status or "", currency=product.currency or "",
                 properties=properties, skus=sku_frame(rows, properties),
                 product_rating=store.product_rating, review_count=store.review_count,
                 sales_count=store.sales_count, sales_text=store.sales_text or "",
                 ratings=dict(store.ratings))
