"""Tuya mall: commodity detail parsing, signed requests, token flow, errors, demo cloud."""
from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pandas as pd
import pytest

import lib.client as client_module
from lib.client import fetch_many, fetch_product
from lib.errors import (AuthError, BadResponse, FetchError, InvalidQuery, ProductNotFound,
                        RateLimited, UpstreamError)
from lib.platforms import PLATFORMS, Token, parse_payload
from lib.query import ProductQuery, parse_product_ref
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxGateway, SandboxTransport
from lib.sandbox import tuya as tuya_sandbox
from paths import REAL, VECTORS

KEY = "tuya"
PLATFORM = PLATFORMS[KEY]
PLUG, LOCK = "CMsmartplug01", "CMdoorlock02"
NOW = 1_700_000_000.0
NOW_MS = int(NOW * 1000)
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
CAPTURE_1010 = REAL / "errors" / "tuya__tuya-iot-python-sdk__ISSUE-76_tuya_1010_token_invalid.json"
VECTOR_CASES = {c["id"]: c for c in json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]}
DEMO = DEMO_CREDENTIALS[KEY]

# The "Return example" of the seed document (004), values unchanged.
SEED_EXAMPLE = {
    "tid": "7d18bcb5dd9211edacb5726e26805377",
    "result": {
        "multiple_options": True, "commodity_code": "CMaplyr4bzck***", "code": "define_code",
        "show_pictures": ["http://image-demo.oss-cn-hangzhou.aliyuncs.com/exa****.jpg"],
        "description": "", "install_fee": 1, "pid": "", "title": "Refrigerator", "type": 0,
        "detail_pictures": ["http://image-demo.oss-cn-hangzhou.aliyuncs.com/exa****.jpg"],
        "postage_fee": 100, "install_type": 2, "third_category_code": "131211",
        "showcase_codes": ["Cbgrc6mvk***"], "first_category_code": "12",
        "sku_list": [{
            "original_price": 1, "support_out_stock_buy": False, "weight": 0,
            "sku_attr_list": [{"attr_code": "ATat2mzpe14***", "attr_value_name": "Cotton",
                               "attr_name": "Material", "attr_value_id": 52822311}],
            "inventory": 100, "sale_price": 2, "external_code": "",
            "sku_pic_list": ["http://image-demo.oss-cn-hangzhou.aliyuncs.com/exa****.jpg"],
            "sku_code": "SKcipzukv5m***"}],
        "publish": True, "postage_type": 1, "second_category_code": "1312", "is_jump": False,
        "brand": ""},
    "t": 1681785675323, "success": True}


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh_token_cache(monkeypatch):
    """Tokens are cached per process; every test starts without one."""
    monkeypatch.setattr(client_module, "_TOKENS", {})


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def gateway(clock):
    return SandboxGateway(clock=clock)


@pytest.fixture
def http(gateway):
    with httpx.Client(transport=SandboxTransport(gateway)) as client:
        yield client


def rows(frame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r)
            for r in frame.astype(object).itertuples(index=False, name=None)]


# --- the registry, ids --------------------------------------------------------------------
def test_platform_is_registered():
    assert PLATFORM.key == KEY and PLATFORM.label == "Tuya mall"
    assert PLATFORM.credential_keys == ("client_id", "client_secret")
    assert PLATFORM.token_flow is True
    assert PLATFORM.token_error_codes == {"1010", "1011", "1012"}
    assert PLATFORM.link_hosts == ()
    assert "not-a-real" in DEMO["client_secret"]


@pytest.mark.parametrize("text", ["CMsmartplug01", " CMaplyr4bzck123 ", "fakeCommodityCode001"])
def test_commodity_codes_are_accepted(text):
    assert parse_product_ref(text, platform=KEY).product_id == text.strip()


@pytest.mark.parametrize("text, words", [
    ("CMaplyr4bzck***", "masked"),
    ("CM-123", "not a commodity code"),
    ("1005006789012345", "not a commodity code"),
    ("CM", "not a commodity code"),
    ("CM plug", "not a commodity code"),
])
def test_bad_codes_get_a_plain_message(text, words):
    with pytest.raises(InvalidQuery) as info:
        parse_product_ref(text, platform=KEY)
    assert words in info.value.user_message and "CMaplyr4bzck123" in info.value.user_message


