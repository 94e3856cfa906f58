"""The demo gateway through httpx: signatures, tokens, timestamps, ids, limits, hosts."""
from __future__ import annotations

import asyncio
import json
import shutil
from urllib.parse import parse_qsl

import httpx
import pytest

import lib.sandbox.gateway as gateway_module
from lib.errors import AuthError, ProductNotFound, RateLimited, UpstreamError
from lib.platforms import PLATFORMS, parse_payload
from lib.query import ProductQuery
from lib.sandbox import (DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxGateway, SandboxTransport,
                         fixture_ids, load_fixture)
from lib.signing import iop_sign, top_sign
from paths import REAL

NOW = 1_700_000_000.0                 # the gateway's fixed clock (seconds)
NOW_MS = int(NOW * 1000)
BACKPACK = "1005006789012345"         # 45 SKUs, 3 dimensions
BOTTLE = "1005005432109876"           # 1 SKU
CASE = "1005004321098765"             # 24 SKUs
CREDS = DEMO_CREDENTIALS["aliexpress"]
PLATFORM = PLATFORMS["aliexpress"]


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def gateway(clock):
    return SandboxGateway(clock=clock)


@pytest.fixture
def client(gateway):
    with httpx.Client(transport=SandboxTransport(gateway)) as http:
        yield http


def signed(product_id: str = BACKPACK, credentials=None, timestamp_ms: int = NOW_MS,
           **query) -> httpx.Request:
    return PLATFORM.build_request(ProductQuery("aliexpress", product_id, **query),
                                  credentials if credentials is not None else CREDS,
                                  timestamp_ms=timestamp_ms)


def without_import_charges(body: dict) -> dict:
    """A product answer without the per-SKU import-charge estimate the gateway adds for
    US buyers (lib.sandbox.freight), to compare with the fixture file."""
    copied = json.loads(json.dumps(body))
    result = copied.get("aliexpress_ds_product_get_response", {}).get("result", {})
    for sku in result.get("ae_item_sku_info_dtos", {}).get("ae_item_sku_info_d_t_o", []):
        sku.pop("estimated_import_charges", None)
        sku.pop("tax_currency_code", None)
    return copied


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def resend(params: dict[str, str], url: str = "https://api-sg.aliexpress.com/sync"
           ) -> httpx.Request:
    return httpx.Request("POST", url, data=params)


def error_of(response: httpx.Response) -> dict:
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["error_response"]
    return body["error_response"]


# --- the happy path ------------------------------------------------------------------
@pytest.mark.parametrize("product_id, sku_count, properties", [
    (BACKPACK, 45, ["Color", "Size", "Ships From"]),
    (BOTTLE, 1, []),
    (CASE, 24, ["Color", "Compatible Model"]),
])
def test_signed_request_returns_the_fixture(client, product_id, sku_count, properties):
    response = client.send(signed(product_id))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert without_import_charges(body) == load_fixture("aliexpress", product_id)
    product = parse_payload("aliexpress", response.content)
    assert product.product_id == product_id
    assert len(product.skus) == sku_count
    assert product.sku_properties == properties


def test_demo_products_are_the_bundled_fixtures():
    assert [q.product_id for q in DEMO_PRODUCTS if q.platform == "aliexpress"][:3] == \
        [BACKPACK, BOTTLE, CASE]
    assert {BACKPACK, BOTTLE, CASE} <= set(fixture_ids("aliexpress"))


def test_request_counted(client, gateway):
    client.send(signed())
    client.send(signed(BOTTLE))
    assert gateway.calls == 2 and gateway.rate_limited == 0


def test_parameters_in_the_url_query_are_accepted(client):
    params = form(signed())
    response = client.post("https://api-sg.aliexpress.com/sync", params=params)
    assert without_import_charges(response.json()) == load_fixture("aliexpress", BACKPACK)


def test_async_client_gets_the_same_answer(gateway):
    async def fetch():
        async with httpx.AsyncClient(transport=SandboxTransport(gateway)) as http:
            return await http.send(signed())
    response = asyncio.run(fetch())
    assert without_import_charges(response.json()) == load_fixture("aliexpress", BACKPACK)


# --- signature, key, token -----------------------------------------------------------
def test_wrong_secret_is_incomplete_signature(client):
    response = client.send(signed(credentials={**CREDS, "app_secret": "not-the-secret"}))
    error = error_of(response)
    assert error["code"] == "IncompleteSignature"
    assert error["type"] == "ISV"
    assert error["msg"] == "The request signature does not conform to platform standards"
    with pytest.raises(AuthError, match="signature"):
        parse_payload("aliexpress", response.content)


@pytest.mark.parametrize("name, value", [("product_id", BOTTLE), ("ship_to_country", "BR"),
                                         ("session", "demo-session-token "),
                                         ("timestamp", str(NOW_MS + 1))])
def test_tampering_after_signing_is_incomplete_signature(client, name, value):
    params = form(signed())
    params[name] = value
    assert error_of(client.send(resend(params)))["code"] == "IncompleteSignature"


