"""The demo gateway's shipping options (aliexpress.ds.freight.query), and the import
charges ds.product.get estimates for US buyers.

Everything is derived from the request and the product fixture: no randomness, no
clock, so the same request always gets the same answer. The gateway (gateway.py) has
checked the app key, timestamp, token and signature before anything here runs.

Rules (the README table is copied from here):

- Fee (USD, then converted to the requested currency with the reference rates; a
  currency without a rate is answered in USD, shipping_fee_currency "USD"):
  zone factor x (carrier base + carrier per-kg x gross weight x quantity), where the
  gross weight is the fixture's package_info_dto.gross_weight (kg per unit; 0.5 when
  absent). Days: the carrier's, plus the zone's extra days.
- From China (the store country), four carriers, in this order:
  CAINIAO_STANDARD "AliExpress Standard Shipping" 2.50 + 9.00/kg, 10-20 days, guaranteed 30;
  CAINIAO_SUPER_ECONOMY "Cainiao Super Economy" 0.99 + 6.00/kg, 20-40 days, untracked,
  only up to 2 kg in all; CAINIAO_FULFILLMENT_STD "AliExpress Selection Standard"
  3.20 + 10.50/kg, 7-15 days, guaranteed 20; DHL "DHL" 18.00 + 16.00/kg, 3-7 days.
- From a local warehouse (the backpack's "Ships From" United States / Spain SKUs):
  CAINIAO_STANDARD 1.50 + 3.00/kg and DHL 8.00 + 5.00/kg, 2-5 days in the warehouse's
  country, 4-9 days elsewhere in its region; factor 1.
- Zones (factor, extra days): US 1.00/0, CA 1.15/2, GB 0.95/0, EU members 0.90/0,
  AU+NZ 1.20/3, BR 1.35/10, rest of Latin America 1.25/7, JP+KR 0.80/-2, IL 1.10/3,
  Gulf (SA AE QA KW BH OM) 1.20/4, TR+UA 1.05/4, anywhere else 1.40/8.
- Free: the phone case's Standard option is free for a quantity of 5 or less (sent
  without any fee key, as the real gateway does).
- Refusals: RU, KP and CN (AliExpress's global site does not ship there) answer 505
  DELIVERY_NOT_AVAILABLE_TO_YOUR_ADDRESS for every SKU. Per SKU, 505 too: the
  backpack's US-warehouse SKUs deliver only to US and CA, its Spain-warehouse SKUs only
  to EU members; the phone case's Red ("Cherry Glow") SKUs are refused for AU.
  The water bottle to BR answers 501 DELIVERY_INFO_EMPTY. A selectedSkuId that is not
  a SKU of the product, or a missing or bad field, answers a parameter error.
- ddpIncludeVATTax "true" on every option to an EU member when the goods are worth
  150 EUR or less (IOSS: VAT collected at checkout); absent otherwise.
- The backpack's answers send numbers and booleans as strings ("12", "true"); the
  others send them as JSON numbers and booleans. shipping_fee_cent is always a string
  in whole units ("12.34"); shipping_fee_format follows the language (decimal comma
  for de fr es it pt nl pl ru tr: "12,34€").
- Import charges (ds.product.get, ship_to_country US only, the three demo products
  only; any other fixture, such as a real capture, is served as received): every SKU
  that ships from China gets estimated_import_charges = 25 % of its sale price in USD
  ("6.23") and tax_currency_code "USD"; US- and Spain-warehouse SKUs get none.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any, Mapping

from lib.coerce import as_list, to_float, to_int, to_text
from lib.errors import FetchError
from lib.platforms.aliexpress_ds import SHIPS_FROM_PROPERTY_ID, locate_result
from lib.platforms.aliexpress_freight import FREIGHT_RESPONSE_KEY, delivery_request_of
from lib.platforms.common import first_object
from lib.rates import reference_rate

BACKPACK = "1005006789012345"
BOTTLE = "1005005432109876"
CASE = "1005004321098765"

DEFAULT_WEIGHT_KG = 0.5
IMPORT_SHARE_US = 0.25
IOSS_LIMIT_EUR = 150.0
# The bundled demo products the import-charge estimate is added to.
IMPORT_CHARGE_PRODUCTS = frozenset({BACKPACK, BOTTLE, CASE})

EU = frozenset({"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR",
                "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK",
                "SI", "ES", "SE"})
LATAM = frozenset({"MX", "AR", "CL", "CO", "PE", "UY", "EC", "CR", "PA"})
GULF = frozenset({"SA", "AE", "QA", "KW", "BH", "OM"})


@dataclass(frozen=True)
class Zone:
    factor: float
    extra_days: int


_ZONES: dict[frozenset[str], Zone] = {
    frozenset({"US"}): Zone(1.00, 0), frozenset({"CA"}): Zone(1.15, 2),
    frozenset({"GB"}): Zone(0.95, 0), EU: Zone(0.90, 0),
    frozenset({"AU", "NZ"}): Zone(1.20, 3), frozenset({"BR"}): Zone(1.35, 10),
    LATAM: Zone(1.25, 7), frozenset({"JP", "KR"}): Zone(0.80, -2),
    frozenset({"IL"}): Zone(1.10, 3), GULF: Zone(1.20, 4),
    frozenset({"TR", "UA"}): Zone(1.05, 4),
}
REST = Zone(1.40, 8)


def zone_of(country: str) -> Zone:
    return next((zone for members, zone in _ZONES.items() if country in members), REST)


@dataclass(frozen=True)
class Carrier:
    code: str
    company: str
    base_usd: float
    per_kg_usd: float
    min_days: int
    max_days: int
    guaranteed_days: int | None = None
    tracking: bool = True
    max_total_kg: float | None = None


FROM_CHINA = (
    Carrier("CAINIAO_STANDARD", "AliExpress Standard Shipping", 2.50, 9.00, 10, 20, 30),
    Carrier("CAINIAO_SUPER_ECONOMY", "Cainiao Super Economy", 0.99, 6.00, 20, 40,
            tracking=False, max_total_kg=2.0),
    Carrier("CAINIAO_FULFILLMENT_STD", "AliExpress Selection Standard", 3.20, 10.50, 7, 15,
            20),
    Carrier("DHL", "DHL", 18.00, 16.00, 3, 7),
)
FROM_WAREHOUSE = (
    Carrier("CAINIAO_STANDARD", "AliExpress Standard Shipping", 1.50, 3.00, 2, 5),
    Carrier("DHL", "DHL", 8.00, 5.00, 1, 3),
)
WAREHOUSE_EXTRA_DAYS = 4        # outside the warehouse's own country, inside its region
# Where a local warehouse delivers (anything else: 505 for that SKU).
WAREHOUSE_REGIONS = {"US": frozenset({"US", "CA"}), "ES": EU}
SHIPS_FROM_CODES = {"china": "CN", "china mainland": "CN", "united states": "US",
                    "usa": "US", "spain": "ES", "france": "FR", "germany": "DE",
                    "united kingdom": "GB", "poland": "PL", "czech republic": "CZ",
                    "russian federation": "RU", "australia": "AU", "brazil": "BR"}

NOT_DELIVERED_COUNTRIES = frozenset({"RU", "KP", "CN"})
NO_OPTIONS = frozenset({(BOTTLE, "BR")})                       # answers 501
REFUSED_VARIANTS = frozenset({(CASE, "Red", "AU")})            # (product, colour, country)
FREE_STANDARD_UP_TO = {CASE: 5}                                # product -> max quantity
STRING_ANSWERS = frozenset({BACKPACK})
COMMA_LANGUAGES = frozenset({"de", "fr", "es", "it", "pt", "nl", "pl", "ru", "tr"})
_PREFIX_SIGNS = {"USD": "US $", "GBP": "£", "BRL": "R$ ", "CAD": "C$", "AUD": "AU $",
                 "JPY": "JP¥", "CNY": "CN¥", "KRW": "₩", "ILS": "₪", "MXN": "MX$"}
_SUFFIX_SIGNS = {"EUR": "€", "PLN": " zł", "TRY": " TL"}


# --- the freight answer ----------------------------------------------------------------
def answer(fixture: dict, params: Mapping[str, str]) -> dict:
    """The gateway's answer to one freight request for the product in `fixture`."""
    request = delivery_request_of(params)
    request_id = hashlib.sha1(to_text(params.get("queryDeliveryReq")).encode()).hexdigest()[:25]
    problem = _bad_field(request)
    if problem:
        return _wrapped(_failure(400, f"Param error: {problem}"), request_id)
    try:
        product = locate_result(fixture)
    except FetchError:           # a fixture that is an error body: the gateway says that
        return fixture
    product_id = to_text(request["productId"])
    country = to_text(request["shipToCountry"]).upper()
    skus = [s for s in as_list(product.get("ae_item_sku_info_dtos")) if isinstance(s, dict)]
    sku_id = to_text(request.get("selectedSkuId"))
    sku = next((s for s in skus if to_text(s.get("sku_id")) == sku_id), None) if sku_id \
        else (skus[0] if skus else {})
    if sku is None:
        return _wrapped(_failure(400, f"Param error: selectedSkuId {sku_id} is not a SKU "
                                      f"of product {product_id}"), request_id)
    store_country = _store_country(product)
    ships_from = ship_from_of(sku, store_country)
    if country in NOT_DELIVERED_COUNTRIES or _refused(product_id, sku, country, ships_from,
                                                      store_country):
        return _wrapped(_failure(505, "DELIVERY_NOT_AVAILABLE_TO_YOUR_ADDRESS"), request_id)
    if (product_id, country) in NO_OPTIONS:
        return _wrapped(_failure(501, "DELIVERY_INFO_EMPTY"), request_id)
    options = _options(product, product_id, sku, request, ships_from, store_country)
    strings = product_id in STRING_ANSWERS
    result = {"success": "true" if strings else True, "code": "200" if strings else 200,
              "msg": "Call succeeds",
              "delivery_options": {"delivery_option_d_t_o": [
                  _as_strings(o) if strings else o for o in options]}}
    return _wrapped(result, request_id)