def test_links_are_not_read():
    with pytest.raises(InvalidQuery, match="not supported"):
        parse_product_ref("https://www.tuya.com/product/CMsmartplug01", platform=KEY)
    with pytest.raises(InvalidQuery, match="commodity code"):
        PLATFORM.id_from_url("mall.tuya.com", "/x", {})


# --- parsing --------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["dict", "str", "bytes", "result only"])
def test_seed_example(form):
    payload = {"dict": SEED_EXAMPLE, "str": json.dumps(SEED_EXAMPLE),
               "bytes": json.dumps(SEED_EXAMPLE).encode(),
               "result only": SEED_EXAMPLE["result"]}[form]
    product = parse_payload(KEY, payload)
    assert (product.platform, product.product_id, product.title) == (
        KEY, "CMaplyr4bzck***", "Refrigerator")
    assert product.category == "12 › 1312 › 131211" and product.status == "listed"
    assert product.sku_properties == ["Material"]
    assert rows(product.skus[["sku_id", "sku_attr", "Material", "price", "sale_price",
                              "discount_pct", "stock", "image_url", "currency"]]) == [
        ("SKcipzukv5m***", "ATat2mzpe14***:52822311", "Cotton", 1.0, 2.0, 0.0, 100,
         "http://image-demo.oss-cn-hangzhou.aliyuncs.com/exa****.jpg", "")]
    assert "weight" not in product.skus and "external_code" not in product.skus
    # postage_type 1 = free shipping, although a fee of 100 is sent beside it.
    assert product.trade.postage == "Free shipping"
    assert any("100" in w and "free" in w for w in product.warnings)
    assert product.trade.installation == "On-site installation, fee 1.00 (currency not stated)"
    assert product.trade.notes == {"Orders when out of stock": "not allowed"}
    assert [(i.kind, i.label) for i in product.media.images] == [
        ("main", ""), ("sku", "Material: Cotton"), ("detail", "")]
    assert product.media.videos == [] and product.description_html == ""
    assert rows(product.attributes) == [("Mall code", "define_code", ""),
                                        ("Commodity type", "physical", ""),
                                        ("Showcase categories", "Cbgrc6mvk***", "")]
    assert product.tiers.empty and product.country_prices.empty
    assert [line.split(":")[0] for line in product.not_provided] == ["Price tiers",
                                                                      "Store ratings"]
    assert product.currency == ""
    assert any("currency" in w for w in product.warnings)


def test_empty_result_is_not_found():
    for result in (None, {}):
        with pytest.raises(ProductNotFound):
            parse_payload(KEY, {"result": result, "success": True, "t": 1, "tid": "x"})


def test_answer_without_result_is_bad_response():
    with pytest.raises(BadResponse):
        parse_payload(KEY, {"success": True, "t": 1})


def test_real_1010_capture_is_a_renewable_auth_error():
    with pytest.raises(AuthError) as info:
        parse_payload(KEY, CAPTURE_1010.read_bytes())
    error = info.value
    assert error.code == "1010" and error.code in PLATFORM.token_error_codes
    assert error.detail == "1010 token invalid (tid 27e13586e4be11eda0c0360158882c1b)"
    message = error.user_message
    assert message[0].isupper() and message.endswith(".")
    assert "1010" not in message and "{" not in message and "tid" not in message


@pytest.mark.parametrize("code, cls, words", [
    (1004, AuthError, "signature"),
    (1005, AuthError, "client ID"),
    (1011, AuthError, "access token"),
    (1012, AuthError, "access token"),
    (1013, UpstreamError, "clock"),
    (1106, AuthError, "not allowed"),
    (1108, UpstreamError, "endpoint"),
    (1110, RateLimited, "wait"),
    (1199, RateLimited, "wait"),
    (2000000, ProductNotFound, "No commodity"),
    (1000, ProductNotFound, "No commodity"),
    (1109, InvalidQuery, "mall code"),
    (500, UpstreamError, "try again"),
    (3999, UpstreamError, "answered with an error"),
])
@pytest.mark.parametrize("as_text", [False, True])
def test_error_envelopes(code, cls, words, as_text):
    body = {"success": False, "code": str(code) if as_text else code, "msg": "x",
            "t": 1682574088236, "tid": "27e13586e4be11eda0c0360158882c1b"}
    with pytest.raises(FetchError) as info:
        parse_payload(KEY, body)
    error = info.value
    assert type(error) is cls and error.code == str(code)
    assert words in error.user_message
    assert error.retryable is (cls is RateLimited or code == 500)
    if cls is RateLimited:
        assert error.retry_after == 1.0


