"""AliExpress seller-side product reads (legacy TOP APIs) over the TOP router.

Three methods return nearly the same product under two naming schemes:

* ``aliexpress.postproduct.redefining.findaeproductbyid`` and
  ``...findaeproductbyidfordropshipper``: ``aeop_ae_product_s_k_us.aeop_ae_product_sku[]``
  with ``aeop_s_k_u_propertys.aeop_sku_property[]`` (the dropshipper variant adds
  ``store_info`` with the DSR ratings, ``order_count``, ``evaluation_count``,
  ``avg_evaluation_rating``);
* ``aliexpress.solution.product.info.get``: the same lists named
  ``global_aeop_ae_product_sku[]`` / ``aeop_s_k_u_property_list.global_aeop_sku_property[]``,
  plus ``multi_language_*`` lists and ``multi_country_price_configuration``.

National quote configuration (per ship-to country prices) arrives in the old format
(one ``percentage`` for every SKU per country) or the new one (``absoluteQuoteMap``
per SKU key per country), its meaning set by ``configuration_type``
(percentage / relative / absolute); both become ``Product.country_prices``.
"""
from __future__ import annotations

import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Mapping

from lib.coerce import as_list, maybe_json, safe_url, split_list, to_bool, to_float, to_int, to_text
from lib.errors import BadResponse, InvalidQuery, UpstreamError
from lib.model import (ATTRIBUTE_COLUMNS, COUNTRY_PRICE_COLUMNS, SKU_KEY_COLUMNS,
                       SKU_VALUE_COLUMNS, TIER_COLUMNS, Image, Media, Product, Store, Trade,
                       frame)
from lib.platforms.aliexpress_common import (ALI_MEDIA_HOSTS, ALIEXPRESS_HOSTS, ID_HINT, aliexpress_id_from_url,
                                             validate_aliexpress_id)
from lib.platforms.base import Platform
from lib.platforms.common import (discount_pct, first_object, most_common,
                                   price_pair)
from lib.platforms.envelopes import find_error, open_body
from lib.platforms.top import top_request
from lib.platforms.video import listed_video
from lib.sanitize import image_sources, sanitize_html

KEY = "aliexpress-seller"
SELLER_VIDEO_NOTE = "This API sends only the video's id and poster, not a playable address."
METHOD_SOLUTION = "aliexpress.solution.product.info.get"
METHOD_FIND = "aliexpress.postproduct.redefining.findaeproductbyid"
METHOD_DROPSHIPPER = "aliexpress.postproduct.redefining.findaeproductbyidfordropshipper"
METHODS = (METHOD_SOLUTION, METHOD_FIND, METHOD_DROPSHIPPER)
DEFAULT_METHOD = METHOD_SOLUTION
# Short names accepted in the settings / query extras besides the full method names.
METHOD_ALIASES = {"solution": METHOD_SOLUTION, "info": METHOD_SOLUTION,
                  "findaeproductbyid": METHOD_FIND, "find": METHOD_FIND,
                  "findaeproductbyidfordropshipper": METHOD_DROPSHIPPER,
                  "dropshipper": METHOD_DROPSHIPPER}
TOP_GATEWAY = "https://api.taobao.com/router/rest"
SIGN_METHODS = ("md5", "hmac", "hmac-sha256")

# Seed changelog, Sep. 8 2021, aliexpress.solution.product.info.get: "QPS limit set to
# 80; QPM limit set to 4800". The client paces by Platform.qps; the per-minute window
# (4800 / 60 = 80 per second on average, so QPS 80 sustained for a whole minute is
# already at the cap) is for the client's reliability layer to enforce.
QPS = 80
QPM = 4800

# Well-known AliExpress SKU property ids, for properties sent without a name (the
# solution shape sends only sku_property_id + property_value_definition_name).
KNOWN_PROPERTIES = {"14": "Color", "5": "Size", "200007763": "Ships From"}
SHIPS_FROM_PROPERTY_ID = "200007763"
# product_unit codes (the common ones of the TOP AeopAeProduct documentation).
UNITS = {"100000015": "piece/pieces", "100000017": "set/sets", "100000013": "pair",
         "100000014": "pack/packs", "100000000": "bag/bags", "100000004": "dozen",
         "100078580": "carton"}
