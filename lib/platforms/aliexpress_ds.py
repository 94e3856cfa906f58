"""AliExpress dropshipping: aliexpress.ds.product.get over the IOP /sync gateway.

Accepts every shape seen in the wild: the wrapped gateway response, the inner body
(result + rsp_code), the result object alone, and the documents' flat lists.
"""
from __future__ import annotations

import copy
import html
from typing import Any, Mapping

from lib.coerce import (as_list, maybe_json, safe_url, split_list, to_bool, to_float, to_int,
                        to_text)
from lib.errors import BadResponse, FetchError
from lib.model import (ATTRIBUTE_COLUMNS, SKU_KEY_COLUMNS, SKU_VALUE_COLUMNS, TIER_COLUMNS,
                       Image, Media, Product, Store, Trade, frame)
from lib.platforms.aliexpress_common import (ALI_MEDIA_HOSTS, ALIEXPRESS_HOSTS, ID_HINT, aliexpress_id_from_url,
                                             iop_request, validate_aliexpress_id)
from lib.platforms import aliexpress_freight
from lib.platforms.aliexpress_freight import FREIGHT_METHOD
from lib.platforms.base import Platform
from lib.platforms.video import NO_ADDRESS_WARNING, listed_video
from lib.platforms.common import (converted_price_text, discount_pct, first_object, most_common,
                                   price_pair)
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
        currency = most_common(skus["currency"].tolist()) or \
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
        rows, tier_rows = [], []
        sku_images: dict[tuple[str, str], str] = {}
        system_values: dict[str, list] = {}
        raw_skus = [s for s in as_list(self.result.get("ae_item_sku_info_dtos"))
                    if isinstance(s, dict)]
        base_currency = to_text(self.base.get("currency_code"))
        for index, sku in enumerate(raw_skus):
            labels = _labels_from_attr(to_text(sku.get("sku_attr") or sku.get("id")))
            row: dict[str, Any] = {
                "sku_id": to_text(sku.get("sku_id")) or f"#{index + 1}",
                "sku_attr": to_text(sku.get("sku_attr")) or to_text(sku.get("id")),
            }
            image = ""
            for prop in as_list(sku.get("ae_sku_property_dtos")):
                if not isinstance(prop, dict):
                    continue
                column, pid_vid, system, custom, prop_image = self._property_facts(prop)
                value = custom or labels.get(pid_vid) or system or pid_vid
                row[column] = value
                system_values.setdefault(column, []).append((index, system))
                if prop_image:
                    image = image or prop_image
                    sku_images.setdefault((column, value), prop_image)
            price, sale = price_pair(to_float(sku.get("sku_price")),
                                     to_float(sku.get("offer_sale_price")))
            if price is None:
                self.warnings.append(f"SKU {row['sku_id']} has no price.")
            stock = to_int(sku.get("sku_available_stock"))
            if stock is None:
                stock = to_int(sku.get("ipm_sku_stock"))
            row.update({
                "price": price, "sale_price": sale,
                "discount_pct": discount_pct(price, sale),
                "currency": to_text(sku.get("currency_code")) or base_currency,
                "stock": stock,
                "image_url": image,
                "barcode": to_text(sku.get("barcode")),
                "ean": to_text(sku.get("ean_code")),
            })
            rows.append(row)
            tier_rows.extend(self._tiers(sku, row))
        if not raw_skus:
            self.warnings.append("The answer lists no SKUs, so there are no prices or stock.")
        elif any(r["stock"] is None for r in rows):
            self.warnings.append("Some SKUs have no stock figure.")
        columns = SKU_KEY_COLUMNS + list(self.property_ids) + SKU_VALUE_COLUMNS
        skus = frame(rows, columns)
        for column, pairs in system_values.items():
            systems = dict(pairs)
            series = [systems.get(i, "") for i in range(len(rows))]
            if any(s and s != row.get(column) for s, row in zip(series, rows)):
                skus[f"{column} (system value)"] = series
        tiers = frame(tier_rows, TIER_COLUMNS)
        if to_bool(self.result.get("has_whole_sale")) and tiers.empty:
            self.warnings.append("The product is marked as having wholesale prices, but "
                                 "no price tiers were sent.")
        return skus, tiers, sku_images

    def _property_facts(self, prop: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
        """(column, "pid:vid", system value, custom label, image URL) of one SKU property.
        The same few property values repeat on every SKU, so the work is done once per
        distinct raw property."""
        try:
            key = tuple(prop.get(k) for k in _PROPERTY_FIELDS)
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

    def _tiers(self, sku: Mapping[str, Any], row: Mapping[str, Any]) -> list[dict]:
        base_price = row["sale_price"]
        points: list[tuple[int, float, str]] = []
        for tier in as_list(sku.get("wholesale_price_tiers")):
            if not isinstance(tier, dict):
                continue
            qty, price = to_int(tier.get("min_quantity")), to_float(tier.get("wholesale_price"))
            if qty is not None and price is not None and qty >= 1:
                points.append((qty, price, "wholesale tier"))
        bulk_qty = to_int(sku.get("sku_bulk_order"))
        bulk_price = to_float(sku.get("offer_bulk_sale_price"))
        if (not points and bulk_qty and bulk_qty > 1 and bulk_price is not None
                and base_price is not None and bulk_price < base_price):
            points.append((bulk_qty, bulk_price, "bulk price"))
        if not points:
            return []
        points.sort()
        if points[0][0] > 1 and base_price is not None:
            points.insert(0, (1, base_price, "single unit"))
        reference = points[0][1]
        rows = []
        for i, (qty, price, source) in enumerate(points):
            rows.append({"sku_id": row["sku_id"], "min_qty": qty,
                         "max_qty": points[i + 1][0] - 1 if i + 1 < len(points) else None,
                         "unit_price": price, "discount": discount_pct(reference, price),
                         "currency": row["currency"], "source": source})
        return rows

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
        origins = (sorted({v for v in skus[ships_from[0]].dropna() if v})
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
        raw_skus = [s for s in as_list(self.result.get("ae_item_sku_info_dtos"))
                    if isinstance(s, dict)]
        for sku, sku_id in zip(raw_skus, skus["sku_id"].tolist()):
            amount, shown_currency = aliexpress_freight.parse_money(
                sku.get("estimated_import_charges"))
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
