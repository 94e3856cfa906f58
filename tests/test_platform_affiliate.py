"""aliexpress.affiliate.productdetail.get: the live capture, answer shapes, errors,
request signing, the demo sandbox round trip, and ids/links."""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
from urllib.parse import parse_qsl

import httpx
import pytest

from lib.client import fetch_many, fetch_product
from lib.errors import (AuthError, BadResponse, InvalidQuery, ProductNotFound, RateLimited)
from lib.platforms import PLATFORMS, parse_payload
from lib.platforms.aliexpress_affiliate import RESPONSE_KEY, parse_all
from lib.query import ProductQuery, parse_product_ref
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxTransport
from paths import REAL

KEY = "aliexpress-affiliate"
PLATFORM = PLATFORMS[KEY]
CAPTURE = REAL / "affiliate" / "Joyron1__matzati__productdetail_get_ILS.json"
CAPTURE_ID = "1005006338829917"
TITLE = ("תיק אחסון כבלים עמיד למים מארגן אלקטרוני דיגיטלי נייד לקו נתונים USB מטען תקע "
         "תיק אחסון כבלים לנסיעות")
IMAGES = [f"https://ae-pic-a1.aliexpress-media.com/kf/{name}" for name in (
    "S1054b9147d9e485388688a21f0437e4dL.jpg", "Sc36c59e5fe24402c874d8cd16bbb123dD.jpg",
    "Scb7416e62d2d42ad8e070094cf5a9f60b.jpg", "S7dbdac86722a4bc4aa9d3c79c67a7190P.jpg",
    "S599b8deeab1e40588d8202ecb8a88e9bi.jpg", "S320805b5a05146c6a6ebd8b624f1eb9aG.jpg")]
EARBUDS, SCALE = "1005007246813579", "1005006543210987"
NOW = 1_700_000_000.0
NOW_MS = int(NOW * 1000)
CREDS = {"app_key": "24681357", "app_secret": "fakeAffiliateSecret-0123456789",
         "tracking_id": "my_tracking"}


def capture() -> dict:
    return json.loads(CAPTURE.read_text(encoding="utf-8"))


def raw_product() -> dict:
    return capture()[RESPONSE_KEY]["resp_result"]["result"]["products"]["product"][0]


def wrap(products, **resp) -> dict:
    body = {"resp_code": 200, **resp, "result": {"current_record_count": 1,
                                                  "products": {"product": products}}}
    return {RESPONSE_KEY: {"resp_result": body, "request_id": "2101"}}


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def clock() -> float:
    return NOW


# --- the live capture ----------------------------------------------------------------
@pytest.mark.parametrize("kind", ["bytes", "str", "dict"])
def test_capture_values(kind):
    data = CAPTURE.read_bytes()
    payload = {"bytes": data, "str": data.decode("utf-8"), "dict": json.loads(data)}[kind]
    product = parse_payload(KEY, payload)
    assert product.platform == KEY
    assert product.product_id == CAPTURE_ID
    assert product.title == TITLE                                  # Hebrew kept intact
    assert product.url == f"https://www.aliexpress.com/item/{CAPTURE_ID}.html"
    assert product.category == "שעונים › שעונים אביזרים"
    assert product.currency == "ILS"
    assert product.sku_properties == []
    skus = product.skus
    assert len(skus) == 1
    row = skus.iloc[0]
    assert row["sku_id"] == "12000036815593862"
    # target currency in the contract columns ...
    assert (row["price"], row["sale_price"], row["currency"]) == (31.36, 15.68, "ILS")
    assert row["discount_pct"] == 50.0
    # ... and the seller's CNY prices kept beside them
    assert (row["price (CNY)"], row["sale price (CNY)"], row["app price (CNY)"]) == \
        (67.63, 33.81, 33.81)
    assert "app price" not in skus.columns            # app price == web price in ILS
    assert skus["stock"].isna().all()
    assert product.trade.notes["Seller's prices (CNY)"] == \
        "price 67.63, sale price 33.81, app price 33.81"
    assert product.trade.notes["Discount"] == "50%"
    assert product.trade.notes["Tax rate"] == "0.00"
    assert product.trade.commission_rate_pct == 7.0
    assert product.trade.hot_commission_rate_pct == 0.0
    link = product.trade.promotion_link
    assert link.startswith("https://s.click.aliexpress.com/s/pyFri10M6ltAv61YZY9Tfrxi")
    assert link.endswith("ZL4Y4HwrGoidYgmUhQPfFYV9lW") and len(link) == 1065
    assert link == raw_product()["promotion_link"]                # kept whole
    store = product.store
    assert store.positive_feedback_pct == 93.9
    assert (store.sales_count, store.sales_text) == (10235, "10235")
    assert (store.name, store.store_id) == ("TIMARCO Factory store Store", "1102563901")
    assert store.url == "https://he.aliexpress.com/store/1102563901"
    assert store.ratings == {} and store.product_rating is None
    assert [i.url for i in product.media.images] == IMAGES        # main image not doubled
    assert {i.kind for i in product.media.images} == {"main"}
    assert product.media.videos == []                             # product_video_url ""
    assert product.tiers.empty and product.lead_times.empty
    assert product.description_html == ""
    assert product.warnings == [
        "AliExpress converted the prices to ILS; the seller's own prices are in CNY "
        "(kept in the “price (CNY)” columns)."]
    assert product.price_range() == (15.68, 15.68)


