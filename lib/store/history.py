"""Every snapshot of one query as tables, oldest first (what the History page draws)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lib.model import frame_from_columns
from lib.store.facts import Facts, fact_columns, variant_label

SNAPSHOT_COLUMNS = ["snapshot_id", "fetched_at", "demo", "source", "title", "status",
                    "currency", "sku_count", "price_min", "price_max", "product_rating",
                    "review_count", "sales_count"]
_TYPES = {"sku_count": "Int64", "price_min": "Float64", "price_max": "Float64",
          "product_rating": "Float64", "review_count": "Int64", "sales_count": "Int64"}


@dataclass
class History:
    query: Any
    properties: list[str]
    snapshots: pd.DataFrame
    skus: pd.DataFrame
    ratings: pd.DataFrame
    _rows: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        return self.snapshots.empty

    def timeline(self) -> list[Facts]:
        """One Facts per snapshot, oldest first (for "what changed" between neighbours)."""
        by_snapshot: dict[str, list[dict]] = {}
        for record in self.skus.astype(object).to_dict("records"):
            by_snapshot.setdefault(record["snapshot_id"], []).append(record)
        columns = fact_columns(self.properties)
        facts = []
        for row in self._rows:
            records = by_snapshot.get(row["id"], [])
            frame = frame_from_columns({c: [None if pd.isna(r.get(c)) else r.get(c)
                                            for r in records] for c in columns}, columns)
            facts.append(Facts(
                snapshot_id=row["id"], fetched_at=row["fetched_at"], demo=bool(row["demo"]),
                title=row["title"], status=row["status"], currency=row["product_currency"],
                properties=tuple(self.properties), skus=frame,
                product_rating=row["product_rating"], review_count=row["review_count"],
                sales_count=row["sales_count"], sales_text=row["sales_text"],
                ratings=json.loads(row["ratings"])))
        return facts


def build_history(query, rows: list[dict[str, Any]],
                  variants: dict[str, tuple[list[str], list[tuple[str, list]]]]) -> History:
    """Tables from the snapshot rows (ordered by time), their packed variant values and
    the variant blobs they name (each distinct blob is labelled once)."""
    from lib.store.codec import unpack_arrays

    properties: list[str] = []
    for row in rows:                         # every property any snapshot listed, in order
        for name in json.loads(row["properties"]):
            if name not in properties:
                properties.append(name)
    snapshots = pd.DataFrame({
        "snapshot_id": [r["id"] for r in rows],
        "fetched_at": pd.to_datetime([r["fetched_at"] for r in rows], utc=True
                                     ).as_unit("ns"),
        "demo": pd.array([bool(r["demo"]) for r in rows], dtype=bool),
        "source": [r["source"] for r in rows], "title": [r["title"] for r in rows],
        "status": [r["status"] for r in rows],
        "currency": [r["product_currency"] for r in rows],
        **{c: pd.array([r[c] for r in rows], dtype=t) for c, t in _TYPES.items()},
    }, columns=SNAPSHOT_COLUMNS)
    labelled: dict[str, tuple[list, list, dict[str, list]]] = {}
    counts: list[int] = []
    data: dict[str, list] = {"sku_id": [], "variant": [], **{p: [] for p in properties},
                             "currency": []}
    arrays: dict[str, list] = {"price": [], "sale_price": [], "stock": [], "stock_sent": []}
    for row in rows:
        digest = row["variants_sha"]
        if digest not in labelled:
            names, skus = variants[digest]
            by_name = [dict(zip(names, values)) for _sku, values in skus]
            labelled[digest] = ([sku for sku, _values in skus],
                                [variant_label(v, properties) for v in by_name],
                                {p: [v.get(p) for v in by_name] for p in properties})
        sku_ids, labels, props = labelled[digest]
        moving = unpack_arrays(row["sku_values"])
        counts.append(len(sku_ids))
        data["sku_id"] += sku_ids
        data["variant"] += labels
        for name in properties:
            data[name] += props[name]
        data["currency"] += moving["currency"]
        for name in arrays:
            arrays[name].append(moving[name])
    joined = {name: np.concatenate(parts) if parts else np.array([], dtype=dtype)
              for (name, parts), dtype in zip(arrays.items(), ("f8", "f8", "i8", bool))}

    def text(values: list):          # object columns, as the model's contract (and
        column = np.empty(len(values), dtype=object)      # no string-type inference)
        column[:] = values
        return pd.Series(column, dtype=object, copy=False)
    # Per-snapshot columns repeated per variant: converted once per snapshot, not per row.
    skus = pd.DataFrame({
        "snapshot_id": text(np.repeat(np.array(snapshots["snapshot_id"], dtype=object),
                                      counts).tolist()),
        "fetched_at": pd.DatetimeIndex(snapshots["fetched_at"]).repeat(counts),
        "sku_id": text(data["sku_id"]), "variant": text(data["variant"]),
        **{p: text(data[p]) for p in properties},
        "price": pd.arrays.FloatingArray(joined["price"], np.isnan(joined["price"])),
        "sale_price": pd.arrays.FloatingArray(joined["sale_price"],
                                              np.isnan(joined["sale_price"])),
        "currency": text(data["currency"]),
        "stock": pd.arrays.IntegerArray(joined["stock"], ~joined["stock_sent"]),
    })
    ratings_rows = [(r["id"], r["fetched_at"], label, float(score))
                    for r in rows for label, score in json.loads(r["ratings"]).items()]
    ratings = pd.DataFrame(ratings_rows, columns=["snapshot_id", "fetched_at", "label", "score"])
    ratings["fetched_at"] = pd.to_datetime(ratings["fetched_at"], utc=True).dt.as_unit("ns")
    return History(query=query, properties=properties, snapshots=snapshots, skus=skus,
                   ratings=ratings, _rows=rows)
