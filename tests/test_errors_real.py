"""Gateway error envelopes (real captures and synthetic ones) -> the right FetchError."""
from __future__ import annotations

import json

import pytest

from lib.errors import (AuthError, BadResponse, FetchError, InvalidQuery,
                        NotAvailableInCountry, ProductNotFound, RateLimited, UpstreamError)
from lib.platforms import PLATFORMS, parse_payload
from lib.platforms.envelopes import ban_seconds
from paths import REAL

ERRORS = REAL / "errors"
TUYA_FILE = "tuya__tuya-iot-python-sdk__ISSUE-76_tuya_1010_token_invalid.json"

# file -> (error class, code, retry_after, words in the user message)
REAL_CASES = {
    "Adnan-Zulfiqar__ds-platform__commissionorder_list_live_ApiCallLimit.json":
        (RateLimited, "ApiCallLimit", 2.0, ("wait 2 seconds",)),
    "Adnan-Zulfiqar__ds-platform__product_get_phase6_live_605.json":
        (ProductNotFound, "605", None, ("No product with this ID",)),
    "Joyron1__matzati__ds_product_get_no_session_MissingParameter.json":
        (AuthError, "MissingParameter", None, ("access token",)),
    "aliyun-UED__aliyun-sdk-js__ISSUE-109_TOP_error_response_code11_subcode.json":
        (AuthError, "11", None, ("not allowed", "permission")),
}


def test_every_error_file_is_covered():
    names = sorted(p.name for p in ERRORS.iterdir())
    assert names == sorted([*REAL_CASES, TUYA_FILE])


def assert_plain(error: FetchError, *raw_codes: str) -> None:
    message = error.user_message
    assert message and message[0].isupper() and message.rstrip().endswith(".")
    for code in raw_codes:
        if code:
            assert code not in message
    for technical in ("error_response", "{", "}", "Traceback", "sub_code", "rsp_code",
                      "request_id", "isv.", "isp."):
        assert technical not in message


@pytest.mark.parametrize("name", sorted(REAL_CASES))
@pytest.mark.parametrize("form", ["bytes", "str", "dict"])
def test_real_error_files(name, form):
    cls, code, retry_after, words = REAL_CASES[name]
    data = (ERRORS / name).read_bytes()
    payload = {"bytes": data, "str": data.decode("utf-8"), "dict": json.loads(data)}[form]
    with pytest.raises(FetchError) as info:
        parse_payload("aliexpress", payload)
    error = info.value
    assert type(error) is cls
    assert error.code == code
    assert error.retry_after == retry_after
    assert error.retryable is (cls is RateLimited)
    for word in words:
        assert word in error.user_message
    assert code in error.detail                   # the technical cause is kept for logs
    assert_plain(error, code)


def test_real_api_call_limit_detail_keeps_the_gateway_message():
    data = (ERRORS / "Adnan-Zulfiqar__ds-platform__commissionorder_list_live_ApiCallLimit.json"
            ).read_bytes()
    with pytest.raises(RateLimited) as info:
        parse_payload("aliexpress", data)
    assert info.value.detail == ("ApiCallLimit / Api access frequency exceeds the limit. "
                                 "this ban will last 1 seconds")


def test_real_top_permission_detail_has_sub_code():
    data = (ERRORS / "aliyun-UED__aliyun-sdk-js__ISSUE-109_TOP_error_response_code11_subcode"
                     ".json").read_bytes()
    with pytest.raises(AuthError) as info:
        parse_payload("aliexpress", data)
    assert "isv.permission-api-package-limit" in info.value.detail
    assert "scope ids is 11022 11600 11863" in info.value.detail


def test_tuya_file_is_not_an_aliexpress_product():
    """Fed to the AliExpress parser, the Tuya envelope is still an error with the
    gateway's words (one rule for every platform), never a Product or BadResponse."""
    data = (ERRORS / TUYA_FILE).read_bytes()
    assert "tuya" in PLATFORMS
    with pytest.raises(UpstreamError) as info:
        parse_payload("aliexpress", data)
    assert info.value.code == "1010" and info.value.gateway_message == "token invalid"


