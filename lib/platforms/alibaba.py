"""Alibaba.com (ICBU): alibaba.icbu.product.get over the TOP router, with the seller's
session.

Two answer shapes exist. The TOP router sends the nested one:
`{"alibaba_icbu_product_get_response": {"product": {...}, "request_id"}}` with lists
wrapped one level deeper (`skus.sku_definition[]`, `images.string[]`,
`bulk_discount_prices.bulk_discount_price[]`, `deliver_periods.deliver_period[]`).
Clients calling with simplify=true get `{"product": {...}, "request_id"}` and plain
arrays. Both are read, as are the documents' broken lists (`["[\\"a\\"", "\\"b\\"]"]`).

Variants: `product_sku.sku_attributes` is a dictionary of attribute id -> name and
value id -> names/image; each SKU points into it with `attr2_value`, a JSON string of
attribute id -> value id (negative value ids are the seller's own values).

Ids: the API takes the obfuscated product id ("AAF2jmk4AOWGex-cDVm7jTxY"); links carry
the numeric listing number (…_1601939651515.html). A listing number is accepted as a
query; when the gateway cannot find it, the error says where the obfuscated id is.
"""
from __future__ import annotations

import html
import math
import re
from typing import Any, Mapping

from lib.coerce import as_list, maybe_json, safe_url, to_bool, to_float, to_int, to_text
from lib.errors import BadResponse, InvalidQuery, ProductNotFound
from lib.model import (ATTRIBUTE_COLUMNS, LEAD_TIME_COLUMNS, SKU_KEY_COLUMNS,
                       SKU_VALUE_COLUMNS, TIER_COLUMNS, Image, Media, Product, Store,
                       Trade, frame)
from lib.platforms.base import Platform
from lib.platforms.envelopes import open_body
from lib.platforms.top import top_request
from lib.sanitize import image_sources, sanitize_html

METHOD = "alibaba.icbu.product.get"
RESPONSE_KEY = "alibaba_icbu_product_get_response"
KEY = "alibaba"
TOP_GATEWAY = "https://eco.taobao.com/router/rest"
LANGUAGE = "ENGLISH"                  # the only language the API serves
DEFAULT_CURRENCY = "USD"              # wholesale prices are in US dollars (API docs)
EXAMPLE_ID = "AAF2jmk4AOWGex-cDVm7jTxY"
ID_HINT = (f"an Alibaba.com product ID is the obfuscated ID the open platform uses, "
           f"letters, digits, - and _ such as {EXAMPLE_ID}, or a product link like "
           f"https://www.alibaba.com/product-detail/Some-Title_1601939651515.html")
_OBFUSCATED = re.compile(r"[A-Za-z0-9_-]{8,64}")
_LISTING = re.compile(r"[1-9][0-9]{7,18}")
_LINK_PATHS = (
    re.compile(r"/product-detail/(?:[^/]*?_)?([0-9]{8,19})\.html?$", re.IGNORECASE),
    re.compile(r"/product/([0-9]{8,19})(?:[-/.][^/]*)?(?:/[^/]*)?$", re.IGNORECASE),
)
_LISTING_IN_URL = re.compile(r"_([0-9]{8,19})\.html?", re.IGNORECASE)
_PAIRS = re.compile(r"\"?(-?\d+)\"?\s*:\s*\"?(-?\d+)\"?")
NOT_PROVIDED = [
    "Store ratings, product rating, reviews and sales: the Alibaba.com product API "
    "describes the listing, not the supplier's ratings.",
]


# alibaba.icbu.product.get is a seller API: it reads the listings of the store whose
# account authorised the app, and nothing else (seed 002: "获得单个商品详情" with the
# seller's session). Another supplier's listing answers as "product does not exist".
OWN_STORE_ONLY = ("This Alibaba.com API (alibaba.icbu.product.get) reads only the listings "
                  "of the store that authorised this app, so a link to another supplier's "
                  "listing cannot be opened.")
