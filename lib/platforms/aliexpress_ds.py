"""AliExpress dropshipping: aliexpress.ds.product.get over the IOP /sync gateway.

Accepts every shape seen in the wild: the wrapped gateway response, the inner body
(result + rsp_code), the result object alone, and the documents' flat lists.
"""
from __future__ import annotations

import copy
import html
from operator import itemgetter
from typing import Any, Mapping

from lib.coerce import (as_list, maybe_json, safe_url, split_list, to_bool, to_float, to_int,
                        to_text)
from lib.errors import BadResponse, FetchError
from lib.model import (ATTRIBUTE_COLUMNS, SKU_KEY_COLUMNS, SKU_VALUE_COLUMNS, TIER_COLUMNS,
                       Image, Media, Product, Store, Trade, frame, frame_from_columns)
from lib.platforms.aliexpress_common import (ALI_MEDIA_HOSTS, ALIEXPRESS_HOSTS, ID_HINT, aliexpress_id_from_url,
                                             iop_request, validate_aliexpress_id)
from lib.platforms import aliexpress_freight
from lib.platforms.aliexpress_freight import FREIGHT_METHOD
from lib.platforms.base import Platform
from lib.platforms.video import NO_ADDRESS_WARNING, listed_video
from lib.platforms.common import converted_price_text, first_object, most_common
from lib.platforms.envelopes import open_body
from lib.sanitize import image_sources, sanitize_html

METHOD = "aliexpress.ds.product.get"
RESPONSE_KEY = "aliexpress_ds_product_get_response"
SHIPS_FROM_PROPERTY_ID = "200007763"
_PROPERTY_FIELDS = ("sku_property_id", "sku_property_name", "property_value_id",
                    "sku_property_value", "property_value_definition_name", "sku_image")
DSR_LABELS = {
    "item_as_described_rating": "Item as described",
    "communication_rating": "Communication",
    "shipping_speed_rating": "Shipping speed",
}
_RESULT_MARKERS = ("ae_item_base_info_dto", "ae_item_sku_info_dtos", "ae_store_info")