# --- requests ---------------------------------------------------------------------------------
def independent_sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest().upper()


def test_detail_request_matches_the_sdk_vector():
    case = VECTOR_CASES["tuya-02-commodity-detail-get-unsorted-query"]
    extra = case["extra"]
    creds = {"client_id": extra["client_id"], "client_secret": case["secret"],
             "mall_code": case["params"]["mall_code"], "access_token": extra["access_token"]}
    query = ProductQuery(KEY, "fakeCommodityCode001", language="en")
    request = PLATFORM.build_request(query, creds, timestamp_ms=int(extra["t"]))
    assert request.method == "GET"
    assert str(request.url) == (case["gateway"] + "/v1.0/sellercenter/commodity/detail/"
                                "fakeCommodityCode001?lang=en&mall_code=fakeMallCode01")
    # The string_to_sign rules, recomputed here: METHOD, SHA-256 of the empty body, no
    # signed headers, the URL with its query sorted by key.
    string_to_sign = (f"GET\n{EMPTY_SHA256}\n\n/v1.0/sellercenter/commodity/detail/"
                      f"fakeCommodityCode001?lang=en&mall_code=fakeMallCode01")
    assert string_to_sign == case["string_to_sign"]
    message = extra["client_id"] + extra["access_token"] + extra["t"] + string_to_sign
    assert message == case["hmac_message"]
    headers = request.headers
    assert headers["sign"] == independent_sign(case["secret"], message) == case["expected_sign"]
    assert (headers["client_id"], headers["t"], headers["sign_method"], headers["nonce"]) == (
        extra["client_id"], extra["t"], "HMAC-SHA256", "")
    assert headers["access_token"] == extra["access_token"]
    assert request.content == b""


def test_token_request_matches_the_sdk_vector():
    case = VECTOR_CASES["tuya-01-token-grant-type-1"]
    extra = case["extra"]
    creds = {"client_id": extra["client_id"], "client_secret": case["secret"]}
    request = PLATFORM.token_request(creds, timestamp_ms=int(extra["t"]))
    assert str(request.url) == "https://openapi.tuyaeu.com/v1.0/token?grant_type=1"
    message = extra["client_id"] + extra["t"] + f"GET\n{EMPTY_SHA256}\n\n/v1.0/token?grant_type=1"
    assert message == case["hmac_message"]
    assert request.headers["sign"] == independent_sign(case["secret"], message) \
        == case["expected_sign"]
    assert "access_token" not in request.headers


def test_refresh_request_is_signed_without_the_token():
    creds = {"client_id": "cid0123456789", "client_secret": "secret-0123456789",
             "access_token": "old-token-ignored"}
    request = PLATFORM.token_request(creds, timestamp_ms=NOW_MS, refresh_token="ref123abc")
    assert str(request.url) == "https://openapi.tuyaeu.com/v1.0/token/ref123abc"
    message = f"cid0123456789{NOW_MS}GET\n{EMPTY_SHA256}\n\n/v1.0/token/ref123abc"
    assert request.headers["sign"] == independent_sign("secret-0123456789", message)
    assert "access_token" not in request.headers