def _bad_field(request: Mapping[str, Any]) -> str:
    """What is wrong with a queryDeliveryReq ('' when nothing is)."""
    if not request:
        return "queryDeliveryReq is missing or not a JSON object"
    for name in ("quantity", "shipToCountry", "productId", "currency", "language", "locale"):
        if to_text(request.get(name)) == "":
            return f"{name} is required"
    quantity = to_int(request.get("quantity"))
    if quantity is None or quantity < 1:
        return "quantity must be a whole number of at least 1"
    if len(to_text(request.get("shipToCountry"))) != 2:
        return "shipToCountry must be a two-letter country code"
    return ""


def _failure(code: int, message: str) -> dict:
    return {"success": False, "code": code, "msg": message}


def _wrapped(result: dict, request_id: str) -> dict:
    return {FREIGHT_RESPONSE_KEY: {"result": result, "request_id": request_id}}


def _store_country(product: Mapping[str, Any]) -> str:
    return to_text(first_object(product.get("ae_store_info")).get("store_country_code")
                   ).upper() or "CN"


def ship_from_of(sku: Mapping[str, Any], store_country: str) -> str:
    """The SKU's "Ships From" property as a country code, else the store's country."""
    for prop in as_list(sku.get("ae_sku_property_dtos")):
        if isinstance(prop, dict) and \
                to_text(prop.get("sku_property_id")) == SHIPS_FROM_PROPERTY_ID:
            name = to_text(prop.get("sku_property_value")).lower()
            return SHIPS_FROM_CODES.get(name, store_country)
    return store_country