class AliExpressDropshipping(Platform):
    key = "aliexpress"
    label = "AliExpress (dropshipping)"
    link_hosts = ALIEXPRESS_HOSTS
    web_hosts = ALIEXPRESS_HOSTS
    media_hosts = ALI_MEDIA_HOSTS
    id_hint = ID_HINT
    api_methods = (METHOD, FREIGHT_METHOD)
    demo_credentials = {"app_key": "500000", "app_secret": "demo-secret-not-a-real-key",
                        "access_token": "demo-session-token"}
    qps = 10.0
    converts_currency = True
    quotes_shipping = True

    def validate_id(self, text: str) -> str:
        return validate_aliexpress_id(text)

    def id_from_url(self, host, path, query):
        return aliexpress_id_from_url(host, path, query)

    def build_request(self, query, credentials, *, timestamp_ms):
        return iop_request(method=METHOD, credentials=credentials, timestamp_ms=timestamp_ms,
                           business={"product_id": query.product_id,
                                     "ship_to_country": query.country,
                                     "target_currency": query.currency,
                                     "target_language": query.language,
                                     "remove_personal_benefit": False})

    def parse(self, data, query=None):
        return _DsParser(data, query).product()

    # Shipping options: the wire format lives in aliexpress_freight.
    def build_freight_request(self, freight, credentials, *, timestamp_ms):
        return aliexpress_freight.freight_request(freight, credentials,
                                                  timestamp_ms=timestamp_ms)

    def parse_freight(self, data):
        return aliexpress_freight.parse_freight(data)

    def sandbox_product_id(self, params):
        if params.get("method") == FREIGHT_METHOD:
            return aliexpress_freight.freight_product_id(params)
        return params.get("product_id", "")

    def sandbox_answer(self, fixture, params):
        """Per method: the freight call gets the demo shipping options
        (lib.sandbox.freight); the product call gets the fixture converted, plus the
        import charges the live gateway estimates for US buyers."""
        from lib.sandbox import freight

        if params.get("method") == FREIGHT_METHOD:
            return freight.answer(fixture, params)
        # Charges first, on the fixture's own USD prices: the tax currency stays USD
        # whatever currency the prices are converted to.
        return self._converted(freight.with_import_charges(
            fixture, params.get("ship_to_country", ""), params.get("product_id", "")), params)

    def _converted(self, fixture, params):
        """The fixture with its prices in `target_currency`, as the live gateway answers
        (the fixtures hold one currency; the reference rates convert). A currency without
        a rate is left as it is; the page header then says so."""
        from lib.rates import reference_rate

        target = params.get("target_currency", "").strip().upper()
        if not target:
            return fixture
        answer = copy.deepcopy(fixture)
        try:
            skus = as_list(locate_result(answer).get("ae_item_sku_info_dtos"))
        except FetchError:            # an error body: nothing to convert
            return fixture
        for sku in skus:
            rate = reference_rate(to_text(sku.get("currency_code")), target) \
                if isinstance(sku, dict) else None
            if rate is None:
                continue
            for name in ("sku_price", "offer_sale_price", "offer_bulk_sale_price"):
                if sku.get(name) not in (None, ""):
                    sku[name] = converted_price_text(sku[name], rate) or sku[name]
            for tier in as_list(sku.get("wholesale_price_tiers")):
                if isinstance(tier, dict) and tier.get("wholesale_price") not in (None, ""):
                    tier["wholesale_price"] = converted_price_text(
                        tier["wholesale_price"], rate) or tier["wholesale_price"]
            sku["currency_code"] = target
        return answer

    def sandbox_not_found(self, request_id, product_id, params=None):
        if (params or {}).get("method") == FREIGHT_METHOD:
            return aliexpress_freight.freight_not_found(request_id, product_id)
        # The real answer (captured): rsp_code 605 inside the normal wrapper, no result.
        return {RESPONSE_KEY: {"rsp_code": 605, "rsp_msg": "ITEM_ID_NOT_FOUND",
                               "request_id": request_id}}


PLATFORM = AliExpressDropshipping()


def locate_result(data: Any) -> dict:
    """The `result` object, whichever of the known shapes `data` is; raises for errors."""
    body = open_body(data, RESPONSE_KEY)        # raises the error the answer states
    result = body.get("result", body)
    if isinstance(result, list):
        result = result[0] if result else {}
    if not isinstance(result, dict) or not any(k in result for k in _RESULT_MARKERS):
        raise BadResponse(detail="no product data (ae_item_base_info_dto / "
                                 "ae_item_sku_info_dtos) in the answer")
    return result