def test_capture_not_provided_names_the_views_it_cannot_feed():
    product = parse_payload(KEY, CAPTURE.read_bytes())
    lines = product.not_provided
    assert lines[0].startswith("Variants (SKU list): the affiliate API returns one price")
    for view in ("variant", "tier", "rating", "stock", "description"):
        assert any(view in line.lower() for line in lines), view


def test_capture_with_matching_query():
    query = ProductQuery(KEY, CAPTURE_ID, country="IL", currency="ILS", language="he")
    product = parse_payload(KEY, CAPTURE.read_bytes(), query)
    assert product.product_id == CAPTURE_ID and product.query is query
    assert product.trade.ship_to_country == "IL"


# --- shapes ----------------------------------------------------------------------------
def test_bare_product_object_and_resp_msg():
    data = wrap(raw_product(), resp_msg="Call succeeds")
    product = parse_payload(KEY, data)
    assert product.product_id == CAPTURE_ID and product.skus.iloc[0]["sale_price"] == 15.68


@pytest.mark.parametrize("shape", ["inner body", "resp_result", "result", "product",
                                   "product list"])
def test_unwrapped_shapes(shape):
    body = capture()[RESPONSE_KEY]
    data = {"inner body": body, "resp_result": body["resp_result"],
            "result": body["resp_result"]["result"], "product": raw_product(),
            "product list": [raw_product()]}[shape]
    product = parse_payload(KEY, data)
    assert product.product_id == CAPTURE_ID
    assert product.trade.commission_rate_pct == 7.0


def test_plain_image_list_and_numbers_as_numbers():
    raw = raw_product()
    raw["product_small_image_urls"] = IMAGES[1:3]
    raw["product_id"] = int(CAPTURE_ID)
    raw["evaluate_rate"] = "89.22%"
    raw["lastest_volume"] = "300"
    product = parse_payload(KEY, wrap([raw]))
    assert [i.url for i in product.media.images] == IMAGES[:3]
    assert product.product_id == CAPTURE_ID
    assert product.store.positive_feedback_pct == 89.22
    assert product.store.sales_count == 300


def test_no_target_currency_uses_the_sellers_prices():
    raw = raw_product()
    for name in list(raw):
        if name.startswith("target_"):
            del raw[name]
    product = parse_payload(KEY, wrap([raw]))
    row = product.skus.iloc[0]
    assert (row["price"], row["sale_price"], row["currency"]) == (67.63, 33.81, "CNY")
    assert product.currency == "CNY"
    assert not [c for c in product.skus.columns if "(CNY)" in c]
    assert product.warnings == []


