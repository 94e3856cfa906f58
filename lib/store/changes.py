"""What changed between two snapshots of the same query (pure; no I/O).

Variants are matched by SKU id, else by their variant values (platforms that send no
ids); a price compares only like with like: the same variant, both values sent, in the
same currency. Unknown is not a change: a value that was not sent on either side is
left out, never read as 0 or as sold out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from lib import format as fmt
from lib.store.facts import Facts

RATING_STEP = 0.05        # smaller moves of a 0..5 score are rounding, not news


@dataclass(frozen=True)
class Change:
    kind: str
    subject: str
    before: Any
    after: Any
    text: str


def _value(value: Any) -> Any:
    return None if value is None or value is pd.NA or (isinstance(value, float)
                                                       and value != value) else value


def _keyed_once(facts: Facts) -> dict[str, dict[str, Any]]:
    """_keyed of a snapshot's variants, worked out once per Facts: in a timeline every
    snapshot is in two pairs, and keying was most of the History page's CPU (issue 15)."""
    keyed = facts.__dict__.get("_keyed_variants")
    if keyed is None:
        keyed = _keyed(facts.skus)
        object.__setattr__(facts, "_keyed_variants", keyed)    # Facts is frozen: a memo
    return keyed


def _keyed(skus: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Variant rows by match key: the SKU id when it is unique, else the variant label."""
    records = skus.to_dict("records")        # Python scalars; _value reads NA and NaN
    ids = [str(r.get("sku_id") or "") for r in records]
    use_ids = all(ids) and len(set(ids)) == len(ids)
    keyed: dict[str, dict[str, Any]] = {}
    for record, sku_id in zip(records, ids):
        key = sku_id if use_ids else (record.get("variant") or sku_id or "(the only variant)")
        keyed.setdefault(key, {k: _value(v) for k, v in record.items()})
    return keyed


def _name(record: dict[str, Any]) -> str:
    return record.get("variant") or (f"SKU {record['sku_id']}" if record.get("sku_id")
                                     else "The product")


def _money(value: float, currency: str) -> str:
    return f"{value:,.2f} {fmt.currency_label(currency)}"


def _price_changes(name: str, old: dict, new: dict, fallback: str) -> list[Change]:
    changes = []
    for column, label in (("sale_price", "sale price"), ("price", "list price")):
        a, b = old.get(column), new.get(column)
        currency_a = old.get("currency") or fallback
        currency_b = new.get("currency") or fallback
        if a is None or b is None or currency_a != currency_b or abs(b - a) < 0.005:
            continue
        pct = f" ({(b - a) / a * 100:+.1f} %)".replace("-", "−") if a else ""
        kind = "price_down" if b < a else "price_up"
        changes.append(Change(kind, name, a, b,
                              f"{name}: {label} {_money(a, currency_a)} → "
                              f"{_money(b, currency_b)}{pct}"))
        if column == "sale_price":
            break          # the list price usually moves with it: one line per variant
    return changes


def _stock_changes(name: str, old: dict, new: dict) -> list[Change]:
    a, b = old.get("stock"), new.get("stock")
    if a is None or b is None:
        return []
    if a > 0 and b <= 0:
        return [Change("sold_out", name, a, b, f"{name}: sold out (was {a:,} in stock)")]
    if a <= 0 < b:
        return [Change("back_in_stock", name, a, b, f"{name}: back in stock ({b:,})")]
    return []


def _score(kind: str, subject: str, label: str, a, b, step: float = RATING_STEP) -> list[Change]:
    if a is None or b is None or abs(b - a) < step:
        return []
    return [Change(kind, subject, a, b, f"{label}: {a:g} → {b:g}")]


def _count(kind: str, label: str, a, b) -> list[Change]:
    if a is None or b is None or a == b:
        return []
    return [Change(kind, "", a, b, f"{label}: {a:,} → {b:,} ({b - a:+,})")]


def diff(before: Facts, after: Facts) -> list[Change]:
    """Every change from `before` to `after`, variants first, then the product's figures."""
    changes: list[Change] = []
    old, new = _keyed_once(before), _keyed_once(after)
    for key, record in new.items():
        if key not in old:
            changes.append(Change("new_variant", _name(record), None, key,
                                  f"New variant: {_name(record)}"))
            continue
        name = _name(record)
        changes += _price_changes(name, old[key], record, after.currency or before.currency)
        changes += _stock_changes(name, old[key], record)
    for key, record in old.items():
        if key not in new:
            changes.append(Change("removed_variant", _name(record), key, None,
                                  f"Variant no longer listed: {_name(record)}"))
    if before.title and after.title and before.title != after.title:
        changes.append(Change("title", "", before.title, after.title,
                              f"Title changed from “{before.title}” to “{after.title}”"))
    if before.status and after.status and before.status != after.status:
        changes.append(Change("status", "", before.status, after.status,
                              f"Status changed from {before.status} to {after.status}"))
    changes += _score("rating", "", "Product rating", before.product_rating,
                      after.product_rating)
    for label, score in after.ratings.items():
        changes += _score("dsr", label, f"Store rating “{label}”", before.ratings.get(label),
                          score)
    changes += _count("reviews", "Reviews", before.review_count, after.review_count)
    changes += _count("sales", "Sales", before.sales_count, after.sales_count)
    return changes
