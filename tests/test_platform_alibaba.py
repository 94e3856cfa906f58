"""alibaba.icbu.product.get: the live capture (simplified and re-nested), the documents'
odd shapes, errors, TOP request signing, the demo sandbox round trip, ids and links."""
from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl

import httpx
import pandas as pd
import pytest

from lib.client import fetch_product
from lib.errors import (AuthError, BadResponse, InvalidQuery, ProductNotFound, RateLimited,
                        UpstreamError)
from lib.platforms import PLATFORMS, parse_payload
from lib.platforms.alibaba import RESPONSE_KEY, listing_hint
from lib.query import ProductQuery, parse_product_ref
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxTransport
from paths import REAL

KEY = "alibaba"
PLATFORM = PLATFORMS[KEY]
CAPTURE = REAL / "icbu" / ("421345308__beiqiang-cross-border-operations__api_product_get_"
                           "details_1601939651515.json")
CAPTURE_ID = "AAF2jmk4AOWGex-cDVm7jTxY"
LISTING = "1601939651515"
SIZES = [str(n) for n in range(38, 48)]
COLOURS = ["White", "Grey", "Apricot", "Blue", "All Black", "Black/White"]
MUG, MUG_LISTING = "AAHq3mZ8Kx2WvN7p-Tb4sL9e", "1600987654321"
BOARD, BOARD_LISTING = "AAGb7Yt2Qw9Lm4Xc_Rk8Zp1D", "1601122334455"
NOW = 1_700_000_000.0
NOW_MS = int(NOW * 1000)
CREDS = {"app_key": "12345678", "app_secret": "fakeTopSecret0123456789abcdef0123",
         "access_token": "fakeSession-0123456789"}


def capture() -> dict:
    return json.loads(CAPTURE.read_text(encoding="utf-8"))


def nest(simplified: dict) -> dict:
    """The capture in the TOP router's non-simplified shape (lists wrapped once more)."""
    product = json.loads(json.dumps(simplified["product"]))
    product["main_image"]["images"] = {"string": product["main_image"]["images"]}
    product["keywords"] = {"string": product["keywords"]}
    product["attributes"] = {"product_attribute": product["attributes"]}
    sku = product["product_sku"]
    for attribute in sku["sku_attributes"]:
        attribute["values"] = {"sku_attribute_value": attribute["values"]}
    sku["sku_attributes"] = {"sku_attribute": sku["sku_attributes"]}
    for definition in sku["skus"]:
        definition["bulk_discount_prices"] = {
            "bulk_discount_price": definition["bulk_discount_prices"]}
        definition["inventory_dto_list"] = {
            "product_inventory_dto": definition["inventory_dto_list"]}
    sku["skus"] = {"sku_definition": sku["skus"]}
    trade = product["sourcing_trade"]
    trade["deliver_periods"] = {"deliver_period": trade["deliver_periods"]}
    return {RESPONSE_KEY: {"product": product, "request_id": simplified["request_id"]}}


def sku_row(product, sku_id: str):
    rows = product.skus[product.skus["sku_id"] == sku_id]
    assert len(rows) == 1
    return rows.iloc[0]


def tiers_of(product, sku_id: str) -> list[tuple]:
    rows = product.tiers[product.tiers["sku_id"] == sku_id]
    return [(int(r.min_qty), None if pd.isna(r.max_qty) else int(r.max_qty),
             float(r.unit_price)) for r in rows.itertuples()]


def clock() -> float:
    return NOW


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


# --- the live capture ----------------------------------------------------------------
@pytest.fixture(params=["simplified", "nested"])
def shoes(request):
    data = capture() if request.param == "simplified" else nest(capture())
    return parse_payload(KEY, json.dumps(data, ensure_ascii=False))


def test_capture_identity(shoes):
    assert shoes.platform == KEY
    assert shoes.product_id == CAPTURE_ID
    assert shoes.alt_ids == {"listing": LISTING}
    assert shoes.title == ("Wholesale Regular Fit Knit Lace-Up Casual Walking Shoes Large "
                           "Size Factory Supply Model ZX2212")
    assert shoes.url == ("https://www.alibaba.com/product-detail/Wholesale-Regular-Fit-Knit-"
                         "Lace-Up_1601939651515.html")
    assert (shoes.category, shoes.status, shoes.currency) == ("201334413", "approved", "USD")
    assert shoes.warnings == []