def test_added_parameter_after_signing_is_incomplete_signature(client):
    params = form(signed())
    params["target_language"] = "pt"
    params["extra"] = "1"
    assert error_of(client.send(resend(params)))["code"] == "IncompleteSignature"


def test_sign_in_lower_case_is_rejected(client):
    params = form(signed())
    params["sign"] = params["sign"].lower()
    assert error_of(client.send(resend(params)))["code"] == "IncompleteSignature"


def test_wrong_app_key(client):
    response = client.send(signed(credentials={**CREDS, "app_key": "500001"}))
    error = error_of(response)
    assert error["code"] == "InvalidAppKey"
    with pytest.raises(AuthError, match="app key"):
        parse_payload("aliexpress", response.content)


def test_missing_session_is_missing_parameter(client):
    request = signed(credentials={k: v for k, v in CREDS.items() if k != "access_token"})
    assert "session" not in form(request)
    response = client.send(request)
    error = error_of(response)
    assert error["code"] == "MissingParameter"
    assert "“access_token”" in error["msg"]
    with pytest.raises(AuthError, match="No access token"):
        parse_payload("aliexpress", response.content)


def test_wrong_token_is_illegal_access_token(client):
    response = client.send(signed(credentials={**CREDS, "access_token": "expired-token"}))
    error = error_of(response)
    assert error["code"] == "IllegalAccessToken"
    with pytest.raises(AuthError, match="access token is invalid"):
        parse_payload("aliexpress", response.content)


@pytest.mark.parametrize("missing", ["app_key", "method", "timestamp", "sign", "sign_method"])
def test_missing_required_parameter(client, missing):
    params = form(signed())
    del params[missing]
    error = error_of(client.send(resend(params)))
    assert error["code"] == "MissingParameter"
    assert f"“{missing}”" in error["msg"]


def test_unknown_method(client):
    params = form(signed())
    params["method"] = "aliexpress.ds.order.create"
    params["sign"] = iop_sign(CREDS["app_secret"], params)
    error = error_of(client.send(resend(params)))
    assert error["code"] == "InvalidMethod"


def test_unknown_sign_method_is_rejected(client):
    params = form(signed())
    params["sign_method"] = "sha1"
    params["sign"] = iop_sign(CREDS["app_secret"], params)
    assert error_of(client.send(resend(params)))["code"] == "IncompleteSignature"


# --- timestamps ------------------------------------------------------------------------
@pytest.mark.parametrize("offset_ms", [-16 * 60 * 1000, 16 * 60 * 1000, -NOW_MS + 1000])
def test_stale_or_future_timestamp(client, offset_ms):
    response = client.send(signed(timestamp_ms=NOW_MS + offset_ms))
    error = error_of(response)
    assert error["code"] == "InvalidTimestamp"
    with pytest.raises(UpstreamError, match="clock"):
        parse_payload("aliexpress", response.content)


@pytest.mark.parametrize("offset_ms", [-14 * 60 * 1000, 14 * 60 * 1000, 0])
def test_timestamp_within_tolerance(client, offset_ms):
    response = client.send(signed(timestamp_ms=NOW_MS + offset_ms))
    assert "aliexpress_ds_product_get_response" in response.json()


def test_timestamp_in_seconds_is_rejected(client):
    params = form(signed())
    params["timestamp"] = str(int(NOW))
    params["sign"] = iop_sign(CREDS["app_secret"], {k: v for k, v in params.items()
                                                    if k != "sign"})
    assert error_of(client.send(resend(params)))["code"] == "InvalidTimestamp"


# --- unknown ids -----------------------------------------------------------------------
@pytest.mark.parametrize("product_id", ["1000000000001", "1005000000000000"])
def test_unknown_id_gets_the_605_body(client, product_id):
    response = client.send(signed(product_id))
    body = response.json()["aliexpress_ds_product_get_response"]
    assert (body["rsp_code"], body["rsp_msg"]) == (605, "ITEM_ID_NOT_FOUND")
    assert "result" not in body and len(body["request_id"]) == 25
    real = json.loads((REAL / "errors" /
                       "Adnan-Zulfiqar__ds-platform__product_get_phase6_live_605.json"
                       ).read_text())["aliexpress_ds_product_get_response"]
    assert type(body["rsp_code"]) is type(real["rsp_code"])
    assert body["rsp_msg"] == real["rsp_msg"]
    with pytest.raises(ProductNotFound):
        parse_payload("aliexpress", response.content)


@pytest.mark.parametrize("product_id", ["../aliexpress/" + BACKPACK, "", "catalogue",
                                        BACKPACK + "/../" + BACKPACK])
def test_fixture_lookup_refuses_paths(product_id):
    assert load_fixture("aliexpress", product_id) is None


