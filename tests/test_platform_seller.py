"""AliExpress seller (legacy TOP reads): captures, national quotes, requests, demo, errors."""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
from urllib.parse import parse_qsl

import httpx
import pandas as pd
import pytest

from lib.client import fetch_product
from lib.errors import AuthError, InvalidQuery, ProductNotFound, UpstreamError
from lib.platforms import PLATFORMS, parse_payload
from lib.platforms import aliexpress_seller as seller
from lib.query import ProductQuery, parse_product_ref
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxGateway, SandboxTransport
from paths import REAL

LEGACY = REAL / "legacy"
DROPSHIPPER_FILE = LEGACY / ("retailcrm__aliexpress-top-client__ClientTest_"
                             "findaeproductbyidfordropshipper_DOC-COPY.json")
SOLUTION_FILE = LEGACY / ("retailcrm__aliexpress-top-client__ClientTest_"
                          "solution_product_info_get_DOC-COPY.json")
PLATFORM = PLATFORMS["aliexpress-seller"]
KEY = "aliexpress-seller"
CAPTURE_ATTR = "200000182:193;200007763:201336100"
EARBUDS, LAMP = "1005007123456789", "1005003987654321"
NOW = 1_700_000_000.0
NOW_MS = int(NOW * 1000)
CREDS = {"app_key": "12345678", "app_secret": "seller-secret-0123456789",
         "access_token": "seller-session-abcdef"}


def rows(frame) -> list[tuple]:
    """The frame's rows as plain tuples, gaps (None, NaN, pd.NA) as None."""
    return [tuple(None if pd.isna(v) else v for v in r)
            for r in frame.astype(object).itertuples(index=False, name=None)]


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


# --- the registry ------------------------------------------------------------------------
def test_platform_is_registered_with_the_seed_limits():
    assert PLATFORM.key == KEY and PLATFORM.label == "AliExpress (seller, legacy)"
    assert PLATFORM.qps == 80 and seller.QPM == 4800      # seed changelog, Sep. 8 2021
    assert set(PLATFORM.api_methods) == {
        "aliexpress.solution.product.info.get",
        "aliexpress.postproduct.redefining.findaeproductbyid",
        "aliexpress.postproduct.redefining.findaeproductbyidfordropshipper"}
    assert DEMO_CREDENTIALS[KEY] == PLATFORM.demo_credentials
    assert "not-real" in PLATFORM.demo_credentials["app_secret"]


def test_links_and_ids_are_the_aliexpress_ones():
    query = parse_product_ref("https://www.aliexpress.com/item/1005007123456789.html?spm=x",
                              platform=KEY)
    assert (query.platform, query.product_id) == (KEY, EARBUDS)
    assert parse_product_ref(" 1005003987654321 ", platform=KEY).product_id == LAMP
    with pytest.raises(InvalidQuery, match="not a product ID"):
        parse_product_ref("12ab", platform=KEY)


