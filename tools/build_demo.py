"""Build the offline demo: three AliExpress product fixtures and their pictures.

Run from the project root::

    python -m tools.build_demo      (or: make demo)

It writes

* ``lib/sandbox/fixtures/aliexpress/<product_id>.json``: complete
  ``aliexpress.ds.product.get`` gateway responses in the wrapped shape the live gateway
  returns (``aliexpress_ds_product_get_response`` -> ``result``, single-key list
  wrappers such as ``ae_item_sku_info_dtos.ae_item_sku_info_d_t_o[]``, prices and
  ratings as strings, stock as ints, ``sub_product_id`` and ``mobile_detail`` as
  JSON-encoded strings, ``wholesale_price`` doubly quoted);
* ``static/demo/*.png``: small flat-colour product pictures drawn with Pillow, which
  the fixtures reference as ``/app/static/demo/<file>.png`` (Streamlit static serving).

The output is deterministic: no clock, no unseeded randomness (variation comes from
SHA-256 of fixed strings), so running the script twice gives identical bytes.
Only the standard library and Pillow are used; Pillow is imported only when pictures
are drawn, so importing ``DEMO_CATALOGUE`` needs nothing but the standard library.
"""
from __future__ import annotations

import hashlib
import json
import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

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

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DIR = ROOT / "lib" / "sandbox" / "fixtures" / PLATFORM
IMAGE_DIR = ROOT / "static" / "demo"
URL_PREFIX = "/app/static/demo/"
IMAGE_SIZE = 480

CENT = Decimal("0.01")

# ---------------------------------------------------------------------------------------
# small deterministic helpers


def _h(*parts: Any) -> int:
    """A stable pseudo-random integer derived from the given parts."""
    text = "|".join(str(p) for p in parts)
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _url(filename: str | None) -> str | None:
    return None if filename is None else URL_PREFIX + filename


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