def _colour(sku: Mapping[str, Any]) -> str:
    for prop in as_list(sku.get("ae_sku_property_dtos")):
        if isinstance(prop, dict) and to_text(prop.get("sku_property_name")) == "Color":
            return to_text(prop.get("sku_property_value"))
    return ""


def _refused(product_id: str, sku: Mapping[str, Any], country: str, ships_from: str,
             store_country: str) -> bool:
    if ships_from != store_country and country not in WAREHOUSE_REGIONS.get(ships_from,
                                                                             {ships_from}):
        return True
    return (product_id, _colour(sku), country) in REFUSED_VARIANTS


def _options(product: Mapping[str, Any], product_id: str, sku: Mapping[str, Any],
             request: Mapping[str, Any], ships_from: str, store_country: str) -> list[dict]:
    country = to_text(request["shipToCountry"]).upper()
    quantity = to_int(request["quantity"]) or 1
    currency, rate = _answer_currency(to_text(request.get("currency")))
    comma = to_text(request.get("language"))[:2].lower() in COMMA_LANGUAGES
    weight = to_float(first_object(product.get("package_info_dto")).get("gross_weight"))
    total_kg = (weight if weight and weight > 0 else DEFAULT_WEIGHT_KG) * quantity
    local = ships_from != store_country
    zone = Zone(1.0, 0 if country == ships_from else WAREHOUSE_EXTRA_DAYS) if local \
        else zone_of(country)
    vat = country in EU and _goods_eur(sku, quantity) <= IOSS_LIMIT_EUR
    free_up_to = FREE_STANDARD_UP_TO.get(product_id, 0)
    options = []
    for carrier in FROM_WAREHOUSE if local else FROM_CHINA:
        if carrier.max_total_kg is not None and total_kg > carrier.max_total_kg:
            continue
        option: dict[str, Any] = {"code": carrier.code, "company": carrier.company}
        free = carrier.code == "CAINIAO_STANDARD" and not local and quantity <= free_up_to
        if free:
            option["free_shipping"] = True
        else:
            usd = zone.factor * (carrier.base_usd + carrier.per_kg_usd * total_kg)
            fee = round(usd * rate + 1e-9, 2)
            option.update({"shipping_fee_cent": f"{fee:.2f}",
                           "shipping_fee_currency": currency,
                           "shipping_fee_format": money_format(fee, currency, comma),
                           "free_shipping": False})
        option.update({
            "mayHavePFS": False,
            "min_delivery_days": max(1, carrier.min_days + zone.extra_days),
            "max_delivery_days": max(2, carrier.max_days + zone.extra_days),
        })
        if carrier.guaranteed_days is not None:
            option["guaranteed_delivery_days"] = carrier.guaranteed_days + zone.extra_days
        option.update({"ship_from_country": ships_from, "tracking": carrier.tracking})
        stock = to_int(sku.get("sku_available_stock"))
        if stock is not None:
            option["available_stock"] = stock
        if vat:
            option["ddpIncludeVATTax"] = "true"
        options.append(option)
    return options