DSR_FIELDS = {
    # label -> field names, the misspelt ones the gateway really sends first
    "Item as described": ("item_as_descriped_rating", "item_as_described_rating",
                          "tem_as_descriped_rating"),
    "Communication": ("communication_rating",),
    "Shipping speed": ("shipping_speed_rating",),
}
_RESULT_MARKERS = ("aeop_ae_product_s_k_us", "image_u_r_ls", "subject", "product_id",
                   "is_success", "multi_language_subject_list")
# The two naming schemes of the same lists: legacy (findaeproductbyid*) -> solution.
LEGACY_TO_SOLUTION = {
    "aeop_ae_product_sku": "global_aeop_ae_product_sku",
    "aeop_s_k_u_propertys": "aeop_s_k_u_property_list",
    "aeop_sku_property": "global_aeop_sku_property",
    "aeop_ae_product_property": "global_aeop_ae_product_property",
    "aeop_ae_video": "global_aeop_ae_video",
}
SOLUTION_TO_LEGACY = {v: k for k, v in LEGACY_TO_SOLUTION.items()}
# Values the documentation samples use as "nothing here".
_PLACEHOLDERS = {"", "0", "null", "none"}


def response_key(method: str) -> str:
    return method.replace(".", "_") + "_response"


RESPONSE_KEYS = tuple(response_key(m) for m in METHODS)


def choose_method(query: Any, credentials: Mapping[str, str]) -> str:
    """The API to call: query extras first, then the settings, then the default."""
    extras = getattr(query, "extras", None) or {}
    wanted = (to_text(extras.get("method")) or to_text(credentials.get("method"))
              or DEFAULT_METHOD).strip()
    method = METHOD_ALIASES.get(wanted.lower(), wanted)
    if method not in METHODS:
        raise InvalidQuery(f"“{wanted[:60]}” is not one of the AliExpress seller product "
                           f"APIs this app can call: {', '.join(METHODS)}.")
    return method


class AliExpressSeller(Platform):
    key = KEY
    label = "AliExpress (seller, legacy)"
    link_hosts = ALIEXPRESS_HOSTS
    web_hosts = ALIEXPRESS_HOSTS
    media_hosts = ALI_MEDIA_HOSTS
    id_hint = ID_HINT
    api_methods = METHODS
    qps = float(QPS)
    qpm = QPM
    demo_credentials = {"app_key": "24680135", "app_secret": "demo-seller-secret-not-real",
                        "access_token": "demo-seller-session-token"}

    def validate_id(self, text: str) -> str:
        return validate_aliexpress_id(text)

    def id_from_url(self, host, path, query):
        return aliexpress_id_from_url(host, path, query)

    def build_request(self, query, credentials, *, timestamp_ms):
        method = choose_method(query, credentials)
        sign_method = to_text(credentials.get("sign_method")) or "md5"
        if sign_method not in SIGN_METHODS:
            raise InvalidQuery(f"“{sign_method[:20]}” is not a TOP signing method; use one "
                               f"of {', '.join(SIGN_METHODS)}.")
        business: dict[str, str] = {"product_id": query.product_id}
        if method == METHOD_DROPSHIPPER:
            business.update(local_country=query.country, local_language=query.language)
        return top_request(method=method, business=business,
                           credentials={**credentials, "sign_method": sign_method},
                           timestamp_ms=timestamp_ms, gateway=TOP_GATEWAY)

    def parse(self, data, query=None):
        return _SellerParser(data, query).product()

    # -- the demo gateway ---------------------------------------------------------------
    def sandbox_product_id(self, params):
        return params.get("product_id", "")

    def sandbox_not_found(self, request_id, product_id, params=None):
        # The TOP router's answer for a product id the seller does not own / that is gone.
        return {"error_response": {"code": 15, "msg": "Remote service error",
                                   "sub_code": "isp.product.not.exist",
                                   "sub_msg": "product not exist",
                                   "request_id": request_id[:12]}}

    def sandbox_answer(self, fixture, params):
        """The stored answer re-wrapped for the requested method, its lists renamed to
        that method's naming scheme (the fixture may be stored in either)."""
        method = params.get("method", DEFAULT_METHOD)
        body = next((v for k, v in fixture.items() if k in RESPONSE_KEYS), fixture)
        body = dict(body)
        mapping = LEGACY_TO_SOLUTION if method == METHOD_SOLUTION else SOLUTION_TO_LEGACY
        body["result"] = _rename_keys(body.get("result", {}), mapping)
        return {response_key(method): body}


PLATFORM = AliExpressSeller()