def test_capture_variants(shoes):
    skus = shoes.skus
    assert len(skus) == 60
    assert shoes.sku_properties == ["Color", "EUR Size"]
    assert list(dict.fromkeys(skus["Color"])) == COLOURS
    assert list(dict.fromkeys(skus["EUR Size"])) == SIZES          # sorted as numbers
    assert skus.groupby("Color").size().to_dict() == {c: 10 for c in COLOURS}
    assert not skus.duplicated(["Color", "EUR Size"]).any()
    white_43 = sku_row(shoes, "109627048017")
    assert (white_43["Color"], white_43["EUR Size"]) == ("White", "43")
    assert white_43["sku_attr"] == "191288010:3331185;222038415:28392"
    assert white_43["sku_code"] == "BQ032-W1-WHITE-43"
    assert (white_43["price"], white_43["sale_price"], white_43["currency"]) == (9.49, 9.49, "USD")
    assert white_43["stock"] == 999
    assert white_43["stock by warehouse"] == "CN_LOCAL_01: 999"
    assert white_43["image_url"] == "https://sc04.alicdn.com/kf/Af36f65c4e9e1473496d259271cada89cs.jpg"


@pytest.mark.parametrize("sku_id, colour, size, value_id", [
    ("109627048001", "Apricot", "47", "-1"),
    ("109627048049", "All Black", "45", "-133"),
    ("109627048033", "Black/White", "39", "-112"),
])
def test_capture_custom_values_with_negative_ids(shoes, sku_id, colour, size, value_id):
    row = sku_row(shoes, sku_id)
    assert (row["Color"], row["EUR Size"]) == (colour, size)
    assert row["sku_attr"].startswith(f"191288010:{value_id};")
    assert row["image_url"].startswith("https://sc04.alicdn.com/kf/")


def test_capture_tiers_moq_fob_lead_times(shoes):
    assert tiers_of(shoes, "109627048017") == [(2, 49, 9.49), (50, 99, 9.19), (100, None, 9.09)]
    tiers = shoes.tiers
    assert len(tiers) == 180 and set(tiers["source"]) == {"bulk discount"}
    assert tiers[tiers["min_qty"] == 100]["discount"].eq(4.2).all()
    trade = shoes.trade
    assert (trade.moq, trade.moq_unit) == (2, "Pairs")
    assert (trade.fob_min, trade.fob_max, trade.fob_currency) == (9.09, 9.49, "USD")
    assert trade.notes["FOB price unit"] == "per Pair"
    assert trade.notes["Price type"] == "quantity ladder"
    assert "Keywords" not in trade.notes                  # keywords: [""]
    assert shoes.lead_times.to_dict("records") == [{"max_qty": 100, "days": 31}]
    assert int(shoes.skus["stock"].sum()) == 60 * 999
    assert shoes.price_range() == (9.49, 9.49)


def test_capture_attributes_media_description(shoes):
    attributes = shoes.attributes
    assert len(attributes) == 12
    assert attributes[attributes["name"] == "Feature"]["value"].tolist() == \
        ["Light Weight", "Breathable"]
    assert attributes.iloc[0].to_dict() == {"name": "Fit Type", "value": "Regular Fit",
                                            "unit": ""}
    media = shoes.media
    main = media.by_kind("main")
    assert len(main) == 6
    assert main[0].url == "https://sc04.alicdn.com/kf/Hcaf78232d824423781bc7f36f0560a561.jpg"
    assert [i.label for i in media.by_kind("sku")] == [f"Color: {c}" for c in COLOURS]
    detail = media.by_kind("detail")
    assert len(detail) == 9
    assert detail[0].label == "Scene image"
    assert detail[-1].label == "Supplier: Packaging & shipping specifications"
    assert media.videos == []
    html = shoes.description_html
    assert html.startswith("<p>Model ZX2212 knitted textile upper")
    assert "<strong>Are you a factory or a trading company?</strong>" in html
    assert "About the supplier" in html
    assert shoes.store.ratings == {}
    assert any("rating" in line.lower() for line in shoes.not_provided)


