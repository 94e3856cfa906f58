"""fetch_product / fetch_many: demo mode, retries, waits, error mapping, no leaked secrets.

No network and no real sleeping: transports are the sandbox or httpx.MockTransport, the
retry sleep is a recording fake, and the client-side rate limiter is replaced by a fake
that only counts (the real RateLimiter is tested at the end with a fake clock).
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import datetime, timezone
from urllib.parse import parse_qsl

import httpx
import pytest

import lib.client as client_module
from lib.client import RetryPolicy, fetch_many, fetch_product
from lib.errors import (AuthError, BadResponse, FetchError, InvalidQuery, NetworkError,
                        ProductNotFound, RateLimited, UpstreamError)
from lib.model import Product
from lib.query import ProductQuery
from lib.ratelimit import SAFETY_MARGIN, RateLimiter
from lib.sandbox import SandboxGateway, SandboxTransport
from lib.signing import iop_sign
from paths import REAL

NOW = 1_700_000_000.0
BACKPACK, BOTTLE, CASE = "1005006789012345", "1005005432109876", "1005004321098765"
UNKNOWN = "1000000000001"
REAL_ID = "1005006575315437"
REAL_BODY = (REAL / "ds" / "Adnan-Zulfiqar__ds-platform__product.json").read_bytes()
NOT_FOUND_BODY = (REAL / "errors" / "Adnan-Zulfiqar__ds-platform__product_get_phase6_live_605"
                                    ".json").read_bytes()
SECRET = "S3cr3t-App-Secret-0123456789"
TOKEN = "50000601234TokenSecret-abcdef"
CREDS = {"app_key": "34567890", "app_secret": SECRET, "access_token": TOKEN}


def clock():
    return NOW


class Sleeps(list):
    """Records the waits; a list, so empty and falsy at first (the client must still use
    it rather than fall back to asyncio.sleep)."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


class FakeLimiter:
    def __init__(self) -> None:
        self.waits = 0
        self.qps: list[float] = []

    async def wait(self, sleep=None) -> None:
        self.waits += 1


@pytest.fixture(autouse=True)
def limiter(monkeypatch):
    fake = FakeLimiter()

    def make(qps, **_):
        fake.qps.append(qps)
        return fake
    monkeypatch.setattr(client_module, "shared_limiter", lambda platform, qps, **_: make(qps))
    monkeypatch.setattr(client_module, "RateLimiter", make)
    return fake


@pytest.fixture
def sleeps():
    return Sleeps()


