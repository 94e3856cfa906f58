"""The AliExpress DS demo products as complete ``aliexpress.ds.product.get`` answers.

Wrapped as the live gateway returns them (``aliexpress_ds_product_get_response`` ->
``result``, single-key list wrappers such as ``ae_item_sku_info_dtos.ae_item_sku_info_d_t_o[]``,
prices and ratings as strings, stock as ints, ``sub_product_id`` and ``mobile_detail`` as
JSON-encoded strings, ``wholesale_price`` doubly quoted). Pictures and clips are referenced
as ``/app/static/demo/<file>``; tools/demo/pictures.py and clips.py draw them.
Standard library only: variation comes from SHA-256 of fixed strings, never a clock.
"""
from __future__ import annotations

import hashlib
import json
import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from tools.demo.paths import FIXTURES, static_url as _url

PLATFORM = "aliexpress"
BACKPACK_ID = "1005006789012345"
BOTTLE_ID = "1005005432109876"
CASE_ID = "1005004321098765"

DEMO_CATALOGUE: list[dict[str, str]] = [
    {
        "platform": PLATFORM,
        "product_id": BACKPACK_ID,
        "title": "Trail 40L hiking backpack",
        "blurb": ("45 variants over three options (5 colours x 3 sizes x 3 ship-from "
                  "warehouses), one colour without a picture, 6 variants out of stock "
                  "(Red 40L in every warehouse), 4 wholesale price tiers on every "
                  "variant, and two videos."),
    },
    {
        "platform": PLATFORM,
        "product_id": BOTTLE_ID,
        "title": "Insulated steel water bottle 750 ml",
        "blurb": ("A single-variant product with no options at all (empty SKU "
                  "attribute), no wholesale tiers, no video, and one store rating "
                  "missing."),
    },
    {
        "platform": PLATFORM,
        "product_id": CASE_ID,
        "title": "Shockproof matte phone case",
        "blurb": ("24 variants (6 colours x 4 phone models) with deep discounts of "
                  "55-82 %, seller colour names that differ from the standard colour "
                  "names, a picture for every colour, 2 variants out of stock and one "
                  "video."),
    },
]

FIXTURE_DIR = FIXTURES / PLATFORM

CENT = Decimal("0.01")

# ---------------------------------------------------------------------------------------
# small deterministic helpers


def _h(*parts: Any) -> int:
    """A stable pseudo-random integer derived from the given parts."""
    text = "|".join(str(p) for p in parts)
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _request_ids(product_id: str) -> tuple[str, str]:
    """request_id and _trace_id_ in the gateway's formats (25 and 30 characters)."""
    digest = hashlib.sha1(f"request:{product_id}".encode()).hexdigest()
    digits = str(int(digest[8:32], 16))
    request_id = "2101" + digest[:4] + digits[:17]
    trace = hashlib.sha1(f"trace:{product_id}".encode()).hexdigest()
    trace_id = "2140" + trace[:6] + digits[-13:] + trace[6:13]
    return request_id, trace_id[:30]


def _sku_id(product_id: str, index: int) -> str:
    """17 digits starting 12000, not sequential (like real SKU ids)."""
    block = 37 + _h(product_id, "block") % 30
    start = 1_000_000_000 + _h(product_id, "start") % 8_000_000_000
    tail = start + index * 17 + _h(product_id, "sku", index) % 11
    return f"12000{block:02d}{tail:010d}"


def _sub_product_id(product_id: str) -> str:
    return json.dumps({"US": int("32568" + product_id[-11:])}, separators=(",", ":"))


def _mobile_detail(images: list[str]) -> str:
    modules = [{"type": "image", "data": {"url": _url(name), "style": {}, "targetUrl": ""}}
               for name in images]
    return json.dumps({"version": "2.0.0", "moduleList": modules}, separators=(",", ":"))


def _prop(name_id: int, name: str, value: str, value_id: int | None = None,
          **extra: str) -> dict[str, Any]:
    item: dict[str, Any] = {"attr_name_id": name_id}
    if value_id is not None:
        item["attr_value_id"] = value_id
    item.update({k: v for k, v in extra.items() if k == "attr_value_unit"})
    item["attr_name"] = name
    item.update({k: v for k, v in extra.items() if k != "attr_value_unit"})
    item["attr_value"] = value
    return item


