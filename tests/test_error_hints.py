"""Every gateway answer that carries an error code and a message is named for what it is:
the right FetchError, the gateway's own words, and a hint that says what to do, on every
platform. BadResponse is left for answers that cannot be read at all.

The table holds the real captured error bodies (real-responses/errors), every error code
the seeds name (DS 602 / 605 / 404, TOP 50 isv.invalid-parameter, ICBU
isp.product.not.exist, Tuya 2000000), and crafted variants of the cases seen live:
rsp_code 401 "This publisher is not registered" under any `*_response` key, affiliate
resp_code 402 "TrackingId input parameter error", result.success=false with code/msg,
TOP sub_code isv.permission-ip-whitelist-limit; codes as strings or numbers, messages
under msg / rsp_msg / resp_msg / sub_msg.
"""
from __future__ import annotations

import json

import httpx
import pytest

from lib.client import fetch_product
from lib.errors import (AuthError, BadResponse, FetchError, InvalidQuery,
                        NotAvailableInCountry, ProductNotFound, RateLimited, UpstreamError)
from lib.platforms import PLATFORMS, parse_payload
from lib.platforms.alibaba import OWN_STORE_ONLY, listing_hint
from lib.query import ProductQuery
from paths import REAL

ERRORS = REAL / "errors"
ALIEXPRESS_FAMILY = ["aliexpress", "aliexpress-affiliate", "aliexpress-seller", "alibaba"]
DS_WRAPPER = "aliexpress_ds_product_get_response"
AFF_WRAPPER = "aliexpress_affiliate_productdetail_get_response"


def real(name: str) -> bytes:
    return (ERRORS / name).read_bytes()


def ds(code, message, wrapper=DS_WRAPPER, message_key="rsp_msg"):
    return {wrapper: {"rsp_code": code, message_key: message,
                      "request_id": "212a639d17855375973415575"}}


def aff(code, message, wrapper=AFF_WRAPPER, message_key="resp_msg"):
    return {wrapper: {"resp_result": {"resp_code": code, message_key: message},
                      "request_id": "2101e9d517000000000012346"}}


def top(code, msg, sub_code=None, sub_msg=None):
    body = {"code": code, "msg": msg, "request_id": "iv0aea4gb8jq"}
    if sub_code:
        body["sub_code"] = sub_code
    if sub_msg:
        body["sub_msg"] = sub_msg
    return {"error_response": body}


def failed_result(code, msg, success=False, wrapper="aliexpress_ds_freight_query_response"):
    return {wrapper: {"result": {"success": success, "code": code, "msg": msg},
                      "request_id": "2141115817345678901234567"}}


PUBLISHER = "This publisher is not registered"
TRACKING = "TrackingId input parameter error"
WHITELIST_MSG = "The appkey 4272 is only allowed to call from 10.232.*.*,10.13.*.*"