def _rename_keys(value: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {mapping.get(k, k): _rename_keys(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename_keys(v, mapping) for v in value]
    return value


# --- locating the product ----------------------------------------------------------------
def locate_result(data: Any) -> dict:
    """The product object, whichever shape `data` is; raises for error answers."""
    body = open_body(data, RESPONSE_KEYS)
    result = body.get("result", body)
    if isinstance(result, list):
        result = result[0] if result else {}
    if not isinstance(result, dict) or not any(k in result for k in _RESULT_MARKERS):
        raise BadResponse(detail="no product data (aeop_ae_product_s_k_us / subject) in "
                                 "the answer")
    if to_bool(result.get("is_success")) is False:
        # A result found by shape (not under `result`): the same rule as every answer.
        raise find_error({"result": result}) or UpstreamError(detail="is_success false")
    return result


def _placeholder(value: Any) -> bool:
    return to_text(value).strip().lower() in _PLACEHOLDERS


def _given(value: Any) -> str:
    """The value as text, or "" for the samples' placeholders ("0", "null")."""
    return "" if _placeholder(value) else to_text(value)


def _value_id(prop: Mapping[str, Any]) -> str:
    return _given(prop.get("property_value_id")) or _given(prop.get("property_value_id_long"))



def _money(value: Decimal) -> float:
    try:
        return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    except InvalidOperation:      # absurdly large numbers exceed the decimal precision
        return round(float(value), 2)


def _decimal(value: Any) -> Decimal | None:
    number = to_float(value)
    if number is None:
        return None
    try:
        return Decimal(str(number))
    except InvalidOperation:
        return None


def attr_key(text: str) -> frozenset[str]:
    """'14:193#Red;5:100' -> {'14:193', '5:100'}: a SKU key, order and labels ignored."""
    parts = (p.partition("#")[0].strip() for p in to_text(text).split(";"))
    return frozenset(p for p in parts if p)


# --- the parser ----------------------------------------------------------------------------
class _SellerParser:
    def __init__(self, data: Any, query: Any) -> None:
        self.raw = data
        self.query = query
        self.result = locate_result(data)
        self.warnings: list[str] = []
        self.not_provided: list[str] = []
        self.property_ids: dict[str, str] = {}      # column name -> property id
        self.sku_codes: dict[str, int] = {}         # sku_code -> row index

    def product(self) -> Product:
        self._success_with_error()
        product_id = self._product_id()
        title, description = self._texts()
        skus, tiers, sku_images = self._skus()
        currency = (most_common(skus["currency"])
                    or to_text(self.result.get("currency_code")))
        product = Product(
            platform=KEY,
            product_id=product_id,
            title=title,
            url=f"https://www.aliexpress.com/item/{product_id}.html" if product_id else "",
            category=to_text(self.result.get("category_id")),
            status=to_text(self.result.get("product_status_type")),
            currency=currency,
            query=self.query,
            description_html=description,
            skus=skus,
            sku_properties=list(self.property_ids),
            tiers=tiers,
            country_prices=self._country_prices(skus),
            attributes=self._attributes(),
            store=self._store(),
            media=self._media(sku_images, description),
            trade=self._trade(skus),
            raw=self.raw,
        )
        if not product.title:
            self.warnings.append("The product has no title.")
        product.warnings = self.warnings
        product.not_provided = self.not_provided
        return product

    # -- envelope quirks, identity, texts -----------------------------------------------
    def _success_with_error(self) -> None:
        code = to_text(self.result.get("error_code"))
        message = to_text(self.result.get("error_message"))
        if (code and not _placeholder(code)) or (message and not _placeholder(message)):
            said = " ".join(t for t in (code, f"({message})" if message else "") if t)
            self.warnings.append(f"The marketplace reported error {said} in an answer it "
                                 f"marked as successful; some fields may be missing.")

    def _product_id(self) -> str:
        sent = to_text(self.result.get("product_id"))
        asked = to_text(getattr(self.query, "product_id", ""))
        if asked and sent and asked != sent:
            self.warnings.append(f"The answer describes product {sent} for the requested "
                                 f"{asked}.")
        chosen = asked or sent
        if not chosen:
            self.warnings.append("The answer carries no product id.")
        return chosen

    def _language_entry(self, value: Any) -> dict:
        """The multi-language entry for the query's language (es -> es_ES), if any."""
        language = to_text(getattr(self.query, "language", "")).lower()
        if not language:
            return {}
        entries = [e for e in as_list(value) if isinstance(e, dict)]
        for entry in entries:
            if to_text(entry.get("locale")).lower() == language:
                return entry
        for entry in entries:
            if to_text(entry.get("locale")).lower().split("_")[0] == language.split("_")[0]:
                return entry
        return {}

    def _texts(self) -> tuple[str, str]:
        subject = self._language_entry(self.result.get("multi_language_subject_list"))
        title = to_text(subject.get("subject")) or to_text(self.result.get("subject"))
        if not title:
            others = [e for e in as_list(self.result.get("multi_language_subject_list"))
                      if isinstance(e, dict) and to_text(e.get("subject"))]
            title = to_text(others[0].get("subject")) if others else ""
        described = self._language_entry(self.result.get("multi_language_description_list"))
        candidates = [_module_html(described.get("web_detail")),
                      _module_html(described.get("mobile_detail")),
                      to_text(self.result.get("detail")),
                      _module_html(self.result.get("mobile_detail"))]
        description = ""
        for candidate in candidates:
            cleaned = sanitize_html(candidate)
            if _has_content(cleaned):
                description = cleaned
                break
        return title, description

    # -- SKUs, tiers -----------------------------------------------------------------------
    def _skus(self):
        rows, tier_rows = [], []
        sku_images: dict[tuple[str, str], str] = {}
        raw_skus = [s for s in as_list(self.result.get("aeop_ae_product_s_k_us"))
                    if isinstance(s, dict)]
        base_currency = to_text(self.result.get("currency_code"))
        for index, sku in enumerate(raw_skus):
            props = [p for p in as_list(sku.get("aeop_s_k_u_propertys")
                                        or sku.get("aeop_s_k_u_property_list"))
                     if isinstance(p, dict)]
            built_attr = ";".join(f"{_given(p.get('sku_property_id'))}:{_value_id(p)}"
                                  for p in props if _given(p.get("sku_property_id")))
            sku_attr = to_text(sku.get("id")) or built_attr
            code = to_text(sku.get("sku_code"))
            row: dict[str, Any] = {"sku_id": code or sku_attr or f"#{index + 1}",
                                   "sku_attr": sku_attr}
            image = ""
            for prop in props:
                column = self._property_column(prop)
                value = self._property_value(prop)
                row[column] = value
                prop_image = safe_url(_given(prop.get("sku_image")))
                if prop_image:
                    image = image or prop_image
                    sku_images.setdefault((column, value), prop_image)
            sale = to_float(sku.get("offer_sale_price"))
            if sale is None:
                sale = to_float(sku.get("sku_discount_price"))
            price, sale = price_pair(to_float(sku.get("sku_price")), sale)
            if price is None:
                self.warnings.append(f"SKU {row['sku_id']} has no price.")
            row.update({
                "price": price, "sale_price": sale,
                "discount_pct": discount_pct(price, sale),
                "currency": to_text(sku.get("currency_code")) or base_currency,
                "stock": self._stock(sku),
                "image_url": image,
                "barcode": _given(sku.get("barcode")),
                "ean": "",
            })
            if code:
                self.sku_codes.setdefault(code, index)
            rows.append(row)
            tier_rows.extend(self._tiers(sku, row))
        if not raw_skus:
            self.warnings.append("The answer lists no SKUs, so there are no prices or stock.")
        ids = Counter(r["sku_id"] for r in rows)
        for number, row in enumerate(rows):
            if ids[row["sku_id"]] > 1:
                row["sku_id"] = f"{row['sku_id']}#{number + 1}"
        attrs = Counter(r["sku_attr"] for r in rows if r["sku_attr"])
        shared = sorted(a for a, n in attrs.items() if n > 1)
        if shared:
            self.warnings.append(f"{sum(attrs[a] for a in shared)} SKUs share the same "
                                 f"variant key ({', '.join(shared)}), so they cannot be told "
                                 f"apart by their options.")
        columns = SKU_KEY_COLUMNS + list(self.property_ids) + SKU_VALUE_COLUMNS
        return frame(rows, columns), frame(tier_rows, TIER_COLUMNS), sku_images

    def _stock(self, sku: Mapping[str, Any]) -> int | None:
        for field_name in ("s_k_u_available_stock", "ipm_sku_stock"):
            stock = to_int(sku.get(field_name))
            if stock is not None:
                return stock
        in_stock = to_bool(sku.get("sku_stock"))
        if in_stock is False:
            return 0
        return None

    def _property_column(self, prop: Mapping[str, Any]) -> str:
        pid = _given(prop.get("sku_property_id"))
        name = to_text(prop.get("sku_property_name")) or KNOWN_PROPERTIES.get(pid) \
            or f"Property {pid or '?'}"
        if name in SKU_KEY_COLUMNS + SKU_VALUE_COLUMNS:
            name = f"{name} (variant)"
        known = self.property_ids.get(name)
        if known is not None and known != pid:
            name = f"{name} ({pid})"
        self.property_ids.setdefault(name, pid)
        return name

    @staticmethod
    def _property_value(prop: Mapping[str, Any]) -> str:
        for field_name in ("property_value_definition_name", "sku_property_value"):
            value = prop.get(field_name)
            if not _placeholder(value):
                return to_text(value)
        return _value_id(prop)

    def _tiers(self, sku: Mapping[str, Any], row: Mapping[str, Any]) -> list[dict]:
        base = row["sale_price"]
        if base is None:
            return []
        bulk_qty = to_int(sku.get("sku_bulk_order"))
        bulk_price = to_float(sku.get("offer_bulk_sale_price"))
        source = "bulk price"
        if not (bulk_qty and bulk_qty > 1 and bulk_price is not None):
            # Product-level bulk discount: bulk_discount is the percentage taken off
            # (32 means 32 % off) from bulk_order pieces on.
            bulk_qty = to_int(self.result.get("bulk_order"))
            off = to_float(self.result.get("bulk_discount"))
            bulk_price = None
            if bulk_qty and bulk_qty > 1 and off is not None and 0 < off < 100:
                bulk_price = _money(Decimal(str(base)) * (Decimal(100) - Decimal(str(off)))
                                    / Decimal(100))
                source = "bulk discount"
        if not bulk_qty or bulk_qty <= 1 or bulk_price is None or bulk_price >= base:
            return []
        common = {"sku_id": row["sku_id"], "currency": row["currency"]}
        return [{**common, "min_qty": 1, "max_qty": bulk_qty - 1, "unit_price": base,
                 "discount": 0.0, "source": "single unit"},
                {**common, "min_qty": bulk_qty, "max_qty": None, "unit_price": bulk_price,
                 "discount": discount_pct(base, bulk_price), "source": source}]

    # -- national quote configuration ------------------------------------------------------
    def _country_prices(self, skus) -> Any:
        sku_rows = [(attr_key(a), a, p) for a, p in zip(skus["sku_attr"].fillna(""),
                                                         skus["price"])]
        rows: list[dict] = []
        config = self.result.get("aeop_national_quote_configuration")
        if isinstance(config, dict) and config:
            rows += self._national_quotes(config, sku_rows)
        multi = self.result.get("multi_country_price_configuration")
        if isinstance(multi, dict) and multi:
            rows += self._multi_country(multi, skus)
        return frame(rows, COUNTRY_PRICE_COLUMNS)

    def _national_quotes(self, config: Mapping[str, Any], sku_rows) -> list[dict]:
        kind = to_text(config.get("configuration_type")).lower()
        data = maybe_json(config.get("configuration_data"))
        if data is None or isinstance(data, str):
            if to_text(config.get("configuration_data")):
                self.warnings.append("The country price configuration could not be read.")
            return []
        entries = [e for e in as_list(data) if isinstance(e, dict)]
        rows: list[dict] = []
        for entry in entries:
            country = to_text(entry.get("shiptoCountry") or entry.get("ship_to_country")).upper()
            if not country:
                self.warnings.append("A country price rule names no country; it was skipped.")
                continue
            quote_map = entry.get("absoluteQuoteMap")
            if isinstance(quote_map, dict):            # new format: per SKU key
                for key, value in quote_map.items():
                    matched = [s for s in sku_rows if s[0] == attr_key(key)]
                    if not matched:
                        if kind == "absolute" and to_float(value) is not None:
                            rows.append(self._quote_row(key, None, country, kind, value))
                        self.warnings.append(f"The country price for {country} names a "
                                             f"variant ({key or 'no options'}) that is not "
                                             f"among the SKUs.")
                        continue
                    rows += [self._quote_row(attr, base, country, kind, value)
                             for _, attr, base in matched]
            elif "percentage" in entry:                # old format: every SKU alike
                rows += [self._quote_row(attr, base, country, kind, entry["percentage"])
                         for _, attr, base in sku_rows]
            else:
                self.warnings.append(f"The country price rule for {country} has no value.")
        return [r for r in rows if r is not None]

    def _quote_row(self, sku_attr: str, base: Any, country: str, kind: str, value: Any,
                   note: str = "") -> dict | None:
        amount = _decimal(value)
        if amount is None:
            self.warnings.append(f"The country price for {country} is not a number "
                                 f"(“{to_text(value)[:20]}”).")
            return None
        if kind == "absolute":
            if amount < 0:
                self.warnings.append(f"A negative direct price for {country} was ignored.")
                return None
            price, rule = amount, "absolute"
        elif kind in ("percentage", "relative"):
            base_price = _decimal(base)                 # None for a missing price
            if base_price is None:
                self.warnings.append(f"A country price for {country} is relative to a SKU "
                                     f"price that was not sent.")
                return None
            if kind == "percentage":
                if not -30 <= amount <= 100:
                    self.warnings.append(f"The price adjustment for {country} "
                                         f"({amount:+}%) is outside the documented range "
                                         f"-30 % to +100 %.")
                price = base_price * (Decimal(100) + amount) / Decimal(100)
                rule = f"{'+' if amount >= 0 else '-'}{_plain(abs(amount))}%"
            else:
                price = base_price + amount
                rule = f"{'+' if amount >= 0 else '-'}{abs(amount):.2f}"
        else:
            self.warnings.append(f"The country price rules have an unknown type "
                                 f"(“{kind[:20] or 'none'}”), so they were not applied.")
            return None
        return {"sku_attr": sku_attr, "country": country, "price": _money(price),
                "rule": rule + note}

    def _multi_country(self, config: Mapping[str, Any], skus) -> list[dict]:
        """multi_country_price_configuration: prices per SKU code per country."""
        kind = to_text(config.get("price_type")).lower() or "absolute"
        rows: list[dict] = []
        for country_dto in as_list(config.get("country_price_list")):
            if not isinstance(country_dto, dict):
                continue
            country = to_text(country_dto.get("ship_to_country")).upper()
            for dto in as_list(country_dto.get("sku_price_by_country_list")):
                if not isinstance(dto, dict):
                    continue
                code = to_text(dto.get("sku_code"))
                discount = to_float(dto.get("discount_price"))
                note = f" (discount price {discount:.2f})" if discount is not None else ""
                index = self.sku_codes.get(code)
                if index is None:
                    self.warnings.append(f"The country price for {country} names SKU code "
                                         f"{code or '(none)'}, which is not among the SKUs.")
                    if kind == "absolute":
                        rows.append(self._quote_row(code, None, country, kind,
                                                    dto.get("price"), note))
                    continue
                rows.append(self._quote_row(skus["sku_attr"].iloc[index],
                                            skus["price"].iloc[index], country, kind,
                                            dto.get("price"), note))
        return [r for r in rows if r is not None]

    # -- store, media, attributes, trade ---------------------------------------------------
    def _store(self) -> Store:
        info = self.result.get("store_info")
        info = info if isinstance(info, dict) else first_object(info)
        ratings, missing = {}, []
        for label, names in DSR_FIELDS.items():
            score = next((to_float(info.get(n)) for n in names if to_text(info.get(n))), None)
            if score is None or not 0 <= score <= 5:
                missing.append(label)
            else:
                ratings[label] = score
        if not info:
            self.not_provided.append(
                "Store ratings: only aliexpress.postproduct.redefining."
                "findaeproductbyidfordropshipper sends store ratings and sales; choose it "
                "with the method setting.")
        elif missing:
            self.warnings.append("Store ratings missing: " + ", ".join(missing) + ".")
        store_id = to_text(info.get("store_id"))
        rating = to_float(self.result.get("avg_evaluation_rating"))
        sales_text = to_text(self.result.get("order_count"))
        return Store(
            name=to_text(info.get("store_name")), store_id=store_id,
            url=f"https://www.aliexpress.com/store/{store_id}" if store_id else "",
            ratings=ratings, missing_ratings=missing if info else [],
            product_rating=rating if rating is not None and 0 <= rating <= 5 else None,
            review_count=to_int(self.result.get("evaluation_count")),
            sales_count=to_int(sales_text), sales_text=sales_text)

    def _media(self, sku_images: dict[tuple[str, str], str], description: str) -> Media:
        images = [Image(url, "main") for url in
                  (safe_url(u) for u in split_list(self.result.get("image_u_r_ls"))) if url]
        if not images:
            self.warnings.append("The product has no main images.")
        images += [Image(url, "sku", f"{column}: {value}")
                   for (column, value), url in sku_images.items()]
        images += [Image(url, "detail") for url in image_sources(description)]
        multimedia = self.result.get("aeop_a_e_multimedia")
        listed = as_list(multimedia.get("aeop_a_e_videos")) if isinstance(multimedia, dict) else []
        listed = [v for v in listed if isinstance(v, dict)]
        if listed:
            self.warnings.append(f"{len(listed)} video(s) are listed, but this API sends "
                                 f"only their ids and posters, not a playable address.")
        # Poster-only videos are kept (marked not playable) so the gallery shows them.
        videos = [listed_video(v.get("media_url"), v.get("poster_url"),
                               label=v.get("media_type"), media_id=v.get("media_id"),
                               no_address_note=SELLER_VIDEO_NOTE) for v in listed]
        return Media(images=images, videos=[v for v in videos if v is not None])

    def _attributes(self):
        rows = []
        for prop in as_list(self.result.get("aeop_ae_product_propertys")):
            if not isinstance(prop, dict):
                continue
            value = to_text(prop.get("attr_value"))
            start, end = to_text(prop.get("attr_value_start")), to_text(prop.get("attr_value_end"))
            if not value and (start or end):
                value = f"{start}–{end}" if start and end else start or end
            unit = _given(prop.get("attr_value_unit"))
            rows.append({"name": to_text(prop.get("attr_name")), "value": value, "unit": unit})
        return frame(rows, ATTRIBUTE_COLUMNS)

    def _trade(self, skus) -> Trade:
        dims = [to_float(self.result.get(k)) for k in ("package_length", "package_width",
                                                       "package_height")]
        size = " × ".join(f"{d:g}" for d in dims) + " cm" if all(dims) else ""
        ships_from = [name for name, pid in self.property_ids.items()
                      if pid == SHIPS_FROM_PROPERTY_ID]
        origins = sorted({v for v in skus[ships_from[0]].dropna() if v}) if ships_from else []
        notes: dict[str, str] = {}
        lot = to_int(self.result.get("lot_num"))
        if to_bool(self.result.get("package_type")) and lot and lot > 1:
            notes["Sold in lots of"] = str(lot)
        site_price = to_text(self.result.get("item_offer_site_sale_price"))
        if site_price:
            notes["Site sale price"] = site_price
        unit = UNITS.get(to_text(self.result.get("product_unit")))
        if unit:
            notes["Unit"] = unit
        total = to_int(self.result.get("total_available_stock"))
        if total is not None:
            notes["Total stock"] = str(total)
        return Trade(package_size=size,
                     gross_weight_kg=to_float(self.result.get("gross_weight")),
                     handling_days=to_int(self.result.get("delivery_time")),
                     ship_from_countries=origins, notes=notes)


def _module_html(value: Any) -> str:
    """A description module document ({"moduleList": [...]}) as HTML; HTML passes."""
    decoded = maybe_json(value)
    if isinstance(decoded, str):
        return decoded if "<" in decoded else ""
    if not isinstance(decoded, dict):
        return ""
    parts = []
    for module in as_list(decoded.get("moduleList")):
        if not isinstance(module, dict):
            continue
        kind = to_text(module.get("type"))
        inner = module.get(kind) if isinstance(module.get(kind), dict) else module.get("data", {})
        inner = inner if isinstance(inner, dict) else {}
        content = to_text(inner.get("content"))
        if kind == "html" and content:
            parts.append(content if "<" in content else f"<p>{content}</p>")
        elif kind == "text" and content:
            parts.append(f"<p>{content}</p>")
        elif kind == "image":
            for image in as_list(inner.get("images")) or [inner]:
                url = safe_url(image.get("url")) if isinstance(image, dict) else ""
                if url:
                    parts.append(f'<img src="{url}">')
    return "".join(parts)


_TAGS = re.compile(r"<[^>]+>")


def _has_content(safe_html: str) -> bool:
    return bool(_TAGS.sub("", safe_html).strip()) or "<img" in safe_html


def _plain(number: Decimal) -> str:
    """Decimal('5') -> '5', Decimal('2.50') -> '2.5'."""
    text = format(number.normalize(), "f")
    return text