def test_app_price_column_when_it_differs():
    raw = raw_product()
    raw["target_app_sale_price"] = "14.90"
    product = parse_payload(KEY, wrap([raw]))
    assert product.skus.iloc[0]["app price"] == 14.90
    assert product.trade.notes["App-only price"] == "14.90 ILS"


def test_video_promo_code_and_seed_fields():
    raw = raw_product()
    raw.update({"product_video_url": "https://video.aliexpress-media.com/play/u/1.mp4",
                "relevant_market_commission_rate": "10%", "platform_product_type": "TMALL",
                "hot_product_commission_rate": "60%",
                "promo_code_info": {"promo_code": "GMG20207", "code_campaigntype": "1",
                                    "code_value": "On order over USD 10, get USD 7 off",
                                    "code_availabletime_start": "2020-04-01 00:00:00",
                                    "code_availabletime_end": "2020-04-30 23:59:59",
                                    "code_mini_spend": "1", "code_quantity": "1",
                                    "code_promotionurl": "https://s.click.aliexpress.com/e/_x"}})
    product = parse_payload(KEY, wrap([raw]))
    (video,) = product.media.videos
    assert video.url == "https://video.aliexpress-media.com/play/u/1.mp4"
    assert video.poster == IMAGES[0]
    assert product.trade.hot_commission_rate_pct == 60.0
    assert product.status == "TMALL"
    notes = product.trade.notes
    assert notes["JV commission rate"] == "10%"
    assert notes["Promo code"] == ("GMG20207: On order over USD 10, get USD 7 off; amount "
                                   "off; valid 2020-04-01 00:00:00 – 2020-04-30 23:59:59; "
                                   "minimum spend 1; 1 left")
    assert notes["Promo code link"] == "https://s.click.aliexpress.com/e/_x"


def test_odd_values_are_warnings_not_crashes():
    raw = {"product_id": CAPTURE_ID, "product_video_url": "javascript:alert(1)",
           "evaluate_rate": "250%", "target_sale_price": "abc"}
    product = parse_payload(KEY, wrap([raw]))
    assert product.skus.iloc[0]["sku_id"] == "#1"
    assert product.store.positive_feedback_pct is None
    assert product.media.videos == []
    assert "The product has no title." in product.warnings
    assert "The product has no price." in product.warnings
    assert "The product has no images." in product.warnings
    assert any("video" in w for w in product.warnings)


# --- several products in one answer ----------------------------------------------------
def two_products() -> dict:
    first, second = raw_product(), raw_product()
    second.update({"product_id": "1005006861238003", "sku_id": "12000060779166103",
                   "target_sale_price": "5.08", "product_title": "Second"})
    return wrap([first, second])


def test_parse_picks_the_queried_product():
    data = two_products()
    assert parse_payload(KEY, data).product_id == CAPTURE_ID          # no query: first
    second = parse_payload(KEY, data, ProductQuery(KEY, "1005006861238003"))
    assert (second.product_id, second.title) == ("1005006861238003", "Second")
    assert second.skus.iloc[0]["sale_price"] == 5.08


def test_parse_all_returns_every_product():
    products = parse_all(two_products())
    assert [p.product_id for p in products] == [CAPTURE_ID, "1005006861238003"]
    assert [p.skus.iloc[0]["sku_id"] for p in products] == ["12000036815593862",
                                                            "12000060779166103"]


def test_queried_product_missing_from_several_is_not_found():
    with pytest.raises(ProductNotFound):
        parse_payload(KEY, two_products(), ProductQuery(KEY, "1005000000000001"))


def test_single_product_with_another_id_is_kept_with_a_warning():
    product = parse_payload(KEY, capture(), ProductQuery(KEY, "3256806389000685"))
    assert product.product_id == CAPTURE_ID
    assert product.warnings[0] == (f"The answer describes product {CAPTURE_ID} for the "
                                   f"requested 3256806389000685.")


# --- errors ------------------------------------------------------------------------------
def coded(code, message=None) -> dict:
    result = {"resp_code": code}
    if message is not None:
        result["resp_msg"] = message
    return {RESPONSE_KEY: {"resp_result": result, "request_id": "212a6b7f17905433563425311"}}