# id -> (platform, body, error class, code, the gateway's words, words of the hint)
CASES = {
    # -- the real captures ---------------------------------------------------------------
    "real ApiCallLimit": ("aliexpress",
                          real("Adnan-Zulfiqar__ds-platform__commissionorder_list_live_"
                               "ApiCallLimit.json"),
                          RateLimited, "ApiCallLimit",
                          "Api access frequency exceeds the limit. this ban will last 1 "
                          "seconds", "Wait 2 seconds"),
    "real rsp_code 605": ("aliexpress",
                          real("Adnan-Zulfiqar__ds-platform__product_get_phase6_live_605.json"),
                          ProductNotFound, "605", "ITEM_ID_NOT_FOUND",
                          "Check the product ID or paste"),
    "real MissingParameter": ("aliexpress",
                              real("Joyron1__matzati__ds_product_get_no_session_"
                                   "MissingParameter.json"),
                              AuthError, "MissingParameter",
                              "The input parameter “access_token” that is mandatory for "
                              "processing this request is not supplied",
                              "Add the access token to the settings"),
    "real TOP 11 permission": ("aliexpress-seller",
                               real("aliyun-UED__aliyun-sdk-js__ISSUE-109_TOP_error_"
                                    "response_code11_subcode.json"),
                               AuthError, "11",
                               "Insufficient isv permissions: scope ids is 11022 11600 11863",
                               "permission (its API package)"),
    "real Tuya 1010": ("tuya",
                       real("tuya__tuya-iot-python-sdk__ISSUE-76_tuya_1010_token_invalid.json"),
                       AuthError, "1010", "token invalid", "new token is requested"),
    # -- rsp_code 401 "This publisher is not registered", in every form -------------------
    "401 publisher, DS wrapper, int": ("aliexpress", ds(401, PUBLISHER), AuthError, "401",
                                       PUBLISHER, "Register or approve the app"),
    "401 publisher, string code": ("aliexpress", ds("401", PUBLISHER), AuthError, "401",
                                   PUBLISHER, "Register or approve the app"),
    "401 publisher, other *_response": ("aliexpress",
                                        ds(401, PUBLISHER,
                                           wrapper="aliexpress_ds_trade_order_get_response"),
                                        AuthError, "401", PUBLISHER,
                                        "Register or approve the app"),
    "401 publisher, msg key": ("aliexpress", ds(401, PUBLISHER, message_key="msg"),
                               AuthError, "401", PUBLISHER, "Register or approve the app"),
    "401 publisher, affiliate resp_result": ("aliexpress-affiliate",
                                             {"resp_result": {"resp_code": 401, "resp_msg":
                                                              PUBLISHER + ":7367116322"}},
                                             AuthError, "401", PUBLISHER + ":7367116322",
                                             "AliExpress Portals"),
    "401 other words": ("aliexpress", ds(401, "Unauthorized"), AuthError, "401",
                        "Unauthorized", "Check the app key, app secret and access token"),
    # -- affiliate resp_code 402 ------------------------------------------------------------
    "402 tracking id": ("aliexpress-affiliate", aff(402, TRACKING), AuthError, "402",
                        TRACKING, "Check the tracking ID setting"),
    "402 tracking id, string, other wrapper": ("aliexpress-affiliate",
                                               aff("402", TRACKING, wrapper="aliexpress_"
                                                   "affiliate_product_query_response"),
                                               AuthError, "402", TRACKING,
                                               "Check the tracking ID setting"),
    "402 tracking id, msg key": ("aliexpress-affiliate", aff(402, TRACKING, message_key="msg"),
                                 AuthError, "402", TRACKING, "tracking ID setting"),
    "402 other parameter": ("aliexpress-affiliate", aff(402, "Parameter product_ids is empty"),
                            InvalidQuery, "402", "Parameter product_ids is empty",
                            "Check the product ID"),
    "405 result is empty": ("aliexpress-affiliate", aff(405, "The result is empty"),
                            ProductNotFound, "405", "The result is empty",
                            "Check the product ID"),
    # -- result.success = false with code / msg -------------------------------------------
    "result.success false": ("aliexpress",
                             failed_result(501, "The delivery to this address is not "
                                                "supported"),
                             UpstreamError, "501",
                             "The delivery to this address is not supported",
                             "contact the marketplace's API support"),
    "result.success 'false', string code": ("aliexpress",
                                            failed_result("501", "Param error", "false"),
                                            InvalidQuery, "501", "Param error",
                                            "Check the product ID"),
    "legacy is_success false": ("aliexpress-seller",
                                {"aliexpress_postproduct_redefining_findaeproductbyid_response":
                                 {"result": {"is_success": False, "error_code": 13001024,
                                             "error_message": "The product does not exist"}}},
                                ProductNotFound, "13001024", "The product does not exist",
                                "Check the product ID"),
    # -- the TOP router ----------------------------------------------------------------------
    "TOP IP whitelist": ("aliexpress-seller",
                         top(11, "Insufficient isv permissions",
                             "isv.permission-ip-whitelist-limit", WHITELIST_MSG),
                         AuthError, "11", "Insufficient isv permissions: " + WHITELIST_MSG,
                         "Add this server's IP address to the app's IP whitelist"),
    "TOP IP whitelist, string code": ("alibaba",
                                      top("11", "Insufficient ISV Permissions",
                                          "isv.permission-ip-whitelist-limit"),
                                      AuthError, "11", "Insufficient ISV Permissions",
                                      "IP whitelist"),
    "seed TOP 50 invalid parameter": ("aliexpress-affiliate",
                                      top(50, "Remote service error", "isv.invalid-parameter",
                                          "非法参数"),
                                      InvalidQuery, "50", "Remote service error: 非法参数",
                                      "Check the product ID"),
    "TOP 7 ban": ("aliexpress-seller",
                  top(7, "App Call Limited", "accesscontrol.limited-by-app-access-count",
                      "This ban will last 3 more seconds"),
                  RateLimited, "7", "App Call Limited: This ban will last 3 more seconds",
                  "Wait 4 seconds"),
    "TOP 27 session": ("alibaba", top(27, "Invalid session", "isv.invalid-session"),
                       AuthError, "27", "Invalid session", "create a new access token"),
    "TOP 25 signature": ("alibaba", top(25, "Invalid signature"), AuthError, "25",
                         "Invalid signature", "app secret"),
    "TOP 29 app key": ("aliexpress-seller", top(29, "Invalid app Key"), AuthError, "29",
                       "Invalid app Key", "Check the app key"),
    "TOP 22 method": ("aliexpress-seller", top(22, "Invalid method"), UpstreamError, "22",
                      "Invalid method", "has this API"),
    "TOP isp timeout": ("alibaba", top(15, "Remote service error",
                                       "isp.remote-service-timeout", "timeout"),
                        UpstreamError, "15", "Remote service error: timeout",
                        "Try again in a minute"),
    "IOP IllegalAccessToken": ("aliexpress", {"error_response": {
        "type": "ISV", "code": "IllegalAccessToken", "msg": "Illegal access token"}},
        AuthError, "IllegalAccessToken", "Illegal access token", "new access token"),
    "IOP InvalidTimestamp": ("aliexpress-affiliate", {"error_response": {
        "type": "ISV", "code": "InvalidTimestamp", "msg": "The request has expired"}},
        UpstreamError, "InvalidTimestamp", "The request has expired", "clock"),
    # -- the DS error table (seed 000) -------------------------------------------------------
    "seed DS 602": ("aliexpress", ds(602, "Item is not allowed to this country"),
                    NotAvailableInCountry, "602", "Item is not allowed to this country",
                    "Choose another ship-to country"),
    "seed DS 602 string": ("aliexpress", ds("602", "Item is not allowed to this country"),
                           NotAvailableInCountry, "602", "Item is not allowed to this country",
                           "ship-to country"),
    "seed DS 605 string": ("aliexpress", ds("605", "ITEM_ID_NOT_FOUND"), ProductNotFound,
                           "605", "ITEM_ID_NOT_FOUND", "Check the product ID"),
    "seed DS 404": ("aliexpress", ds(404, "System Error"), UpstreamError, "404",
                    "System Error", "contact the marketplace's API support"),
    # -- Alibaba.com (seed 002) and Tuya (seed 004) --------------------------------------------
    "seed ICBU product not exist": ("alibaba", top(15, "Remote service error",
                                                   "isp.product.not.exist", "商品不存在"),
                                    ProductNotFound, "15", "Remote service error: 商品不存在",
                                    "that supplier's store must authorise the app"),
    "seed Tuya 2000000": ("tuya", {"code": 2000000, "msg": "params error", "success": False,
                                   "t": 1681785675323, "tid": "7d18bcb5dd9211edacb5726e26"},
                          ProductNotFound, "2000000", "params error",
                          "Check the commodity code"),
    "Tuya 1106 string code": ("tuya", {"code": "1106", "msg": "permission deny",
                                       "success": "false"},
                              AuthError, "1106", "permission deny", "Subscribe"),
}


