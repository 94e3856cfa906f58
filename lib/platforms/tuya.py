"""Tuya mall: GET /v1.0/sellercenter/commodity/detail/{commodity_code} on Tuya cloud.

Tuya signs every call with HMAC-SHA256 over client_id + access_token + t + nonce +
string_to_sign (see shared/SIGNING.md) and needs a short-lived access token first:
``GET /v1.0/token?grant_type=1``, renewed with ``GET /v1.0/token/{refresh_token}``.
The client (lib/client.py) drives that through token_request / parse_token and retries
once with a new token when a call fails with one of ``token_error_codes``.

Envelope: ``{"result": {...}, "success": true, "t": <ms>, "tid": "..."}``; errors
``{"success": false, "code": 1010, "msg": "token invalid", "t": ..., "tid": ...}``.
"""
from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import urlsplit

import httpx

from lib.coerce import as_list, safe_url, to_bool, to_float, to_int, to_text
from lib.errors import (AuthError, BadResponse, FetchError, InvalidQuery, ProductNotFound,
                        RateLimited, UpstreamError)
from lib.model import (ATTRIBUTE_COLUMNS, SKU_KEY_COLUMNS, SKU_VALUE_COLUMNS, Image, Media,
                       Product, Trade, frame)
from lib.platforms.base import Platform, Token
from lib.platforms.video import NO_ADDRESS_WARNING, listed_video
from lib.platforms.common import discount_pct, price_pair
from lib.platforms.envelopes import COMMON_RULES, Rule, find_error
from lib.sanitize import image_sources, sanitize_html
from lib.signing import tuya_sign, tuya_url

KEY = "tuya"
ENDPOINTS = ("https://openapi.tuyacn.com", "https://openapi.tuyaus.com",
             "https://openapi-ueaz.tuyaus.com", "https://openapi.tuyaeu.com",
             "https://openapi-weaz.tuyaeu.com", "https://openapi.tuyain.com")
DEFAULT_ENDPOINT = "https://openapi.tuyaeu.com"
HOSTS = tuple(urlsplit(e).hostname for e in ENDPOINTS)
DETAIL_PATH = "/v1.0/sellercenter/commodity/detail/"
TOKEN_PATH = "/v1.0/token"
SIGN_METHOD = "HMAC-SHA256"
TOKEN_ERROR_CODES = frozenset({"1010", "1011", "1012"})
ID_HINT = ("a Tuya commodity code is letters and digits starting with a letter, such as "
           "CMaplyr4bzck123 (the code shown for the commodity in the Tuya seller centre)")
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]{3,63}")
_MALL_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")

POSTAGE_TYPES = {1: "free", 2: "fixed"}
INSTALL_TYPES = {1: "No installation needed", 2: "On-site installation",
                 3: "Installed by the buyer"}
COMMODITY_TYPES = {0: "physical", 5: "virtual"}

_NOT_FOUND_MESSAGE = "No commodity with this code was found in this Tuya mall."
_NOT_FOUND_HINT = "Check the commodity code, and the mall code in the Tuya settings."