# --- the legacy captures -------------------------------------------------------------------
@pytest.mark.parametrize("form_", ["bytes", "str", "dict"])
def test_dropshipper_capture(form_):
    data = DROPSHIPPER_FILE.read_bytes()
    payload = {"bytes": data, "str": data.decode(), "dict": json.loads(data)}[form_]
    product = parse_payload(KEY, payload)
    assert product.platform == KEY
    assert product.product_id == "32839190109"
    assert product.title == "knew odd"
    assert (product.currency, product.status, product.category) == ("USD", "onSelling",
                                                                     "123456")
    assert product.url == "https://www.aliexpress.com/item/32839190109.html"
    # One SKU: the quoted id and quoted property name/value come out unquoted; the "0"
    # placeholders (definition name, sku_image) are not taken as values.
    assert product.sku_properties == ["color"]
    assert rows(product.skus[["sku_id", "sku_attr", "color", "price", "sale_price", "stock",
                              "image_url", "barcode", "currency"]]) == [
        ("cfas00978", CAPTURE_ATTR, "blue", 200.07, 3.3, 10, "", "320325455", "USD")]
    # s_k_u_available_stock (10) wins over ipm_sku_stock (1234).
    assert product.skus["stock"].tolist() == [10]
    # sku_bulk_order 10 + offer_bulk_sale_price 3.2 -> a bulk tier after the sale price.
    assert rows(product.tiers[["sku_id", "min_qty", "max_qty", "unit_price", "discount",
                               "source"]]) == [
        ("cfas00978", 1, 9, 3.3, 0.0, "single unit"),
        ("cfas00978", 10, None, 3.2, 3.0, "bulk price")]      # (1 - 3.2/3.3) = 3.03 %
    # store_info with the misspelt item_as_descriped_rating.
    store = product.store
    assert store.ratings == {"Item as described": 4.8, "Communication": 4.8,
                             "Shipping speed": 4.7}
    assert (store.name, store.store_id) == ("Clothes Store", "12345")
    assert store.url == "https://www.aliexpress.com/store/12345"
    assert (store.product_rating, store.review_count, store.sales_count) == (4.7, 100, 120)
    # image_u_r_ls: five ';'-joined URLs, in order.
    main = [image.url for image in product.media.by_kind("main")]
    assert len(main) == 5
    assert main[0] == "http://g01.a.alicdn.com/kf/HTB13GKLJXXXXXbYaXXXq6xXFXXXi.jpg"
    assert main[-1] == "http://g02.a.alicdn.com/kf/HTB1q1aLJXXXXXcfaXXXq6xXFXXXv.jpg"
    assert product.media.by_kind("sku") == []
    # The video is listed by id and poster only: kept, not playable (tests/test_videos.py).
    assert [(v.media_id, v.playable) for v in product.media.videos] == [("12345678", False)]
    assert product.description_html == "<div>This is a product</div>"
    assert rows(product.attributes) == [("型号", "ABCD", "piece")]
    trade = product.trade
    assert (trade.package_size, trade.gross_weight_kg, trade.handling_days) == (
        "10 × 12 × 2 cm", 40.12, 7)
    assert trade.notes == {"Site sale price": "USD 5.5", "Unit": "piece/pieces",
                           "Total stock": "12"}
    # error_code / error_message beside is_success true: a warning, not a failure.
    assert any("16009999" in w and "System exception" in w for w in product.warnings)
    assert any("video" in w for w in product.warnings)          # ids and posters only
    assert product.not_provided == []


def test_dropshipper_capture_national_quote_old_format():
    raw = json.loads(DROPSHIPPER_FILE.read_bytes())
    config = raw["aliexpress_postproduct_redefining_findaeproductbyidfordropshipper_response"][
        "result"]["aeop_national_quote_configuration"]
    assert config["configuration_type"] == "percentage"
    assert json.loads(config["configuration_data"]) == [
        {"shiptoCountry": "US", "percentage": "5"}, {"shiptoCountry": "RU", "percentage": "-2"}]
    product = parse_payload(KEY, raw)
    # By hand: 200.07 * 1.05 = 210.0735 -> 210.07; 200.07 * 0.98 = 196.0686 -> 196.07.
    assert rows(product.country_prices) == [(CAPTURE_ATTR, "US", 210.07, "+5%"),
                                            (CAPTURE_ATTR, "RU", 196.07, "-2%")]


