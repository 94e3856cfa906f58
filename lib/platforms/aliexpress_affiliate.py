"""AliExpress affiliate: aliexpress.affiliate.productdetail.get.

One call can ask for several products (`product_ids` is a comma list); the answer is
`{"aliexpress_affiliate_productdetail_get_response": {"resp_result": {"resp_code",
"resp_msg"?, "result": {"current_record_count", "products": {"product": [...]}}}}}`,
where `products.product` may also be a bare object and `resp_msg` may be missing.

The affiliate API describes a product, not its variants: one price (in the seller's
currency and converted to the target currency), the commission, the promotion link,
the positive-feedback rate and the recent sales. A product becomes a single-SKU
Product and `not_provided` says what the API lacks.

Signing: IOP (sha256) on https://api-sg.aliexpress.com/sync by default; older TOP
clients sign the same call with md5 (credentials["sign_method"] = "md5"; "hmac" and
"hmac-sha256" work too). No user token is needed.
"""
from __future__ import annotations

import copy
from typing import Any

from lib.coerce import as_list, safe_url, split_list, to_float, to_int, to_text
from lib.errors import AuthError, BadResponse, InvalidQuery, ProductNotFound
from lib.model import (SKU_KEY_COLUMNS, SKU_VALUE_COLUMNS, TIER_COLUMNS, Image, Media,
                       Product, Store, Trade, frame)
from lib.platforms.aliexpress_common import (ALI_MEDIA_HOSTS, ALIEXPRESS_HOSTS, ID_HINT, IOP_GATEWAY,
                                             aliexpress_id_from_url, iop_request,
                                             validate_aliexpress_id)
from lib.platforms.base import Platform
from lib.platforms.video import NO_ADDRESS_WARNING, listed_video
from lib.platforms.common import converted_price_text, discount_pct
from lib.platforms.top import TOP_SIGN_METHODS, top_request
from lib.platforms.envelopes import open_body

METHOD = "aliexpress.affiliate.productdetail.get"
RESPONSE_KEY = "aliexpress_affiliate_productdetail_get_response"
KEY = "aliexpress-affiliate"
MAX_IDS = 50                      # the API takes a comma list; keep calls reasonable
# resp_code values of the affiliate API family (seen in live captures):
EMPTY_RESULT = 405                # "The result is empty": no product for these ids
PARAMETER_ERROR = 402             # "TrackingId input parameter error", "Parameter … is empty"
NOT_PROVIDED = [
    "Variants (SKU list): the affiliate API returns one price per product, for its "
    "default variant, so there is no variant matrix.",
    "Stock: the affiliate API does not say how many items are available.",
    "Wholesale price tiers: the affiliate API has no quantity pricing.",
    "Store DSR ratings, product rating and review count: the affiliate API sends only "
    "the store's positive-feedback percentage.",
    "Seller description and product attributes: not part of the affiliate API.",
]
_PRODUCT_MARKERS = ("product_id", "product_title", "target_sale_price", "sale_price")