class TuyaMall(Platform):
    key = KEY
    label = "Tuya mall"
    link_hosts = ()                       # the seed shows no product link form
    web_hosts = ("tuya.com",)
    # The seed's own example pictures are on Alibaba Cloud storage (aliyuncs.com).
    media_hosts = ("tuya.com", "tuyacn.com", "tuyaus.com", "tuyaeu.com", "tuyain.com",
                   "aliyuncs.com")
    id_hint = ID_HINT
    api_methods = ()                      # path-routed, not method-routed
    qps = 10.0
    credential_keys = ("client_id", "client_secret")   # plus optional endpoint, mall_code
    demo_credentials = {"client_id": "demotuyaclient0001x",
                        "client_secret": "demo-tuya-secret-not-a-real-key",
                        "mall_code": "MLdemo8k2q"}
    token_flow = True
    token_error_codes = TOKEN_ERROR_CODES
    not_provided = (
        "Price tiers: the Tuya mall API has no quantity prices, only one price per SKU.",
        "Store ratings: the Tuya mall API sends no store or product ratings, reviews or "
        "sales figures.",
    )

    # -- ids ------------------------------------------------------------------------------
    def validate_id(self, text: str) -> str:
        candidate = text.strip()
        if "*" in candidate:
            raise InvalidQuery(f"“{candidate[:40]}” is masked (it contains *), as in the "
                               f"documentation example: {ID_HINT}.")
        if not _CODE.fullmatch(candidate):
            raise InvalidQuery(f"“{candidate[:40]}” is not a commodity code: {ID_HINT}.")
        return candidate

    def id_from_url(self, host, path, query):
        raise InvalidQuery("Tuya mall commodities cannot be opened from a link. Paste the "
                           "commodity code instead, such as CMaplyr4bzck123.")

    # -- requests -------------------------------------------------------------------------
    def build_request(self, query, credentials, *, timestamp_ms):
        code = self.validate_id(query.product_id)
        extras = getattr(query, "extras", None) or {}
        mall_code = to_text(extras.get("mall_code")) or to_text(credentials.get("mall_code"))
        if not mall_code:
            raise InvalidQuery("The Tuya mall code is missing. Add mall_code (the code of "
                               "your mall in the Tuya seller centre) to the Tuya settings.")
        if not _MALL_CODE.fullmatch(mall_code):
            raise InvalidQuery("The Tuya mall code may contain only letters, digits, - and "
                               "_. Check mall_code in the Tuya settings.")
        language = to_text(getattr(query, "language", "")).split("_")[0].lower() or "en"
        params = {"mall_code": mall_code, "lang": language}
        return signed_request(credentials, path=DETAIL_PATH + code, query=params,
                              timestamp_ms=timestamp_ms,
                              access_token=credentials.get("access_token", ""))

    def token_request(self, credentials, *, timestamp_ms, refresh_token=""):
        if refresh_token:
            return signed_request(credentials, path=f"{TOKEN_PATH}/{refresh_token}",
                                  query=None, timestamp_ms=timestamp_ms)
        return signed_request(credentials, path=TOKEN_PATH, query={"grant_type": "1"},
                              timestamp_ms=timestamp_ms)

    def parse_token(self, data):
        result = _result(data)
        if not isinstance(result, dict) or not to_text(result.get("access_token")):
            raise BadResponse(detail="the token answer has no access_token")
        lifetime = to_float(result.get("expire_time"))
        return Token(access_token=to_text(result.get("access_token")),
                     refresh_token=to_text(result.get("refresh_token")),
                     expires_in=max(0.0, lifetime) if lifetime is not None else 0.0)

    # -- payloads ---------------------------------------------------------------------------
    def parse(self, data, query=None):
        return _TuyaParser(data, query).product()

    def error_in(self, data):
        return tuya_error(data)

    # -- the demo gateway (lib/sandbox/tuya.py) ------------------------------------------
    def sandbox_product_id(self, params):
        return params.get("commodity_code", "")

    def sandbox_not_found(self, request_id, product_id, params=None):
        # The one error the commodity detail document lists: 2000000 "params error".
        return {"code": 2000000, "msg": "params error", "success": False, "tid": request_id}

    def sandbox_answer(self, fixture, params):
        return fixture

    # -- settings ---------------------------------------------------------------------------
    def apply_settings(self, product, credentials):
        return with_mall_currency(product, credentials.get("currency"))


PLATFORM = TuyaMall()

# The API sends prices without a currency: the mall's currency is a setting (`currency`
# in the Tuya credentials; the demo mall's is in fixtures/tuya/catalogue.json).
# Fees in the trade texts carry this until the mall currency is known (with_mall_currency).
UNSTATED = " (currency not stated)"
NO_CURRENCY_WARNING = ("Tuya does not say which currency the prices are in: add the mall's "
                       "currency (currency = \"EUR\", for example) to the Tuya settings so "
                       "they are labelled and can be compared.")


def with_mall_currency(product: Product, setting: str | None) -> Product:
    """The product with the mall currency from the settings on every price (the parser
    leaves it empty); unchanged when the setting is absent."""
    from lib.query import normalise_currency

    text = to_text(setting)
    if not text:
        return product
    try:
        currency = normalise_currency(text)
    except InvalidQuery as exc:
        raise InvalidQuery(f"The Tuya currency setting is not valid: {exc.user_message}",
                           detail="tuya currency setting") from None
    product.currency = currency
    if "currency" in product.skus:
        product.skus["currency"] = currency
    trade = product.trade
    trade.postage = trade.postage.replace(UNSTATED, f" {currency}")
    trade.installation = trade.installation.replace(UNSTATED, f" {currency}")
    product.warnings = [w for w in product.warnings if w != NO_CURRENCY_WARNING]
    if len(product.skus):
        product.warnings.append(f"Tuya does not send a currency: the prices are taken to be "
                                f"in {currency}, the mall currency in the Tuya settings.")
    return product