NOT_IN_STORE_MESSAGE = ("No product with this ID was found among the listings of the store "
                        "that authorised this app. " + OWN_STORE_ONLY)
NOT_IN_STORE_HINT = ("Check the ID, or open a listing of the authorising store; to read "
                     "another supplier's products, that supplier's store must authorise "
                     "the app.")
LISTING_NUMBER_HINT = ("The obfuscated ID is the product_id of alibaba.icbu.product.list, "
                       "and the product manager of My Alibaba shows it; another supplier's "
                       "listing can be read only if that supplier's store authorises the "
                       "app.")


def listing_hint(number: str) -> str:
    """What to tell a user who asked for a listing number the API does not know: most
    often a link to another supplier's listing."""
    return (f"{OWN_STORE_ONLY} If listing {number} is that store's own, paste its "
            f"obfuscated ID (such as {EXAMPLE_ID}) from the store's product list instead "
            f"of the number in the link.")


def is_listing_number(text: str) -> bool:
    return bool(_LISTING.fullmatch(to_text(text)))


class Alibaba(Platform):
    key = KEY
    label = "Alibaba.com"
    link_hosts = ("alibaba.com",)
    web_hosts = ("alibaba.com",)
    # Alibaba.com's CDNs; sellers' pictures also sit on Alibaba Cloud storage (the
    # seed's own examples are on oss-cn-hangzhou.aliyuncs.com).
    media_hosts = ("alicdn.com", "alibaba.com", "aliyuncs.com")
    id_hint = ID_HINT
    api_methods = (METHOD,)
    credential_keys = ("app_key", "app_secret", "access_token")
    demo_credentials = {"app_key": "600001", "app_secret": "demo-icbu-secret-not-real",
                        "access_token": "demo-icbu-session"}
    qps = 5.0
    not_provided = tuple(NOT_PROVIDED)

    def validate_id(self, text: str) -> str:
        candidate = to_text(text).strip()
        if _LISTING.fullmatch(candidate):
            return candidate                 # a listing number: see listing_hint
        if _OBFUSCATED.fullmatch(candidate) and any(c.isalpha() for c in candidate):
            return candidate
        if candidate.isascii() and candidate.isdigit():
            raise InvalidQuery(f"“{candidate[:40]}” has {len(candidate)} digits, which no "
                               f"Alibaba.com product number has: {ID_HINT}.")
        raise InvalidQuery(f"“{candidate[:40]}” is not an Alibaba.com product ID: "
                           f"{ID_HINT}.")

    def id_from_url(self, host, path, query):
        for name in ("productId", "product_id", "id"):
            value = to_text(query.get(name))
            if _LISTING.fullmatch(value) or (_OBFUSCATED.fullmatch(value)
                                             and any(c.isalpha() for c in value)):
                return value, {}
        trimmed = path.rstrip("/")
        for pattern in _LINK_PATHS:
            match = pattern.search(trimmed)
            if match:
                return match.group(1), {}
        raise InvalidQuery("This Alibaba.com link does not point to a product page. Paste "
                           "a link that contains /product-detail/…_<number>.html, or the "
                           f"product's obfuscated ID (such as {EXAMPLE_ID}).")

    def build_request(self, query, credentials, *, timestamp_ms):
        return top_request(method=METHOD, credentials=credentials, timestamp_ms=timestamp_ms,
                           gateway=TOP_GATEWAY,
                           business={"product_id": query.product_id, "language": LANGUAGE})

    def parse(self, data, query=None):
        asked = to_text(getattr(query, "product_id", ""))
        try:
            product = locate_product(data)
        except (ProductNotFound, InvalidQuery) as exc:
            if is_listing_number(asked):
                raise InvalidQuery(listing_hint(asked), detail=exc.detail, code=exc.code,
                                   hint=LISTING_NUMBER_HINT,
                                   gateway_message=exc.gateway_message) from None
            if isinstance(exc, ProductNotFound):
                raise ProductNotFound(NOT_IN_STORE_MESSAGE, detail=exc.detail,
                                      code=exc.code, hint=NOT_IN_STORE_HINT,
                                      gateway_message=exc.gateway_message) from None
            raise
        return _IcbuParser(product, data, query).product()

    # -- the demo gateway ----------------------------------------------------------------
    def sandbox_product_id(self, params):
        product_id = params.get("product_id", "")
        if is_listing_number(product_id):
            # Demo convenience: a demo product's listing number opens it too.
            from lib.sandbox.gateway import fixture_ids, load_fixture

            for fixture_id in fixture_ids(KEY):
                fixture = load_fixture(KEY, fixture_id) or {}
                url = to_text(_product_of(fixture).get("pc_detail_url"))
                match = _LISTING_IN_URL.search(url)
                if match and match.group(1) == product_id:
                    return fixture_id
        return product_id

    def sandbox_not_found(self, request_id, product_id, params=None):
        # The TOP router's answer for an unknown id (documented sub_code).
        return {"error_response": {"code": 15, "msg": "Remote service error",
                                   "sub_code": "isp.product.not.exist",
                                   "sub_msg": "商品不存在", "request_id": request_id[:12]}}

    def sandbox_answer(self, fixture, params):
        if params.get("language", LANGUAGE) != LANGUAGE:
            return {"error_response": {"code": 15, "msg": "Remote service error",
                                       "sub_code": "isv.invalid-parameter",
                                       "sub_msg": "language only supports ENGLISH",
                                       "request_id": "demo"}}
        return fixture