class Script:
    """A MockTransport handler answering from a list of responses, recording requests."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def ok(body: bytes = REAL_BODY) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "application/json"})


def query(product_id: str = REAL_ID, **kw) -> ProductQuery:
    return ProductQuery("aliexpress", product_id, **kw)


def live(script: Script, sleeps: Sleeps, **kw):
    return fetch_product(query(), credentials=CREDS, transport=script.transport, clock=clock,
                         sleep=sleeps, seed=1, **kw)


# --- demo mode -----------------------------------------------------------------------
def test_demo_fetch_product(limiter):
    q = query(BACKPACK)
    product = fetch_product(q, clock=clock)
    assert isinstance(product, Product)
    assert product.demo is True
    assert product.fetched_at == datetime.fromtimestamp(NOW, tz=timezone.utc)
    assert product.query is q
    assert product.product_id == BACKPACK
    assert len(product.skus) == 45
    assert product.sku_properties == ["Color", "Size", "Ships From"]
    assert limiter.waits == 1 and limiter.qps == [10.0]       # the platform's own qps


def test_demo_fetch_product_unknown_id_raises_not_found():
    with pytest.raises(ProductNotFound) as info:
        fetch_product(query(UNKNOWN), clock=clock)
    assert info.value.code == "605"


def test_demo_fetch_many_keeps_input_order_and_reports_progress():
    ids = [CASE, UNKNOWN, BACKPACK, "1000000000002", BOTTLE]
    progress = []
    results = fetch_many([query(i) for i in ids], clock=clock, concurrency=3,
                         on_progress=lambda done, total, r: progress.append((done, total, r)))
    assert [type(r).__name__ for r in results] == [
        "Product", "ProductNotFound", "Product", "ProductNotFound", "Product"]
    assert [r.product_id for r in results if isinstance(r, Product)] == [CASE, BACKPACK, BOTTLE]
    assert [len(r.skus) for r in results if isinstance(r, Product)] == [24, 45, 1]
    assert all(r.demo for r in results if isinstance(r, Product))
    assert [p[0] for p in progress] == [1, 2, 3, 4, 5]
    assert {p[1] for p in progress} == {5}
    assert {id(p[2]) for p in progress} == {id(r) for r in results}


def test_fetch_many_of_nothing():
    calls = []
    assert fetch_many([], on_progress=lambda *a: calls.append(a)) == []
    assert calls == []


def test_demo_sandbox_shares_the_injected_clock():
    # A fixed clock far from the real time still signs timestamps the demo accepts.
    product = fetch_product(query(BOTTLE), clock=lambda: 1_500_000_000.0)
    assert product.fetched_at.year == 2017


def test_unknown_platform_in_a_batch_is_invalid_query():
    results = fetch_many([ProductQuery("ebay", "123"), query(BOTTLE)], clock=clock)
    assert isinstance(results[0], InvalidQuery)
    assert "ebay" in results[0].user_message
    assert isinstance(results[1], Product)


def test_explicit_sandbox_transport_with_a_rate_limit(sleeps):
    gateway = SandboxGateway(clock=clock, qps_limit=1)
    results = fetch_many([query(BACKPACK), query(BOTTLE)], transport=SandboxTransport(gateway),
                         clock=clock, sleep=sleeps, concurrency=1)
    # The second call hits ApiCallLimit ("ban will last 1 seconds"), waits 2 s as advised;
    # the sandbox clock never moves, so every retry is limited until attempts run out.
    assert isinstance(results[0], Product)
    assert isinstance(results[1], RateLimited) and results[1].retry_after == 2.0
    assert sleeps == [2.0, 2.0, 2.0]
    assert gateway.calls == 5 and gateway.rate_limited == 4


def test_fetch_product_inside_a_running_event_loop():
    async def main():
        return fetch_product(query(BOTTLE), clock=clock)
    product = asyncio.run(main())
    assert product.product_id == BOTTLE and product.demo is True


# --- the request on the wire ---------------------------------------------------------
def test_request_is_a_signed_form_post(sleeps):
    script = Script(ok())
    product = live(script, sleeps)
    assert product.demo is False and product.product_id == REAL_ID
    (request,) = script.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api-sg.aliexpress.com/sync"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    params = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
    assert params["method"] == "aliexpress.ds.product.get"
    assert params["sign_method"] == "sha256"
    assert re.fullmatch(r"\d{13}", params["timestamp"])
    assert params["timestamp"] == str(int(NOW * 1000))
    assert params["session"] == TOKEN
    assert params["app_key"] == "34567890"
    assert params["product_id"] == REAL_ID
    assert (params["ship_to_country"], params["target_currency"],
            params["target_language"]) == ("US", "USD", "en")
    assert params["remove_personal_benefit"] == "false"
    assert all(value != "" for value in params.values())
    assert SECRET not in request.content.decode()
    assert params["sign"] == iop_sign(SECRET, {k: v for k, v in params.items() if k != "sign"})


def test_request_carries_the_query_locale(sleeps):
    script = Script(ok())
    fetch_product(query(country="BR", currency="BRL", language="pt_BR"), credentials=CREDS,
                  transport=script.transport, clock=clock, sleep=sleeps)
    params = dict(parse_qsl(script.requests[0].content.decode()))
    assert (params["ship_to_country"], params["target_currency"],
            params["target_language"]) == ("BR", "BRL", "pt_BR")


def test_no_empty_parameters_are_sent(sleeps):
    script = Script(ok())
    fetch_product(query(), credentials={**CREDS, "access_token": ""},
                  transport=script.transport, clock=clock, sleep=sleeps)
    params = dict(parse_qsl(script.requests[0].content.decode(), keep_blank_values=True))
    assert "session" not in params
    assert all(value != "" for value in params.values())


def test_credentials_keyed_by_platform(sleeps):
    script = Script(ok())
    product = fetch_product(query(), credentials={"aliexpress": CREDS},
                            transport=script.transport, clock=clock, sleep=sleeps)
    assert product.demo is False
    assert dict(parse_qsl(script.requests[0].content.decode()))["session"] == TOKEN


def test_live_fetched_at_and_query(sleeps):
    q = query()
    product = fetch_product(q, credentials=CREDS, transport=Script(ok()).transport,
                            clock=clock, sleep=sleeps)
    assert product.fetched_at == datetime.fromtimestamp(NOW, tz=timezone.utc)
    assert product.query is q and len(product.skus) == 12


# --- retries -----------------------------------------------------------------------------
def test_http_500_then_success_is_retried(sleeps, limiter):
    script = Script(httpx.Response(500, text="<html>Internal Server Error</html>"), ok())
    product = live(script, sleeps)
    assert len(product.skus) == 12
    assert len(script.requests) == 2
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.5        # first back-off, jittered
    assert limiter.waits == 2                                    # every attempt is paced


def test_500_every_time_gives_upstream_error_after_max_attempts(sleeps):
    script = Script(httpx.Response(502, text="<html>Bad Gateway</html>"))
    with pytest.raises(UpstreamError) as info:
        live(script, sleeps)
    assert len(script.requests) == 4
    assert info.value.detail == "HTTP 502" and info.value.retryable is True
    assert "trouble" in info.value.user_message
    assert len(sleeps) == 3
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0 and 1.0 <= sleeps[2] <= 2.0


def test_429_retry_after_is_honoured(sleeps):
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    product = live(script, sleeps)
    assert product.product_id == REAL_ID
    assert sleeps == [7.0]
    assert len(script.requests) == 2


def test_429_with_a_long_retry_after_gives_up_at_once(sleeps):
    script = Script(httpx.Response(429, headers={"Retry-After": "120"}))
    with pytest.raises(RateLimited) as info:
        live(script, sleeps)
    assert info.value.retry_after == 120.0
    assert sleeps == [] and len(script.requests) == 1


def test_gateway_api_call_limit_waits_as_advised(sleeps):
    limit = (REAL / "errors" / "Adnan-Zulfiqar__ds-platform__commissionorder_list_live_"
                               "ApiCallLimit.json").read_bytes()
    script = Script(ok(limit), ok(limit), ok())
    product = live(script, sleeps)
    assert product.product_id == REAL_ID
    assert sleeps == [2.0, 2.0]


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("read timed out"),
                                 httpx.ConnectTimeout("connect timed out")])
def test_timeouts_become_network_error_after_max_attempts(sleeps, exc):
    script = Script(exc)
    with pytest.raises(NetworkError) as info:
        live(script, sleeps)
    assert len(script.requests) == 4 and len(sleeps) == 3
    assert info.value.user_message == ("The marketplace took too long to answer. Please "
                                       "try again.")
    assert info.value.detail == "timeout"


def test_connection_error_then_success(sleeps):
    script = Script(httpx.ConnectError("connection refused"), ok())
    assert live(script, sleeps).product_id == REAL_ID
    assert len(script.requests) == 2


def test_custom_policy_max_attempts(sleeps):
    script = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(NetworkError):
        live(script, sleeps, policy=RetryPolicy(max_attempts=2))
    assert len(script.requests) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("code", ["IncompleteSignature", "IllegalAccessToken",
                                  "InvalidAppKey"])
def test_auth_error_is_never_retried(sleeps, code):
    body = json.dumps({"error_response": {"type": "ISV", "code": code, "msg": "no",
                                          "request_id": "x"}}).encode()
    script = Script(ok(body))
    with pytest.raises(AuthError) as info:
        live(script, sleeps)
    assert info.value.code == code
    assert len(script.requests) == 1 and sleeps == []


def test_not_found_is_never_retried(sleeps):
    script = Script(ok(NOT_FOUND_BODY))
    with pytest.raises(ProductNotFound):
        live(script, sleeps)
    assert len(script.requests) == 1


def test_html_with_status_200_is_bad_response(sleeps):
    script = Script(httpx.Response(200, text="<!DOCTYPE html><html><body>Login</body></html>",
                                   headers={"content-type": "text/html"}))
    with pytest.raises(BadResponse) as info:
        live(script, sleeps)
    assert info.value.detail.startswith("the answer is an HTML page")
    assert info.value.raw.startswith("<!DOCTYPE html>")
    assert len(script.requests) == 1


def test_html_with_status_403_is_upstream_error(sleeps):
    script = Script(httpx.Response(403, text="<html>Forbidden</html>"))
    with pytest.raises(UpstreamError) as info:
        live(script, sleeps)
    assert info.value.detail == "HTTP 403" and len(script.requests) == 1


def test_empty_body_is_bad_response_and_retried(sleeps):
    script = Script(httpx.Response(200, content=b""))
    with pytest.raises(BadResponse) as info:
        live(script, sleeps)
    assert info.value.user_message == "The marketplace sent an empty answer. Please try again."
    assert info.value.detail == "HTTP 200, empty body"
    assert len(script.requests) == 4


def test_empty_body_then_success(sleeps):
    script = Script(httpx.Response(200, content=b"  \n"), ok())
    assert live(script, sleeps).product_id == REAL_ID
    assert len(script.requests) == 2


def test_oversized_body_is_bad_response(sleeps, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_BODY_BYTES", 1000)
    script = Script(ok())
    with pytest.raises(BadResponse, match="unexpectedly large"):
        live(script, sleeps)


def test_sync_only_transport_is_adapted(sleeps):
    class SyncOnly(httpx.BaseTransport):
        def __init__(self):
            self.calls = 0

        def handle_request(self, request):
            self.calls += 1
            return ok()

    transport = SyncOnly()
    product = fetch_product(query(), credentials=CREDS, transport=transport, clock=clock,
                            sleep=sleeps)
    assert product.product_id == REAL_ID and transport.calls == 1


def test_fetch_many_with_mock_transport_keeps_order(sleeps):
    def handler(request):
        product_id = dict(parse_qsl(request.content.decode()))["product_id"]
        return ok(REAL_BODY if product_id == REAL_ID else NOT_FOUND_BODY)

    progress = []
    results = fetch_many([query(UNKNOWN), query(), query("1000000000002")],
                         credentials=CREDS, transport=httpx.MockTransport(handler),
                         clock=clock, sleep=sleeps,
                         on_progress=lambda d, n, r: progress.append(d))
    assert [type(r) for r in results] == [ProductNotFound, Product, ProductNotFound]
    assert progress == [1, 2, 3]


def test_fetch_many_explicit_qps_builds_its_own_limiter(limiter, sleeps):
    fetch_many([query(), query()], credentials=CREDS, transport=Script(ok()).transport,
               clock=clock, sleep=sleeps, qps=2.5)
    # One limiter for the whole batch (pacing is shared), paced before each call.
    assert limiter.qps == [2.5] and limiter.waits == 2


# --- secrets -----------------------------------------------------------------------------
def echo_secrets(request: httpx.Request) -> httpx.Response:
    """A hostile answer quoting the request back, secrets included."""
    text = request.content.decode()
    body = {"error_response": {"type": "ISV", "code": "IllegalAccessToken",
                               "msg": f"Illegal access token {TOKEN} for secret {SECRET}; "
                                      f"request was {text}", "request_id": "x"}}
    return httpx.Response(200, json=body)


def echo_html(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500, text=f"<html>debug: {request.content.decode()} "
                                    f"secret={SECRET}</html>")


@pytest.mark.parametrize("handler, cls", [(echo_secrets, AuthError), (echo_html, UpstreamError)])
def test_secrets_never_leak(caplog, sleeps, handler, cls):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(FetchError) as info:
        fetch_product(query(), credentials=CREDS, transport=httpx.MockTransport(handler),
                      clock=clock, sleep=sleeps)
    error = info.value
    assert type(error) is cls
    texts = [str(error), repr(error), error.user_message, error.detail, error.raw or "",
             *map(str, error.args)]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records                         # the client did log the call
    for text in texts:
        assert SECRET not in text
        assert TOKEN not in text
    assert "***" in error.detail or "***" in (error.raw or "")


def test_debug_log_masks_the_token_and_signature(caplog, sleeps):
    caplog.set_level(logging.DEBUG, logger="lib.client")
    fetch_product(query(), credentials=CREDS, transport=Script(ok()).transport, clock=clock,
                  sleep=sleeps)
    messages = [r.getMessage() for r in caplog.records if r.name == "lib.client"]
    (line,) = [m for m in messages if "api-sg.aliexpress.com/sync" in m]
    assert "'session': '***'" in line and "'sign': '***'" in line
    assert TOKEN not in line and SECRET not in line
    assert "'product_id': '1005006575315437'" in line


# --- the real RateLimiter, with a fake clock ---------------------------------------------
def test_rate_limiter_spaces_calls_evenly():
    now = [100.0]
    waits = []

    async def fake_sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=fake_sleep)

    async def run():
        for _ in range(5):
            await limiter.wait()
    asyncio.run(run())
    # 4/s less the safety margin: evenly spaced, never closer than 1/4 s.
    interval = 1 / (4 * (1 - SAFETY_MARGIN))
    assert waits == pytest.approx([interval] * 4)
    assert min(waits) >= 0.25
    assert now[0] == pytest.approx(100.0 + 4 * interval)


def test_rate_limiter_reserve_books_future_slots():
    limiter = RateLimiter(10, clock=lambda: 5.0)
    step = 1 / (10 * (1 - SAFETY_MARGIN))
    assert [limiter.reserve() for _ in range(4)] == pytest.approx([0.0, step, 2 * step,
                                                                   3 * step])


@pytest.mark.parametrize("qps", [0, -1])
def test_rate_limiter_rejects_non_positive_qps(qps):
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(qps)