def assert_plain(text: str) -> None:
    assert text and text[0].isupper() and text.rstrip().endswith("."), text
    for technical in ("{", "}", "_response", "rsp_code", "resp_code", "sub_code", "isv.",
                      "isp.", "None", "Traceback"):
        assert technical not in text, (technical, text)


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_body_is_named_with_the_gateways_words_and_a_hint(case):
    platform, body, cls, code, said, hint_words = CASES[case]
    with pytest.raises(FetchError) as info:
        parse_payload(platform, body)
    error = info.value
    assert type(error) is cls, (case, error, error.detail)
    assert error.code == code
    assert error.gateway_message == said
    assert hint_words in error.hint, error.hint
    assert_plain(error.user_message)
    assert_plain(error.hint)
    assert code in error.detail                    # the technical cause, for logs
    assert error.retryable is (cls is RateLimited or case == "TOP isp timeout")


@pytest.mark.parametrize("form", ["bytes", "str"])
@pytest.mark.parametrize("case", ["401 publisher, DS wrapper, int", "402 tracking id",
                                  "result.success false", "TOP IP whitelist"])
def test_the_named_cases_read_the_same_from_text(case, form):
    platform, body, cls, code, said, _ = CASES[case]
    text = json.dumps(body, ensure_ascii=False)
    with pytest.raises(cls) as info:
        parse_payload(platform, text.encode() if form == "bytes" else text)
    assert (info.value.code, info.value.gateway_message) == (code, said)