class AliExpressAffiliate(Platform):
    key = KEY
    label = "AliExpress (affiliate)"
    link_hosts = ALIEXPRESS_HOSTS
    web_hosts = ALIEXPRESS_HOSTS
    media_hosts = ALI_MEDIA_HOSTS
    id_hint = ID_HINT
    api_methods = (METHOD,)
    credential_keys = ("app_key", "app_secret", "tracking_id")
    demo_credentials = {"app_key": "500001", "app_secret": "demo-affiliate-secret-not-real",
                        "tracking_id": "demo_tracking"}
    qps = 5.0
    converts_currency = True
    not_provided = tuple(NOT_PROVIDED)

    def validate_id(self, text: str) -> str:
        return validate_aliexpress_id(text)

    def id_from_url(self, host, path, query):
        return aliexpress_id_from_url(host, path, query)

    def build_request(self, query, credentials, *, timestamp_ms):
        business = {
            "product_ids": ",".join(product_ids(query)),
            "tracking_id": credentials.get("tracking_id", ""),
            "country": query.country,
            "target_currency": query.currency,
            "target_language": target_language(query.language),
        }
        sign_method = (credentials.get("sign_method") or "sha256").strip().lower()
        if sign_method in TOP_SIGN_METHODS:
            # TOP-era clients: same gateway, md5 (or hmac) signature, no session.
            return top_request(method=METHOD, business=business, credentials=credentials,
                               timestamp_ms=timestamp_ms, gateway=IOP_GATEWAY,
                               with_session=False)
        if sign_method != "sha256":
            raise AuthError("The sign method in the settings is not known: use sha256 "
                            "(default), md5, hmac or hmac-sha256.",
                            detail=f"sign_method {sign_method!r}")
        # No user token: the affiliate API is called with the app key alone.
        app_only = {k: v for k, v in credentials.items() if k != "access_token"}
        return iop_request(method=METHOD, business=business, credentials=app_only,
                           timestamp_ms=timestamp_ms)

    def parse(self, data, query=None):
        products = locate_products(data)
        asked = to_text(getattr(query, "product_id", ""))
        several = bool(to_text(getattr(query, "extras", {}).get("product_ids", "")).strip(", "))
        chosen, warnings = _choose(products, asked, several)
        return _AffiliateParser(chosen, data, query, warnings).product()

    def parse_all(self, data, query=None) -> list[Product]:
        return [_AffiliateParser(raw, data, query, []).product()
                for raw in locate_products(data)]

    # -- the demo gateway ----------------------------------------------------------------
    def sandbox_product_id(self, params):
        """The first asked-for id the demo knows (else the first id): the gateway answers
        with the products it finds, in the order asked."""
        from lib.sandbox.gateway import fixture_ids     # the sandbox imports platforms

        ids = [i.strip() for i in params.get("product_ids", "").split(",") if i.strip()]
        known = set(fixture_ids(KEY))
        return next((i for i in ids if i in known), ids[0] if ids else "")

    def sandbox_not_found(self, request_id, product_id, params=None):
        # What the affiliate gateway answers when none of the ids gives a product:
        # resp_code 405 "The result is empty" with no result block (the same body the
        # family's query/list calls send for an empty answer).
        return {RESPONSE_KEY: {"resp_result": {"resp_code": EMPTY_RESULT,
                                               "resp_msg": "The result is empty"},
                               "request_id": request_id}}

    def sandbox_answer(self, fixture, params):
        """The fixture, with the other asked-for demo products added (unknown ids are
        left out, as the gateway does); a tracking id the demo does not know gets the
        real 402 answer."""
        request_id = to_text(fixture.get(RESPONSE_KEY, {}).get("request_id")) or "demo"
        tracking = params.get("tracking_id", "")
        if tracking and tracking != self.demo_credentials["tracking_id"]:
            return {RESPONSE_KEY: {"resp_result": {"resp_code": PARAMETER_ERROR,
                                                   "resp_msg": "TrackingId input parameter "
                                                               "error"},
                                   "request_id": request_id}}
        ids = [i.strip() for i in params.get("product_ids", "").split(",") if i.strip()]
        answer = fixture if len(ids) < 2 else self._merged_answer(ids, request_id)
        return _in_target_currency(answer, params.get("target_currency", ""))

    def _merged_answer(self, ids: list[str], request_id: str) -> dict:
        from lib.sandbox.gateway import load_fixture     # the sandbox imports platforms

        merged: list[dict] = []
        for product_id in dict.fromkeys(ids):
            data = load_fixture(KEY, product_id)
            if data is not None:
                merged.extend(p for p in locate_products(data) if isinstance(p, dict))
        return {RESPONSE_KEY: {"resp_result": {
            "resp_code": 200, "resp_msg": "Call succeeds",
            "result": {"current_record_count": len(merged),
                       "products": {"product": merged}}},
            "request_id": request_id}}


_PRICES = ("original_price", "sale_price", "app_sale_price")