def test_endpoint_mall_code_and_language():
    creds = {"client_id": "cid", "client_secret": "s", "access_token": "tok",
             "endpoint": "openapi.tuyaus.com/", "mall_code": "MLfromSettings"}
    query = ProductQuery(KEY, PLUG, language="pt_BR", extras={"mall_code": "MLfromQuery"})
    request = PLATFORM.build_request(query, creds, timestamp_ms=NOW_MS)
    assert str(request.url) == ("https://openapi.tuyaus.com/v1.0/sellercenter/commodity/detail/"
                                "CMsmartplug01?lang=pt&mall_code=MLfromQuery")
    with pytest.raises(InvalidQuery, match="data centres"):
        PLATFORM.build_request(query, {**creds, "endpoint": "https://evil.example.com"},
                               timestamp_ms=NOW_MS)
    with pytest.raises(InvalidQuery, match="mall code is missing"):
        PLATFORM.build_request(ProductQuery(KEY, PLUG), {"client_id": "c", "client_secret": "s"},
                               timestamp_ms=NOW_MS)
    with pytest.raises(InvalidQuery, match="mall code may contain"):
        PLATFORM.build_request(ProductQuery(KEY, PLUG, extras={"mall_code": "a&b=c"}), creds,
                               timestamp_ms=NOW_MS)


def test_parse_token_gives_a_lifetime():
    body = {"result": {"access_token": "a" * 32, "expire_time": 7200, "refresh_token": "r" * 32,
                       "uid": "bay1"}, "success": True, "t": NOW_MS, "tid": "x"}
    assert PLATFORM.parse_token(body) == Token(access_token="a" * 32, refresh_token="r" * 32,
                                               expires_in=7200.0)
    with pytest.raises(AuthError):
        PLATFORM.parse_token({"success": False, "code": 1004, "msg": "sign invalid"})
    with pytest.raises(BadResponse):
        PLATFORM.parse_token({"result": {}, "success": True})


# --- the demo cloud (lib/sandbox/tuya.py) -------------------------------------------------------
def grant(http, creds=DEMO, t=NOW_MS) -> dict:
    return http.send(PLATFORM.token_request(creds, timestamp_ms=t)).json()


def detail(http, token, code=PLUG, creds=DEMO, t=NOW_MS, **query) -> dict:
    request = PLATFORM.build_request(ProductQuery(KEY, code, **query),
                                     {**creds, "access_token": token}, timestamp_ms=t)
    return http.send(request).json()


def test_token_is_issued_and_deterministic(http, clock):
    body = grant(http)
    assert body["success"] is True and body["t"] == NOW_MS and len(body["tid"]) == 32
    result = body["result"]
    assert result["expire_time"] == 7200
    assert len(result["access_token"]) == 32 and len(result["refresh_token"]) == 32
    # Another sandbox with the same clock issues the same token, and accepts this one.
    other = SandboxGateway(clock=clock)
    with httpx.Client(transport=SandboxTransport(other)) as second:
        assert grant(second)["result"]["access_token"] == result["access_token"]
        assert detail(second, result["access_token"])["success"] is True


def test_detail_is_the_fixture_in_the_real_envelope(http):
    from lib.sandbox import load_fixture
    token = grant(http)["result"]["access_token"]
    body = detail(http, token)
    stored = load_fixture(KEY, PLUG)
    assert body["result"] == stored["result"] and body["success"] is True
    assert body["t"] == NOW_MS and len(body["tid"]) == 32 and body["tid"] != stored["tid"]
    assert list(body) == list(stored)


def test_sandbox_refuses_like_the_real_cloud(http, clock):
    token = grant(http)["result"]["access_token"]
    wrong_secret = {**DEMO, "client_secret": "not-the-secret"}
    body = grant(http, wrong_secret)
    assert {k: body[k] for k in ("success", "code", "msg")} == {
        "success": False, "code": 1004, "msg": "sign invalid"}
    assert body["t"] == NOW_MS and len(body["tid"]) == 32
    assert detail(http, token, creds=wrong_secret)["code"] == 1004
    assert detail(http, "0" * 32)["code"] == 1010
    assert detail(http, "0" * 32)["msg"] == "token invalid"
    assert detail(http, token, t=NOW_MS - 20 * 60 * 1000)["code"] == 1013
    assert grant(http, {**DEMO, "client_id": "someoneelse01"})["code"] == 1005
    unknown = detail(http, token, code="CMunknown999")
    assert {k: v for k, v in unknown.items() if k != "tid"} == {
        "code": 2000000, "msg": "params error", "success": False, "t": NOW_MS}
    assert len(unknown["tid"]) == 32
    assert detail(http, token, extras={"mall_code": "MLother"})["code"] == 2000000
    request = PLATFORM.build_request(ProductQuery(KEY, PLUG), {**DEMO, "access_token": token},
                                     timestamp_ms=NOW_MS)
    moved = httpx.Request("GET", str(request.url).replace("commodity/detail", "commodity/list"),
                          headers=request.headers)
    assert http.send(moved).json()["code"] in (1004, 1108)   # the path is signed too
    # A token dies when the gateway's clock passes its expiry.
    clock.now += 7200
    later = int(clock.now * 1000)
    assert detail(http, token, t=later)["code"] == 1010
    assert detail(http, grant(http, t=later)["result"]["access_token"], t=later)["success"]


