"""Small pieces every platform parser shares (no wire-format knowledge here)."""
from __future__ import annotations

from collections import Counter
from typing import Any

from lib.coerce import as_list


def discount_pct(price: float | None, sale: float | None) -> float | None:
    """Percent off the list price (never negative); None when either is unknown."""
    if price is None or sale is None or price <= 0:
        return None
    return round(max(0.0, (1 - sale / price) * 100), 1)


def price_pair(price: float | None, sale: float | None) -> tuple[float | None, float | None]:
    """(list price, sale price), each standing in for the other when one is missing."""
    return (price if price is not None else sale), (sale if sale is not None else price)


def first_object(value: Any) -> dict:
    """The first object of a (possibly wrapped or bare) list, else {}."""
    items = as_list(value)
    return items[0] if items and isinstance(items[0], dict) else {}


def most_common(values) -> str:
    present = [v for v in values if v]
    return Counter(present).most_common(1)[0][0] if present else ""


def converted_price_text(value: Any, rate: float) -> str | None:
    """A price as a gateway writes it, times `rate`, rounded to cents, in the text's own
    quoting ('"24.90"' stays quoted): how the demo answers in the currency asked for."""
    from lib.coerce import to_float
    from lib.rates import round_money

    number = to_float(value)
    if number is None:
        return None
    text = f"{round_money(number * rate):.2f}"
    return f'"{text}"' if isinstance(value, str) and value.strip().startswith('"') else text