PLATFORM = Alibaba()


def _product_of(data: Any) -> dict:
    if not isinstance(data, dict):
        return {}
    body = data.get(RESPONSE_KEY, data)
    product = body.get("product") if isinstance(body, dict) else None
    return product if isinstance(product, dict) else {}


def locate_product(data: Any) -> dict:
    """The `product` object of any known shape; raises for error envelopes."""
    body = open_body(data, RESPONSE_KEY)
    product = body.get("product")
    if product is None and len(body) == 1:
        # A capture stored under its listing number: {"1601939651515": {"product": …}}
        inner = next(iter(body.values()))
        if isinstance(inner, dict) and isinstance(inner.get("product"), dict):
            return locate_product(inner)
    if product is None and any(k in body for k in ("subject", "product_sku", "product_id")):
        product = body                                  # the product object alone
    if isinstance(product, list):
        product = product[0] if product else None
    if not isinstance(product, dict):
        raise BadResponse(detail="no product data (product) in the answer")
    return product


def text_list(value: Any) -> list[str]:
    """A list of strings however sent: plain, wrapped ({"string": [...]}), a JSON or
    ';'-separated string, or the documents' JSON array split at its commas
    (['["mp3"', '"player"]'])."""
    items = as_list(maybe_json(value) if isinstance(value, str) else value)
    texts = [to_text(v) if not isinstance(v, str) else v.strip() for v in items]
    if len(texts) > 1 and texts[0].startswith("[") and texts[-1].endswith("]"):
        decoded = maybe_json(",".join(texts))
        if isinstance(decoded, list):
            texts = [to_text(v) for v in decoded]
    if len(texts) == 1 and ";" in texts[0] and "://" not in texts[0]:
        texts = texts[0].split(";")
    return [t for t in (to_text(t) for t in texts) if t]


def _pairs(value: Any) -> dict[str, str]:
    """attr2_value -> {attribute id: value id}, from JSON or the documents' {11:12,22:21}."""
    decoded = maybe_json(value)
    if isinstance(decoded, dict):
        return {to_text(k): to_text(v) for k, v in decoded.items()}
    return {a: v for a, v in _PAIRS.findall(to_text(value))}