def endpoint_of(credentials: Mapping[str, str]) -> str:
    """The regional endpoint from the settings (default Europe); one of ENDPOINTS."""
    text = to_text(credentials.get("endpoint")).strip().rstrip("/")
    if not text:
        return DEFAULT_ENDPOINT
    if "://" not in text:
        text = "https://" + text
    if text.lower() not in ENDPOINTS:
        raise InvalidQuery("The Tuya endpoint must be one of the Tuya data centres: "
                           + ", ".join(ENDPOINTS) + ".")
    return text.lower()


def signed_request(credentials: Mapping[str, str], *, path: str,
                   query: Mapping[str, str] | None, timestamp_ms: int,
                   access_token: str = "") -> httpx.Request:
    """A signed GET: the URL is exactly the text that was signed (sorted raw k=v)."""
    t = str(timestamp_ms)
    client_id = credentials.get("client_id", "")
    sign = tuya_sign(secret=credentials.get("client_secret", ""), client_id=client_id, t=t,
                     method="GET", path=path, query=query or None, body=b"",
                     access_token=access_token, nonce="")
    headers = {"client_id": client_id, "sign": sign, "sign_method": SIGN_METHOD, "t": t,
               "nonce": ""}
    if access_token and not path.startswith(TOKEN_PATH):
        headers["access_token"] = access_token
    return httpx.Request("GET", endpoint_of(credentials) + tuya_url(path, query or None),
                         headers=headers)


# --- envelopes ---------------------------------------------------------------------------
_TUYA_CONSOLE = "the Tuya developer console (Cloud > your project)"
# Tuya's own codes (its error code page; 2000000 is the one the detail document lists),
# in front of the rules every gateway shares.
TUYA_RULES: tuple[Rule, ...] = (
    Rule(AuthError,
         "Tuya rejected the request signature: the client secret (Access Secret) is "
         "probably wrong.",
         f"Copy the Access Secret again from the project's overview in {_TUYA_CONSOLE} "
         "into the Tuya settings.", codes=frozenset({"1004"})),
    Rule(AuthError,
         "Tuya does not accept the client secret (Access Secret).",
         f"Copy the Access Secret again from {_TUYA_CONSOLE} into the Tuya settings.",
         codes=frozenset({"1001"})),
    Rule(AuthError,
         "Tuya does not recognise the client ID (Access ID).",
         "Check the Access ID in the Tuya settings, and that the endpoint is your cloud "
         "project's data centre.", codes=frozenset({"1005", "1007", "1008"})),
    Rule(AuthError,
         "The Tuya access token has expired or is no longer valid.",
         "A new token is requested automatically; if this keeps happening, check the "
         "Access ID and Access Secret in the Tuya settings.",
         codes=TOKEN_ERROR_CODES | {"1002", "1400"}),
    Rule(UpstreamError,
         "Tuya rejected the request time: this computer's clock may be wrong.",
         "Set this computer's clock to the right time (automatic time), then try again.",
         codes=frozenset({"1013"})),
    Rule(AuthError,
         "This Tuya cloud project is not allowed to use the mall API.",
         f"Subscribe to the mall API service and authorise the project in {_TUYA_CONSOLE}.",
         codes=frozenset({"1106"})),
    Rule(UpstreamError,
         "Tuya does not know this API address: the endpoint may be another data centre.",
         "Set the endpoint in the Tuya settings to the data centre of your cloud project.",
         codes=frozenset({"1108"})),
    Rule(RateLimited,
         "Tuya is limiting how often we may ask. Please wait {wait} and try again.",
         "Wait {wait} before the next try; if it happens often, fetch fewer products at a "
         "time.", codes=frozenset({"1110", "1111", "1199"})),
    Rule(ProductNotFound, _NOT_FOUND_MESSAGE, _NOT_FOUND_HINT,
         codes=frozenset({"1000", "2000000"})),
    Rule(InvalidQuery,
         "Tuya did not accept the request: a value is missing or not valid, such as the "
         "mall code.",
         "Check the mall code in the Tuya settings and the commodity code.",
         codes=frozenset({"1100", "1101", "1102", "1109"})),
    Rule(UpstreamError,
         "Tuya is having trouble right now. Please try again in a minute.",
         "Try again in a minute.", codes=frozenset({"500"}), retryable=True),
    *COMMON_RULES,
)


def tuya_error(data: Any) -> FetchError | None:
    """The FetchError for a Tuya error envelope, or None when the answer succeeded."""
    return find_error(data, TUYA_RULES)