@pytest.mark.parametrize("data, cls, code", [
    (coded(405, "The result is empty"), ProductNotFound, "405"),
    (coded(402, "TrackingId input parameter error"), AuthError, "402"),
    (coded(402, "Parameter product_ids is empty"), InvalidQuery, "402"),
    (coded(401, "Unauthorized"), AuthError, "401"),
    (wrap([]), ProductNotFound, None),
    ({RESPONSE_KEY: {"resp_result": {"resp_code": 200, "result": {"current_record_count": 0}}}},
     ProductNotFound, None),
    ({"error_response": {"type": "ISV", "code": "ApiCallLimit", "msg": "Api access frequency "
                         "exceeds the limit. this ban will last 1 seconds"}}, RateLimited,
     "ApiCallLimit"),
    ({"error_response": {"code": 50, "msg": "Remote service error", "sub_code":
                         "isv.invalid-parameter", "sub_msg": "非法参数"}}, InvalidQuery, "50"),
    ({"error_response": {"type": "ISV", "code": "IncompleteSignature", "msg": "The request "
                         "signature does not conform to platform standards"}}, AuthError,
     "IncompleteSignature"),
])
def test_error_envelopes(data, cls, code):
    with pytest.raises(cls) as info:
        parse_payload(KEY, data)
    assert type(info.value) is cls
    assert info.value.code == code
    message = info.value.user_message
    assert message[0].isupper() and message.endswith(".")
    assert "resp_code" not in message and "{" not in message


def test_tracking_id_error_says_what_to_check():
    with pytest.raises(AuthError) as info:
        parse_payload(KEY, coded(402, "TrackingId input parameter error"))
    assert "tracking ID" in info.value.user_message
    assert info.value.detail == "402 TrackingId input parameter error"


@pytest.mark.parametrize("payload", [b"", b"<html>502</html>", b"[]", b"42",
                                     b'{"other_response": {"x": 1}}'])
def test_unreadable_answers(payload):
    with pytest.raises((BadResponse, ProductNotFound)):
        parse_payload(KEY, payload)


# --- the request ------------------------------------------------------------------------
def independent_iop_sign(secret: str, params: dict) -> str:
    text = "".join(k + params[k] for k in sorted(params) if k != "sign")
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


def test_iop_request_is_a_signed_form_post_without_token():
    query = ProductQuery(KEY, CAPTURE_ID, country="IL", currency="ILS", language="he")
    request = PLATFORM.build_request(query, {**CREDS, "access_token": "not-sent"},
                                     timestamp_ms=NOW_MS)
    assert request.method == "POST"
    assert str(request.url) == "https://api-sg.aliexpress.com/sync"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    params = form(request)
    assert params == {
        "app_key": "24681357", "method": "aliexpress.affiliate.productdetail.get",
        "timestamp": str(NOW_MS), "sign_method": "sha256", "format": "json",
        "product_ids": CAPTURE_ID, "tracking_id": "my_tracking", "country": "IL",
        "target_currency": "ILS", "target_language": "HE", "sign": params["sign"]}
    assert params["sign"] == independent_iop_sign(CREDS["app_secret"], params)
    assert all(value for value in params.values())


@pytest.mark.parametrize("mode, expected", [
    ("md5", lambda s, t: hashlib.md5(f"{s}{t}{s}".encode()).hexdigest().upper()),
    ("hmac", lambda s, t: hmac.new(s.encode(), t.encode(), hashlib.md5).hexdigest().upper()),
    ("hmac-sha256",
     lambda s, t: hmac.new(s.encode(), t.encode(), hashlib.sha256).hexdigest().upper()),
])
def test_top_signed_option(mode, expected):
    query = ProductQuery(KEY, CAPTURE_ID, language="pt_BR", currency="BRL", country="BR")
    request = PLATFORM.build_request(query, {**CREDS, "sign_method": mode}, timestamp_ms=NOW_MS)
    assert str(request.url) == "https://api-sg.aliexpress.com/sync"
    params = form(request)
    assert params["sign_method"] == mode and params["v"] == "2.0"
    assert params["target_language"] == "PT" and "session" not in params
    text = "".join(k + params[k] for k in sorted(params) if k != "sign")
    assert params["sign"] == expected(CREDS["app_secret"], text)


