"""Downloads: each normalised table as CSV, and one Excel workbook per product."""
from __future__ import annotations

import io
import re

import pandas as pd

from lib.model import Product


def media_table(product: Product) -> pd.DataFrame:
    rows = [{"kind": i.kind, "label": i.label, "url": i.url, "poster": ""}
            for i in product.media.images]
    rows += [{"kind": "video", "label": v.label, "url": v.url, "poster": v.poster}
             for v in product.media.videos]
    return pd.DataFrame(rows, columns=["kind", "label", "url", "poster"])


def store_table(product: Product) -> pd.DataFrame:
    store = product.store
    rows = [("store name", store.name), ("store id", store.store_id),
            ("store country", store.country), ("store url", store.url),
            ("product rating", store.product_rating), ("reviews", store.review_count),
            ("sales", store.sales_text or store.sales_count),
            ("positive feedback %", store.positive_feedback_pct)]
    rows += [(f"rating: {label}", score) for label, score in store.ratings.items()]
    rows += [(f"rating: {label}", "not rated") for label in store.missing_ratings]
    # Text values: one column mixes names, scores and counts ("1000+").
    return pd.DataFrame([(field, "" if value is None else str(value)) for field, value in rows],
                        columns=["field", "value"])


def tables(product: Product) -> dict[str, pd.DataFrame]:
    """Every table of a product, by sheet name, empty ones included."""
    return {"skus": product.skus, "tiers": product.tiers, "lead_times": product.lead_times,
            "country_prices": product.country_prices, "attributes": product.attributes,
            "media": media_table(product), "store": store_table(product)}


def csv_bytes(frame: pd.DataFrame) -> bytes:
    # UTF-8 with BOM so Excel opens non-Latin titles (Hebrew, Portuguese) correctly.
    return frame.to_csv(index=False).encode("utf-8-sig")


def excel_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
            frame.to_excel(writer, sheet_name=safe, index=False)
            worksheet = writer.sheets[safe]
            for column_cells in worksheet.columns:
                width = max((len(str(c.value)) for c in column_cells if c.value is not None),
                            default=8)
                worksheet.column_dimensions[column_cells[0].column_letter].width = min(
                    60, max(8, width + 2))
    return buffer.getvalue()


def file_stem(product: Product) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"{product.platform}-{product.product_id}").strip("-")