def _sku_property(name: str, prop_id: int, value: str, value_id: int,
                  label: str | None = None, image: str | None = None) -> dict[str, Any]:
    dto: dict[str, Any] = {"sku_property_value": value}
    if image:
        dto["sku_image"] = _url(image)
    dto["sku_property_name"] = name
    if label:
        dto["property_value_definition_name"] = label
    dto["property_value_id"] = value_id
    dto["sku_property_id"] = prop_id
    return dto


def _attr_part(dto: dict[str, Any]) -> str:
    part = f"{dto['sku_property_id']}:{dto['property_value_id']}"
    label = dto.get("property_value_definition_name")
    return f"{part}#{label}" if label else part


def _envelope(product_id: str, result: dict[str, Any]) -> dict[str, Any]:
    request_id, trace_id = _request_ids(product_id)
    return {"aliexpress_ds_product_get_response": {
        "result": result,
        "rsp_code": 200,
        "rsp_msg": "Call succeeds",
        "request_id": request_id,
        "_trace_id_": trace_id,
    }}


def _result(*, skus: list[dict[str, Any]], images: list[str],
            videos: list[dict[str, Any]] | None, package: dict[str, Any],
            logistics: dict[str, Any], product_id: str, base: dict[str, Any],
            has_whole_sale: bool, properties: list[dict[str, Any]],
            store: dict[str, Any]) -> dict[str, Any]:
    multimedia: dict[str, Any] = {}
    if videos:
        multimedia["ae_video_dtos"] = {"ae_video_d_t_o": videos}
    multimedia["image_urls"] = ";".join(_url(name) for name in images)
    return {
        "ae_item_sku_info_dtos": {"ae_item_sku_info_d_t_o": skus},
        "ae_multimedia_info_dto": multimedia,
        "package_info_dto": package,
        "logistics_info_dto": logistics,
        "product_id_converter_result": {
            "main_product_id": int(product_id),
            "sub_product_id": _sub_product_id(product_id),
        },
        "ae_item_base_info_dto": base,
        "has_whole_sale": has_whole_sale,
        "ae_item_properties": {"ae_item_property": properties},
        "ae_store_info": store,
    }


def _video(product_id: str, number: int, poster: str, clip: str, media_type: str = "video"
           ) -> dict[str, Any]:
    """A listed video whose address is a bundled clip (tools/demo/clips.py draws it)."""
    media_id = 5000_000_000_000 + _h(product_id, "video", number) % 999_999_999_999
    return {
        "ali_member_id": 2_200_000_000 + _h(product_id, "member") % 999_999_999,
        "media_id": media_id,
        "media_status": "approved",
        "media_type": media_type,
        "media_url": _url(clip),
        "poster_url": _url(poster),
    }


# ---------------------------------------------------------------------------------------
# product 1: backpack, 3 dimensions, 45 SKUs, wholesale tiers, two videos

BACKPACK_COLOURS = [
    # system value, value id, seller label, sku image, RGB
    ("Black", 193, None, "backpack_black.png", (38, 40, 44)),
    ("Red", 10, None, "backpack_red.png", (196, 48, 43)),
    ("Blue", 173, None, "backpack_blue.png", (40, 92, 170)),
    ("Green", 175, "Forest Green", "backpack_green.png", (52, 110, 64)),
    ("Gray", 691, None, None, (120, 124, 130)),  # the colour without a picture
]
BACKPACK_SIZES = [("20L", 100014064), ("30L", 361386), ("40L", 361385)]
SHIPS_FROM = [("China", 201336100, Decimal("0")),
              ("United States", 201336106, Decimal("3")),
              ("Spain", 100015076, Decimal("4"))]
WHOLESALE_TIERS = [("1", Decimal("1.00")), ("10", Decimal("0.95")),
                   ("50", Decimal("0.90")), ("200", Decimal("0.85"))]