def _plural(unit: Any, quantity: float | None) -> str:
    """'Piece/Pieces' -> the right form; 'Pair' -> 'Pairs', 'Box' -> 'Boxes' for more
    than one (the API sends either form)."""
    unit = to_text(unit)
    if "/" in unit:
        singular, _, plural = unit.partition("/")
        return plural if quantity is None or quantity != 1 else singular
    head, _, last = unit.rpartition(" ")
    if not last.isalpha() or quantity == 1 or last.lower().endswith("s"):
        return unit
    if last.lower().endswith(("x", "z", "ch", "sh")):
        last += "es"
    elif last.lower().endswith("y") and last[-2:-1].lower() not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last


class _Value:
    __slots__ = ("label", "system", "image")

    def __init__(self, label: str, system: str, image: str) -> None:
        self.label, self.system, self.image = label, system, image


class _IcbuParser:
    def __init__(self, product: dict, data: Any, query: Any) -> None:
        self.p = product
        self.raw = data
        self.query = query
        self.warnings: list[str] = []
        self.sourcing = self._object("sourcing_trade")
        self.wholesale = self._object("wholesale_trade")
        self.currency = (to_text(self.sourcing.get("fob_currency")).upper()
                         or DEFAULT_CURRENCY)

    def _object(self, name: str) -> dict:
        value = self.p.get(name)
        value = value[0] if isinstance(value, list) and value else value
        return value if isinstance(value, dict) else {}

    def product(self) -> Product:
        product_id, alt_ids = self._ids()
        skus, tiers, properties, sku_images = self._skus()
        description = self._description()
        product = Product(
            platform=KEY,
            product_id=product_id,
            title=to_text(self.p.get("subject")),
            url=safe_url(self.p.get("pc_detail_url")),
            category=to_text(self.p.get("category_id")),
            status=to_text(self.p.get("status")),
            currency=self.currency,
            query=self.query,
            description_html=description,
            alt_ids=alt_ids,
            skus=skus,
            sku_properties=properties,
            tiers=tiers,
            lead_times=self._lead_times(),
            attributes=self._attributes(),
            store=Store(),
            media=self._media(sku_images, description),
            trade=self._trade(),
            not_provided=list(NOT_PROVIDED),
            raw=self.raw,
        )
        if not product.title:
            self.warnings.append("The product has no title.")
        product.warnings = self.warnings
        return product

    # -- identity -----------------------------------------------------------------------
    def _ids(self) -> tuple[str, dict[str, str]]:
        sent = to_text(self.p.get("product_id"))
        asked = to_text(getattr(self.query, "product_id", ""))
        match = _LISTING_IN_URL.search(to_text(self.p.get("pc_detail_url")))
        listing = match.group(1) if match else (asked if is_listing_number(asked) else "")
        product_id = sent or asked
        if not product_id:
            self.warnings.append("The answer carries no product id.")
        if sent and is_listing_number(asked) and asked != sent:
            self.warnings.append(f"Opened by the listing number {asked} from the page link; "
                                 f"Alibaba.com's API knows this product as {sent}. Use "
                                 f"that ID with live credentials.")
        elif sent and asked and asked != sent:
            self.warnings.append(f"The answer describes product {sent} for the requested "
                                 f"{asked}.")
        alt_ids = {"listing": listing} if listing and listing != product_id else {}
        return product_id, alt_ids

    # -- variants, prices and tiers ------------------------------------------------------
    def _dictionary(self) -> tuple[dict[str, str], dict[tuple[str, str], _Value]]:
        """Column name per attribute id (in the seller's order), and value names."""
        product_sku = self._object("product_sku")
        columns: dict[str, str] = {}
        values: dict[tuple[str, str], _Value] = {}
        # Product attributes used as SKU values may carry the custom name and picture.
        custom: dict[tuple[str, str], tuple[str, str]] = {}
        for attribute in as_list(self.p.get("attributes")):
            if isinstance(attribute, dict):
                key = (to_text(attribute.get("attribute_id")), to_text(attribute.get("value_id")))
                custom[key] = (to_text(attribute.get("sku_custom_value_name")),
                               safe_url(attribute.get("sku_custom_image_url")))
        taken = set(SKU_KEY_COLUMNS + SKU_VALUE_COLUMNS + ["sku_code", "stock by warehouse"])
        for attribute in as_list(product_sku.get("sku_attributes")):
            if not isinstance(attribute, dict):
                continue
            attribute_id = to_text(attribute.get("attribute_id"))
            name = to_text(attribute.get("attribute_name")) or f"Property {attribute_id or '?'}"
            if name in taken:
                name = f"{name} ({attribute_id})" if attribute_id else f"{name} (variant)"
            taken.add(name)
            columns[attribute_id] = name
            for value in as_list(attribute.get("values")):
                if not isinstance(value, dict):
                    continue
                value_id = to_text(value.get("value_id"))
                custom_name, custom_image = custom.get((attribute_id, value_id), ("", ""))
                system = to_text(value.get("system_value_name"))
                label = (to_text(value.get("custom_value_name")) or custom_name or system
                         or (f"Custom value {value_id}" if value_id.startswith("-")
                             else f"Value {value_id}"))
                values[(attribute_id, value_id)] = _Value(
                    label, system, safe_url(value.get("image_url")) or custom_image)
        return columns, values

    def _skus(self):
        product_sku = self._object("product_sku")
        columns, values = self._dictionary()
        raw_skus = [s for s in as_list(product_sku.get("skus")) if isinstance(s, dict)]
        rows, tier_rows, systems = [], [], {}
        sku_images: dict[tuple[str, str], str] = {}
        unknown: set[str] = set()
        warehouses = False
        for index, sku in enumerate(raw_skus):
            sku_id = to_text(sku.get("sku_id")) or f"#{index + 1}"
            chosen = _pairs(sku.get("attr2_value"))
            for attribute_id in chosen:
                if attribute_id not in columns:          # not in the dictionary
                    columns[attribute_id] = f"Property {attribute_id}"
                    unknown.add(attribute_id)
            row: dict[str, Any] = {"sku_id": sku_id, "sku_attr": ";".join(
                f"{a}:{chosen[a]}" for a in columns if a in chosen)}
            image = ""
            for attribute_id, column in columns.items():
                value_id = chosen.get(attribute_id)
                if value_id is None:
                    row[column] = None
                    continue
                value = values.get((attribute_id, value_id))
                if value is None:
                    value = _Value(f"Custom value {value_id}" if value_id.startswith("-")
                                   else f"Value {value_id}", "", "")
                    unknown.add(f"{attribute_id}:{value_id}")
                row[column] = value.label
                systems.setdefault(column, {})[index] = value.system
                if value.image:
                    image = image or value.image
                    sku_images.setdefault((column, value.label), value.image)
            points = self._ladder(sku.get("bulk_discount_prices"))
            price = points[0][1] if points else to_float(self.wholesale.get("price"))
            stock, by_warehouse = self._stock(sku.get("inventory_dto_list"))
            warehouses = warehouses or bool(by_warehouse)
            row.update({"price": price, "sale_price": price, "discount_pct": None,
                        "currency": self.currency, "stock": stock, "image_url": image,
                        "barcode": "", "ean": "", "sku_code": to_text(sku.get("sku_code")),
                        "stock by warehouse": by_warehouse})
            rows.append(row)
            tier_rows.extend(self._tier_rows(sku_id, points, "bulk discount"))
        if unknown:
            self.warnings.append("Some variants point to options the answer does not "
                                 "name: " + ", ".join(sorted(unknown)) + ".")
        if not raw_skus:
            rows.append(self._default_row())
        elif any(r["price"] is None for r in rows):
            self.warnings.append("Some variants have no price.")
        extra = ["sku_code"] + (["stock by warehouse"] if warehouses else [])
        order = _variant_order(rows, columns, values)
        rows = [rows[i] for i in order]
        position = {row["sku_id"]: i for i, row in enumerate(rows)}
        tier_rows.sort(key=lambda t: (position.get(t["sku_id"], len(rows)), t["min_qty"]))
        skus = frame(rows, SKU_KEY_COLUMNS + list(columns.values()) + SKU_VALUE_COLUMNS
                     + extra)
        for column, by_index in systems.items():
            series = [by_index.get(i, "") for i in order]
            if any(s and s != v for s, v in zip(series, skus[column])):
                skus[f"{column} (system value)"] = series
        tier_rows.extend(self._tier_rows("", self._ladder(self.p.get("bulk_discount_prices")
                                                          or self.wholesale.get(
                                                              "bulk_discount_prices")),
                                         "product ladder"))
        if not tier_rows:
            tier_rows.extend(self._wholesale_tier())
        return skus, frame(tier_rows, TIER_COLUMNS), list(columns.values()), sku_images

    def _default_row(self) -> dict[str, Any]:
        """A product without a SKU list: one row carrying the product's own price."""
        price = to_float(self.wholesale.get("price"))
        if price is None:
            price = to_float(self.sourcing.get("fob_min_price"))
        if price is None:
            self.warnings.append("The product has no variants and no price.")
        return {"sku_id": "#1", "sku_attr": "", "price": price, "sale_price": price,
                "currency": self.currency, "stock": None, "image_url": "", "barcode": "",
                "ean": "", "sku_code": ""}

    @staticmethod
    def _ladder(value: Any) -> list[tuple[int, float]]:
        points = {}
        for tier in as_list(value):
            if not isinstance(tier, dict):
                continue
            quantity = to_int(tier.get("start_quantity"))
            price = to_float(tier.get("price"))
            if quantity is not None and quantity >= 1 and price is not None:
                points.setdefault(quantity, price)
        return sorted(points.items())

    def _tier_rows(self, sku_id: str, points: list[tuple[int, float]],
                   source: str) -> list[dict]:
        rows = []
        reference = points[0][1] if points else None
        for i, (quantity, price) in enumerate(points):
            discount = (round(max(0.0, (1 - price / reference) * 100), 1)
                        if reference else None)
            rows.append({"sku_id": sku_id, "min_qty": quantity,
                         "max_qty": points[i + 1][0] - 1 if i + 1 < len(points) else None,
                         "unit_price": price, "discount": discount,
                         "currency": self.currency, "source": source})
        return rows

    def _wholesale_tier(self) -> list[dict]:
        price = to_float(self.wholesale.get("price"))
        if price is None:
            return []
        moq = to_int(self.wholesale.get("min_order_quantity")) or 1
        return [{"sku_id": "", "min_qty": moq, "max_qty": None, "unit_price": price,
                 "discount": 0.0, "currency": self.currency, "source": "wholesale price"}]

    @staticmethod
    def _stock(value: Any) -> tuple[int | None, str]:
        """Stock summed over warehouses, and 'CN_LOCAL_01: 999' per warehouse."""
        total, parts, seen = 0, [], False
        for entry in as_list(value):
            if not isinstance(entry, dict):
                continue
            amount = to_int(entry.get("inventory"))
            if amount is None:
                continue
            seen = True
            total += amount
            parts.append(f"{to_text(entry.get('store_code')) or 'default (China)'}: "
                         f"{amount}")
        return (total if seen else None), "; ".join(parts)

    # -- lead times, trade ---------------------------------------------------------------
    def _lead_times(self):
        periods = (as_list(self.sourcing.get("deliver_periods"))
                   or as_list(self.p.get("deliver_periods"))
                   or as_list(self.wholesale.get("deliver_periods")))
        points = {}
        for period in periods:
            if not isinstance(period, dict):
                continue
            quantity = to_int(period.get("quantity"))
            days = to_int(period.get("process_period"))
            if quantity is not None and days is not None:
                points.setdefault(quantity, days)
        return frame([{"max_qty": q, "days": d} for q, d in sorted(points.items())],
                     LEAD_TIME_COLUMNS)

    def _trade(self) -> Trade:
        s, w = self.sourcing, self.wholesale
        notes: dict[str, str] = {}
        moq_raw = to_float(s.get("min_order_quantity"))
        unit = s.get("min_order_unit_type")
        if moq_raw is None:
            moq_raw = to_float(w.get("min_order_quantity"))
            unit = w.get("unit_type")
        moq = math.ceil(moq_raw) if moq_raw is not None and moq_raw > 0 else None
        supply = ""
        quantity = to_float(s.get("supply_quantity"))
        if quantity is not None:
            amount = f"{quantity:,.2f}".rstrip("0").rstrip(".")
            supply = f"{amount} {_plural(s.get('supply_unit_type'), quantity)}".strip()
            if to_text(s.get("supply_period_type")):
                supply += f" per {to_text(s.get('supply_period_type')).lower()}"
        fob_min, fob_max = to_float(s.get("fob_min_price")), to_float(s.get("fob_max_price"))
        if fob_min is None and fob_max is not None:
            fob_min = fob_max
        if fob_max is None:
            fob_max = fob_min
        if to_text(s.get("fob_unit_type")) and fob_min is not None:
            notes["FOB price unit"] = f"per {to_text(s.get('fob_unit_type'))}"
        for source, name, label in ((s, "delivery_time", "Delivery time"),
                                    (s, "delivery_port", "Delivery port"),
                                    (w, "sale_type", "Sale type"),
                                    (w, "batch_number", "Units per batch"),
                                    (w, "min_order_quantity", "Wholesale minimum order"),
                                    (w, "shipping_line_template_id", "Shipping template")):
            text = to_text(source.get(name))
            if text:
                notes[label] = text
        if to_text(w.get("volume")):
            notes["Package volume"] = f"{to_text(w.get('volume'))} cm³"
        for name, label in (("price_type", "Price type"), ("product_type", "Product type"),
                            ("sub_market_type", "Market"), ("gmt_modified", "Last modified")):
            text = to_text(self.p.get(name))
            if text:
                notes[label] = _PRICE_TYPES.get(text, text)
        display = to_text(self.p.get("display")).upper()
        if display in ("Y", "N"):
            notes["Displayed on Alibaba.com"] = "yes" if display == "Y" else "no"
        rts = to_bool(self.p.get("rts"))
        if rts is not None:
            notes["Ready to ship"] = "yes" if rts else "no"
        keywords = text_list(self.p.get("keywords"))
        if keywords:
            notes["Keywords"] = ", ".join(keywords)
        return Trade(moq=moq, moq_unit=_plural(unit, moq),
                     fob_min=fob_min, fob_max=fob_max,
                     fob_currency=self.currency if fob_min is not None else "",
                     supply_ability=supply,
                     payment_methods=text_list(s.get("payment_methods")),
                     packaging=to_text(s.get("packaging_desc")),
                     package_size=_package_size(w.get("package_size")),
                     gross_weight_kg=to_float(w.get("weight")),
                     handling_days=to_int(w.get("handling_time")),
                     notes=notes)

    # -- attributes, description, media ------------------------------------------------
    def _attributes(self):
        rows = []
        for attribute in as_list(self.p.get("attributes")):
            if not isinstance(attribute, dict):
                continue
            value = to_text(attribute.get("value_name")) or to_text(
                attribute.get("sku_custom_value_name"))
            rows.append({"name": to_text(attribute.get("attribute_name"))
                         or f"Attribute {to_text(attribute.get('attribute_id'))}",
                         "value": value, "unit": ""})
        return frame(rows, ATTRIBUTE_COLUMNS)

    def _struct(self) -> dict:
        value = self.p.get("struct_detail")
        return value if isinstance(value, dict) else {}

    def _description(self) -> str:
        text = to_text(self.p.get("description"))
        if text:
            if "<" not in text:
                text = "".join(f"<p>{html.escape(line)}</p>"
                               for line in text.splitlines() if line.strip())
            return sanitize_html(text)
        # Structured detail pages carry a summary and FAQ instead of HTML.
        struct = self._struct()
        parts = []
        if to_text(struct.get("product_summary")):
            parts.append(f"<p>{html.escape(to_text(struct.get('product_summary')))}</p>")
        faq = [f for f in as_list(struct.get("product_faq")) if isinstance(f, dict)]
        if faq:
            parts.append("<h3>Questions and answers</h3>")
            for item in faq:
                parts.append(f"<p><strong>{html.escape(to_text(item.get('question')))}"
                             f"</strong><br>{html.escape(to_text(item.get('answer')))}</p>")
        if to_text(struct.get("company_summary")):
            parts.append("<h3>About the supplier</h3>"
                         f"<p>{html.escape(to_text(struct.get('company_summary')))}</p>")
        return sanitize_html("".join(parts))

    def _media(self, sku_images: dict[tuple[str, str], str], description: str) -> Media:
        main = self.p.get("main_image")
        main = main[0] if isinstance(main, list) and main and isinstance(main[0], dict) \
            else main
        sources = main.get("images") if isinstance(main, dict) else main
        urls = [safe_url(u) for u in text_list(sources)]
        images = [Image(u, "main") for u in dict.fromkeys(u for u in urls if u)]
        if not images:
            self.warnings.append("The product has no main images.")
        images += [Image(url, "sku", f"{column}: {value}")
                   for (column, value), url in sku_images.items()]
        seen = {image.url for image in images}
        struct = self._struct()
        for block, prefix in (("detail_image", ""), ("company_image", "Supplier: ")):
            holder = struct.get(block)
            entries = holder.get("images") if isinstance(holder, dict) else holder
            for entry in as_list(entries):
                if not isinstance(entry, dict):
                    continue
                url = safe_url(entry.get("image_url"))
                if url and url not in seen:
                    seen.add(url)
                    image_set = entry.get("image_set")
                    name = to_text(image_set.get("name")) if isinstance(image_set, dict) else ""
                    images.append(Image(url, "detail", prefix + name if name else prefix.rstrip(": ")))
        for url in image_sources(description):
            if url not in seen:
                seen.add(url)
                images.append(Image(url, "detail"))
        return Media(images=images, videos=[])