def test_capture_stored_under_its_listing_number():
    product = parse_payload(KEY, {LISTING: capture()})
    assert product.product_id == CAPTURE_ID and len(product.skus) == 60


def test_capture_asked_by_listing_number_warns():
    product = parse_payload(KEY, capture(), ProductQuery(KEY, LISTING))
    assert product.product_id == CAPTURE_ID
    assert product.warnings == [f"Opened by the listing number {LISTING} from the page link; "
                                f"Alibaba.com's API knows this product as {CAPTURE_ID}. Use "
                                f"that ID with live credentials."]


# --- the documents' shapes ---------------------------------------------------------------
SEED_PRODUCT = {
    "attributes": {"product_attribute": [{"attribute_id": 123, "attribute_name": "color",
                                          "sku_custom_image_url": "http://g03.s.alicdn.com/kf/a.jpg",
                                          "sku_custom_value_name": "light grey",
                                          "value_id": 456, "value_name": "grey"}]},
    "category_id": 123, "description": "Enjoy your sports and music at the same time,very convenient",
    "keywords": {"string": ["[\"mp3\"", "\"player\"]"]},
    "main_image": {"images": {"string": ["[\"http://g03.s.alicdn.com/kf/a.jpg\"",
                                         "\"http://g01.s.alicdn.com/kf/b.jpg\"]"]},
                   "watermark": "true"},
    "product_sku": {
        "sku_attributes": {"sku_attribute": {"attribute_id": 12, "attribute_name": "color",
                                             "values": {"sku_attribute_value": {
                                                 "custom_value_name": "light grey",
                                                 "image_url": "http://g03.s.alicdn.com/kf/a.jpg",
                                                 "mark_info": "#888888",
                                                 "system_value_name": "grey",
                                                 "value_id": 12345}}}},
        "skus": {"sku_definition": {"attr2_value": "{11:12,22:21}",
                                    "bulk_discount_prices": {"bulk_discount_price": {
                                        "price": "12.34", "start_quantity": 100}},
                                    "sku_code": "12333223", "sku_id": 1111111,
                                    "inventory_dto_list": {"product_inventory_dto": {
                                        "store_code": "cn_inventory", "inventory": 22222}}}}},
    "sourcing_trade": {"delivery_port": "Shanghai", "delivery_time": "within 3 days",
                       "fob_currency": "USD", "fob_max_price": "56.78", "fob_min_price": "12.34",
                       "fob_unit_type": "Piece", "min_order_quantity": "3.11",
                       "min_order_unit_type": "Piece",
                       "payment_methods": {"string": ["[\"T/T\"", "\"L/C\"]"]},
                       "supply_period_type": "Week", "supply_quantity": "10000.66",
                       "supply_unit_type": "Piece", "packaging_desc": "60 pcs per carton",
                       "deliver_periods": {"deliver_period": {"quantity": 50,
                                                              "process_period": 10}}},
    "status": "approved", "subject": "mp3 player",
    "wholesale_trade": {"batch_number": 12, "handling_time": 3, "min_order_quantity": 100,
                        "package_size": "2X3X4", "price": "12.34", "sale_type": "batch",
                        "shipping_line_template_id": 123, "unit_type": "Piece", "volume": 1234,
                        "weight": "123.456"},
    "language": "ENGLISH", "product_type": "sourcing", "display": "Y", "rts": "true",
    "pc_detail_url": "pc详情的url", "product_id": "asdfasdf",
}