BACKPACK_OUT_OF_STOCK = {
    ("Red", "40L", "China"), ("Red", "40L", "United States"), ("Red", "40L", "Spain"),
    ("Blue", "20L", "Spain"), ("Green", "30L", "United States"), ("Gray", "40L", "China"),
}
BACKPACK_LOW_STOCK = {("Black", "40L", "Spain"): 5, ("Blue", "30L", "United States"): 7}
BACKPACK_MAIN = ["backpack_main_1.png", "backpack_main_2.png", "backpack_main_3.png",
                 "backpack_main_4.png", "backpack_main_5.png", "backpack_main_6.png"]


def backpack() -> dict[str, Any]:
    pid = BACKPACK_ID
    skus = []
    index = 0
    for ci, (colour, colour_vid, label, image, _rgb) in enumerate(BACKPACK_COLOURS):
        for si, (size, size_vid) in enumerate(BACKPACK_SIZES):
            for wi, (origin, origin_vid, surcharge) in enumerate(SHIPS_FROM):
                sale = Decimal("24.90") + 6 * si + surcharge
                markup = Decimal("1.30") + Decimal("0.03") * ((ci * 2 + si + wi) % 6)
                original = (sale * markup).quantize(CENT, rounding=ROUND_HALF_UP)
                tiers = []
                for min_quantity, factor in WHOLESALE_TIERS:
                    tiers.append({
                        "min_quantity": min_quantity,
                        "wholesale_price": '"' + _money(sale * factor) + '"',
                        "discount": str(factor),
                    })
                bulk = _money(sale * WHOLESALE_TIERS[1][1])
                if (colour, size, origin) in BACKPACK_OUT_OF_STOCK:
                    stock = 0
                elif (colour, size, origin) in BACKPACK_LOW_STOCK:
                    stock = BACKPACK_LOW_STOCK[(colour, size, origin)]
                else:
                    stock = 5 + _h(pid, "stock", colour, size, origin) % 896
                dtos = [
                    _sku_property("Color", 14, colour, colour_vid, label, image),
                    _sku_property("Size", 5, size, size_vid),
                    _sku_property("Ships From", 200007763, origin, origin_vid),
                ]
                attr = ";".join(_attr_part(d) for d in dtos)
                skus.append({
                    "sku_attr": attr,
                    "offer_sale_price": _money(sale),
                    "sku_id": _sku_id(pid, index),
                    "wholesale_price_tiers": {"wholesale_price_tier": tiers},
                    "price_include_tax": False,
                    "currency_code": "USD",
                    "sku_price": _money(original),
                    "offer_bulk_sale_price": bulk,
                    "sku_available_stock": stock,
                    "id": attr,
                    "sku_bulk_order": 10,
                    "ae_sku_property_dtos": {"ae_sku_property_d_t_o": dtos},
                })
                index += 1
    detail = (
        '<div class="detailmodule_html"><div class="detail-desc-decorate-richtext">'
        '<div class="detailmodule_text"><p class="detail-desc-decorate-content">'
        "Trail 40L is a lightweight hiking backpack with a padded back panel, "
        "breathable shoulder straps and a rain-resistant nylon shell.</p>"
        "<p>Choose 20L for day hikes, 30L for weekends &amp; 40L for multi-day trips.</p>"
        "</div>"
        '<div class="detailmodule_image"><img class="detail-desc-decorate-image" src="'
        + _url("backpack_main_4.png") + '" slate-data-type="image"/></div>'
        "<table><tbody>"
        "<tr><td>Material</td><td>420D ripstop nylon</td></tr>"
        "<tr><td>Capacity</td><td>20 L / 30 L / 40 L</td></tr>"
        "<tr><td>Weight</td><td>0.9 - 1.2 kg</td></tr>"
        "<tr><td>Back length</td><td>45 - 52 cm, adjustable</td></tr>"
        "</tbody></table>"
        '<div class="detailmodule_image"><img class="detail-desc-decorate-image" src="'
        + _url("backpack_main_2.png") + '" slate-data-type="image"/></div>'
        "</div></div><br/>"
    )
    base = {
        "mobile_detail": _mobile_detail(["backpack_main_4.png", "backpack_main_2.png"]),
        "subject": ("Trail 40L Hiking Backpack Waterproof Outdoor Trekking Rucksack "
                    "20L 30L 40L Camping Travel Daypack for Men Women"),
        "evaluation_count": "2381",
        "sales_count": "10000+",
        "product_status_type": "onSelling",
        "avg_evaluation_rating": "4.7",
        "separated_listing": False,
        "currency_code": "CNY",
        "sl_product": False,
        "category_id": 152405,
        "product_id": int(pid),
        "detail": detail,
    }
    properties = [
        _prop(2, "Brand Name", "TRAILFORGE", 201512802),
        _prop(400000603, "High-concerned chemical", "None", 23399591357),
        _prop(219, "Origin", "Mainland China", 9441741844),
        _prop(10, "Material", "Nylon", 529),
        _prop(200000639, "Capacity", "20-40L", -1, attr_value_unit="L",
              attr_value_start="20", attr_value_end="40"),
        _prop(100002145, "Features", "Waterproof", 200001003),
        _prop(100002145, "Features", "Breathable", 200001008),
        _prop(200000125, "Gender", "Unisex", 200000004),
        _prop(200000631, "Closure Type", "Zipper", 200000657),
        _prop(200000326, "Strap Type", "Adjustable Straps", 201264910),
        _prop(-1, "Choice", "yes"),
    ]
    store = {
        "store_id": 1102847561,
        "shipping_speed_rating": "4.6",
        "communication_rating": "4.7",
        "store_name": "TrailForge Outdoor Store",
        "store_country_code": "CN",
        "item_as_described_rating": "4.8",
    }
    videos = [_video(pid, 1, "backpack_video_1_poster.png", "backpack_video_1.mp4"),
              _video(pid, 2, "backpack_video_2_poster.png", "backpack_video_2.mp4")]
    return _envelope(pid, _result(
        skus=skus, images=BACKPACK_MAIN, videos=videos,
        package={"package_width": 30, "package_height": 20, "package_length": 45,
                 "gross_weight": "1.250", "package_type": False,
                 "product_unit": 100000015},
        logistics={"delivery_time": 12, "ship_to_country": "US"},
        product_id=pid, base=base, has_whole_sale=True, properties=properties,
        store=store))