def _result(data: Any) -> Any:
    """The `result` of a Tuya answer (or the bare result object); raises for errors."""
    if not isinstance(data, dict):
        raise BadResponse(detail=f"expected a JSON object, got {type(data).__name__}")
    error = tuya_error(data)
    if error:
        raise error
    if "result" in data:
        return data["result"]
    if "commodity_code" in data or "sku_list" in data or "access_token" in data:
        return data
    raise BadResponse(detail="no result in the answer")


# --- the parser --------------------------------------------------------------------------
class _TuyaParser:
    def __init__(self, data: Any, query: Any) -> None:
        self.raw = data
        self.query = query
        result = _result(data)
        if isinstance(result, list):
            result = result[0] if result else None
        if not result:
            raise ProductNotFound(_NOT_FOUND_MESSAGE, hint=_NOT_FOUND_HINT,
                                  detail="success with an empty result")
        if not isinstance(result, dict):
            raise BadResponse(detail="the result is not an object")
        self.result = result
        self.warnings: list[str] = []
        self.properties: list[str] = []

    def product(self) -> Product:
        r = self.result
        sent = to_text(r.get("commodity_code"))
        asked = to_text(getattr(self.query, "product_id", ""))
        if asked and sent and asked != sent:
            self.warnings.append(f"The answer describes commodity {sent} for the requested "
                                 f"{asked}.")
        description = sanitize_html(to_text(r.get("description")))
        skus, sku_images = self._skus()
        if len(skus):
            self.warnings.append(NO_CURRENCY_WARNING)
        publish = to_bool(r.get("publish"))
        product = Product(
            platform=KEY,
            product_id=asked or sent,
            title=to_text(r.get("title")),
            category=" › ".join(c for c in (to_text(r.get("first_category_code")),
                                             to_text(r.get("second_category_code")),
                                             to_text(r.get("third_category_code"))) if c),
            status={True: "listed", False: "not listed"}.get(publish, ""),
            currency="",
            query=self.query,
            description_html=description,
            skus=skus,
            sku_properties=list(self.properties),
            attributes=self._attributes(),
            media=self._media(sku_images, description),
            trade=self._trade(skus),
            not_provided=list(PLATFORM.not_provided),
            raw=self.raw,
        )
        if not product.title:
            self.warnings.append("The commodity has no title.")
        product.warnings = self.warnings
        return product

    def _skus(self):
        rows = []
        sku_images: dict[str, list[tuple[str, str]]] = {}
        raw_skus = [s for s in as_list(self.result.get("sku_list")) if isinstance(s, dict)]
        extra = {"weight": False, "external_code": False}
        for index, sku in enumerate(raw_skus):
            attrs = [a for a in as_list(sku.get("sku_attr_list")) if isinstance(a, dict)]
            row: dict[str, Any] = {
                "sku_id": to_text(sku.get("sku_code")) or f"#{index + 1}",
                "sku_attr": ";".join(f"{to_text(a.get('attr_code'))}:"
                                     f"{to_text(a.get('attr_value_id'))}" for a in attrs),
            }
            pairs = []
            for attr in attrs:
                column = to_text(attr.get("attr_name")) or to_text(attr.get("attr_code")) \
                    or "Option"
                if column in SKU_KEY_COLUMNS + SKU_VALUE_COLUMNS + list(extra):
                    column = f"{column} (variant)"
                if column not in self.properties:
                    self.properties.append(column)
                value = to_text(attr.get("attr_value_name")) or to_text(attr.get("attr_value_id"))
                row[column] = value
                pairs.append((column, value))
            pictures = [u for u in (safe_url(p) for p in as_list(sku.get("sku_pic_list"))) if u]
            for picture in pictures:
                # A picture shared by several SKUs is labelled by the options they share.
                shared = sku_images.get(picture)
                sku_images[picture] = [p for p in shared if p in pairs] if shared is not None \
                    else pairs
            price, sale = price_pair(to_float(sku.get("original_price")),
                                     to_float(sku.get("sale_price")))
            if price is None:
                self.warnings.append(f"SKU {row['sku_id']} has no price.")
            weight = to_float(sku.get("weight"))
            external = to_text(sku.get("external_code"))
            extra["weight"] |= bool(weight)
            extra["external_code"] |= bool(external)
            row.update({"price": price, "sale_price": sale,
                        "discount_pct": discount_pct(price, sale), "currency": "",
                        "stock": to_int(sku.get("inventory")),
                        "image_url": pictures[0] if pictures else "",
                        "barcode": "", "ean": "",
                        "weight": weight, "external_code": external,
                        "_oos_buy": to_bool(sku.get("support_out_stock_buy"))})
            rows.append(row)
        if not raw_skus:
            self.warnings.append("The commodity lists no SKUs, so there are no prices or "
                                 "stock.")
        elif any(r["stock"] is None for r in rows):
            self.warnings.append("Some SKUs have no stock figure.")
        self.out_of_stock_buy = [r["_oos_buy"] for r in rows]
        columns = (SKU_KEY_COLUMNS + self.properties + SKU_VALUE_COLUMNS
                   + [name for name, present in extra.items() if present])
        labels = {url: ", ".join(f"{c}: {v}" for c, v in pairs)
                  for url, pairs in sku_images.items()}
        return frame(rows, columns), labels

    def _attributes(self):
        r = self.result
        kind = to_int(r.get("type"))
        showcases = [to_text(c) for c in as_list(r.get("showcase_codes")) if to_text(c)]
        rows = [
            ("Brand", to_text(r.get("brand"))),
            ("Product ID (PID)", to_text(r.get("pid"))),
            ("Mall code", to_text(r.get("code"))),
            ("Commodity type", COMMODITY_TYPES.get(kind, to_text(r.get("type")))),
            ("Showcase categories", ", ".join(showcases)),
        ]
        return frame([{"name": n, "value": v, "unit": ""} for n, v in rows if v],
                     ATTRIBUTE_COLUMNS)

    def _media(self, sku_images: dict[str, str], description: str) -> Media:
        r = self.result
        images = [Image(u, "main") for u in (safe_url(p) for p in as_list(r.get("show_pictures")))
                  if u]
        if not images:
            self.warnings.append("The commodity has no pictures.")
        images += [Image(url, "sku", label) for url, label in sku_images.items()]
        detail = [u for u in (safe_url(p) for p in as_list(r.get("detail_pictures"))) if u]
        detail += [u for u in image_sources(description) if u not in detail]
        images += [Image(u, "detail") for u in detail]
        videos = []
        if to_text(r.get("video")):                 # a cover alone is not a listed video
            video = listed_video(r.get("video"), r.get("video_pic"))
            if video is None or not video.playable:
                self.warnings.append(NO_ADDRESS_WARNING)
            if video is not None:
                videos.append(video)
        return Media(images=images, videos=videos)

    def _trade(self, skus) -> Trade:
        r = self.result
        notes: dict[str, str] = {}
        weights = {float(w) for w in skus["weight"].dropna() if w} if "weight" in skus else set()
        allowed = [b for b in self.out_of_stock_buy if b]
        if self.out_of_stock_buy and any(b is not None for b in self.out_of_stock_buy):
            total = len(self.out_of_stock_buy)
            notes["Orders when out of stock"] = (
                "not allowed" if not allowed else "allowed" if len(allowed) == total
                else f"allowed for {len(allowed)} of {total} SKUs")
        if to_bool(r.get("is_jump")):
            link = safe_url(r.get("jump_link"))
            notes["Redirects to"] = link or to_text(r.get("jump_link"))[:200] or "another commodity"
        if weights:
            # The document gives no unit for the SKU weight, so it is not claimed as kg.
            low, high = min(weights), max(weights)
            notes["SKU weight (unit not stated)"] = (f"{low:g}" if low == high
                                                     else f"{low:g}–{high:g}")
        return Trade(postage=self._postage(), installation=self._installation(),
                     notes=notes)

    def _postage(self) -> str:
        kind = to_int(self.result.get("postage_type"))
        fee = to_float(self.result.get("postage_fee"))
        if kind == 1:
            if fee:
                self.warnings.append(f"The postage is marked free, but a postage fee of "
                                     f"{fee:g} was also sent; it is shown as free.")
            return "Free shipping"
        if kind == 2:
            return f"Fixed postage {fee:.2f}{UNSTATED}" if fee is not None else \
                "Fixed postage (amount not sent)"
        if kind is None and fee is None:
            return ""
        self.warnings.append(f"Unknown postage type {to_text(self.result.get('postage_type'))}.")
        return f"Postage {fee:.2f}{UNSTATED}" if fee is not None else ""

    def _installation(self) -> str:
        kind = to_int(self.result.get("install_type"))
        fee = to_float(self.result.get("install_fee"))
        text = INSTALL_TYPES.get(kind, "")
        if kind is not None and not text:
            self.warnings.append(f"Unknown installation type {kind}.")
        if kind == 2 and fee:
            text += f", fee {fee:.2f}{UNSTATED}"
        return text