def _answer_currency(asked: str) -> tuple[str, float]:
    """(currency of the answer, value of 1 USD in it): the asked one when it has a
    reference rate, else USD."""
    code = asked.strip().upper()
    rate = reference_rate("USD", code) if code else None
    return (code, rate) if rate is not None else ("USD", 1.0)


def _goods_eur(sku: Mapping[str, Any], quantity: int) -> float:
    price = to_float(sku.get("offer_sale_price")) or to_float(sku.get("sku_price")) or 0.0
    rate = reference_rate(to_text(sku.get("currency_code")) or "USD", "EUR") or 1.0
    return price * quantity * rate


def money_format(amount: float, currency: str, comma: bool) -> str:
    """12.34 USD -> 'US $12.34'; with a decimal-comma language: '12,34€', 'R$ 12,34'."""
    number = f"{amount:,.2f}"
    if comma:
        number = number.replace(",", " ").replace(".", ",").replace(" ", ".")
    if currency in _SUFFIX_SIGNS:
        return f"{number}{_SUFFIX_SIGNS[currency]}" if comma or currency != "EUR" \
            else f"€{number}"
    return f"{_PREFIX_SIGNS.get(currency, currency + ' ')}{number}"


def _as_strings(option: Mapping[str, Any]) -> dict:
    """Every number and boolean as a string, as some answers send them."""
    return {key: (("true" if value else "false") if isinstance(value, bool)
                  else str(value) if isinstance(value, (int, float)) else value)
            for key, value in option.items()}


# --- import charges on the product call ------------------------------------------------
def with_import_charges(fixture: dict, ship_to_country: str, product_id: str) -> dict:
    """The product answer with the per-SKU import charges the gateway estimates for US
    buyers (SKUs shipping from the store's country only). Other countries, and other
    fixtures than the demo products (real captures are served as received): unchanged."""
    if to_text(ship_to_country).upper() != "US" or product_id not in IMPORT_CHARGE_PRODUCTS:
        return fixture
    answer_copy = copy.deepcopy(fixture)
    try:
        product = locate_result(answer_copy)
    except FetchError:                       # an error body: nothing to add
        return fixture
    store_country = _store_country(product)
    for sku in as_list(product.get("ae_item_sku_info_dtos")):
        if not isinstance(sku, dict) or ship_from_of(sku, store_country) != store_country:
            continue
        price = to_float(sku.get("offer_sale_price")) or to_float(sku.get("sku_price"))
        rate = reference_rate(to_text(sku.get("currency_code")) or "USD", "USD")
        if price is None or rate is None:
            continue
        sku["estimated_import_charges"] = f"{round(price * rate * IMPORT_SHARE_US + 1e-9, 2):.2f}"
        sku["tax_currency_code"] = "USD"
    return answer_copy