def test_every_real_error_file_is_in_the_table():
    names = {p.name for p in ERRORS.iterdir()}
    bodies = {body for _, body, *_ in CASES.values() if isinstance(body, bytes)}
    assert {real(name) for name in names} == bodies


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_no_platform_reads_an_error_body_as_unreadable(case, platform):
    """One rule for every platform: whichever parser gets an error body, it is an error
    with the gateway's words, never BadResponse and never a product."""
    body = CASES[case][1]
    with pytest.raises(FetchError) as info:
        parse_payload(platform, body)
    assert not isinstance(info.value, BadResponse), (platform, case, info.value.detail)
    assert info.value.gateway_message


@pytest.mark.parametrize("platform", ALIEXPRESS_FAMILY)
@pytest.mark.parametrize("case", ["401 publisher, DS wrapper, int", "402 tracking id",
                                  "TOP IP whitelist", "real MissingParameter"])
def test_aliexpress_family_platforms_agree(case, platform):
    _, body, cls, code, said, hint_words = CASES[case]
    with pytest.raises(cls) as info:
        parse_payload(platform, body)
    assert (info.value.code, info.value.gateway_message) == (code, said)
    assert hint_words in info.value.hint


# --- BadResponse only for what cannot be read ------------------------------------------------
UNREADABLE = [
    pytest.param(b"", id="empty"),
    pytest.param(b"  \r\n", id="blank"),
    pytest.param("<html><body><h1>502 Bad Gateway</h1></body></html>", id="html"),
    pytest.param("Service Unavailable", id="text"),
    pytest.param(b'{"aliexpress_ds_product_get_response": {"rsp_code": 200, "resu',
                 id="cut-json"),
    pytest.param({}, id="empty-object"),
    pytest.param({"unexpected": {"shape": True}}, id="unknown-object"),
    pytest.param(42, id="number"),
    pytest.param("null", id="null"),
    pytest.param({"result": "not an object"}, id="result-string"),
]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("payload", UNREADABLE)
def test_unreadable_answers_are_bad_response(platform, payload):
    with pytest.raises(BadResponse) as info:
        parse_payload(platform, payload)
    assert info.value.gateway_message == ""
    assert_plain(info.value.user_message)


@pytest.mark.parametrize("platform, body", [
    ("aliexpress", {"code": "0", "rsp_code": "200", "rsp_msg": "Call succeeds"}),
    ("aliexpress", {DS_WRAPPER: {"rsp_code": 200, "rsp_msg": "Call succeeds"}}),
    ("tuya", {"success": True, "t": 1}),
])
def test_success_envelopes_without_data_are_not_gateway_errors(platform, body):
    """A success code (or an explicit success flag) is never read as an error: with no
    product in it, the answer is unreadable."""
    with pytest.raises(BadResponse):
        parse_payload(platform, body)


def test_an_error_code_beside_is_success_true_is_a_warning_not_an_error():
    """The legacy documents' sample sends error_code 16009999 beside is_success true."""
    product = parse_payload("aliexpress-seller", {"result": {
        "is_success": True, "error_code": 16009999, "error_message": "System exception",
        "subject": "Earbuds", "product_id": 1005001234567890}})
    assert any("16009999" in w and "System exception" in w for w in product.warnings)


def test_a_data_field_named_code_is_not_an_error():
    """Tuya's commodity carries its mall code under "code": data, not an error."""
    from lib.platforms.envelopes import find_error

    assert find_error({"result": {"commodity_code": "CMx", "code": "define_code",
                                  "title": "Fridge"}, "success": True}) is None
    assert find_error({"commodity_code": "CMx", "code": "define_code"}) is None


# --- Alibaba.com: another supplier's listing -------------------------------------------------
def test_alibaba_not_found_says_the_api_reads_only_the_authorising_store():
    body = CASES["seed ICBU product not exist"][1]
    with pytest.raises(ProductNotFound) as info:
        parse_payload("alibaba", body, ProductQuery("alibaba", "AAF2jmk4AOWGex-cDVm7jTxY"))
    message = info.value.user_message
    assert "alibaba.icbu.product.get" in message
    assert "reads only the listings of the store that authorised this app" in message
    assert "another supplier's listing cannot be opened" in message
    assert info.value.gateway_message == "Remote service error: 商品不存在"


def test_alibaba_link_to_another_suppliers_listing_says_so_plainly():
    link = "https://www.alibaba.com/product-detail/Other-Supplier-Mug_1609999999999.html"
    from lib.query import parse_product_ref

    query = parse_product_ref(link)
    with pytest.raises(InvalidQuery) as info:
        fetch_product(query)                       # demo mode: the sandbox gateway
    error = info.value
    assert error.user_message == listing_hint("1609999999999")
    assert error.user_message.startswith(OWN_STORE_ONLY)
    assert "a link to another supplier's listing cannot be opened" in error.user_message
    assert error.code == "15" and error.gateway_message == "Remote service error: 商品不存在"
    assert "authorises the app" in error.hint and "alibaba.icbu.product.list" in error.hint