def _in_target_currency(answer: dict, target: str) -> dict:
    """The answer with target_* prices in `target`, as the live gateway sends them: the
    seller's price (in its own currency) converted with the reference rates."""
    from lib.rates import reference_rate

    target = target.strip().upper()
    if not target:
        return answer
    answer = copy.deepcopy(answer)
    for product in locate_products(answer):
        for name in _PRICES:
            if product.get(f"target_{name}_currency", "") == target:
                continue                 # already in the currency asked for
            rate = reference_rate(to_text(product.get(f"{name}_currency")), target)
            converted = converted_price_text(product.get(name), rate) if rate else None
            if converted is not None:
                product[f"target_{name}"] = converted
                product[f"target_{name}_currency"] = target
    return answer


PLATFORM = AliExpressAffiliate()


def parse_all(data: Any, query: Any = None) -> list[Product]:
    """Every product of a (multi-id) answer, in the order the gateway sent them."""
    return PLATFORM.parse_all(data, query)


def product_ids(query: Any) -> list[str]:
    """The ids one call asks for: the query's id, then any extras["product_ids"]."""
    ids = [to_text(query.product_id)]
    for extra in to_text(getattr(query, "extras", {}).get("product_ids", "")).split(","):
        extra = extra.strip()
        if extra:
            ids.append(validate_aliexpress_id(extra))
    ids = list(dict.fromkeys(i for i in ids if i))
    if len(ids) > MAX_IDS:
        raise InvalidQuery(f"Ask for at most {MAX_IDS} products in one call.")
    return ids


def target_language(language: str) -> str:
    """'en' -> 'EN', 'pt_BR' -> 'PT' (the API takes two upper-case letters)."""
    return to_text(language).split("_")[0].split("-")[0].upper()


# -- locating the products --------------------------------------------------------------
def locate_products(data: Any) -> list[dict]:
    """The product objects of any known shape; raises for error envelopes and codes."""
    if isinstance(data, list):
        # A saved list of products: each must look like one, else the shape is wrong.
        products = [p for p in data if isinstance(p, dict)
                    and any(k in p for k in _PRODUCT_MARKERS)]
        if len(products) != len(data) or not data:
            raise BadResponse(detail="a JSON list that is not a list of products")
        return products
    body = open_body(data, RESPONSE_KEY)      # raises resp_code 402, 405 ... (envelopes)
    outcome = body.get("resp_result", body)
    if isinstance(outcome, list):                       # a flattened capture
        outcome = {"result": {"products": outcome}}
    if not isinstance(outcome, dict):
        raise BadResponse(detail="resp_result is not an object")
    if "resp_code" in outcome and "result" not in outcome:
        raise ProductNotFound(detail=f"resp_code {to_text(outcome.get('resp_code'))} "
                                     f"without a result")
    result = outcome.get("result", outcome)
    if isinstance(result, dict) and any(k in result for k in _PRODUCT_MARKERS) \
            and "products" not in result:
        return [result]                                 # a single product object alone
    if not isinstance(result, dict):
        raise BadResponse(detail="result is not an object")
    if "products" not in result:
        if "current_record_count" in result:
            raise ProductNotFound(detail="no products in the answer")
        raise BadResponse(detail="no products (result.products) in the answer")
    products = [p for p in as_list(result.get("products")) if isinstance(p, dict)]
    if not products:
        raise ProductNotFound(detail="the answer lists no products")
    return products


def _choose(products: list[dict], asked: str, several: bool) -> tuple[dict, list[str]]:
    """The asked-for product. A lone product with another id is taken (the gateway may
    answer with a regional id) unless the call asked for several ids."""
    if not asked:
        return products[0], []
    for product in products:
        if to_text(product.get("product_id")) == asked:
            return product, []
    if len(products) == 1 and not several:
        other = to_text(products[0].get("product_id"))
        return products[0], ([f"The answer describes product {other} for the requested "
                              f"{asked}."] if other else [])
    raise ProductNotFound(detail=f"{asked} is not among the {len(products)} products sent")


