"""AliExpress dropshipping shipping options: aliexpress.ds.freight.query over IOP /sync.

Same signing and `session` token as ds.product.get. The one business parameter,
`queryDeliveryReq`, is a JSON object sent as a string: quantity, shipToCountry,
productId, selectedSkuId, currency, language, locale.

The answer, as gateways and saved captures give it:
- wrapped: {"aliexpress_ds_freight_query_response": {"result": {...}, "request_id"}}
- the bare result: {"success", "code", "msg", "delivery_options": ...}
- the result nested once more ({"result": {"result": {...}}}) in some stored copies
`delivery_options` is {"delivery_option_d_t_o": [...]}, a plain list, or one bare object.

Traps handled here: `shipping_fee_cent` is an amount in WHOLE currency units
("172.71" beside "US $172.71"), never cents; a free option may carry no fee, currency
or format; numbers and booleans may be strings; formatted money uses the locale's
decimal comma ("1,99€"); errors are HTTP 200 with success false and a numeric code
(505 DELIVERY_NOT_AVAILABLE_TO_YOUR_ADDRESS, per SKU; 501 DELIVERY_INFO_EMPTY).
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

import httpx
import pandas as pd

from lib.coerce import as_list, to_bool, to_float, to_int, to_text
from lib.errors import BadResponse, InvalidQuery, NotAvailableInCountry
from lib.model import FREIGHT_COLUMNS, frame
from lib.platforms.aliexpress_common import iop_request
from lib.platforms.envelopes import COMMON_RULES, Rule, find_error

FREIGHT_METHOD = "aliexpress.ds.freight.query"
FREIGHT_RESPONSE_KEY = "aliexpress_ds_freight_query_response"
FREIGHT_PARAM = "queryDeliveryReq"
# Our sku_id for a SKU the product answer sent without an id ("#1"): never sent.
PLACEHOLDER_SKU_PREFIX = "#"

NOT_DELIVERED = ("AliExpress does not deliver this variant to the chosen country; another "
                 "variant or country may ship.")
NO_OPTION = "AliExpress sent no shipping option for this product and country."
SKU_REFUSED = ("AliExpress refused the variant id (selectedSkuId) for this product's "
               "shipping options.")

FREIGHT_RULES: tuple[Rule, ...] = (
    Rule(NotAvailableInCountry, NOT_DELIVERED,
         "Pick another variant (another warehouse may ship) or another ship-to country.",
         codes=frozenset({"505", "delivery_not_available_to_your_address"}),
         words=("delivery_not_available", "not available to your address")),
    Rule(NotAvailableInCountry, NO_OPTION,
         "Choose another ship-to country, or check the product on AliExpress.",
         codes=frozenset({"delivery_info_empty"}), words=("delivery_info_empty",)),
    Rule(InvalidQuery, SKU_REFUSED,
         "Try another variant, or the product's default variant; some products refuse "
         "a variant id in this call.",
         words=("selectedskuid", "selected_sku_id", "selected sku")),
    # A 501 that is not DELIVERY_INFO_EMPTY ("Param error") is a refused value.
    Rule(InvalidQuery,
         "AliExpress did not accept the shipping-options request: a value is missing or "
         "not valid.",
         "Check the quantity, ship-to country, currency and language; AliExpress's own "
         "words name the value.",
         words=("param error", "parameter error", "invalid parameter", "illegal parameter",
                "missing parameter")),
    Rule(NotAvailableInCountry, NO_OPTION,
         "Choose another ship-to country, or check the product on AliExpress.",
         codes=frozenset({"501"})),
    *COMMON_RULES,
)

# What a result object of this call carries (to tell it from a wrapper).
_RESULT_MARKERS = ("delivery_options", "success", "code", "msg")


# --- the request -----------------------------------------------------------------------
def locale_for(language: str, country: str) -> str:
    """'en' + 'US' -> 'en_US'; a language that names its region ('pt_BR') is kept."""
    lang = (language or "en").strip().replace("-", "_")
    if "_" in lang:
        head, _, region = lang.partition("_")
        return f"{head.lower()}_{region.upper()}"
    return f"{lang.lower()}_{(country or 'US').strip().upper()}"


def delivery_request(freight: Any) -> dict[str, Any]:
    """The queryDeliveryReq object for a lib.query.FreightQuery."""
    query = freight.query
    request: dict[str, Any] = {
        "quantity": int(freight.quantity),
        "shipToCountry": query.country.upper(),
        "productId": str(query.product_id),
    }
    sku_id = to_text(freight.sku_id)
    if sku_id and not sku_id.startswith(PLACEHOLDER_SKU_PREFIX):
        request["selectedSkuId"] = sku_id
    request.update({"currency": query.currency.upper(), "language": query.language,
                    "locale": locale_for(query.language, query.country)})
    return request


def freight_request(freight: Any, credentials: Mapping[str, str], *,
                    timestamp_ms: int) -> httpx.Request:
    """The signed call; iop_request sends business values as str(), so the JSON is
    serialised here (compact, non-ASCII kept as is)."""
    if int(freight.quantity) < 1:
        raise InvalidQuery("The quantity for shipping options must be at least 1.")
    body = json.dumps(delivery_request(freight), ensure_ascii=False, separators=(",", ":"))
    return iop_request(method=FREIGHT_METHOD, credentials=credentials,
                       timestamp_ms=timestamp_ms, business={FREIGHT_PARAM: body})


# --- the sandbox's view of a request -----------------------------------------------------
def delivery_request_of(params: Mapping[str, str]) -> dict[str, Any]:
    """The decoded queryDeliveryReq of sent parameters ({} when absent or not JSON)."""
    try:
        decoded = json.loads(params.get(FREIGHT_PARAM) or "")
    except (TypeError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def freight_product_id(params: Mapping[str, str]) -> str:
    return to_text(delivery_request_of(params).get("productId"))


def freight_not_found(request_id: str, product_id: str) -> dict:
    """The answer for an unknown product id, in this call's own shape: success false
    inside the result, like its other business errors (the product call's 605 code)."""
    return {FREIGHT_RESPONSE_KEY: {"result": {"success": False, "code": 605,
                                              "msg": "ITEM_ID_NOT_FOUND"},
                                   "request_id": request_id}}


# --- the answer ------------------------------------------------------------------------
def _result(data: Any) -> dict:
    if not isinstance(data, dict):
        raise BadResponse(detail=f"expected a JSON object, got {type(data).__name__}")
    error = find_error(data, FREIGHT_RULES)
    if error:
        raise error
    node: Any = data.get(FREIGHT_RESPONSE_KEY, data)
    if node is data:
        wrappers = [k for k in data if k.endswith("_response")]
        if len(wrappers) == 1 and len(data) == 1:
            node = data[wrappers[0]]
    for _ in range(3):        # wrapper -> result -> (a stored copy's) result
        if not isinstance(node, dict):
            raise BadResponse(detail="the freight result is not an object")
        inner = node.get("result")
        if "delivery_options" in node or not isinstance(inner, dict):
            break
        node = inner
        error = find_error(node, FREIGHT_RULES)
        if error:
            raise error
    if not isinstance(node, dict) or not any(k in node for k in _RESULT_MARKERS):
        raise BadResponse(detail="no freight result (delivery_options) in the answer")
    return node


def parse_freight(data: Any) -> pd.DataFrame:
    """Decoded answer -> DataFrame of FREIGHT_COLUMNS in the gateway's order; raises the
    FetchError an error answer states. No option sent: an empty frame."""
    result = _result(data)
    rows = [row for row in (_option_row(o) for o in as_list(result.get("delivery_options"))
                            if isinstance(o, dict)) if row is not None]
    return frame(rows, FREIGHT_COLUMNS)


def _option_row(option: Mapping[str, Any]) -> dict[str, Any] | None:
    code, carrier = to_text(option.get("code")), to_text(option.get("company"))
    if not code and not carrier:
        return None
    free = to_bool(option.get("free_shipping"))
    # The amount field is a plain decimal ("172.71", "1.500" for a 3-decimal currency);
    # only when it is not one is it read like the formatted text.
    raw_amount = option.get("shipping_fee_cent")
    amount = None if "," in to_text(raw_amount) else to_float(raw_amount)
    if amount is None:
        amount, _ = parse_money(raw_amount)
    shown, shown_currency = parse_money(option.get("shipping_fee_format"))
    fee = amount if amount is not None else shown
    if free:
        fee = 0.0             # the contract: a free option costs 0.0, whatever else it says
    currency = to_text(option.get("shipping_fee_currency")).upper() or shown_currency
    vat = option.get("ddpIncludeVATTax", option.get("ddp_include_vat_tax"))
    return {
        "option": code, "carrier": carrier, "fee": fee, "currency": currency,
        "free_shipping": free,
        "min_days": to_int(option.get("min_delivery_days")),
        "max_days": to_int(option.get("max_delivery_days")),
        "guaranteed_days": to_int(option.get("guaranteed_delivery_days")),
        "ship_from": to_text(option.get("ship_from_country")).upper(),
        "tracking": to_bool(option.get("tracking")),
        "vat_included": to_bool(vat),
    }


# --- formatted money -------------------------------------------------------------------
# Signs that name one currency; "$", "¥" and "kr" alone name several and give "".
_SIGNS = (("US $", "USD"), ("US$", "USD"), ("USD", "USD"), ("C$", "CAD"), ("CA$", "CAD"),
          ("A$", "AUD"), ("AU $", "AUD"), ("AU$", "AUD"), ("NZ$", "NZD"), ("MX$", "MXN"),
          ("R$", "BRL"), ("€", "EUR"), ("£", "GBP"), ("₽", "RUB"), ("₩", "KRW"),
          ("₹", "INR"), ("₪", "ILS"), ("₺", "TRY"), ("zł", "PLN"), ("₴", "UAH"),
          ("руб", "RUB"))
_LONGEST_FIRST = sorted(_SIGNS, key=lambda pair: -len(pair[0]))     # "CA$" before "A$"
_CODE = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
_DIGITS = re.compile(r"\d(?:[\d.,'\s\u00a0\u202f]*\d)?")


def parse_money(value: Any) -> tuple[float | None, str]:
    """'US $172.71' -> (172.71, 'USD'); '1,99€' -> (1.99, 'EUR'); '€ 1.234,56' ->
    (1234.56, 'EUR'); '172.71' -> (172.71, ''); a number passes through. A separator
    followed by exactly three digits groups thousands, else it is the decimal mark."""
    if isinstance(value, bool) or value is None:
        return None, ""
    if isinstance(value, (int, float)):
        return (float(value), "") if value == value else (None, "")
    text = to_text(value)
    match = _DIGITS.search(text)
    if not match:
        return None, ""
    number = _number(match.group(0))
    negative = text[:match.start()].rstrip().endswith("-")
    if number is not None and negative:
        number = -number
    return number, _currency_in(text[:match.start()] + " " + text[match.end():])


def _number(digits: str) -> float | None:
    cleaned = re.sub(r"[\s'\u00a0\u202f]", "", digits)
    marks = [i for i, c in enumerate(cleaned) if c in ".,"]
    if marks:
        last = marks[-1]
        tail = cleaned[last + 1:]
        several = len({cleaned[i] for i in marks}) > 1 or len(marks) > 1
        if len(tail) == 3 and not (several and cleaned[last] != cleaned[marks[0]]):
            cleaned = re.sub(r"[.,]", "", cleaned)            # 1,234 / 1.234.567
        else:
            whole = re.sub(r"[.,]", "", cleaned[:last])
            cleaned = f"{whole}.{tail}"
    try:
        return float(cleaned)
    except ValueError:
        return None


def _currency_in(text: str) -> str:
    for sign, code in _LONGEST_FIRST:
        if sign in text:
            return code
    match = _CODE.search(text)
    return match.group(1) if match else ""