# ---------------------------------------------------------------------------------------
# product 2: bottle, one SKU without options, one store rating missing

BOTTLE_MAIN = ["bottle_main_1.png", "bottle_main_2.png", "bottle_main_3.png",
               "bottle_main_4.png"]


def bottle() -> dict[str, Any]:
    pid = BOTTLE_ID
    skus = [{
        "sku_attr": "",
        "offer_sale_price": "14.24",
        "sku_id": _sku_id(pid, 0),
        "price_include_tax": False,
        "currency_code": "USD",
        "sku_price": "19.99",
        "offer_bulk_sale_price": "14.24",
        "sku_available_stock": 148,
        "id": "",
    }]
    detail = (
        "<p>Double-wall vacuum insulated bottle, 750 ml.</p>\r\n"
        "<p>Keeps drinks cold for 24 h (below 8 &deg;C) and hot for 12 h.</p>\r\n"
        '<p><img src="' + _url("bottle_main_3.png") + '" slate-data-type="image"/></p>\r\n'
        "<table><tbody>"
        "<tr><td>Capacity</td><td>750 ml</td></tr>"
        "<tr><td>Material</td><td>18/8 (304) stainless steel</td></tr>"
        "<tr><td>Height</td><td>26.5 cm</td></tr>"
        "<tr><td>Diameter</td><td>7.3 cm</td></tr>"
        "</tbody></table>"
    )
    base = {
        "mobile_detail": _mobile_detail(["bottle_main_3.png", "bottle_main_4.png"]),
        "subject": ("750ml Insulated Stainless Steel Water Bottle Double Wall Vacuum "
                    "Flask Leakproof Sports Thermos Keeps Cold 24h Hot 12h"),
        "evaluation_count": "312",
        "sales_count": "1000+",
        "product_status_type": "onSelling",
        "avg_evaluation_rating": "4.9",
        "separated_listing": False,
        "currency_code": "CNY",
        "sl_product": False,
        "category_id": 100004985,
        "product_id": int(pid),
        "detail": detail,
    }
    properties = [
        _prop(2, "Brand Name", "HydraPeak", 201603540),
        _prop(400000603, "High-concerned chemical", "None", 23399591357),
        _prop(219, "Origin", "Mainland China", 9441741844),
        _prop(10, "Material", "Stainless Steel", 349),
        _prop(200000639, "Capacity", "750ml", -1, attr_value_unit="ml",
              attr_value_start="750", attr_value_end="750"),
        _prop(100002145, "Features", "Eco-Friendly", 200573009),
        _prop(100002145, "Features", "Stocked", 200573004),
        _prop(200001034, "Drinkware Type", "Vacuum Flasks & Thermoses", 200004386),
        _prop(-1, "Insulation time", "24h cold / 12h hot", -1),
        _prop(-1, "Choice", "yes"),
    ]
    store = {  # communication_rating deliberately absent
        "store_id": 1104193385,
        "shipping_speed_rating": "4.8",
        "store_name": "HydraPeak Official Store",
        "store_country_code": "CN",
        "item_as_described_rating": "4.9",
    }
    return _envelope(pid, _result(
        skus=skus, images=BOTTLE_MAIN, videos=None,
        package={"package_width": 9, "package_height": 9, "package_length": 28,
                 "gross_weight": "0.420", "package_type": False,
                 "product_unit": 100000015},
        logistics={"delivery_time": 9, "ship_to_country": "US"},
        product_id=pid, base=base, has_whole_sale=False, properties=properties,
        store=store))