@pytest.mark.parametrize("form_", ["bytes", "dict"])
def test_solution_capture(form_):
    data = SOLUTION_FILE.read_bytes()
    product = parse_payload(KEY, data if form_ == "bytes" else json.loads(data))
    assert product.product_id == "1234"
    assert product.title == "English description"
    # No sku_property_name in this shape: property 14 is the well-known Color.
    assert product.sku_properties == ["Color"]
    assert rows(product.skus[["sku_id", "sku_attr", "Color", "price", "sale_price", "stock",
                              "barcode"]]) == [
        ("ffff00978", CAPTURE_ATTR, "pink", 200.07, 10.01, 1234, ""),
        ("cfas00978", CAPTURE_ATTR, "pink", 200.07, 10.01, 1234, "")]
    assert product.skus["image_url"].tolist() == [
        "http://ae01.alicdn.com/kf/HTB19KVYX6LuK1Rjy0Fhq6xpdFXac.jpg"] * 2
    assert [(i.kind, i.label) for i in product.media.by_kind("sku")] == [("sku", "Color: pink")]
    assert len(product.media.by_kind("main")) == 5
    # Product-level bulk: from 10 pieces, bulk_discount 90 = 90 % off: 10.01 * 0.10 = 1.00.
    assert rows(product.tiers[["sku_id", "min_qty", "unit_price", "discount", "source"]]) == [
        ("ffff00978", 1, 10.01, 0.0, "single unit"), ("ffff00978", 10, 1.0, 90.0, "bulk discount"),
        ("cfas00978", 1, 10.01, 0.0, "single unit"), ("cfas00978", 10, 1.0, 90.0, "bulk discount")]
    # multi_country_price_configuration names SKU code abc123, which no SKU has: the direct
    # price is kept (under that code) and the mismatch is said.
    assert rows(product.country_prices) == [
        ("abc123", "ES", 16.0, "absolute (discount price 12.99)")]
    assert any("abc123" in w for w in product.warnings)
    assert any("share the same variant key" in w for w in product.warnings)
    assert product.description_html == ""                # "<div></div>" says nothing
    assert rows(product.attributes) == [("size", "2 - 5 kg", "")]   # unit "0" = none
    assert product.trade.package_size == "10 × 20 × 30 cm"
    assert product.store.ratings == {} and product.store.sales_count is None
    assert len(product.not_provided) == 1 and "Store ratings" in product.not_provided[0]


def test_solution_capture_title_in_the_query_language():
    query = ProductQuery(KEY, "1234", language="es")
    product = parse_payload(KEY, SOLUTION_FILE.read_bytes(), query)
    assert product.title == "Versión Global Xiaomi Redmi Note 5"
    # web_detail of the es_ES entry: a module document whose html module is plain text.
    assert product.description_html == "<p>Versión Global Xiaomi Redmi Note 5</p>"
    assert parse_payload(KEY, SOLUTION_FILE.read_bytes(),
                         ProductQuery(KEY, "1234", language="de")).title == "English description"


def test_other_product_id_in_the_answer_is_reported():
    product = parse_payload(KEY, SOLUTION_FILE.read_bytes(), ProductQuery(KEY, EARBUDS))
    assert product.product_id == EARBUDS
    assert any("1234" in w and EARBUDS in w for w in product.warnings)


# --- national quote configuration ----------------------------------------------------------
def synthetic(config: dict | None = None, skus=None, **result) -> dict:
    """A findaeproductbyid answer with two SKUs: 14:193 at 10.00 and 14:771 at 12.50."""
    skus = skus if skus is not None else [("14:193", "10.00", "Black"),
                                          ("14:771", "12.50", "White")]
    body = {"product_id": 1005000000000001, "subject": "Synthetic", "currency_code": "USD",
            "aeop_ae_product_s_k_us": {"aeop_ae_product_sku": [
                {"id": attr, "sku_price": price, "offer_sale_price": price,
                 "s_k_u_available_stock": 5, "currency_code": "USD",
                 "aeop_s_k_u_propertys": {"aeop_sku_property": [
                     {"sku_property_id": 14, "property_value_id_long": int(attr.split(";")[0][3:]),
                      "sku_property_name": "Color", "sku_property_value": name}]} if attr else {}}
                for attr, price, name in skus]},
            **result}
    if config is not None:
        body["aeop_national_quote_configuration"] = config
    return {"aliexpress_postproduct_redefining_findaeproductbyid_response": {"result": body}}


def quotes(kind: str, data, as_string: bool = True) -> dict:
    return {"configuration_type": kind,
            "configuration_data": json.dumps(data) if as_string else data}