# file -> (the gateway's own words, words of the hint)
REAL_WORDS = {
    "Adnan-Zulfiqar__ds-platform__commissionorder_list_live_ApiCallLimit.json":
        ("Api access frequency exceeds the limit. this ban will last 1 seconds",
         "Wait 2 seconds"),
    "Adnan-Zulfiqar__ds-platform__product_get_phase6_live_605.json":
        ("ITEM_ID_NOT_FOUND", "Check the product ID or paste"),
    "Joyron1__matzati__ds_product_get_no_session_MissingParameter.json":
        ("The input parameter “access_token” that is mandatory for processing this request "
         "is not supplied", "Add the access token to the settings"),
    "aliyun-UED__aliyun-sdk-js__ISSUE-109_TOP_error_response_code11_subcode.json":
        ("Insufficient isv permissions: scope ids is 11022 11600 11863",
         "Ask for this API's permission"),
}


@pytest.mark.parametrize("name", sorted(REAL_CASES))
def test_real_error_files_carry_the_gateways_words_and_a_hint(name):
    with pytest.raises(FetchError) as info:
        parse_payload("aliexpress", (ERRORS / name).read_bytes())
    said, hint = REAL_WORDS[name]
    assert info.value.gateway_message == said
    assert hint in info.value.hint
    assert info.value.hint not in info.value.user_message     # adds to it, not repeats


def iop(code, msg, **extra):
    return {"error_response": {"type": "ISV", "code": code, "msg": msg,
                               "request_id": "2140d6a517855321087302643", **extra}}


def top(code, msg, sub_code=None, sub_msg=None):
    body = {"code": code, "msg": msg, "request_id": "iv0aea4gb8jq"}
    if sub_code:
        body.update(sub_code=sub_code, sub_msg=sub_msg or "")
    return {"error_response": body}


def ds(rsp_code, rsp_msg):
    return {"aliexpress_ds_product_get_response": {"rsp_code": rsp_code, "rsp_msg": rsp_msg,
                                                   "request_id": "212a639d17855375973415575"}}


SYNTHETIC = [
    ("IncompleteSignature", iop("IncompleteSignature", "The request signature does not "
                                "conform to platform standards"),
     AuthError, "IncompleteSignature", None, "signature"),
    ("IllegalAccessToken", iop("IllegalAccessToken", "Illegal access token"),
     AuthError, "IllegalAccessToken", None, "access token is invalid or has expired"),
    ("InvalidAppKey", iop("InvalidAppKey", "Invalid app Key"),
     AuthError, "InvalidAppKey", None, "app key"),
    ("InvalidTimestamp", iop("InvalidTimestamp", "The request has expired"),
     UpstreamError, "InvalidTimestamp", None, "clock"),
    ("rsp_code 602", ds(602, "Item is not allowed to this country"),
     NotAvailableInCountry, "602", None, "ship-to country"),
    ("rsp_code 602 as string", ds("602", "Item is not allowed to this country"),
     NotAvailableInCountry, "602", None, "ship-to country"),
    ("rsp_code 404 System Error", ds(404, "System Error"),
     UpstreamError, "404", None, "answered with an error"),
    ("rsp_code 605 as string", ds("605", "ITEM_ID_NOT_FOUND"),
     ProductNotFound, "605", None, "No product with this ID"),
    ("rsp_code 401", ds(401, "Unauthorized"), AuthError, "401", None, "credentials"),
    ("TOP 7 ban 3 seconds", top(7, "App Call Limited",
                                "accesscontrol.limited-by-app-access-count",
                                "This ban will last 3 more seconds"),
     RateLimited, "7", 4.0, "wait 4 seconds"),
    ("TOP 15 product not exist", top(15, "Remote service error", "isp.product.not.exist",
                                     "product not exist"),
     ProductNotFound, "15", None, "No product with this ID"),
    ("TOP 15 invalid parameter", top(15, "Remote service error", "isv.invalid-parameter",
                                     "product_id is invalid"),
     InvalidQuery, "15", None, "did not accept the request"),
    ("TOP 25 bad signature", top(25, "Invalid signature"), AuthError, "25", None, "signature"),
    ("TOP 27 bad session", top(27, "Invalid session"), AuthError, "27", None, "access token"),
    ("TOP 11 as string", top("11", "Insufficient isv permissions"),
     AuthError, "11", None, "permission"),
    ("unknown ISP error", iop("InternalError", "boom"), UpstreamError, "InternalError", None,
     "answered with an error"),
]