def test_sandbox_checks_nonce_and_signature_headers():
    """The documentation's token call with nonce and Signature-Headers is accepted."""
    case = VECTOR_CASES["tuya-07-doc-token-nonce-signature-headers"]
    extra = case["extra"]
    creds = {KEY: {"client_id": extra["client_id"], "client_secret": case["secret"]}}
    gateway = SandboxGateway(clock=lambda: int(extra["t"]) / 1000, credentials=creds)
    headers = {"client_id": extra["client_id"], "sign": case["expected_sign"],
               "sign_method": "HMAC-SHA256", "t": extra["t"], "nonce": extra["nonce"],
               **extra["signature_headers"]}
    request = httpx.Request("GET", case["gateway"] + "/v1.0/token?grant_type=1", headers=headers)
    with httpx.Client(transport=SandboxTransport(gateway)) as http:
        assert http.send(request).json()["success"] is True
        headers["call_id"] = "tampered"
        tampered = httpx.Request("GET", case["gateway"] + "/v1.0/token?grant_type=1",
                                 headers=headers)
        assert http.send(tampered).json()["code"] == 1004


def test_revoked_tokens_and_refresh_tokens_stop_working(http, gateway):
    result = grant(http)["result"]
    tuya_sandbox.for_gateway(gateway).revoke_tokens()
    assert detail(http, result["access_token"])["code"] == 1010
    refreshed = http.send(PLATFORM.token_request(DEMO, timestamp_ms=NOW_MS,
                                                 refresh_token=result["refresh_token"])).json()
    assert refreshed["code"] == 1012
    new = grant(http)["result"]["access_token"]
    assert new != result["access_token"] and detail(http, new)["success"] is True


# --- the client: demo round trips, errors, token renewal ----------------------------------
TUYA_DEMOS = [q for q in DEMO_PRODUCTS if q.platform == KEY]


def test_demo_products_are_listed():
    assert [q.product_id for q in TUYA_DEMOS] == [PLUG, LOCK]


@pytest.mark.parametrize("query", TUYA_DEMOS, ids=lambda q: q.product_id)
def test_demo_round_trip(query):
    product = fetch_product(query)
    assert product.demo is True and product.query == query
    assert product.product_id == query.product_id and product.platform == KEY
    assert len(product.skus) >= 2 and product.skus["sale_price"].notna().all()
    assert product.trade.postage and product.trade.installation
    assert all(i.url.startswith("/app/static/demo/tuya_") for i in product.media.images)
    assert "<script" not in product.description_html


def test_demo_plug_values():
    product = fetch_product(ProductQuery(KEY, PLUG))
    assert product.title == "Wi-Fi Smart Plug 16A with Energy Monitoring"
    assert product.sku_properties == ["Plug type", "Pack"]
    assert len(product.skus) == 6 and product.out_of_stock_count == 1
    assert rows(product.skus[["Plug type", "Pack", "price", "sale_price", "stock"]])[:3] == [
        ("EU", "1 pack", 14.99, 11.99, 320), ("EU", "2 pack", 27.99, 21.99, 150),
        ("EU", "4 pack", 52.99, 39.99, 0)]
    assert product.trade.postage == "Fixed postage 4.99 EUR"   # the demo mall currency
    assert product.trade.installation == "Installed by the buyer"
    assert product.trade.notes["Orders when out of stock"] == "allowed for 1 of 6 SKUs"
    # One picture per plug type, labelled by the option its SKUs share.
    assert [(i.url.rsplit("/", 1)[1], i.label) for i in product.media.by_kind("sku")] == [
        ("tuya_plug_eu.png", "Plug type: EU"), ("tuya_plug_uk.png", "Plug type: UK")]
    (video,) = product.media.videos
    assert video.poster == "/app/static/demo/tuya_plug_video_poster.png"