@pytest.mark.parametrize("kind, data, expected", [
    # new format, absolute: the map's values are the prices
    ("absolute", [{"absoluteQuoteMap": {"14:193": 84.99, "14:771": 89.99}, "shiptoCountry": "FR"},
                  {"absoluteQuoteMap": {"14:193": 9.5}, "shiptoCountry": "es"}],
     [("14:193", "FR", 84.99, "absolute"), ("14:771", "FR", 89.99, "absolute"),
      ("14:193", "ES", 9.5, "absolute")]),
    # new format, percentage: 10.00 * 1.10 = 11.00; 12.50 * 0.80 = 10.00
    ("percentage", [{"absoluteQuoteMap": {"14:193": 10, "14:771": -20}, "shiptoCountry": "US"}],
     [("14:193", "US", 11.0, "+10%"), ("14:771", "US", 10.0, "-20%")]),
    # new format, relative: 10.00 + 1.50 = 11.50; 12.50 - 2.25 = 10.25
    ("relative", [{"absoluteQuoteMap": {"14:193": 1.5, "14:771": -2.25}, "shiptoCountry": "RU"}],
     [("14:193", "RU", 11.5, "+1.50"), ("14:771", "RU", 10.25, "-2.25")]),
    # old format, percentage for every SKU: 10.00 * 1.125 = 11.25; 12.50 * 1.125 = 14.0625
    ("percentage", [{"shiptoCountry": "DE", "percentage": "12.5"}],
     [("14:193", "DE", 11.25, "+12.5%"), ("14:771", "DE", 14.06, "+12.5%")]),
    # old format, relative for every SKU: 10.00 - 0.99 = 9.01; 12.50 - 0.99 = 11.51
    ("relative", [{"shiptoCountry": "GB", "percentage": "-0.99"},
                  {"shiptoCountry": "PL", "percentage": 3}],
     [("14:193", "GB", 9.01, "-0.99"), ("14:771", "GB", 11.51, "-0.99"),
      ("14:193", "PL", 13.0, "+3.00"), ("14:771", "PL", 15.5, "+3.00")]),
])
@pytest.mark.parametrize("as_string", [True, False])
def test_national_quotes_computed(kind, data, expected, as_string):
    product = parse_payload(KEY, synthetic(quotes(kind, data, as_string)))
    assert rows(product.country_prices) == expected
    assert not any("country" in w.lower() for w in product.warnings)


def test_mixed_old_and_new_entries_across_skus():
    """One configuration with a per-SKU entry for FR and an all-SKU entry for US."""
    data = [{"absoluteQuoteMap": {"14:771": 5}, "shiptoCountry": "FR"},
            {"shiptoCountry": "US", "percentage": "-10"}]
    product = parse_payload(KEY, synthetic(quotes("percentage", data)))
    # 12.50 * 1.05 = 13.125 -> 13.13 (half up); 10.00 * 0.9 = 9.00; 12.50 * 0.9 = 11.25
    assert rows(product.country_prices) == [("14:771", "FR", 13.13, "+5%"),
                                            ("14:193", "US", 9.0, "-10%"),
                                            ("14:771", "US", 11.25, "-10%")]


def test_quote_keys_match_regardless_of_order_and_labels():
    skus = [("14:193;5:100", "20.00", "Black"), ("14:771;5:100", "30.00", "White")]
    data = [{"absoluteQuoteMap": {"5:100;14:771": 2, "14:193#Night;5:100": 1},
             "shiptoCountry": "US"}]
    product = parse_payload(KEY, synthetic(quotes("relative", data), skus=skus))
    assert rows(product.country_prices) == [("14:771;5:100", "US", 32.0, "+2.00"),
                                            ("14:193;5:100", "US", 21.0, "+1.00")]


def test_single_sku_product_uses_the_empty_key():
    data = [{"absoluteQuoteMap": {"": 7.77}, "shiptoCountry": "FR"}]
    product = parse_payload(KEY, synthetic(quotes("absolute", data), skus=[("", "6.00", "")]))
    assert rows(product.country_prices) == [("", "FR", 7.77, "absolute")]


def test_unknown_sku_key_and_bad_values_are_reported():
    data = [{"absoluteQuoteMap": {"14:999": 3, "14:193": "abc"}, "shiptoCountry": "US"},
            {"absoluteQuoteMap": {"14:193": 150}, "shiptoCountry": "BR"}]
    product = parse_payload(KEY, synthetic(quotes("percentage", data)))
    # 14:999 matches no SKU (percentage needs its price): no row; "abc" is not a number;
    # +150 % is outside the documented -30..100 but still computed: 10.00 * 2.5 = 25.00.
    assert rows(product.country_prices) == [("14:193", "BR", 25.0, "+150%")]
    text = " ".join(product.warnings)
    assert "14:999" in text and "abc" in text and "outside the documented range" in text