def _variant_order(rows: list[dict], columns: Mapping[str, str],
                   values: Mapping[tuple[str, str], _Value]) -> list[int]:
    """Row indexes sorted by option: numbers (sizes) numerically, other options in the
    seller's order; the gateway's own SKU order is arbitrary."""
    ranks: dict[str, dict[str, tuple]] = {}
    for attribute_id, column in columns.items():
        labels = list(dict.fromkeys(
            [v.label for (a, _), v in values.items() if a == attribute_id]
            + [r[column] for r in rows if r.get(column) is not None]))
        numbers = [to_float(label) for label in labels]
        if labels and all(n is not None for n in numbers):
            ranks[column] = {label: (0, n, "") for label, n in zip(labels, numbers)}
        else:
            ranks[column] = {label: (0, i, "") for i, label in enumerate(labels)}

    def key(index: int) -> tuple:
        row = rows[index]
        return tuple(ranks[c].get(row.get(c), (1, 0, "")) for c in columns.values()) + (index,)

    return sorted(range(len(rows)), key=key)


_PRICE_TYPES = {"ladder_price": "quantity ladder", "sku_price": "price per variant",
                "fob_price": "FOB price range"}


def _package_size(value: Any) -> str:
    """'2X3X4' -> '2 × 3 × 4 cm' (the API's unit is centimetres)."""
    text = to_text(value)
    parts = [p for p in re.split(r"\s*[xX×*]\s*", text) if p]
    numbers = [to_float(p) for p in parts]
    if len(numbers) == 3 and all(n is not None for n in numbers):
        return " × ".join(f"{n:g}" for n in numbers) + " cm"
    return text