def test_path_like_product_id_is_not_served(client):
    params = form(signed())
    params["product_id"] = "../aliexpress/" + BACKPACK
    params["sign"] = iop_sign(CREDS["app_secret"], {k: v for k, v in params.items()
                                                    if k != "sign"})
    body = client.send(resend(params)).json()
    assert body["aliexpress_ds_product_get_response"]["rsp_code"] == 605


# --- rate limit --------------------------------------------------------------------------
def test_qps_limit_answers_api_call_limit(clock):
    gateway = SandboxGateway(clock=clock, qps_limit=3)
    with httpx.Client(transport=SandboxTransport(gateway)) as http:
        answers = [http.send(signed()).json() for _ in range(5)]
        assert ["error_response" in a for a in answers] == [False, False, False, True, True]
        error = answers[3]["error_response"]
        assert error["code"] == "ApiCallLimit"
        assert error["msg"].endswith("this ban will last 1 seconds")
        with pytest.raises(RateLimited) as info:
            parse_payload("aliexpress", json.dumps(answers[3]))
        assert info.value.retry_after == 2.0
        assert (gateway.calls, gateway.rate_limited) == (5, 2)

        clock.now += 0.999                        # still the same one-second window
        assert "error_response" in http.send(signed()).json()
        clock.now += 0.001                        # a full second after the first call
        assert "error_response" not in http.send(signed()).json()


def test_qps_limit_counts_a_sliding_window(clock):
    gateway = SandboxGateway(clock=clock, qps_limit=2)
    with httpx.Client(transport=SandboxTransport(gateway)) as http:
        seen = []
        for _ in range(6):                        # one call every 0.4 s
            answer = http.send(signed(timestamp_ms=int(clock.now * 1000))).json()
            seen.append("error_response" in answer)
            clock.now += 0.4
        # t=0 ok, 0.4 ok, 0.8 limited, 1.2 ok (t=0 left), 1.6 ok (0.4 left)... 2.0 limited
        assert seen == [False, False, True, False, False, True]


def test_no_qps_limit_by_default(client, gateway):
    assert all("error_response" not in client.send(signed()).json() for _ in range(20))
    assert gateway.rate_limited == 0


# --- other hosts ----------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "https://evil.example/sync",
    "https://api-sg.aliexpress.com.evil.example/sync",
    "https://aliexpress.com/sync",
    "https://api-sg.aliexpress.com/rest",
    "https://api-sg.aliexpress.com/sync/extra",
    "https://api-sg.aliexpress.com/",
])
def test_other_hosts_and_paths_get_no_product_data(client, url):
    request = httpx.Request("POST", url, data=form(signed()))
    response = client.send(request)
    assert response.status_code == 404
    assert response.text == "Not Found"
    assert "aliexpress_ds_product_get_response" not in response.text


# --- the TOP router style --------------------------------------------------------------
def top_params(sign_method: str) -> dict[str, str]:
    params = {"app_key": CREDS["app_key"], "method": "aliexpress.ds.product.get",
              "timestamp": str(NOW_MS), "sign_method": sign_method, "format": "json",
              "v": "2.0", "session": CREDS["access_token"], "product_id": BOTTLE}
    params["sign"] = top_sign(CREDS["app_secret"], params, sign_method)
    return params


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
def test_top_router_serves_top_signed_requests(client, sign_method):
    response = client.send(resend(top_params(sign_method), "https://eco.taobao.com/router/rest"))
    assert response.json() == load_fixture("aliexpress", BOTTLE)


def test_top_router_errors_have_integer_codes(client):
    params = top_params("md5")
    params["sign"] = "0" * 32
    error = error_of(client.send(resend(params, "https://api.taobao.com/router/rest")))
    assert error["code"] == 25 and error["sub_code"] == "isv.invalid-signature"
    assert len(error["request_id"]) == 12
    with pytest.raises(AuthError, match="signature"):
        parse_payload("aliexpress", {"error_response": error})


def test_top_router_refuses_sha256(client):
    params = top_params("md5")
    params["sign_method"] = "sha256"
    params["sign"] = iop_sign(CREDS["app_secret"], {k: v for k, v in params.items()
                                                    if k != "sign"})
    assert error_of(client.send(resend(params, "https://eco.taobao.com/router/rest")))[
        "code"] == 25


# --- fixtures read at call time ---------------------------------------------------------
def test_fixture_folder_can_be_swapped(monkeypatch, tmp_path, client):
    folder = tmp_path / "aliexpress"
    folder.mkdir()
    shutil.copy(REAL / "ds" / "Adnan-Zulfiqar__ds-platform__product.json",
                folder / "1005006575315437.json")
    monkeypatch.setattr(gateway_module, "FIXTURES", tmp_path)
    assert fixture_ids("aliexpress") == ["1005006575315437"]
    product = parse_payload("aliexpress", client.send(signed("1005006575315437")).content)
    assert len(product.skus) == 12 and product.sku_properties == ["Color", "Material"]
    body = client.send(signed(BACKPACK)).json()["aliexpress_ds_product_get_response"]
    assert body["rsp_code"] == 605