def test_unknown_or_missing_type_applies_nothing():
    data = [{"absoluteQuoteMap": {"14:193": 3}, "shiptoCountry": "US"}]
    for config in (quotes("", data), quotes("ladder", data)):
        product = parse_payload(KEY, synthetic(config))
        assert product.country_prices.empty
        assert any("unknown type" in w for w in product.warnings)


def test_unreadable_configuration_data_is_a_warning():
    product = parse_payload(KEY, synthetic({"configuration_type": "absolute",
                                            "configuration_data": "[{broken"}))
    assert product.country_prices.empty
    assert any("could not be read" in w for w in product.warnings)
    assert len(product.skus) == 2


# --- error answers ----------------------------------------------------------------------------
def test_is_success_false_is_an_error():
    body = synthetic(is_success=False, error_code="13001024",
                     error_message="The product does not exist")
    with pytest.raises(ProductNotFound) as info:
        parse_payload(KEY, body)
    assert info.value.code == "13001024"
    body = synthetic(is_success="false", error_code=16009999, error_message="System exception")
    with pytest.raises(UpstreamError) as info:
        parse_payload(KEY, json.dumps(body))
    assert info.value.code == "16009999" and "System exception" in info.value.detail


@pytest.mark.parametrize("body, cls, code", [
    ({"error_response": {"code": 15, "msg": "Remote service error",
                         "sub_code": "isp.product.not.exist", "sub_msg": "product not exist"}},
     ProductNotFound, "15"),
    ({"error_response": {"code": 27, "msg": "Invalid session", "sub_code": "isv.invalid-session"}},
     AuthError, "27"),
    ({"error_response": {"code": 25, "msg": "Invalid signature"}}, AuthError, "25"),
])
def test_top_router_errors(body, cls, code):
    with pytest.raises(cls) as info:
        parse_payload(KEY, body)
    assert info.value.code == code


def test_real_top_permission_capture():
    data = (REAL / "errors" / "aliyun-UED__aliyun-sdk-js__ISSUE-109_TOP_error_response_code11_"
                              "subcode.json").read_bytes()
    with pytest.raises(AuthError) as info:
        parse_payload(KEY, data)
    assert info.value.code == "11" and "permission" in info.value.user_message


def test_answer_without_product_is_bad_response():
    from lib.errors import BadResponse
    with pytest.raises(BadResponse):
        parse_payload(KEY, {"aliexpress_solution_product_info_get_response": {"request_id": "x"}})


# --- requests -----------------------------------------------------------------------------------
def independent_sign(secret: str, params: dict[str, str], method: str) -> str:
    text = "".join(k + params[k] for k in sorted(params) if k != "sign")
    if method == "md5":
        return hashlib.md5((secret + text + secret).encode()).hexdigest().upper()
    digest = hashlib.md5 if method == "hmac" else hashlib.sha256
    return hmac.new(secret.encode(), text.encode(), digest).hexdigest().upper()


def test_request_is_a_signed_top_form_post():
    request = PLATFORM.build_request(ProductQuery(KEY, EARBUDS), CREDS, timestamp_ms=NOW_MS)
    assert request.method == "POST"
    assert str(request.url) == "https://api.taobao.com/router/rest"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    params = form(request)
    assert params == {"method": "aliexpress.solution.product.info.get", "app_key": "12345678",
                      "session": "seller-session-abcdef", "timestamp": str(NOW_MS),
                      "format": "json", "v": "2.0", "sign_method": "md5",
                      "product_id": EARBUDS, "sign": params["sign"]}
    assert params["sign"] == independent_sign(CREDS["app_secret"], params, "md5")


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
def test_sign_methods(sign_method):
    request = PLATFORM.build_request(ProductQuery(KEY, LAMP), {**CREDS, "sign_method": sign_method},
                                     timestamp_ms=NOW_MS)
    params = form(request)
    assert params["sign_method"] == sign_method
    assert params["sign"] == independent_sign(CREDS["app_secret"], params, sign_method)