def test_several_ids_and_no_empty_parameters():
    query = ProductQuery(KEY, CAPTURE_ID, extras={"product_ids": f"1005006861238003, ,{CAPTURE_ID}"})
    params = form(PLATFORM.build_request(query, {"app_key": "1", "app_secret": "s"},
                                         timestamp_ms=NOW_MS))
    assert params["product_ids"] == f"{CAPTURE_ID},1005006861238003"
    assert "tracking_id" not in params and "session" not in params
    assert all(value for value in params.values())


def test_bad_sign_method_or_extra_id_is_refused():
    with pytest.raises(AuthError):
        PLATFORM.build_request(ProductQuery(KEY, CAPTURE_ID), {**CREDS, "sign_method": "sha1"},
                               timestamp_ms=NOW_MS)
    with pytest.raises(InvalidQuery):
        PLATFORM.build_request(ProductQuery(KEY, CAPTURE_ID, extras={"product_ids": "12ab"}),
                               CREDS, timestamp_ms=NOW_MS)


# --- the demo sandbox ---------------------------------------------------------------------
def test_demo_products_listed():
    assert [q.product_id for q in DEMO_PRODUCTS if q.platform == KEY] == [EARBUDS, SCALE]
    assert DEMO_CREDENTIALS[KEY]["tracking_id"] == "demo_tracking"


def test_demo_usd_product():
    product = fetch_product(ProductQuery(KEY, EARBUDS), clock=clock)
    assert product.demo is True and product.product_id == EARBUDS
    assert product.title.startswith("Wireless Earbuds Bluetooth 5.3")
    assert product.currency == "USD" and product.category == \
        "Consumer Electronics › Earphones & Headphones"
    row = product.skus.iloc[0]
    assert (row["sku_id"], row["price"], row["sale_price"], row["app price"]) == \
        ("12000041234567890", 39.98, 19.99, 18.99)
    assert not [c for c in product.skus.columns if c.endswith(")")]
    assert (product.trade.commission_rate_pct, product.trade.hot_commission_rate_pct) == (8, 15)
    assert product.trade.promotion_link == "https://s.click.aliexpress.com/e/_oDemoEarbuds"
    assert product.trade.notes["Promo code"].startswith("SOUND3: On order over USD 15")
    assert product.store.positive_feedback_pct == 96.4 and product.store.sales_count == 2841
    assert len(product.media.images) == 3 and len(product.media.videos) == 1
    assert product.media.videos[0].poster == "/app/static/demo/affiliate_earbuds_main_1.png"
    assert product.warnings == []


def test_demo_mixed_currency_product():
    # The fixture's own target currency: the sandbox converts only when another is asked.
    product = fetch_product(ProductQuery(KEY, SCALE, currency="EUR"), clock=clock)
    assert product.demo is True and product.currency == "EUR"
    row = product.skus.iloc[0]
    assert (row["price"], row["sale_price"], row["app price"]) == (16.52, 8.26, 7.85)
    assert (row["price (CNY)"], row["sale price (CNY)"], row["app price (CNY)"]) == \
        (129.0, 64.5, 61.28)
    assert product.trade.commission_rate_pct == 5.0
    assert product.store.positive_feedback_pct == 91.2
    assert product.media.videos == [] and len(product.media.images) == 2
    assert "CNY" in product.warnings[0]


def test_demo_unknown_id_is_not_found_with_the_405_body():
    with pytest.raises(ProductNotFound) as info:
        fetch_product(ProductQuery(KEY, "1005000000000001"), clock=clock)
    assert info.value.code == "405"
    body = PLATFORM.sandbox_not_found("abc", "1005000000000001")
    assert body[RESPONSE_KEY]["resp_result"] == {"resp_code": 405,
                                                 "resp_msg": "The result is empty"}


def demo(**changes) -> dict:
    return {**DEMO_CREDENTIALS[KEY], **changes}