def _video(product_id: str, number: int, poster: str, media_type: str = "video"
           ) -> dict[str, Any]:
    media_id = 5000_000_000_000 + _h(product_id, "video", number) % 999_999_999_999
    return {
        "ali_member_id": 2_200_000_000 + _h(product_id, "member") % 999_999_999,
        "media_id": media_id,
        "media_status": "approved",
        "media_type": media_type,
        "media_url": f"https://video.aliexpress-media.com/play/{media_id}.mp4",
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
    videos = [_video(pid, 1, "backpack_video_1_poster.png"),
              _video(pid, 2, "backpack_video_2_poster.png")]
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
    videos = [_video(pid, 1, "case_video_1_poster.png")]
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


# ---------------------------------------------------------------------------------------
# pictures


def _tint(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    """Mix with white (amount 0 = unchanged, 1 = white)."""
    return tuple(round(c + (255 - c) * amount) for c in rgb)  # type: ignore[return-value]


def _shade(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    """Mix with black (amount 0 = unchanged, 1 = black)."""
    return tuple(round(c * (1 - amount)) for c in rgb)  # type: ignore[return-value]


def _font(size: int):
    from PIL import ImageFont
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the small bitmap font
        return ImageFont.load_default()


class _Canvas:
    def __init__(self, background: tuple[int, int, int]):
        from PIL import Image, ImageDraw
        self.image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), background)
        self.draw = ImageDraw.Draw(self.image)
        self.background = background

    def caption(self, text: str, sub: str | None = None) -> None:
        d = self.draw
        font = _font(26)
        box = d.textbbox((0, 0), text, font=font)
        width = box[2] - box[0]
        top = IMAGE_SIZE - (78 if sub else 60)
        d.rounded_rectangle((24, top, IMAGE_SIZE - 24, IMAGE_SIZE - 16), radius=14,
                            fill=(255, 255, 255), outline=(210, 210, 210))
        d.text(((IMAGE_SIZE - width) / 2, top + 10), text, font=font, fill=(30, 30, 30))
        if sub:
            small = _font(16)
            box = d.textbbox((0, 0), sub, font=small)
            d.text(((IMAGE_SIZE - (box[2] - box[0])) / 2, top + 42), sub, font=small,
                   fill=(90, 90, 90))

    def badge(self, text: str = "DEMO") -> None:
        font = _font(14)
        box = self.draw.textbbox((0, 0), text, font=font)
        w = box[2] - box[0]
        self.draw.rounded_rectangle((IMAGE_SIZE - w - 34, 14, IMAGE_SIZE - 14, 38),
                                    radius=8, fill=(255, 255, 255))
        self.draw.text((IMAGE_SIZE - w - 24, 17), text, font=font, fill=(120, 120, 120))

    def text(self, xy: tuple[float, float], text: str, size: int,
             fill: tuple[int, int, int], anchor: str = "mm") -> None:
        self.draw.text(xy, text, font=_font(size), fill=fill, anchor=anchor)

    def play_button(self, cx: float = IMAGE_SIZE / 2, cy: float = 200) -> None:
        d = self.draw
        d.ellipse((cx - 46, cy - 46, cx + 46, cy + 46), fill=(20, 20, 20),
                  outline=(255, 255, 255), width=4)
        d.polygon([(cx - 16, cy - 26), (cx - 16, cy + 26), (cx + 28, cy)],
                  fill=(255, 255, 255))

    def save(self, name: str) -> Path:
        from PIL import Image
        path = IMAGE_DIR / name
        image = self.image.quantize(colors=48, method=Image.Quantize.MEDIANCUT,
                                    dither=Image.Dither.NONE)
        image.save(path, format="PNG", optimize=True)
        return path


def _backpack_shape(c: _Canvas, cx: float, cy: float, s: float,
                    rgb: tuple[int, int, int], view: str = "front") -> None:
    d = c.draw
    dark, light = _shade(rgb, 0.35), _tint(rgb, 0.25)
    if rgb[0] + rgb[1] + rgb[2] < 180:  # very dark bodies: lighten the details instead
        dark, light = _tint(rgb, 0.22), _tint(rgb, 0.12)
    strap = _shade(rgb, 0.5) if sum(rgb) > 180 else (15, 15, 18)
    half_w = (55 if view == "side" else 92) * s
    top, bottom = cy - 125 * s, cy + 130 * s
    # carry handle
    d.rounded_rectangle((cx - 28 * s, top - 34 * s, cx + 28 * s, top + 20 * s),
                        radius=int(22 * s), outline=strap, width=max(2, int(9 * s)))
    if view == "back":
        body = (cx - half_w, top, cx + half_w, bottom)
        d.rounded_rectangle(body, radius=int(42 * s), fill=rgb)
        d.rounded_rectangle((cx - 62 * s, top + 30 * s, cx + 62 * s, bottom - 40 * s),
                            radius=int(24 * s), fill=light)  # padded back panel
        for x in (cx - 38 * s, cx + 38 * s):
            d.rounded_rectangle((x - 15 * s, top + 8 * s, x + 15 * s, bottom - 18 * s),
                                radius=int(14 * s), fill=strap)
            for k in range(4):
                y = top + (45 + 42 * k) * s
                d.line((x - 10 * s, y, x + 10 * s, y), fill=dark, width=max(1, int(3 * s)))
        d.rounded_rectangle((cx - 60 * s, cy + 40 * s, cx + 60 * s, cy + 58 * s),
                            radius=int(8 * s), fill=strap)  # sternum/hip strap
        return
    if view == "side":
        d.rounded_rectangle((cx - half_w, top, cx + half_w, bottom), radius=int(30 * s),
                            fill=rgb)
        d.rounded_rectangle((cx + half_w - 12 * s, top + 20 * s, cx + half_w + 20 * s,
                             bottom - 30 * s), radius=int(16 * s), fill=strap)
        d.rounded_rectangle((cx - half_w - 14 * s, cy + 10 * s, cx - half_w + 26 * s,
                             bottom - 20 * s), radius=int(16 * s), fill=dark)  # side pocket
        for y in (cy - 60 * s, cy - 10 * s):
            d.rectangle((cx - half_w, y, cx + half_w, y + 8 * s), fill=strap)
        return
    # front view
    d.rounded_rectangle((cx - half_w, top, cx + half_w, bottom), radius=int(42 * s), fill=rgb)
    d.rounded_rectangle((cx - half_w + 4 * s, top, cx + half_w - 4 * s, top + 78 * s),
                        radius=int(40 * s), fill=dark)  # lid
    d.line((cx - 55 * s, top + 60 * s, cx + 55 * s, top + 60 * s), fill=light,
           width=max(1, int(3 * s)))
    d.rounded_rectangle((cx - 62 * s, cy + 5 * s, cx + 62 * s, bottom - 18 * s),
                        radius=int(26 * s), fill=dark)  # front pocket
    d.line((cx - 46 * s, cy + 30 * s, cx + 46 * s, cy + 30 * s), fill=light,
           width=max(1, int(3 * s)))  # zipper
    d.rectangle((cx + 34 * s, cy + 30 * s, cx + 42 * s, cy + 48 * s), fill=light)
    for x in (cx - half_w + 14 * s, cx + half_w - 22 * s):  # compression straps
        d.rectangle((x, top + 85 * s, x + 8 * s, bottom - 30 * s), fill=strap)
        d.rectangle((x - 3 * s, cy - 20 * s, x + 11 * s, cy - 6 * s), fill=light)
    # shoulder straps peeking out on both sides
    d.rounded_rectangle((cx - half_w - 14 * s, top + 26 * s, cx - half_w + 6 * s,
                         cy + 70 * s), radius=int(10 * s), fill=strap)
    d.rounded_rectangle((cx + half_w - 6 * s, top + 26 * s, cx + half_w + 14 * s,
                         cy + 70 * s), radius=int(10 * s), fill=strap)


def _mountains(c: _Canvas) -> None:
    d = c.draw
    d.rectangle((0, 0, IMAGE_SIZE, 300), fill=(178, 214, 236))
    d.ellipse((360, 40, 420, 100), fill=(255, 226, 140))
    d.polygon([(-20, 320), (120, 120), (250, 320)], fill=(126, 140, 158))
    d.polygon([(92, 160), (120, 120), (148, 160), (132, 152), (120, 162), (106, 152)],
              fill=(245, 245, 245))
    d.polygon([(150, 320), (330, 90), (500, 320)], fill=(104, 118, 138))
    d.polygon([(296, 134), (330, 90), (364, 134), (344, 124), (330, 138), (314, 124)],
              fill=(245, 245, 245))
    d.rectangle((0, 300, IMAGE_SIZE, IMAGE_SIZE), fill=(122, 158, 96))


def _bottle_shape(c: _Canvas, cx: float, cy: float, s: float,
                  body: tuple[int, int, int], cap: tuple[int, int, int]) -> None:
    d = c.draw
    top, bottom = cy - 150 * s, cy + 150 * s
    d.rounded_rectangle((cx - 30 * s, top, cx + 30 * s, top + 38 * s), radius=int(10 * s),
                        fill=cap)
    d.rounded_rectangle((cx - 18 * s, top - 14 * s, cx + 18 * s, top + 4 * s),
                        radius=int(8 * s), outline=cap, width=max(2, int(6 * s)))  # loop
    d.rectangle((cx - 34 * s, top + 34 * s, cx + 34 * s, top + 50 * s), fill=_shade(body, 0.2))
    d.polygon([(cx - 34 * s, top + 50 * s), (cx + 34 * s, top + 50 * s),
               (cx + 56 * s, top + 92 * s), (cx - 56 * s, top + 92 * s)], fill=body)
    d.rounded_rectangle((cx - 56 * s, top + 88 * s, cx + 56 * s, bottom), radius=int(22 * s),
                        fill=body)
    d.rectangle((cx - 56 * s, cy + 20 * s, cx + 56 * s, cy + 44 * s), fill=_shade(body, 0.15))
    d.rounded_rectangle((cx - 40 * s, top + 100 * s, cx - 28 * s, bottom - 30 * s),
                        radius=int(6 * s), fill=_tint(body, 0.45))  # highlight


def _case_shape(c: _Canvas, cx: float, cy: float, s: float, rgb: tuple[int, int, int],
                clear: bool = False) -> None:
    d = c.draw
    w, h = 82 * s, 165 * s
    outline = (150, 165, 180) if clear else _shade(rgb, 0.3)
    d.rounded_rectangle((cx - w, cy - h, cx + w, cy + h), radius=int(30 * s), fill=rgb,
                        outline=outline, width=max(2, int(5 * s)))
    if clear:  # a hint of the phone behind the clear case
        d.rounded_rectangle((cx - w + 12 * s, cy - h + 12 * s, cx + w - 12 * s,
                             cy + h - 12 * s), radius=int(24 * s), outline=(200, 210, 220),
                            width=max(1, int(2 * s)))
    bump = (cx - w + 14 * s, cy - h + 14 * s, cx - w + 92 * s, cy - h + 92 * s)
    d.rounded_rectangle(bump, radius=int(18 * s), fill=_shade(rgb, 0.18), outline=outline,
                        width=max(1, int(3 * s)))
    hole = (24, 24, 28)
    for ox, oy in ((34, 34), (72, 34), (34, 72)):
        x, y = cx - w + ox * s, cy - h + oy * s
        d.ellipse((x - 15 * s, y - 15 * s, x + 15 * s, y + 15 * s), fill=hole)
        d.ellipse((x - 6 * s, y - 6 * s, x + 2 * s, y + 2 * s), fill=(70, 70, 84))
    d.ellipse((cx - w + 66 * s, cy - h + 66 * s, cx - w + 78 * s, cy - h + 78 * s),
              fill=(240, 236, 200))  # flash
    for y0, y1 in ((-95, -55), (-40, 0)):  # side buttons
        d.rounded_rectangle((cx + w - 2 * s, cy + y0 * s, cx + w + 7 * s, cy + y1 * s),
                            radius=int(3 * s), fill=outline)
    logo = _tint(rgb, 0.2) if sum(rgb) < 400 else _shade(rgb, 0.12)
    d.ellipse((cx - 20 * s, cy - 10 * s, cx + 20 * s, cy + 30 * s), fill=logo)


def _case_rotated(c: _Canvas, angle: float, rgb: tuple[int, int, int]) -> None:
    """Draw a case on its own layer and paste it rotated (no new colours: NEAREST)."""
    from PIL import Image
    layer = _Canvas(c.background)
    _case_shape(layer, 240, 215, 1.0, rgb)
    mask = Image.new("L", layer.image.size, 0)
    from PIL import ImageDraw
    ImageDraw.Draw(mask).rounded_rectangle((240 - 96, 215 - 176, 240 + 96, 215 + 176),
                                           radius=30, fill=255)
    rotated = layer.image.rotate(angle, resample=Image.Resampling.NEAREST,
                                 center=(240, 215), fillcolor=c.background)
    rotated_mask = mask.rotate(angle, resample=Image.Resampling.NEAREST, center=(240, 215))
    c.image.paste(rotated, (0, 0), rotated_mask)


def draw_images() -> list[Path]:
    IMAGE_DIR.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    colours = {name: rgb for name, _vid, _label, _img, rgb in BACKPACK_COLOURS}

    # backpack main gallery: front, back, side, sizes, outdoors, colour line-up
    c = _Canvas((238, 228, 208))
    _backpack_shape(c, 240, 200, 1.0, colours["Black"], "front")
    c.badge(); c.caption("TRAIL 40L", "front view")
    written.append(c.save("backpack_main_1.png"))
    c = _Canvas((214, 228, 244))
    _backpack_shape(c, 240, 200, 1.0, colours["Blue"], "back")
    c.badge(); c.caption("Padded back panel", "breathable shoulder straps")
    written.append(c.save("backpack_main_2.png"))
    c = _Canvas((246, 222, 218))
    _backpack_shape(c, 240, 200, 1.0, colours["Red"], "side")
    c.badge(); c.caption("Side view", "side pocket and compression straps")
    written.append(c.save("backpack_main_3.png"))
    c = _Canvas((236, 236, 236))
    for x, scale, size in ((72, 0.55, "20L"), (210, 0.72, "30L"), (380, 0.86, "40L")):
        _backpack_shape(c, x, 335 - 130 * scale, scale, colours["Gray"], "front")
        c.text((x, 372), size, 24, (40, 40, 40))
    c.badge(); c.caption("Three sizes")
    written.append(c.save("backpack_main_4.png"))
    c = _Canvas((178, 214, 236))
    _mountains(c)
    _backpack_shape(c, 240, 235, 0.82, colours["Green"], "front")
    c.badge(); c.caption("Made for the trail")
    written.append(c.save("backpack_main_5.png"))
    c = _Canvas((250, 246, 238))
    for i, (name, _vid, _label, _img, rgb) in enumerate(BACKPACK_COLOURS):
        x = 58 + i * 91
        _backpack_shape(c, x, 200, 0.4, rgb, "front")
        c.text((x, 275), name, 16, (60, 60, 60))
    c.badge(); c.caption("5 colours")
    written.append(c.save("backpack_main_6.png"))
    for name, _vid, label, image, rgb in BACKPACK_COLOURS:
        if image is None:
            continue
        c = _Canvas(_tint(rgb, 0.72))
        _backpack_shape(c, 240, 200, 1.0, rgb, "front")
        c.badge(); c.caption(label or name, "Trail 40L")
        written.append(c.save(image))
    c = _Canvas((178, 214, 236))
    _mountains(c)
    _backpack_shape(c, 150, 240, 0.7, colours["Red"], "front")
    c.play_button(320, 190)
    c.caption("Video: on the trail")
    written.append(c.save("backpack_video_1_poster.png"))
    c = _Canvas((240, 232, 216))
    _backpack_shape(c, 170, 200, 0.9, colours["Black"], "back")
    c.play_button(350, 200)
    c.caption("Video: what fits in 40L")
    written.append(c.save("backpack_video_2_poster.png"))

    # bottle
    steel, black = (184, 188, 194), (40, 42, 46)
    c = _Canvas((196, 230, 226))
    _bottle_shape(c, 240, 205, 1.0, steel, black)
    c.badge(); c.caption("Steel bottle 750 ml")
    written.append(c.save("bottle_main_1.png"))
    c = _Canvas((240, 230, 210))
    _bottle_shape(c, 175, 210, 0.9, (38, 58, 100), (230, 230, 230))
    _bottle_shape(c, 305, 210, 0.9, (240, 240, 240), black)
    c.badge(); c.caption("750 ml", "leak-proof lid with carry loop")
    written.append(c.save("bottle_main_2.png"))
    c = _Canvas((232, 240, 248))
    _bottle_shape(c, 240, 205, 0.95, steel, black)
    d = c.draw
    d.ellipse((62, 120, 122, 180), fill=(120, 180, 230))
    for k in range(6):
        a = k * math.pi / 3
        d.line((92, 150, 92 + 42 * math.cos(a), 150 + 42 * math.sin(a)),
               fill=(60, 120, 200), width=4)
    c.text((92, 215), "24 h cold", 20, (40, 90, 160))
    d.ellipse((360, 122, 416, 178), fill=(250, 190, 70))
    for k in range(8):
        a = k * math.pi / 4
        d.line((388 + 34 * math.cos(a), 150 + 34 * math.sin(a),
                388 + 46 * math.cos(a), 150 + 46 * math.sin(a)), fill=(230, 140, 40), width=4)
    c.text((388, 215), "12 h hot", 20, (180, 90, 20))
    c.badge(); c.caption("Double-wall vacuum")
    written.append(c.save("bottle_main_3.png"))
    c = _Canvas((245, 245, 245))
    _bottle_shape(c, 220, 210, 1.0, steel, black)
    d = c.draw
    d.line((330, 46, 330, 360), fill=(90, 90, 90), width=3)
    d.line((320, 46, 340, 46), fill=(90, 90, 90), width=3)
    d.line((320, 360, 340, 360), fill=(90, 90, 90), width=3)
    c.text((385, 203), "26.5 cm", 22, (50, 50, 50))
    d.line((164, 378, 276, 378), fill=(90, 90, 90), width=3)
    c.text((220, 396), "7.3 cm", 20, (50, 50, 50))
    c.badge()
    written.append(c.save("bottle_main_4.png"))

    # phone case
    case_rgb = {name: rgb for name, _vid, _label, _img, rgb in CASE_COLOURS}
    c = _Canvas((226, 226, 232))
    _case_shape(c, 240, 205, 1.0, case_rgb["Black"])
    c.badge(); c.caption("Matte shockproof case")
    written.append(c.save("case_main_1.png"))
    c = _Canvas((214, 234, 244))
    _case_rotated(c, 14, case_rgb["Blue"])
    c.badge(); c.caption("Slim, soft-touch finish")
    written.append(c.save("case_main_2.png"))
    c = _Canvas((250, 246, 240))
    for i, (name, _vid, label, _img, rgb) in enumerate(CASE_COLOURS):
        x = 48 + i * 77
        _case_shape(c, x, 190, 0.4, rgb, clear=(name == "Transparent"))
        c.text((x, 276), label.split()[0], 15, (60, 60, 60))
        c.text((x, 294), label.split()[1], 15, (60, 60, 60))
    c.badge(); c.caption("6 colours")
    written.append(c.save("case_main_3.png"))
    c = _Canvas((60, 62, 74))
    _case_shape(c, 330, 330, 2.4, case_rgb["Red"])
    c.badge(); c.caption("Precise camera cut-outs")
    written.append(c.save("case_main_4.png"))
    c = _Canvas((244, 226, 232))
    _case_shape(c, 240, 205, 1.0, case_rgb["Pink"])
    d = c.draw
    for x, y in ((158, 40), (322, 40), (158, 370), (322, 370)):
        d.arc((x - 30, y - 30, x + 30, y + 30), 0, 360, fill=(200, 60, 90), width=4)
    c.badge(); c.caption("Shockproof corners")
    written.append(c.save("case_main_5.png"))
    for name, _vid, label, image, rgb in CASE_COLOURS:
        clear = name == "Transparent"
        c = _Canvas((236, 236, 240) if clear else _tint(rgb, 0.7))
        _case_shape(c, 240, 205, 1.0, rgb, clear=clear)
        c.badge(); c.caption(label, f"system colour: {name}")
        written.append(c.save(image))
    c = _Canvas((40, 44, 58))
    _case_shape(c, 150, 205, 0.9, case_rgb["Green"])
    c.play_button(330, 200)
    c.caption("Video: drop test")
    written.append(c.save("case_video_1_poster.png"))
    return written


# ---------------------------------------------------------------------------------------


def write_fixtures() -> list[Path]:
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for product_id, response in build_fixtures().items():
        path = FIXTURE_DIR / f"{product_id}.json"
        text = json.dumps(response, indent=1, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    # The runtime reads every platform's demo catalogue from data, this one included.
    catalogue = [{k: v for k, v in entry.items() if k != "platform"} for entry in DEMO_CATALOGUE]
    path = FIXTURE_DIR / "catalogue.json"
    path.write_text(json.dumps(catalogue, indent=1, ensure_ascii=False) + "\n", encoding="utf-8",
                    newline="\n")
    written.append(path)
    return written


def main() -> None:
    images = draw_images()
    fixtures = write_fixtures()
    total = sum(p.stat().st_size for p in images)
    for path in fixtures:
        if path.name == "catalogue.json":
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        skus = data["aliexpress_ds_product_get_response"]["result"][
            "ae_item_sku_info_dtos"]["ae_item_sku_info_d_t_o"]
        print(f"{path.relative_to(ROOT)}: {len(skus)} SKUs")
    print(f"{len(images)} pictures in {IMAGE_DIR.relative_to(ROOT)} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