def test_seed_example_shape():
    product = parse_payload(KEY, {RESPONSE_KEY: {"product": SEED_PRODUCT}})
    assert product.product_id == "asdfasdf" and product.url == ""
    assert product.description_html == \
        "<p>Enjoy your sports and music at the same time,very convenient</p>"
    assert [i.url for i in product.media.by_kind("main")] == [
        "http://g03.s.alicdn.com/kf/a.jpg", "http://g01.s.alicdn.com/kf/b.jpg"]
    assert product.trade.notes["Keywords"] == "mp3, player"
    assert product.trade.payment_methods == ["T/T", "L/C"]
    # {11:12,22:21} is not JSON and names attributes the dictionary does not have
    row = product.skus.iloc[0]
    assert row["sku_id"] == "1111111" and row["stock"] == 22222
    assert row["price"] == 12.34
    assert product.sku_properties == ["color", "Property 11", "Property 22"]
    assert (row["Property 11"], row["Property 22"]) == ("Value 12", "Value 21")
    assert product.warnings == ["Some variants point to options the answer does not name: "
                                "11, 11:12, 22, 22:21."]
    trade = product.trade
    assert (trade.moq, trade.moq_unit) == (4, "Pieces")            # "3.11" rounded up
    assert trade.supply_ability == "10,000.66 Pieces per week"
    assert (trade.package_size, trade.gross_weight_kg, trade.handling_days) == \
        ("2 × 3 × 4 cm", 123.456, 3)
    assert trade.packaging == "60 pcs per carton"
    assert trade.notes["Delivery port"] == "Shanghai"
    assert trade.notes["Units per batch"] == "12"
    assert product.lead_times.to_dict("records") == [{"max_qty": 50, "days": 10}]
    assert tiers_of(product, "1111111") == [(100, None, 12.34)]


def test_custom_names_from_attributes_and_product_ladder():
    product = json.loads(json.dumps(SEED_PRODUCT))
    product["product_sku"]["sku_attributes"]["sku_attribute"] = {
        "attribute_id": 123, "attribute_name": "Color",
        "values": [{"value_id": 456, "system_value_name": "grey"},
                   {"value_id": -5, "custom_value_name": "Sunset"}]}
    product["product_sku"]["skus"]["sku_definition"] = [
        {"attr2_value": '{"123":456}', "sku_id": 1}, {"attr2_value": '{"123":-5}', "sku_id": 2}]
    product["bulk_discount_prices"] = [{"start_quantity": 500, "price": "11.00"},
                                       {"start_quantity": 100, "price": "12.00"}]
    parsed = parse_payload(KEY, {"product": product})
    assert parsed.skus["Color"].tolist() == ["light grey", "Sunset"]
    assert parsed.skus["Color (system value)"].tolist() == ["grey", ""]
    assert parsed.skus.iloc[0]["image_url"] == "http://g03.s.alicdn.com/kf/a.jpg"
    assert parsed.skus["price"].tolist() == [12.34, 12.34]            # wholesale price
    assert tiers_of(parsed, "") == [(100, 499, 12.0), (500, None, 11.0)]
    assert set(parsed.tiers["source"]) == {"product ladder"}


def test_product_without_anything_gives_warnings_not_crashes():
    product = parse_payload(KEY, {"product": {"product_id": CAPTURE_ID}})
    assert len(product.skus) == 1 and product.skus["price"].isna().all()
    assert "The product has no title." in product.warnings
    assert "The product has no main images." in product.warnings
    assert "The product has no variants and no price." in product.warnings
    assert product.tiers.empty and product.lead_times.empty


# --- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("error, cls", [
    ({"code": 15, "msg": "Remote service error", "sub_code": "isp.product.not.exist",
      "sub_msg": "商品不存在"}, ProductNotFound),
    ({"code": 50, "msg": "Remote service error", "sub_code": "isv.invalid-parameter",
      "sub_msg": "非法参数"}, InvalidQuery),
    ({"code": 27, "msg": "Invalid session", "sub_code": "invalid-sessionkey"}, AuthError),
    ({"code": 25, "msg": "Invalid signature"}, AuthError),
    ({"code": 11, "msg": "Insufficient isv permissions", "sub_code":
      "isv.permission-api-package-limit"}, AuthError),
    ({"code": 7, "msg": "App Call Limited", "sub_msg": "This ban will last for 3 more seconds"},
     RateLimited),
    ({"code": 15, "msg": "Remote service error", "sub_code": "isp.unknown-error"},
     UpstreamError),
])
def test_top_error_envelopes(error, cls):
    with pytest.raises(cls) as info:
        parse_payload(KEY, {"error_response": {**error, "request_id": "iv0aea4gb8jq"}})
    assert type(info.value) is cls
    assert info.value.code == str(error["code"])
    assert "{" not in info.value.user_message and "isp." not in info.value.user_message