@pytest.mark.parametrize("body, cls, code, retry_after, words",
                         [s[1:] for s in SYNTHETIC], ids=[s[0] for s in SYNTHETIC])
def test_synthetic_gateway_errors(body, cls, code, retry_after, words):
    for payload in (body, json.dumps(body), json.dumps(body).encode()):
        with pytest.raises(FetchError) as info:
            parse_payload("aliexpress", payload)
        error = info.value
        assert type(error) is cls
        assert error.code == code
        assert error.retry_after == retry_after
        assert words in error.user_message
        assert_plain(error, code if len(code) > 2 else "")
        assert str(error).startswith(error.user_message)


@pytest.mark.parametrize("message, seconds", [
    ("Api access frequency exceeds the limit. this ban will last 1 seconds", 2.0),
    ("This ban will last 3 more seconds", 4.0),
    ("This ban will last for 10 more seconds", 11.0),
    ("this BAN will last 0.5 seconds", 1.5),
    ("no number here", None), ("", None)])
def test_ban_seconds(message, seconds):
    assert ban_seconds(message) == seconds


def test_rate_limit_without_seconds_waits_one_second():
    with pytest.raises(RateLimited) as info:
        parse_payload("aliexpress", iop("ApiCallLimit", "Api access frequency exceeds the "
                                                        "limit"))
    assert info.value.retry_after == 1.0


@pytest.mark.parametrize("body, detail_start", [
    (b"", "empty body"),
    (b"   \r\n ", "empty body"),
    ("\ufeff", "empty body"),
    ("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
     "the answer is an HTML page"),
    (b"<!DOCTYPE html><html><body>Access denied</body></html>", "the answer is an HTML page"),
    ("Service Unavailable", "the answer is text that is not JSON"),
    (b"\xff\xfe\x00garbage", "the answer is text that is not JSON"),
    ('{"aliexpress_ds_product_get_response": {"rsp_code": 200, "resu', "the answer is text"),
])
def test_non_json_bodies_are_bad_response(body, detail_start):
    with pytest.raises(BadResponse) as info:
        parse_payload("aliexpress", body)
    error = info.value
    assert error.detail.startswith(detail_start)
    assert_plain(error)
    assert "<html" not in error.user_message.lower()
    if detail_start != "empty body":
        assert error.raw is not None and len(error.raw) <= 2000


def test_transient_top_service_error_is_retryable_and_plain():
    from lib.errors import UpstreamError
    from lib.platforms.envelopes import gateway_error

    error = gateway_error({"error_response": {"code": 15, "msg": "Remote service error",
                                              "sub_code": "isp.remote-service-timeout",
                                              "sub_msg": "timeout"}})
    assert type(error) is UpstreamError and error.retryable
    assert "temporary problem" in error.user_message
    not_found = gateway_error({"error_response": {"code": 15, "msg": "Remote service error",
                                                  "sub_code": "isp.product.not.exist"}})
    assert not getattr(not_found, "retryable", False)


def test_long_ban_is_told_in_minutes():
    from lib.platforms.envelopes import gateway_error

    error = gateway_error({"error_response": {"code": 7, "msg": "App Call Limited",
                                              "sub_msg": "This ban will last 599 more seconds"}})
    assert error.retry_after == 600.0
    assert "10 minutes" in error.user_message
