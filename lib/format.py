"""Plain-text formatting shared by the views (pure, so it is tested without Streamlit)."""
from __future__ import annotations

import math
from datetime import datetime, timezone


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        str(value) in {"<NA>", "nan"}


NO_CURRENCY = "currency not stated"


def currency_label(currency: str | None) -> str:
    """The currency as shown: its code, or "currency not stated" (never empty brackets)."""
    return (currency or "").strip() or NO_CURRENCY


def with_unit(label: str, currency: str | None) -> str:
    """A column or metric label with its currency: 'Sale price (USD)', or
    'Sale price (currency not stated)' when the platform did not say."""
    return f"{label} ({currency_label(currency)})"


def money(value: float | None, currency: str = "") -> str:
    if _missing(value):
        return "—"
    text = f"{float(value):,.2f}"
    return f"{text} {currency}".strip()


def money_range(low: float | None, high: float | None, currency: str = "") -> str:
    if _missing(low) and _missing(high):
        return "—"
    if _missing(high) or abs(float(low) - float(high)) < 0.005:
        return money(low, currency)
    return f"{float(low):,.2f}–{float(high):,.2f} {currency}".strip()


def percent(value: float | None, digits: int = 0) -> str:
    return "—" if _missing(value) else f"{float(value):.{digits}f}%"


def count(value: int | None, text: str = "") -> str:
    """A count as the platform shows it ("1000+") when it sent text, else 1,234."""
    if text and not text.replace(",", "").isdigit():
        return text
    return "—" if _missing(value) else f"{int(value):,}"


def rating(value: float | None) -> str:
    return "—" if _missing(value) else f"{float(value):.1f} / 5"


def fetched(at: datetime, now: datetime | None = None) -> str:
    """'2026-11-23 09:41 UTC (3 min ago)'."""
    now = now or datetime.now(timezone.utc)
    stamp = at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    minutes = int((now - at).total_seconds() // 60)
    if minutes < 1:
        return f"{stamp} (just now)"
    if minutes < 120:
        return f"{stamp} ({minutes} min ago)"
    return stamp