@pytest.mark.parametrize("sub_code", ["isp.product.not.exist", "isv.invalid-parameter"])
def test_listing_number_errors_explain_the_obfuscated_id(sub_code):
    body = {"error_response": {"code": 15, "msg": "Remote service error", "sub_code": sub_code}}
    with pytest.raises(InvalidQuery) as info:
        parse_payload(KEY, body, ProductQuery(KEY, LISTING))
    message = info.value.user_message
    assert message == listing_hint(LISTING)
    assert "obfuscated ID" in message and LISTING in message and "product list" in message
    assert sub_code in info.value.detail


def test_rate_limit_is_not_rewritten_for_listing_numbers():
    body = {"error_response": {"code": 7, "msg": "App Call Limited",
                               "sub_msg": "This ban will last for 3 more seconds"}}
    with pytest.raises(RateLimited) as info:
        parse_payload(KEY, body, ProductQuery(KEY, LISTING))
    assert info.value.retry_after == 4.0


@pytest.mark.parametrize("payload", [b"", b"<html></html>", b"[]", b"{}",
                                     b'{"alibaba_icbu_product_get_response": {"request_id": "x"}}',
                                     b'{"alibaba_icbu_product_get_response": []}'])
def test_unreadable_answers(payload):
    with pytest.raises(BadResponse):
        parse_payload(KEY, payload)


# --- the request ------------------------------------------------------------------------
def test_request_is_a_top_signed_form_post():
    request = PLATFORM.build_request(ProductQuery(KEY, CAPTURE_ID, language="de"), CREDS,
                                     timestamp_ms=NOW_MS)
    assert request.method == "POST"
    assert str(request.url) == "https://eco.taobao.com/router/rest"
    params = form(request)
    assert params == {"method": "alibaba.icbu.product.get", "app_key": "12345678",
                      "session": "fakeSession-0123456789", "timestamp": str(NOW_MS),
                      "format": "json", "v": "2.0", "sign_method": "md5",
                      "product_id": CAPTURE_ID, "language": "ENGLISH",
                      "sign": params["sign"]}
    text = "".join(k + params[k] for k in sorted(params) if k != "sign")
    assert text.startswith("app_key12345678formatjsonlanguageENGLISHmethodalibaba.icbu.")
    secret = CREDS["app_secret"]
    assert params["sign"] == hashlib.md5(f"{secret}{text}{secret}".encode()).hexdigest().upper()


@pytest.mark.parametrize("mode, digest", [("hmac", hashlib.md5), ("hmac-sha256", hashlib.sha256),
                                          ("HMAC-SHA256", hashlib.sha256)])
def test_hmac_sign_methods(mode, digest):
    params = form(PLATFORM.build_request(ProductQuery(KEY, CAPTURE_ID),
                                         {**CREDS, "sign_method": mode}, timestamp_ms=NOW_MS))
    assert params["sign_method"] == mode.lower()
    text = "".join(k + params[k] for k in sorted(params) if k != "sign")
    assert params["sign"] == hmac.new(CREDS["app_secret"].encode(), text.encode(),
                                      digest).hexdigest().upper()


def test_no_empty_parameters_and_unknown_sign_method():
    params = form(PLATFORM.build_request(ProductQuery(KEY, CAPTURE_ID),
                                         {"app_key": "1", "app_secret": "s", "access_token": ""},
                                         timestamp_ms=NOW_MS))
    assert "session" not in params and all(params.values())
    with pytest.raises(AuthError, match="sign method"):
        PLATFORM.build_request(ProductQuery(KEY, CAPTURE_ID), {**CREDS, "sign_method": "sha1"},
                               timestamp_ms=NOW_MS)