def test_demo_lock_values():
    product = fetch_product(ProductQuery(KEY, LOCK))
    assert rows(product.skus[["Finish", "price", "sale_price", "discount_pct"]]) == [
        ("Satin Silver", 249.0, 199.0, 20.1), ("Matte Black", 249.0, 209.0, 16.1)]
    assert product.trade.postage == "Free shipping"
    assert product.trade.installation == "On-site installation, fee 49.00 EUR"
    assert [i.kind for i in product.media.images].count("detail") == 1


def test_unknown_commodity_is_not_found():
    with pytest.raises(ProductNotFound) as info:
        fetch_product(ProductQuery(KEY, "CMunknown999"))
    assert info.value.code == "2000000"


def test_wrong_secret_is_an_auth_error(clock):
    creds = {**DEMO, "client_secret": "wrong-secret-0123456789"}
    with pytest.raises(AuthError) as info:
        fetch_product(ProductQuery(KEY, PLUG), credentials=creds,
                      transport=SandboxTransport(clock=clock), clock=clock)
    assert info.value.code == "1004" and "secret" in info.value.user_message
    assert "wrong-secret" not in str(info.value)


def batch(gateway, clock, queries, **options):
    return fetch_many(queries, transport=SandboxTransport(gateway), concurrency=1, qps=1000,
                      clock=clock, **options)


def test_token_revoked_mid_batch_is_renewed_once_and_the_batch_goes_on(gateway, clock):
    cloud = tuya_sandbox.for_gateway(gateway)
    queries = [ProductQuery(KEY, code) for code in (PLUG, LOCK, PLUG, LOCK, PLUG)]

    def revoke_after_second(done, total, result):
        if done == 2:
            cloud.revoke_tokens()
    results = batch(gateway, clock, queries, on_progress=revoke_after_second)
    assert [r.product_id for r in results] == [q.product_id for q in queries]
    assert all(r.demo for r in results)
    assert cloud.token_requests == 2           # the first token, and one renewal
    assert cloud.refresh_requests == 0
    assert cloud.detail_requests == 5          # served; the refused one is not counted
    assert gateway.calls == 2 + 6              # 2 token calls, 5 + 1 refused detail calls


def test_token_expiring_mid_batch_is_refreshed_ahead(gateway, clock):
    cloud = tuya_sandbox.for_gateway(gateway)

    def two_hours_later(done, total, result):
        if done == 2:
            clock.now += 7200
    results = batch(gateway, clock, [ProductQuery(KEY, c) for c in (PLUG, LOCK, PLUG)],
                    on_progress=two_hours_later)
    assert all(not isinstance(r, FetchError) for r in results)
    # The client saw the expiry coming and used the refresh token; nothing was refused.
    assert (cloud.token_requests, cloud.refresh_requests, cloud.detail_requests) == (1, 1, 3)
    assert gateway.calls == 5


def test_token_renewed_only_once_per_call(gateway, clock):
    """A token refused again right after renewal ends that product, not the loop."""
    cloud = tuya_sandbox.for_gateway(gateway)
    transport = SandboxTransport(gateway)

    class RevokeBeforeEveryDetail(httpx.BaseTransport):
        def handle_request(self, request):
            if "/commodity/detail/" in request.url.path:
                cloud.revoke_tokens()
            return transport.handle_request(request)
    (result,) = fetch_many([ProductQuery(KEY, PLUG)], transport=RevokeBeforeEveryDetail(),
                           qps=1000, clock=clock)
    assert isinstance(result, AuthError) and result.code == "1010"
    assert cloud.token_requests == 2 and cloud.detail_requests == 0