def test_unknown_sign_method_is_refused():
    with pytest.raises(InvalidQuery):
        PLATFORM.build_request(ProductQuery(KEY, LAMP), {**CREDS, "sign_method": "sha1"},
                               timestamp_ms=NOW_MS)


def test_method_from_settings_or_query_extras():
    def method(query, creds):
        return form(PLATFORM.build_request(query, creds, timestamp_ms=NOW_MS))
    find = "aliexpress.postproduct.redefining.findaeproductbyid"
    dropshipper = "aliexpress.postproduct.redefining.findaeproductbyidfordropshipper"
    assert method(ProductQuery(KEY, LAMP), {**CREDS, "method": find})["method"] == find
    params = method(ProductQuery(KEY, LAMP, country="FR", language="fr",
                                 extras={"method": "dropshipper"}), {**CREDS, "method": find})
    assert params["method"] == dropshipper                 # the query wins over the settings
    assert (params["local_country"], params["local_language"]) == ("FR", "fr")
    assert "local_country" not in method(ProductQuery(KEY, LAMP), CREDS)
    with pytest.raises(InvalidQuery, match="not one of"):
        method(ProductQuery(KEY, LAMP, extras={"method": "aliexpress.ds.product.get"}), CREDS)


def test_empty_values_are_neither_sent_nor_signed():
    params = form(PLATFORM.build_request(ProductQuery(KEY, LAMP), {**CREDS, "access_token": ""},
                                         timestamp_ms=NOW_MS))
    assert "session" not in params
    assert params["sign"] == independent_sign(CREDS["app_secret"], params, "md5")


# --- the demo gateway and the client ------------------------------------------------------
SELLER_DEMOS = [q for q in DEMO_PRODUCTS if q.platform == KEY]


def test_demo_products_are_listed():
    assert [q.product_id for q in SELLER_DEMOS] == [EARBUDS, LAMP]


@pytest.mark.parametrize("query", SELLER_DEMOS, ids=lambda q: q.product_id)
def test_demo_round_trip(query):
    product = fetch_product(query)
    assert product.demo is True and product.query == query
    assert product.product_id == query.product_id and product.platform == KEY
    assert len(product.skus) > 1 and product.skus["price"].notna().all()
    assert not product.country_prices.empty
    assert all(image.url.startswith("/app/static/demo/seller_") for image in product.media.images)
    assert product.warnings == []


def test_demo_earbuds_values():
    product = fetch_product(ProductQuery(KEY, EARBUDS))
    assert product.title == "ANC Wireless Earbuds with Charging Case"
    assert product.sku_properties == ["Color", "Ships From"]
    assert product.skus.loc[product.skus["stock"] == 0, "sku_id"].tolist() == ["EB-BLU-CN"]
    assert product.trade.ship_from_countries == ["China", "Spain"]
    # New format, percentage, per SKU: FR for the Spanish warehouse, BR for the Chinese.
    # By hand: 42.99 * 1.05 = 45.1395; 45.99 * 1.08 = 49.6692; 39.99 * 0.9 = 35.991;
    # 42.99 * 0.875 = 37.61625.
    assert rows(product.country_prices) == [
        ("14:193;200007763:201336104", "FR", 45.14, "+5%"),
        ("14:29;200007763:201336104", "FR", 45.14, "+5%"),
        ("14:173;200007763:201336104", "FR", 49.67, "+8%"),
        ("14:193;200007763:201336100", "BR", 35.99, "-10%"),
        ("14:29;200007763:201336100", "BR", 35.99, "-10%"),
        ("14:173;200007763:201336100", "BR", 37.62, "-12.5%")]
    # Product-level bulk discount 8 % from 5 sets: 29.99 * 0.92 = 27.5908 -> 27.59.
    first = product.tiers[product.tiers["sku_id"] == "EB-BLA-CN"]
    assert rows(first[["min_qty", "max_qty", "unit_price"]]) == [(1, 4, 29.99), (5, None, 27.59)]
    assert "<script" not in product.description_html
    assert product.trade.notes["Unit"] == "set/sets"