# --- the demo sandbox ---------------------------------------------------------------------
def test_demo_products_listed():
    assert [q.product_id for q in DEMO_PRODUCTS if q.platform == KEY] == [MUG, BOARD]


def test_demo_rich_product():
    product = fetch_product(ProductQuery(KEY, MUG), clock=clock)
    assert product.demo is True and product.product_id == MUG
    assert product.alt_ids == {"listing": MUG_LISTING}
    assert product.sku_properties == ["Color", "Capacity"]
    skus = product.skus
    assert len(skus) == 14
    assert list(dict.fromkeys(skus["Color"])) == ["White", "Black", "Harbour Blue",
                                                  "Sage Green", "Speckled Oat"]
    assert list(dict.fromkeys(skus["Capacity"])) == ["350ml", "450ml", "590ml XL"]
    oat = skus[skus["Color"] == "Speckled Oat"]
    assert oat["Capacity"].tolist() == ["350ml", "450ml"]              # no XL offered
    assert oat["sku_attr"].tolist() == ["191288010:-2;200000639:201573850",
                                        "191288010:-2;200000639:201573851"]
    assert skus["Color (system value)"].tolist()[6:9] == ["Blue"] * 3
    assert product.price_range() == (2.85, 4.15)
    sage_xl = sku_row(product, "110400120012")
    assert (sage_xl["Color"], sage_xl["Capacity"], sage_xl["price"]) == ("Sage Green",
                                                                         "590ml XL", 4.15)
    assert tiers_of(product, "110400120012") == [(48, 499, 4.15), (500, 1999, 3.65),
                                                 (2000, None, 3.2)]
    assert tiers_of(product, "110400120003") == [(48, 499, 3.9), (500, 1999, 3.4),
                                                 (2000, None, 2.95)]       # sent reversed
    assert len(product.tiers) == 42
    black_xl = sku_row(product, "110400120006")
    assert black_xl["stock"] == 0 and product.out_of_stock_count == 1
    assert black_xl["stock by warehouse"] == "CN_NINGBO_01: 0; default (China): 0"
    assert sku_row(product, "110400120007")["stock by warehouse"] == "CN_NINGBO_01: 1200"
    trade = product.trade
    assert (trade.fob_min, trade.fob_max, trade.fob_currency) == (2.10, 4.15, "USD")
    assert (trade.moq, trade.moq_unit) == (48, "Pieces")
    assert trade.supply_ability == "50,000 Pieces per month"
    assert trade.payment_methods == ["T/T", "L/C", "PayPal", "Alibaba.com Trade Assurance"]
    assert product.lead_times.to_dict("records") == [
        {"max_qty": 500, "days": 15}, {"max_qty": 2000, "days": 25},
        {"max_qty": 10000, "days": 40}]
    assert len(product.media.by_kind("main")) == 3 and len(product.media.by_kind("sku")) == 5
    assert [i.url for i in product.media.by_kind("detail")] == \
        ["/app/static/demo/alibaba_mug_detail_1.png"]
    html = product.description_html
    assert "<table>" in html and "onclick" not in html and "style=" not in html
    assert product.warnings == []


def test_demo_simple_product():
    product = fetch_product(ProductQuery(KEY, BOARD), clock=clock)
    assert product.demo is True and product.sku_properties == []
    row = product.skus.iloc[0]
    assert (row["sku_id"], row["price"], row["currency"]) == ("#1", 8.6, "USD")
    assert tiers_of(product, "") == [(10, None, 8.6)]
    trade = product.trade
    assert (trade.moq, trade.moq_unit, trade.handling_days) == (10, "Sets", 5)
    assert (trade.package_size, trade.gross_weight_kg) == ("40 × 28 × 6 cm", 2.15)
    assert trade.fob_min is None and trade.notes["Ready to ship"] == "yes"
    assert product.lead_times.to_dict("records") == [{"max_qty": 50, "days": 5},
                                                     {"max_qty": 300, "days": 12}]
    assert product.description_html.startswith("<p>Set of three organic bamboo boards")