class _DsParser:
    def __init__(self, data: Any, query: Any) -> None:
        self.raw = data
        self.query = query
        self.result = locate_result(data)
        self.base = first_object(self.result.get("ae_item_base_info_dto"))
        self.warnings: list[str] = []
        self.property_ids: dict[str, str] = {}          # column name -> property id
        self.column_cache: dict[tuple, str] = {}
        self.facts_cache: dict[tuple, tuple[str, str, str, str, str]] = {}

    def product(self) -> Product:
        product_id = self._product_id()
        skus, tiers, sku_images = self._skus()
        currency = most_common(self.sku_lists["currency"]) or \
            to_text(self.base.get("currency_code"))
        description = sanitize_html(to_text(self.base.get("detail"))
                                    or _mobile_detail_html(self.base.get("mobile_detail")))
        product = Product(
            platform="aliexpress",
            product_id=product_id,
            title=to_text(self.base.get("subject")),
            url=f"https://www.aliexpress.com/item/{product_id}.html",
            category=to_text(self.base.get("category_id")),
            status=to_text(self.base.get("product_status_type")),
            currency=currency,
            query=self.query,
            description_html=description,
            alt_ids=self._alt_ids(product_id),
            skus=skus,
            sku_properties=list(self.property_ids),
            tiers=tiers,
            attributes=self._attributes(),
            store=self._store(),
            media=self._media(sku_images, description),
            trade=self._trade(skus),
            raw=self.raw,
        )
        if not product.title:
            self.warnings.append("The product has no title.")
        product.warnings = self.warnings
        return product

    # -- identity ---------------------------------------------------------------------
    def _product_id(self) -> str:
        converter = first_object(self.result.get("product_id_converter_result"))
        main_id = to_text(converter.get("main_product_id"))
        base_id = to_text(self.base.get("product_id"))
        asked = to_text(getattr(self.query, "product_id", ""))
        chosen = asked or main_id or base_id
        regional = maybe_json(converter.get("sub_product_id"))
        known = {to_text(v) for v in regional.values()} if isinstance(regional, dict) else set()
        if base_id and chosen and base_id not in (chosen, main_id) and base_id not in known:
            self.warnings.append(f"The answer describes product {base_id} (a regional id) "
                                 f"for the requested {chosen}.")
        if not chosen:
            self.warnings.append("The answer carries no product id.")
        return chosen

    def _alt_ids(self, product_id: str) -> dict[str, str]:
        converter = first_object(self.result.get("product_id_converter_result"))
        ids: dict[str, str] = {}
        sub = maybe_json(converter.get("sub_product_id"))
        if isinstance(sub, dict):
            ids.update({to_text(k): to_text(v) for k, v in sub.items() if to_text(v)})
        main_id = to_text(converter.get("main_product_id"))
        if main_id and main_id != product_id:
            ids["main"] = main_id
        return ids

    # -- SKUs and tiers ------------------------------------------------------------------
    def _skus(self):
        """The SKU and tier tables, built column by column (a 1,000-SKU answer is parsed
        on every fetch). Conversions of the text values that repeat from SKU to SKU (currency,
        prices, tier quantities) are done once per distinct text."""
        raw_skus = [s for s in as_list(self.result.get("ae_item_sku_info_dtos"))
                    if isinstance(s, dict)]
        count = len(raw_skus)
        base_currency = to_text(self.base.get("currency_code"))
        text, number, whole = _Memo(to_text), _Memo(to_float), _Memo(to_int)
        sku_ids: list[str] = []
        sku_attrs: list[str] = []
        prices: list[float | None] = []
        sales: list[float | None] = []
        discounts: list[float | None] = []
        currencies: list[str] = []
        stocks: list[int | None] = []
        images: list[str] = []
        barcodes: list[str] = []
        eans: list[str] = []
        properties: dict[str, list] = {}        # column -> value per SKU (None: not sent)
        system_values: dict[str, list] = {}     # column -> system value per SKU
        sku_images: dict[tuple[str, str], str] = {}
        tiers = _TierColumns(whole)
        ladders = tiers.ladders
        (tier_ids, tier_min, tier_max, tier_unit, tier_discount, tier_currency,
         tier_source) = (tiers.columns[c] for c in ("sku_id", "min_qty", "max_qty",
                                                    "unit_price", "discount", "currency",
                                                    "source"))
        facts_cache = self.facts_cache
        slots: dict[str, tuple[list, list]] = {}
        for index, sku in enumerate(raw_skus):
            get = sku.get
            attr, attr_id = get("sku_attr"), get("id")
            attr_text = to_text(attr)
            label_text = attr_text if attr else text(attr_id)
            labels = _labels_from_attr(label_text) if "#" in label_text else _NO_LABELS
            sku_id = to_text(get("sku_id")) or f"#{index + 1}"
            image = ""
            for prop in _items(get("ae_sku_property_dtos")):
                if not isinstance(prop, dict):
                    continue
                pget = prop.get                 # _property_facts' cache, key inline
                try:
                    facts = facts_cache[(pget("sku_property_id"), pget("sku_property_name"),
                                         pget("property_value_id"), pget("sku_property_value"),
                                         pget("property_value_definition_name"),
                                         pget("sku_image"))]
                except (KeyError, TypeError):
                    facts = self._property_facts(prop)
                column, pid_vid, system, custom, prop_image = facts
                value = custom or labels.get(pid_vid) or system or pid_vid
                slot = slots.get(column)
                if slot is None:
                    properties[column], system_values[column] = [None] * count, [""] * count
                    slot = slots[column] = (properties[column], system_values[column])
                slot[0][index] = value
                slot[1][index] = system
                if prop_image:
                    image = image or prop_image
                    sku_images.setdefault((column, value), prop_image)
            value = get("sku_price")
            price = number[value] if type(value) is str else to_float(value)
            value = get("offer_sale_price")
            sale = number[value] if type(value) is str else to_float(value)
            if price is None:                   # as lib.platforms.common.price_pair
                price = sale
                if price is None:
                    self.warnings.append(f"SKU {sku_id} has no price.")
            elif sale is None:
                sale = price
            value = get("sku_available_stock")
            stock = value if type(value) is int else whole(value)
            if stock is None:
                stock = whole(get("ipm_sku_stock"))
            value = get("currency_code")
            currency = (text[value] if type(value) is str else to_text(value)) or base_currency
            sku_ids.append(sku_id)
            sku_attrs.append(attr_text or text(attr_id))
            prices.append(price)
            sales.append(sale)
            # as lib.platforms.common.discount_pct
            discounts.append(None if price is None or sale is None or price <= 0
                             else round(max(0.0, (1 - sale / price) * 100), 1))
            currencies.append(currency)
            stocks.append(stock)
            images.append(image)
            value = get("barcode")
            barcodes.append("" if value is None else text(value))
            value = get("ean_code")
            eans.append("" if value is None else text(value))
            # Tiers: the ladder of these tier texts is worked out once (_TierColumns).
            raw_tiers = _items(get("wholesale_price_tiers"))
            key = None
            try:
                key = tuple(map(_LADDER_FIELDS, raw_tiers))
                known = ladders[key]
            except (KeyError, TypeError):   # new, a tier lacking a field, not an object...
                known = tiers.ladder(raw_tiers, key)
            points, rows = known
            value = get("sku_bulk_order")     # read as before, used or not
            bulk_qty = whole[value] if type(value) is str else to_int(value)
            value = get("offer_bulk_sale_price")
            bulk_price = number[value] if type(value) is str else to_float(value)
            if rows is not None:
                count_rows = len(rows[0])
                tier_ids.extend([sku_id] * count_rows)
                tier_min.extend(rows[0])
                tier_max.extend(rows[1])
                tier_unit.extend(rows[2])
                tier_discount.extend(rows[3])
                tier_currency.extend([currency] * count_rows)
                tier_source.extend(rows[4])
            else:
                tiers.add_points(points, sku_id, sale, currency, bulk_qty, bulk_price)
        if not raw_skus:
            self.warnings.append("The answer lists no SKUs, so there are no prices or stock.")
        elif None in stocks:
            self.warnings.append("Some SKUs have no stock figure.")
        data = {"sku_id": sku_ids, "sku_attr": sku_attrs, **properties, "price": prices,
                "sale_price": sales, "discount_pct": discounts, "currency": currencies,
                "stock": stocks, "image_url": images, "barcode": barcodes, "ean": eans}
        columns = SKU_KEY_COLUMNS + list(self.property_ids) + SKU_VALUE_COLUMNS
        later: dict[str, list] = {}             # "(system value)" columns
        for column, series in system_values.items():
            shown = properties[column]
            if series != shown and any(s and s != v for s, v in zip(series, shown)):
                later[f"{column} (system value)"] = series
        if later and not set(later) & set(columns):
            data.update(later)
            skus = frame_from_columns(data, columns + list(later))
        else:
            skus = frame_from_columns(data, columns)
            for name, series in later.items():
                skus[name] = series
        data.update(later)
        self.sku_lists = data                   # the columns' values, as lists
        self.raw_skus = raw_skus
        tier_table = frame_from_columns(tiers.columns, TIER_COLUMNS)
        if to_bool(self.result.get("has_whole_sale")) and tier_table.empty:
            self.warnings.append("The product is marked as having wholesale prices, but "
                                 "no price tiers were sent.")
        return skus, tier_table, sku_images

    def _property_facts(self, prop: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
        """(column, "pid:vid", system value, custom label, image URL) of one SKU property.
        The same few property values repeat on every SKU, so the work is done once per
        distinct raw property."""
        try:
            key = tuple(prop.get(k) for k in _PROPERTY_FIELDS)     # as in _skus' loop
            return self.facts_cache[key]
        except KeyError:
            pass
        except TypeError:          # unhashable odd values: compute without the cache
            key = None
        facts = (self._property_column(prop),
                 f"{to_text(prop.get('sku_property_id'))}:"
                 f"{to_text(prop.get('property_value_id'))}",
                 to_text(prop.get("sku_property_value")),
                 to_text(prop.get("property_value_definition_name")),
                 safe_url(prop.get("sku_image")))
        if key is not None:
            self.facts_cache[key] = facts
        return facts

    def _property_column(self, prop: Mapping[str, Any]) -> str:
        key = (to_text(prop.get("sku_property_id")), to_text(prop.get("sku_property_name")))
        if key in self.column_cache:      # the same few properties repeat on every SKU
            return self.column_cache[key]
        self.column_cache[key] = column = self._new_property_column(prop)
        return column

    def _new_property_column(self, prop: Mapping[str, Any]) -> str:
        pid = to_text(prop.get("sku_property_id"))
        name = to_text(prop.get("sku_property_name")) or f"Property {pid or '?'}"
        if name in SKU_KEY_COLUMNS + SKU_VALUE_COLUMNS:
            name = f"{name} (variant)"
        known = self.property_ids.get(name)
        if known is not None and known != pid:
            name = f"{name} ({pid})"       # two properties share a display name
        self.property_ids.setdefault(name, pid)
        return name

    # -- store, media, attributes, trade ----------------------------------------------
    def _store(self) -> Store:
        info = first_object(self.result.get("ae_store_info"))
        ratings, missing = {}, []
        for field_name, label in DSR_LABELS.items():
            score = to_float(info.get(field_name))
            if score is None or not 0 <= score <= 5:
                missing.append(label)
            else:
                ratings[label] = score
        if info and missing:
            self.warnings.append("Store ratings missing: " + ", ".join(missing) + ".")
        store_id = to_text(info.get("store_id"))
        sales_text = to_text(self.base.get("sales_count"))
        rating = to_float(self.base.get("avg_evaluation_rating"))
        return Store(
            name=to_text(info.get("store_name")), store_id=store_id,
            country=to_text(info.get("store_country_code")).upper(),
            url=f"https://www.aliexpress.com/store/{store_id}" if store_id else "",
            ratings=ratings, missing_ratings=missing,
            product_rating=rating if rating is not None and 0 <= rating <= 5 else None,
            review_count=to_int(self.base.get("evaluation_count")),
            sales_count=to_int(sales_text), sales_text=sales_text)

    def _media(self, sku_images: dict[tuple[str, str], str], description: str) -> Media:
        multimedia = first_object(self.result.get("ae_multimedia_info_dto"))
        images = [Image(url, "main") for url in
                  (safe_url(u) for u in split_list(multimedia.get("image_urls"))) if url]
        if not images:
            self.warnings.append("The product has no main images.")
        images += [Image(url, "sku", f"{column}: {value}")
                   for (column, value), url in sku_images.items()]
        images += [Image(url, "detail") for url in image_sources(description)]
        videos = []
        for raw_video in as_list(multimedia.get("ae_video_dtos")):
            if not isinstance(raw_video, dict):
                continue
            video = listed_video(raw_video.get("media_url"), raw_video.get("poster_url"),
                                 label=raw_video.get("media_type"),
                                 media_id=raw_video.get("media_id"))
            if video is None or not video.playable:
                self.warnings.append(NO_ADDRESS_WARNING)
            if video is not None:
                videos.append(video)
        return Media(images=images, videos=videos)

    def _attributes(self):
        rows = []
        for prop in as_list(self.result.get("ae_item_properties")):
            if not isinstance(prop, dict):
                continue
            value = to_text(prop.get("attr_value"))
            start, end = to_text(prop.get("attr_value_start")), to_text(prop.get("attr_value_end"))
            span = f"{start}–{end}" if start and end else start or end
            if span:
                value = f"{value} ({span})" if value else span
            rows.append({"name": to_text(prop.get("attr_name")), "value": value,
                         "unit": to_text(prop.get("attr_value_unit"))})
        return frame(rows, ATTRIBUTE_COLUMNS)

    def _trade(self, skus) -> Trade:
        package = first_object(self.result.get("package_info_dto"))
        logistics = first_object(self.result.get("logistics_info_dto"))
        dims = [to_float(package.get(k)) for k in ("package_length", "package_width",
                                                    "package_height")]
        size = " × ".join(f"{d:g}" for d in dims) + " cm" if all(dims) else ""
        ships_from = [name for name, pid in self.property_ids.items()
                      if pid == SHIPS_FROM_PROPERTY_ID]
        origins = (sorted({v for v in self.sku_lists[ships_from[0]] if v})
                   if ships_from else [])
        store_country = to_text(first_object(self.result.get("ae_store_info")).get("store_country_code"))
        notes = {}
        if (tax := to_bool(first_object(as_list(self.result.get("ae_item_sku_info_dtos")))
                           .get("price_include_tax"))) is not None:
            notes["Prices include tax"] = "yes" if tax else "no"
        charges, charges_currency = self._import_charges(skus)
        return Trade(package_size=size, gross_weight_kg=to_float(package.get("gross_weight")),
                     delivery_days=to_int(logistics.get("delivery_time")),
                     ship_to_country=to_text(logistics.get("ship_to_country")).upper(),
                     ship_from_countries=origins or ([store_country.upper()] if store_country else []),
                     import_charges=charges, import_charges_currency=charges_currency,
                     price_includes_tax=tax,
                     notes=notes)

    def _import_charges(self, skus) -> tuple[dict[str, float], str]:
        """Per-SKU estimated_import_charges (per unit; "US $1.23" read too) and the
        tax_currency_code they are in; SKUs that send none are left out."""
        found: dict[str, tuple[float, str]] = {}
        for sku, sku_id in zip(self.raw_skus, self.sku_lists["sku_id"]):
            value = sku.get("estimated_import_charges")
            if value is None:                   # parse_money(None): no amount
                continue
            amount, shown_currency = aliexpress_freight.parse_money(value)
            if amount is not None and amount >= 0:
                found[sku_id] = (amount, to_text(sku.get("tax_currency_code")).upper()
                                 or shown_currency)
        currency = most_common([c for _, c in found.values() if c]) or ""
        # One currency for all: an estimate in another one is left out, not relabelled.
        charges = {k: a for k, (a, c) in found.items() if c == currency}
        if len(charges) < len(found):
            self.warnings.append(f"Some variants' import charges are not in {currency or 'a stated currency'}"
                                 "; they are left out of the landed cost.")
        return charges, currency


class _Memo(dict):
    """fn(value), worked out once per distinct text: SKUs repeat the same currency, prices
    and tier quantities. Only str values are remembered (1, 1.0 and True are one dict
    key, but not one value to the converters)."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: str):
        value = self[key] = self.fn(key)
        return value

    def __call__(self, value: Any):
        return self[value] if type(value) is str else self.fn(value)


class _TierColumns:
    """The tier table's columns, filled SKU by SKU. SKUs usually repeat one price ladder,
    so the ladder read from a given list of tiers (and, when it needs no single-unit
    step, its rows) is worked out once."""

    def __init__(self, whole: _Memo) -> None:
        self.whole = whole
        self.columns: dict[str, list] = {c: [] for c in TIER_COLUMNS}
        self.ladders: dict[tuple, tuple[list, tuple | None]] = {}

    def ladder(self, raw: list, key: tuple | None) -> tuple[list, tuple | None]:
        """The ladder of a list of tiers (see _ladder), remembered by `key` (each tier's
        two fields read) when every one is text: 1, 1.0 and True are equal keys, but not
        one value to to_int / to_float."""
        known = self._ladder(raw)
        if key is not None and all(type(qty) is str and type(price) is str
                                   for qty, price in key):
            self.ladders[key] = known
        return known

    def add_points(self, points: list, sku_id: str, base_price: float | None,
                   currency: str, bulk_qty: int | None, bulk_price: float | None) -> None:
        """The rows of one SKU whose ladder has no remembered rows: the bulk price when
        there are no tiers, a single-unit step first when the tiers start above one."""
        if not points:
            if not (bulk_qty and bulk_qty > 1 and bulk_price is not None
                    and base_price is not None and bulk_price < base_price):
                return
            points = [(bulk_qty, bulk_price, "bulk price")]
        if points[0][0] > 1 and base_price is not None:
            points = [(1, base_price, "single unit"), *points]
        rows = _tier_rows(points)
        count = len(rows[0])
        columns = self.columns
        columns["sku_id"].extend([sku_id] * count)
        columns["min_qty"].extend(rows[0])
        columns["max_qty"].extend(rows[1])
        columns["unit_price"].extend(rows[2])
        columns["discount"].extend(rows[3])
        columns["currency"].extend([currency] * count)
        columns["source"].extend(rows[4])

    def _ladder(self, raw: list) -> tuple[list, tuple | None]:
        """(the wholesale tiers as sorted (quantity, unit price, source) points, their
        rows when they start at one unit, else None: a single-unit step goes first)."""
        points = []
        whole = self.whole          # quantities repeat; prices of a new ladder seldom do
        for tier in raw:
            if not isinstance(tier, dict):
                continue
            qty, price = tier.get("min_quantity"), to_float(tier.get("wholesale_price"))
            qty = whole[qty] if type(qty) is str else to_int(qty)
            if qty is not None and price is not None and qty >= 1:
                points.append((qty, price, "wholesale tier"))
        points.sort()
        return points, (_tier_rows(points) if points and points[0][0] <= 1 else None)


_LADDER_FIELDS = itemgetter("min_quantity", "wholesale_price")


def _items(value: Any) -> list:
    """as_list(value), the gateway's usual {"wrapper": [...]} shape taken first."""
    if type(value) is dict and len(value) == 1:
        (inner,) = value.values()
        if type(inner) is list:
            return inner
    return as_list(value)


def _tier_rows(points: list[tuple[int, float, str]]) -> tuple[list, list, list, list, list]:
    """(min_qty, max_qty, unit_price, discount, source) columns of sorted points."""
    reference = points[0][1]
    quantities, prices, sources = map(list, zip(*points))
    if reference is None or reference <= 0:             # as discount_pct
        discounts = [None] * len(prices)
    else:
        discounts = [round(max(0.0, (1 - price / reference) * 100), 1) for price in prices]
    return (quantities, [qty - 1 for qty in quantities[1:]] + [None], prices, discounts,
            sources)


_NO_LABELS: dict[str, str] = {}


def _labels_from_attr(sku_attr: str) -> dict[str, str]:
    """'14:771#tyjt white;10:529' -> {'14:771': 'tyjt white'} (custom labels only)."""
    labels = {}
    for part in sku_attr.split(";"):
        key, sep, label = part.partition("#")
        if sep and label:
            labels[key.strip()] = label.strip()
    return labels




def _mobile_detail_html(value: Any) -> str:
    """The mobile description (JSON modules, or HTML) as simple HTML."""
    decoded = maybe_json(value)
    if isinstance(decoded, str):
        return decoded
    if not isinstance(decoded, dict):
        return ""
    parts = []
    for module in as_list(decoded.get("moduleList")):
        data = module.get("data", {}) if isinstance(module, dict) else {}
        if module.get("type") == "text" and data.get("content"):
            parts.append(f"<p>{html.escape(to_text(data.get('content')))}</p>")
        elif module.get("type") == "image" and safe_url(data.get("url")):
            parts.append(f'<img src="{html.escape(safe_url(data.get("url")))}">')
    return "".join(parts)