def test_demo_lamp_values():
    product = fetch_product(ProductQuery(KEY, LAMP))
    assert product.sku_properties == ["Color", "Plug Type"]
    assert product.skus[["Color", "Plug Type"]].values.tolist() == [
        ["White", "EU Plug"], ["White", "US Plug"], ["Black", "EU Plug"], ["Black", "US Plug"]]
    assert product.store.ratings == {"Item as described": 4.8, "Communication": 4.9,
                                     "Shipping speed": 4.7}
    assert product.store.sales_count == 1532 and product.store.review_count == 412
    # Old format, relative, every SKU: 27.50 + 2 = 29.50, 28.50 - 1.50 = 27.00, ...
    prices = {(r[0].split(";")[0], r[1]): (r[2], r[3]) for r in rows(product.country_prices)}
    assert len(product.country_prices) == 12
    assert prices[("14:29", "US")] == (29.5, "+2.00")
    assert prices[("14:193", "GB")] == (27.0, "-1.50")
    assert prices[("14:193", "DE")] == (28.5, "+0.00")
    assert "onerror" not in product.description_html


@pytest.mark.parametrize("method, wrapper, sku_list", [
    ("aliexpress.solution.product.info.get", "aliexpress_solution_product_info_get_response",
     "global_aeop_ae_product_sku"),
    ("aliexpress.postproduct.redefining.findaeproductbyid",
     "aliexpress_postproduct_redefining_findaeproductbyid_response", "aeop_ae_product_sku"),
    ("aliexpress.postproduct.redefining.findaeproductbyidfordropshipper",
     "aliexpress_postproduct_redefining_findaeproductbyidfordropshipper_response",
     "aeop_ae_product_sku"),
])
@pytest.mark.parametrize("product_id", [EARBUDS, LAMP])
def test_sandbox_answers_each_method_in_its_shape(method, wrapper, sku_list, product_id):
    gateway = SandboxGateway(clock=lambda: NOW)
    query = ProductQuery(KEY, product_id, extras={"method": method})
    request = PLATFORM.build_request(query, DEMO_CREDENTIALS[KEY], timestamp_ms=NOW_MS)
    with httpx.Client(transport=SandboxTransport(gateway)) as http:
        body = http.send(request).json()
    assert list(body) == [wrapper]
    assert list(body[wrapper]["result"]["aeop_ae_product_s_k_us"]) == [sku_list]
    product = parse_payload(KEY, body, query)
    reference = fetch_product(ProductQuery(KEY, product_id))
    assert rows(product.skus) == rows(reference.skus)
    assert rows(product.country_prices) == rows(reference.country_prices)


def test_unknown_product_is_not_found():
    with pytest.raises(ProductNotFound) as info:
        fetch_product(ProductQuery(KEY, "1005000000000001"))
    assert info.value.code == "15" and "isp.product.not.exist" in info.value.detail


def test_wrong_secret_is_an_auth_error():
    creds = {**DEMO_CREDENTIALS[KEY], "app_secret": "wrong-secret-0123456789"}
    with pytest.raises(AuthError) as info:
        fetch_product(ProductQuery(KEY, EARBUDS), credentials=creds,
                      transport=SandboxTransport())
    assert info.value.code == "25" and "signature" in info.value.user_message
    assert "wrong-secret" not in str(info.value)


def test_wrong_session_is_an_auth_error():
    creds = {**DEMO_CREDENTIALS[KEY], "access_token": "someone-elses-session"}
    with pytest.raises(AuthError) as info:
        fetch_product(ProductQuery(KEY, EARBUDS), credentials=creds,
                      transport=SandboxTransport())
    assert info.value.code == "27"


def test_fixture_is_not_changed_by_serving():
    from lib.sandbox import load_fixture
    stored = load_fixture(KEY, LAMP)
    before = copy.deepcopy(stored)
    PLATFORM.sandbox_answer(stored, {"method": "aliexpress.solution.product.info.get"})
    assert stored == before