@pytest.mark.parametrize("listing, product_id", [(MUG_LISTING, MUG), (BOARD_LISTING, BOARD)])
def test_demo_opens_by_listing_number_from_a_link(listing, product_id):
    query = parse_product_ref(f"https://www.alibaba.com/product-detail/Some-Title_{listing}.html"
                              "?spm=a2700.galleryofferlist.normalList.1")
    assert (query.platform, query.product_id) == (KEY, listing)
    product = fetch_product(query, clock=clock)
    assert product.product_id == product_id
    assert product.warnings[0].startswith(f"Opened by the listing number {listing}")


def test_demo_unknown_ids():
    with pytest.raises(ProductNotFound):
        fetch_product(ProductQuery(KEY, "AAZZunknownProduct00001"), clock=clock)
    with pytest.raises(InvalidQuery) as info:
        fetch_product(ProductQuery(KEY, "1609999999999"), clock=clock)
    assert info.value.user_message == listing_hint("1609999999999")
    body = PLATFORM.sandbox_not_found("0123456789abcdef", "x")
    assert body["error_response"]["sub_code"] == "isp.product.not.exist"


def demo(**changes) -> dict:
    return {**DEMO_CREDENTIALS[KEY], **changes}


@pytest.mark.parametrize("changes, words", [({"app_secret": "wrong"}, "signature"),
                                            ({"access_token": "other"}, "token"),
                                            ({"app_key": "999"}, "app key")])
def test_demo_credentials_are_checked(changes, words):
    with pytest.raises(AuthError, match=words):
        fetch_product(ProductQuery(KEY, MUG), credentials=demo(**changes),
                      transport=SandboxTransport(clock=clock), clock=clock)


@pytest.mark.parametrize("mode", ["hmac", "hmac-sha256"])
def test_demo_accepts_hmac_modes(mode):
    product = fetch_product(ProductQuery(KEY, BOARD), credentials=demo(sign_method=mode),
                            transport=SandboxTransport(clock=clock), clock=clock)
    assert product.skus.iloc[0]["price"] == 8.6


# --- ids and links ------------------------------------------------------------------------
@pytest.mark.parametrize("text, product_id", [
    (CAPTURE_ID, CAPTURE_ID),
    (f"  {MUG}\t", MUG),
    ("6edvniewvnewovn", "6edvniewvnewovn"),                  # the documents' example
    (LISTING, LISTING),
    (f"https://www.alibaba.com/product-detail/Wholesale-Regular-Fit-Knit-Lace-Up_{LISTING}.html",
     LISTING),
    (f"www.alibaba.com/product-detail/Short-Umbrella_{LISTING}.html?spm=a2700.x.12.6c61", LISTING),
    (f"https://m.alibaba.com/product/{LISTING}/Knit-Lace-Up-Shoes.html", LISTING),
    (f"https://beiqiang.en.alibaba.com/product/{LISTING}-823456789/Knit_Shoes.html", LISTING),
    (f"https://www.alibaba.com/product-detail/{LISTING}.html", LISTING),
])
def test_ids_and_links(text, product_id):
    query = parse_product_ref(text, platform=KEY)
    assert (query.platform, query.product_id) == (KEY, product_id)


def test_alibaba_link_chooses_the_platform_by_itself():
    query = parse_product_ref(f"https://www.alibaba.com/product-detail/X_{LISTING}.html")
    assert query.platform == KEY


@pytest.mark.parametrize("text, words", [
    ("abc", "not an Alibaba.com product ID"),
    ("AAF2jmk4 AOWGex", "not a(n Alibaba.com)? product ID"),
    ("AAF2jmk4AOWGex!cDVm7jTxY", "not a(n Alibaba.com)? product ID"),
    ("1601939651515.0", "not an Alibaba.com product ID"),
    ("1234567", "7 digits"),
    ("https://www.alibaba.com/showroom/stoneware-mug.html", "does not point to a product"),
    ("https://www.alibaba.com/", "does not point to a product"),
])
def test_bad_ids_and_links(text, words):
    with pytest.raises(InvalidQuery, match=words) as info:
        parse_product_ref(text, platform=KEY)
    assert CAPTURE_ID in info.value.user_message or "AAF2" in info.value.user_message \
        or "obfuscated" in info.value.user_message