def test_demo_wrong_secret_is_auth_error():
    with pytest.raises(AuthError, match="signature"):
        fetch_product(ProductQuery(KEY, EARBUDS), credentials=demo(app_secret="wrong"),
                      transport=SandboxTransport(clock=clock), clock=clock)


def test_demo_wrong_tracking_id_gets_the_402_answer():
    with pytest.raises(AuthError, match="tracking ID"):
        fetch_product(ProductQuery(KEY, EARBUDS), credentials=demo(tracking_id="other"),
                      transport=SandboxTransport(clock=clock), clock=clock)


@pytest.mark.parametrize("mode", ["md5", "hmac", "hmac-sha256"])
def test_demo_accepts_the_top_signed_option(mode):
    product = fetch_product(ProductQuery(KEY, SCALE, currency="EUR"),
                            credentials=demo(sign_method=mode),
                            transport=SandboxTransport(clock=clock), clock=clock)
    assert product.skus.iloc[0]["sale_price"] == 8.26 and product.demo is False


def test_demo_several_ids_in_one_call():
    query = ProductQuery(KEY, EARBUDS, currency="EUR",
                         extras={"product_ids": f"{SCALE},1005000000000001"})
    request = PLATFORM.build_request(query, DEMO_CREDENTIALS[KEY], timestamp_ms=NOW_MS)
    with httpx.Client(transport=SandboxTransport(clock=clock)) as http:
        body = http.send(request).json()
    products = parse_all(body)
    assert [p.product_id for p in products] == [EARBUDS, SCALE]
    assert parse_payload(KEY, body, ProductQuery(KEY, SCALE)).currency == "EUR"


def test_demo_first_id_unknown_second_known():
    query = ProductQuery(KEY, "1005000000000001", extras={"product_ids": SCALE})
    request = PLATFORM.build_request(query, DEMO_CREDENTIALS[KEY], timestamp_ms=NOW_MS)
    with httpx.Client(transport=SandboxTransport(clock=clock)) as http:
        body = http.send(request).json()
    assert [p.product_id for p in parse_all(body)] == [SCALE]
    with pytest.raises(ProductNotFound):                 # the asked-for one is missing
        parse_payload(KEY, body, query)
    with pytest.raises(ProductNotFound):
        fetch_product(query, clock=clock)


def test_demo_fetch_many_mixes_platforms():
    results = fetch_many([ProductQuery(KEY, EARBUDS), ProductQuery("aliexpress",
                                                                   "1005005432109876")],
                         clock=clock)
    assert [r.platform for r in results] == [KEY, "aliexpress"]


def test_fixture_is_untouched_by_answers():
    from lib.sandbox import load_fixture
    before = copy.deepcopy(load_fixture(KEY, SCALE))
    fetch_product(ProductQuery(KEY, SCALE), clock=clock)
    assert load_fixture(KEY, SCALE) == before


# --- ids and links ------------------------------------------------------------------------
@pytest.mark.parametrize("text, product_id", [
    (CAPTURE_ID, CAPTURE_ID),
    (f" {CAPTURE_ID}\n", CAPTURE_ID),
    (f"https://he.aliexpress.com/item/{CAPTURE_ID}.html?pdp_npi=6%40dis%21ILS", CAPTURE_ID),
    (f"https://www.aliexpress.us/item/{CAPTURE_ID}.html", CAPTURE_ID),
    (f"aliexpress.ru/item/{CAPTURE_ID}.html", CAPTURE_ID),
])
def test_ids_and_links(text, product_id):
    query = parse_product_ref(text, platform=KEY, currency="ILS", country="IL")
    assert (query.platform, query.product_id) == (KEY, product_id)
    assert (query.currency, query.country) == ("ILS", "IL")


@pytest.mark.parametrize("text", ["12ab", "0123456789", "123", "https://s.click.aliexpress.com/e/_x",
                                  "https://www.aliexpress.com/store/1102563901"])
def test_bad_ids_and_links(text):
    with pytest.raises(InvalidQuery):
        parse_product_ref(text, platform=KEY)