# ---------------------------------------------------------------------------------------
# product 3: phone case, seller colour labels, deep discounts

CASE_COLOURS = [
    # system value, value id, seller label, sku image, RGB
    ("Black", 193, "Matte Midnight", "case_black.png", (33, 35, 48)),
    ("Blue", 173, "Ocean Mist", "case_blue.png", (92, 150, 190)),
    ("Red", 10, "Cherry Glow", "case_red.png", (190, 30, 60)),
    ("Green", 175, "Sage Leaf", "case_green.png", (132, 160, 118)),
    ("Transparent", 200004890, "Crystal Clear", "case_transparent.png", (222, 232, 240)),
    ("Pink", 1052, "Blush Rose", "case_pink.png", (232, 164, 178)),
]
CASE_MODELS = [("For iPhone 15", 24557415236), ("For iPhone 15 Plus", 24557415229),
               ("For iPhone 15 Pro", 24557415241), ("For iPhone 15 Pro Max", 24557415250)]
CASE_OUT_OF_STOCK = {("Pink", "For iPhone 15 Pro Max"), ("Transparent", "For iPhone 15 Plus")}
CASE_MAIN = ["case_main_1.png", "case_main_2.png", "case_main_3.png", "case_main_4.png",
             "case_main_5.png"]


def phone_case() -> dict[str, Any]:
    pid = CASE_ID
    skus = []
    index = 0
    for ci, (colour, colour_vid, label, image, _rgb) in enumerate(CASE_COLOURS):
        for mi, (model, model_vid) in enumerate(CASE_MODELS):
            sale = Decimal("3.10") + Decimal("0.15") * mi
            if colour == "Transparent":
                sale -= Decimal("0.20")
            target = Decimal(56 + _h(pid, "discount", colour, model) % 23) / 100
            original = Decimal(math.ceil(sale / (1 - target))) - CENT
            discount = 1 - sale / original
            assert Decimal("0.55") <= discount <= Decimal("0.82"), (colour, model, discount)
            stock = 0 if (colour, model) in CASE_OUT_OF_STOCK else \
                12 + _h(pid, "stock", colour, model) % 1900
            dtos = [
                _sku_property("Color", 14, colour, colour_vid, label, image),
                _sku_property("Compatible Model", 400021409, model, model_vid),
            ]
            attr = ";".join(_attr_part(d) for d in dtos)
            skus.append({
                "sku_attr": attr,
                "offer_sale_price": _money(sale),
                "sku_id": _sku_id(pid, index),
                "price_include_tax": False,
                "currency_code": "USD",
                "sku_price": _money(original),
                "buy_amount_limit_set_by_promotion": "5",
                "offer_bulk_sale_price": _money(sale),
                "sku_available_stock": stock,
                "id": attr,
                "ae_sku_property_dtos": {"ae_sku_property_d_t_o": dtos},
            })
            index += 1
    detail = (
        '<div class="detailmodule_html"><div class="detail-desc-decorate-richtext">'
        "<p>Slim shockproof case with a soft matte finish, raised camera lip and "
        "reinforced corners.</p>"
        '<p><img src="' + _url("case_main_4.png") + '" slate-data-type="image"/></p>'
        "<table><tbody>"
        "<tr><td>Material</td><td>TPU + PC</td></tr>"
        "<tr><td>Thickness</td><td>1.2 mm</td></tr>"
        "<tr><td>Models</td><td>iPhone 15 / 15 Plus / 15 Pro / 15 Pro Max</td></tr>"
        "</tbody></table>"
        "<p>Colours: Matte Midnight, Ocean Mist, Cherry Glow, Sage Leaf, Crystal Clear "
        "&amp; Blush Rose.</p>"
        "</div></div>"
    )
    base = {
        "mobile_detail": _mobile_detail(["case_main_4.png", "case_main_3.png"]),
        "subject": ("Shockproof Matte Phone Case For iPhone 15 Pro Max 15 Plus Soft "
                    "Silicone Bumper Camera Protection Cover"),
        "evaluation_count": "1126",
        "sales_count": "5000+",
        "product_status_type": "onSelling",
        "avg_evaluation_rating": "4.6",
        "separated_listing": False,
        "currency_code": "CNY",
        "sl_product": False,
        "category_id": 380230,
        "product_id": int(pid),
        "detail": detail,
    }
    properties = [
        _prop(2, "Brand Name", "NoEnName_Null", 386606430),
        _prop(400000603, "High-concerned chemical", "None", 23399591357),
        _prop(219, "Origin", "Mainland China", 9441741844),
        _prop(100002145, "Features", "Anti-Scratch", 3098),
        _prop(100002145, "Features", "Anti-Fingerprint", 89658397),
        _prop(100002145, "Features", "Shockproof", 1981796893),
        _prop(20205, "Main Material", "TPU", 200001131),
        _prop(351, "Type", "Fitted Case", 200746398),
        _prop(-1, "Compatible model 1", "iphone 15 15Plus 15Pro 15ProMax", -1),
        _prop(-1, "Choice", "yes"),
    ]
    store = {
        "store_id": 1103756218,
        "shipping_speed_rating": "4.4",
        "communication_rating": "4.9",
        "store_name": "CaseLab Accessories Store",
        "store_country_code": "CN",
        "item_as_described_rating": "4.5",
    }
    videos = [_video(pid, 1, "case_video_1_poster.png", "case_video_1.mp4")]
    return _envelope(pid, _result(
        skus=skus, images=CASE_MAIN, videos=videos,
        package={"package_width": 10, "package_height": 2, "package_length": 18,
                 "gross_weight": "0.045", "package_type": False,
                 "product_unit": 100000015},
        logistics={"delivery_time": 7, "ship_to_country": "US"},
        product_id=pid, base=base, has_whole_sale=False, properties=properties,
        store=store))


def build_fixtures() -> dict[str, dict[str, Any]]:
    """product_id -> full gateway response."""
    return {BACKPACK_ID: backpack(), BOTTLE_ID: bottle(), CASE_ID: phone_case()}


def write_fixtures() -> list[Path]:
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for product_id, response in build_fixtures().items():
        path = FIXTURE_DIR / f"{product_id}.json"
        text = json.dumps(response, indent=1, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def write_catalogue() -> Path:
    """The runtime reads every platform's demo catalogue from data, this one included."""
    catalogue = [{k: v for k, v in entry.items() if k != "platform"} for entry in DEMO_CATALOGUE]
    path = FIXTURE_DIR / "catalogue.json"
    path.write_text(json.dumps(catalogue, indent=1, ensure_ascii=False) + "\n", encoding="utf-8",
                    newline="\n")
    return path