# -- one product --------------------------------------------------------------------------
class _AffiliateParser:
    def __init__(self, raw_product: dict, data: Any, query: Any,
                 warnings: list[str]) -> None:
        self.p = raw_product
        self.raw = data
        self.query = query
        self.warnings = list(warnings)

    def product(self) -> Product:
        p = self.p
        product_id = to_text(p.get("product_id"))
        if not product_id:
            product_id = to_text(getattr(self.query, "product_id", ""))
            self.warnings.append("The answer carries no product id.")
        skus, currency, price_notes = self._skus()
        title = to_text(p.get("product_title"))
        if not title:
            self.warnings.append("The product has no title.")
        product = Product(
            platform=KEY,
            product_id=product_id,
            title=title,
            url=f"https://www.aliexpress.com/item/{product_id}.html" if product_id else "",
            category=self._category(),
            status=to_text(p.get("platform_product_type")),
            currency=currency,
            query=self.query,
            skus=skus,
            sku_properties=[],
            tiers=frame([], TIER_COLUMNS),
            store=self._store(),
            media=self._media(),
            trade=self._trade(price_notes),
            not_provided=list(NOT_PROVIDED),
            raw=self.raw,
        )
        product.warnings = self.warnings
        return product

    # -- prices -------------------------------------------------------------------------
    def _price(self, name: str) -> tuple[float | None, str]:
        return to_float(self.p.get(name)), to_text(self.p.get(f"{name}_currency")).upper()

    def _skus(self):
        target_list, target_list_cur = self._price("target_original_price")
        target_sale, target_sale_cur = self._price("target_sale_price")
        target_app, target_app_cur = self._price("target_app_sale_price")
        orig_list, orig_list_cur = self._price("original_price")
        orig_sale, orig_sale_cur = self._price("sale_price")
        orig_app, orig_app_cur = self._price("app_sale_price")
        target_cur = target_sale_cur or target_list_cur or target_app_cur
        orig_cur = orig_sale_cur or orig_list_cur or orig_app_cur
        notes: dict[str, str] = {}
        extras: dict[str, float | None] = {}
        if target_sale is None and target_list is None:
            # No target currency asked for (or sent): the seller's prices are the prices.
            price, sale, app, currency = orig_list, orig_sale, orig_app, orig_cur
        else:
            price, sale, app, currency = target_list, target_sale, target_app, target_cur
            if orig_cur and orig_cur != target_cur:
                extras = {f"price ({orig_cur})": orig_list,
                          f"sale price ({orig_cur})": orig_sale,
                          f"app price ({orig_cur})": orig_app}
                notes[f"Seller's prices ({orig_cur})"] = ", ".join(
                    f"{name.split(' (')[0]} {value:.2f}" for name, value in extras.items()
                    if value is not None)
                self.warnings.append(
                    f"AliExpress converted the prices to {target_cur}; the seller's own "
                    f"prices are in {orig_cur} (kept in the “price ({orig_cur})” columns).")
        if sale is None:
            sale = price
        if price is None:
            price = sale
        if price is None:
            self.warnings.append("The product has no price.")
        discount = discount_pct(price, sale)
        if discount is None:
            discount = to_float(self.p.get("discount"))
        row: dict[str, Any] = {
            "sku_id": to_text(self.p.get("sku_id")) or "#1", "sku_attr": "",
            "price": price, "sale_price": sale, "discount_pct": discount,
            "currency": currency, "stock": None,
            "image_url": safe_url(self.p.get("product_main_image_url")),
            "barcode": "", "ean": "",
        }
        columns = SKU_KEY_COLUMNS + SKU_VALUE_COLUMNS
        if app is not None and app != sale:
            # The price in the AliExpress app, when it differs from the web price.
            row["app price"] = app
            columns = columns + ["app price"]
            notes["App-only price"] = f"{app:.2f} {currency}"
        row.update(extras)
        skus = frame([row], columns + list(extras))
        for column in ["app price", *extras]:
            if column in skus:
                skus[column] = skus[column].astype("Float64")
        return skus, currency, notes

    # -- the rest -----------------------------------------------------------------------
    def _category(self) -> str:
        names = [to_text(self.p.get(f"{level}_level_category_name"))
                 or to_text(self.p.get(f"{level}_level_category_id"))
                 for level in ("first", "second")]
        return " › ".join(n for n in names if n)

    def _store(self) -> Store:
        shop_id = to_text(self.p.get("shop_id"))
        url = safe_url(self.p.get("shop_url")) or (
            f"https://www.aliexpress.com/store/{shop_id}" if shop_id else "")
        feedback = to_float(self.p.get("evaluate_rate"))
        if feedback is not None and not 0 <= feedback <= 100:
            self.warnings.append(f"The positive-feedback rate {feedback:g}% is out of "
                                 f"range and was left out.")
            feedback = None
        volume = self.p.get("lastest_volume")
        return Store(name=to_text(self.p.get("shop_name")), store_id=shop_id, url=url,
                     positive_feedback_pct=feedback, sales_count=to_int(volume),
                     sales_text=to_text(volume))

    def _media(self) -> Media:
        urls = [safe_url(self.p.get("product_main_image_url"))]
        urls += [safe_url(u) for u in split_list(self.p.get("product_small_image_urls"))]
        images = [Image(url, "main") for url in dict.fromkeys(u for u in urls if u)]
        if not images:
            self.warnings.append("The product has no images.")
        videos = []
        sent = to_text(self.p.get("product_video_url"))
        if sent:                                        # "" means: no video
            # No poster or id of its own: kept only when playable, shown over the main image.
            video = listed_video(sent)
            if video is None:
                self.warnings.append(NO_ADDRESS_WARNING)
            else:
                video.poster = images[0].url if images else ""
                videos.append(video)
        return Media(images=images, videos=videos)

    def _trade(self, price_notes: dict[str, str]) -> Trade:
        p = self.p
        notes = dict(price_notes)
        for name, label in (("discount", "Discount"), ("tax_rate", "Tax rate"),
                            ("relevant_market_commission_rate", "JV commission rate"),
                            ("platform_product_type", "Platform product type")):
            text = to_text(p.get(name))
            if text:
                notes[label] = text
        detail_url = safe_url(p.get("product_detail_url"))
        if detail_url:
            notes["Product page (as sent)"] = detail_url
        notes.update(self._promo_code())
        return Trade(commission_rate_pct=to_float(p.get("commission_rate")),
                     hot_commission_rate_pct=to_float(p.get("hot_product_commission_rate")),
                     promotion_link=safe_url(p.get("promotion_link")),
                     ship_to_country=to_text(getattr(self.query, "country", "")).upper(),
                     notes=notes)

    def _promo_code(self) -> dict[str, str]:
        promo = self.p.get("promo_code_info")
        promo = promo[0] if isinstance(promo, list) and promo else promo
        if not isinstance(promo, dict):
            return {}
        code = to_text(promo.get("promo_code"))
        if not code:
            return {}
        kind = {"1": "amount off", "2": "percent off"}.get(
            to_text(promo.get("code_campaigntype")), "")
        parts = [to_text(promo.get("code_value")), kind]
        start, end = (to_text(promo.get("code_availabletime_start")),
                      to_text(promo.get("code_availabletime_end")))
        if start or end:
            parts.append(f"valid {start} – {end}".strip())
        if to_text(promo.get("code_mini_spend")):
            parts.append(f"minimum spend {to_text(promo.get('code_mini_spend'))}")
        if to_text(promo.get("code_quantity")):
            parts.append(f"{to_text(promo.get('code_quantity'))} left")
        notes = {"Promo code": f"{code}: " + "; ".join(p for p in parts if p)}
        link = safe_url(promo.get("code_promotionurl"))
        if link:
            notes["Promo code link"] = link
        return notes

