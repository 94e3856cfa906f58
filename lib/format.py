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


# Past a quadrillion a figure is shown in powers of ten: a float keeps no exact digits
# there, and 1e308 written out is over 400 characters. Sums are exact Python ints.
BIG_NUMBER = 10**15
TOO_LARGE = "too large to show"          # an overflowed float (inf): there is no number
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _powers_of_ten(value: int | float) -> str:
    """9.22 × 10¹⁸, for any size of int (also past the float range) or float."""
    exponent = math.floor(math.log10(abs(value)))
    if isinstance(value, int):
        while 10**exponent > abs(value):                       # log10 of a huge int may
            exponent -= 1                                      # round across a power
        while 10**(exponent + 1) <= abs(value):
            exponent += 1
        hundredths = abs(value) * 100 // 10**exponent          # exact integer arithmetic
    else:
        hundredths = round(abs(value) / 10.0**exponent * 100)
    if hundredths >= 1000:                                     # 9.999 rounded up to 10.00
        exponent, hundredths = exponent + 1, hundredths // 10
    sign = "-" if value < 0 else ""
    return f"{sign}{hundredths / 100:.2f} × 10{str(exponent).translate(_SUPERSCRIPT)}"


def number(value: object, decimals: int = 0) -> str:
    """1,234 / 1,234.50; 9.22 × 10¹⁸ past a quadrillion; "—" when missing; "too large to
    show" for an overflowed float. Ints stay exact: no trip through float."""
    if _missing(value):                                        # None, NaN, pd.NA
        return "—"
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        value = value.item()                                   # numpy scalar -> Python
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return TOO_LARGE
    if abs(value) >= BIG_NUMBER:
        return _powers_of_ten(value)
    if isinstance(value, int) and decimals == 0:
        return f"{value:,}"
    return f"{float(value):,.{decimals}f}"


def money(value: float | None, currency: str = "") -> str:
    if _missing(value):
        return "—"
    text = number(value, 2)
    if text == TOO_LARGE:
        return f"{TOO_LARGE} ({currency})" if currency else TOO_LARGE
    return f"{text} {currency}".strip()


def money_range(low: float | None, high: float | None, currency: str = "") -> str:
    if _missing(low) and _missing(high):
        return "—"
    if _missing(high) or float(low) == float(high) or abs(float(low) - float(high)) < 0.005:
        return money(low, currency)
    return f"{number(low, 2)}–{number(high, 2)} {currency}".strip()


def percent(value: float | None, digits: int = 0) -> str:
    return "—" if _missing(value) else f"{number(value, digits)}%"


def count(value: int | None, text: str = "") -> str:
    """A count as the platform shows it ("1000+") when it sent text, else 1,234."""
    if text and not text.replace(",", "").isdigit():
        return text
    return "—" if _missing(value) else number(int(value) if isinstance(value, float)
                                              and math.isfinite(value) else value)


def rating(value: float | None) -> str:
    return "—" if _missing(value) else f"{number(value, 1)} / 5"


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