# --- HTTP error answers with an envelope inside ------------------------------------------------
CREDS = {"app_key": "34567890", "app_secret": "S3cr3t-App-Secret-0123456789",
         "access_token": "50000601234TokenSecret-abcdef"}


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetch_with(*responses: httpx.Response):
    answers = list(responses)
    sent: list[httpx.Request] = []

    def handler(request):
        sent.append(request)
        return answers.pop(0) if len(answers) > 1 else answers[0]
    sleeps = Sleeps()
    try:
        result = fetch_product(ProductQuery("aliexpress", "1005006575315437"),
                               credentials=CREDS, transport=httpx.MockTransport(handler),
                               clock=lambda: 1_700_000_000.0, sleep=sleeps, seed=1,
                               qps=1_000_000)
    except FetchError as exc:
        result = exc
    return result, sent, sleeps


def json_answer(status: int, body: dict) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(),
                          headers={"content-type": "application/json"})


def test_http_500_stating_a_token_error_is_that_error_and_not_retried():
    body = {"error_response": {"type": "ISV", "code": "IllegalAccessToken",
                               "msg": "Illegal access token"}}
    result, sent, sleeps = fetch_with(json_answer(500, body))
    assert type(result) is AuthError and result.code == "IllegalAccessToken"
    assert result.gateway_message == "Illegal access token" and "access token" in result.hint
    assert len(sent) == 1 and [s for s in sleeps if s >= 1e-3] == []


def test_http_503_stating_a_ban_waits_as_the_gateway_says():
    limit = json.loads(CASES["real ApiCallLimit"][1])
    ok = httpx.Response(200, content=(REAL / "ds" / "Adnan-Zulfiqar__ds-platform__product.json"
                                      ).read_bytes(),
                        headers={"content-type": "application/json"})
    result, sent, sleeps = fetch_with(json_answer(503, limit), ok)
    assert not isinstance(result, FetchError), result
    assert len(sent) == 2 and [s for s in sleeps if s >= 1e-3] == [2.0]


def test_http_502_with_an_unnamed_gateway_error_stays_transient_with_its_words():
    body = {"error_response": {"type": "ISP", "code": "InternalError", "msg": "boom"}}
    result, sent, _ = fetch_with(json_answer(502, body))
    assert type(result) is UpstreamError and result.retryable
    assert result.gateway_message == "boom" and len(sent) == 4


# --- the error box ------------------------------------------------------------------------------
def _error_box_app():
    import json as json_module

    import streamlit as st

    from lib.platforms import parse_payload as parse
    from lib.ui import error_box

    try:
        parse(st.session_state["platform"], json_module.loads(st.session_state["body"]))
    except Exception as exc:                     # a FetchError, shown as the app shows it
        error_box(exc)


def run_error_box(platform: str, body: dict):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_error_box_app, default_timeout=30)
    at.session_state["platform"] = platform
    at.session_state["body"] = json.dumps(body)
    at.run()
    assert not at.exception
    return at


def test_error_box_shows_message_hint_and_the_gateways_words():
    at = run_error_box("aliexpress", ds(401, PUBLISHER))
    assert [e.value for e in at.error] == [
        "The marketplace says this app is not registered (or not yet approved) for this "
        "API."]
    captions = [c.value for c in at.caption]
    assert captions[0].startswith("What to do: Register or approve the app")
    assert captions[1] == "The marketplace said: “This publisher is not registered” (code 401)"


def test_error_box_shows_payload_text_as_text_not_markdown():
    hostile = "**Call** [support](https://evil.example) :red[now] <b>x</b> `code` #1"
    at = run_error_box("aliexpress-affiliate", aff(402, f"TrackingId {hostile}"))
    said = [c.value for c in at.caption if c.value.startswith("The marketplace said")]
    wj = "\u2060"          # lib.text.literal's word joiner: no autolink, no directive
    assert said == ["The marketplace said: “TrackingId \\*\\*Call\\*\\* \\[support\\]"
                    f"(https\\:{wj}//evil.example) \\:{wj}red\\[now\\] \\<b\\>x\\</b\\> "
                    "\\`code\\` \\#1” (code 402)"]
    assert not at.markdown                      # nothing rendered as Markdown of its own
