"""Fault injection for every registered platform: network faults, gateway limits, bad
answers and expiring tokens, through the real client.

Each case runs live mode (the platform's demo credentials used as live ones) against
the sandbox gateway, with a fault injector in front of it (an httpx.MockTransport
handler): a scripted list of faults is answered first, then calls pass through to the
sandbox, which signs-checks and serves the real demo product. Error bodies are built in
each platform's own wire format (IOP error_response with string codes, TOP
error_response with integer codes and sub_code, Tuya envelopes) by the small helpers
below. Time is virtual: an injected clock that only the injected sleep moves, so the
waits are asserted exactly and nothing really sleeps. The client paces every request
(token calls too); here the pace is set so fast (PACE_QPS) that its microsecond waits
are told apart from the retry waits these tests are about (pacing has its own tests in
test_ratelimit.py).
"""
from __future__ import annotations

import email.utils
import json
from typing import Any, Callable

import httpx
import pytest

import lib.client as client_module
from lib.client import DEFAULT_POLICY, RAW_KEEP_CHARS, RetryPolicy, fetch_many
from lib.errors import (AuthError, BadResponse, FetchError, InvalidQuery, NetworkError,
                        ProductNotFound, RateLimited, UpstreamError)
from lib.model import Product
from lib.platforms import PLATFORMS, Token
from lib.platforms.base import Platform
from lib.query import ProductQuery
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxGateway, SandboxTransport
from lib.sandbox.gateway import IOP_HOST, TOP_HOSTS

NOW = 1_700_000_000.0
KEYS = list(PLATFORMS)
PACE_QPS = 1_000_000
PACING = 1e-3            # waits shorter than this are pacing, not retry waits


@pytest.fixture(autouse=True)
def fresh_tokens(monkeypatch):
    """Every test starts without cached tokens (and leaves none behind)."""
    monkeypatch.setattr(client_module, "_TOKENS", {})


# --- virtual time ------------------------------------------------------------------------
class FakeTime:
    """The injected clock; only the injected sleep (or a fault) moves it."""

    def __init__(self, start: float = NOW) -> None:
        self.now = start
        self.all_sleeps: list[float] = []

    @property
    def sleeps(self) -> list[float]:
        """The retry waits (pacing's microsecond waits left out)."""
        return [s for s in self.all_sleeps if s >= PACING]

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.all_sleeps.append(seconds)
        self.now += seconds


# --- each protocol's error bodies ----------------------------------------------------------
def protocol_of(key: str) -> str:
    """'iop', 'top' or 'tuya', from where the platform sends its requests."""
    platform = PLATFORMS[key]
    if platform.token_flow:
        return "tuya"
    request = platform.build_request(demo_query(key), DEMO_CREDENTIALS[key],
                                     timestamp_ms=int(NOW * 1000))
    if request.url.host == IOP_HOST:
        return "iop"
    assert request.url.host in TOP_HOSTS, request.url
    return "top"


def iop_error(code: str, msg: str) -> dict:
    return {"error_response": {"type": "ISV", "code": code, "msg": msg,
                               "request_id": "2140d6a517855321087302643"}}


def top_error(code: int, msg: str, sub_code: str, sub_msg: str) -> dict:
    return {"error_response": {"code": code, "msg": msg, "sub_code": sub_code,
                               "sub_msg": sub_msg, "request_id": "iv0aea4gb8jq"}}


def tuya_error(code: int, msg: str) -> dict:
    return {"code": code, "msg": msg, "success": False, "t": int(NOW * 1000),
            "tid": "27e13586e4be11eda0c0360158882c1b"}


ERROR_BODIES: dict[str, dict[str, dict]] = {
    "iop": {
        # The real capture's wording ("this ban will last 1 seconds"), here 3 seconds.
        "rate": iop_error("ApiCallLimit", "Api access frequency exceeds the limit. this "
                                          "ban will last 3 seconds"),
        "rate_long": iop_error("ApiCallLimit", "Api access frequency exceeds the limit. "
                                               "this ban will last 100 seconds"),
        "signature": iop_error("IncompleteSignature", "The request signature does not "
                                                      "conform to platform standards"),
        "token": iop_error("IllegalAccessToken", "Illegal access token"),
        "permission": iop_error("InsufficientPermission", "Insufficient permission"),
        "bad_param": iop_error("InvalidParameter", "The specified parameter product_id "
                                                   "is invalid"),
    },
    "top": {
        "rate": top_error(7, "App Call Limited", "accesscontrol.limited-by-api-access-count",
                          "This ban will last for 3 more seconds"),
        "rate_long": top_error(7, "App Call Limited",
                               "accesscontrol.limited-by-api-access-count",
                               "This ban will last for 100 more seconds"),
        "signature": top_error(25, "Invalid signature", "isv.invalid-signature",
                               "Invalid signature"),
        "token": top_error(27, "Invalid session", "isv.invalid-session",
                           "SessionKey is invalid"),
        # The real capture (aliyun-sdk-js issue 109).
        "permission": top_error(11, "Insufficient isv permissions",
                                "isv.permission-api-package-limit",
                                "scope ids is 11022 11600 11863"),
        "bad_param": top_error(15, "Remote service error", "isv.invalid-parameter",
                               "product_id is invalid"),
    },
    "tuya": {
        "rate": tuya_error(1110, "too many requests"),
        "rate_1199": tuya_error(1199, "request frequency is too high"),
        "signature": tuya_error(1004, "sign invalid"),
        "token": tuya_error(1010, "token invalid"),      # the real capture (SDK issue 76)
        "permission": tuya_error(1106, "permission deny"),
        "bad_param": tuya_error(1109, "param is illegal"),
    },
}
# What each kind of gateway error becomes, and words its message must have.
OUTCOMES: dict[str, tuple[type[FetchError], str]] = {
    "signature": (AuthError, "signature"),
    "token": (AuthError, "token"),
    "permission": (AuthError, "not allowed"),
    "bad_param": (InvalidQuery, "did not accept"),
}


# --- the harness ----------------------------------------------------------------------------
def demo_query(key: str) -> ProductQuery:
    queries = [q for q in DEMO_PRODUCTS if q.platform == key]
    if not queries or key not in DEMO_CREDENTIALS:
        pytest.skip(f"{key} has no demo product to fetch")
    return queries[0]


Fault = Callable[["Harness", httpx.Request], httpx.Response]


class Harness:
    """The client against the sandbox, behind a scripted fault injector."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.platform = PLATFORMS[key]
        self.query = demo_query(key)
        self.creds = dict(DEMO_CREDENTIALS[key])
        self.protocol = protocol_of(key)
        self.time = FakeTime()
        self.gateway = SandboxGateway(clock=self.time)
        self.sandbox = SandboxTransport(self.gateway)
        self.faults: list[Fault] = []
        self.calls = 0            # business calls that reached the injector
        self.token_calls = 0
        if self.platform.token_flow:
            # Get the token first, so every platform starts a case in the same place.
            assert isinstance(self._run(DEFAULT_POLICY, 0), Product)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.platform.token_flow and "/token" in request.url.path:
            self.token_calls += 1
            return self.sandbox.handle_request(request)
        self.calls += 1
        if self.faults:
            return self.faults.pop(0)(self, request)
        return self.sandbox.handle_request(request)

    def pass_through(self, request: httpx.Request) -> httpx.Response:
        """What the sandbox answers, read, so a fault can change it."""
        response = self.sandbox.handle_request(request)
        response.read()
        return response

    def fetch(self, *faults: Fault, policy: RetryPolicy = DEFAULT_POLICY, seed: int = 7
              ) -> Product | FetchError:
        self.faults = list(faults)
        self.calls = self.token_calls = 0
        self.time.all_sleeps.clear()
        self.started = self.time.now
        return self._run(policy, seed)

    def _run(self, policy: RetryPolicy, seed: int) -> Product | FetchError:
        (result,) = fetch_many([self.query], credentials=self.creds,
                               transport=httpx.MockTransport(self.handler), clock=self.time,
                               sleep=self.time.sleep, policy=policy, seed=seed,
                               qps=PACE_QPS)
        return result

    def error(self, kind: str) -> Fault:
        body = ERROR_BODIES[self.protocol].get(kind)
        if body is None:
            pytest.skip(f"{self.protocol} has no {kind} error")
        return answer(body)


def answer(body: Any, status: int = 200, headers: dict | None = None) -> Fault:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json;charset=UTF-8", **(headers or {})}
    return lambda h, request: httpx.Response(status, content=content, headers=headers)


def timeout(h: Harness, request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def connect_error(h: Harness, request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def slow_timeout(h: Harness, request: httpx.Request) -> httpx.Response:
    h.time.now += 10.0                   # the call hangs for 10 s, then times out
    raise httpx.ReadTimeout("timed out", request=request)


def server_error(status: int = 500, headers: dict | None = None) -> Fault:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    return lambda h, request: httpx.Response(status, content=page,
                                             headers={"content-type": "text/html",
                                                      **(headers or {})})


def empty(h: Harness, request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"", headers={"content-type": "application/json"})


def truncated(h: Harness, request: httpx.Request) -> httpx.Response:
    """The real answer, cut in the middle (a dropped connection a proxy hid)."""
    full = h.pass_through(request).content
    return httpx.Response(200, content=full[: len(full) // 2],
                          headers={"content-type": "application/json"})


def short_body(h: Harness, request: httpx.Request) -> httpx.Response:
    """The real answer less its last bytes, under its full Content-Length."""
    full = h.pass_through(request).content
    return httpx.Response(200, content=full[:-5],
                          headers={"content-type": "application/json",
                                   "content-length": str(len(full))})


def not_found(h: Harness, request: httpx.Request) -> httpx.Response:
    body = h.platform.sandbox_not_found("2140d6a517855321087302643", h.query.product_id)
    return answer(body)(h, request)


def backoff_range(attempt: int, policy: RetryPolicy = DEFAULT_POLICY) -> tuple[float, float]:
    base = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
    return base * (1 - policy.jitter), base


def assert_backoffs(sleeps: list[float]) -> None:
    for attempt, wait in enumerate(sleeps, start=1):
        low, high = backoff_range(attempt)
        assert low <= wait <= high, (attempt, wait)


def assert_plain(message: str) -> None:
    assert message and len(message) < 400
    for internal in ("Traceback", "Exception", "{", "}", "\\x", "None", "<html", "b'"):
        assert internal not in message, message


@pytest.fixture(params=KEYS)
def h(request) -> Harness:
    return Harness(request.param)


# --- the harness itself --------------------------------------------------------------------
def test_every_platform_is_covered():
    assert KEYS == ["aliexpress", "aliexpress-affiliate", "alibaba", "aliexpress-seller",
                    "tuya"][:len(KEYS)]
    assert {protocol_of(k) for k in KEYS if any(q.platform == k for q in DEMO_PRODUCTS)} \
        <= {"iop", "top", "tuya"}


def test_no_fault_fetches_the_demo_product(h):
    result = h.fetch()
    assert isinstance(result, Product), result
    assert result.product_id == h.query.product_id and result.demo is False
    assert h.calls == 1 and h.time.sleeps == []


# --- transient faults: retried, then the product -------------------------------------------
@pytest.mark.parametrize("fault", [timeout, connect_error, server_error(500),
                                   server_error(502), server_error(503), empty, truncated,
                                   short_body],
                         ids=["timeout", "connect-error", "http-500", "http-502", "http-503",
                              "empty-body", "truncated-json", "short-content-length"])
def test_transient_fault_then_success(h, fault):
    result = h.fetch(fault)
    assert isinstance(result, Product), result
    assert result.product_id == h.query.product_id
    assert h.calls == 2
    assert len(h.time.sleeps) == 1
    assert_backoffs(h.time.sleeps)


@pytest.mark.parametrize("fault", [timeout, connect_error, server_error(502), empty],
                         ids=["timeout", "connect-error", "http-502", "empty-body"])
def test_two_faults_back_off_exponentially(h, fault):
    result = h.fetch(fault, fault)
    assert isinstance(result, Product)
    assert h.calls == 3 and len(h.time.sleeps) == 2
    assert_backoffs(h.time.sleeps)
    assert h.time.sleeps[1] >= h.time.sleeps[0]


def test_jitter_spreads_the_waits():
    waits = set()
    for seed in range(6):
        harness = Harness("aliexpress")
        assert isinstance(harness.fetch(timeout, seed=seed), Product)
        waits.add(round(harness.time.sleeps[0], 6))
    assert len(waits) > 1                       # not every client waits the same


@pytest.mark.parametrize("kind", ["rate", "rate_1199"])
def test_gateway_rate_limit_waits_as_advised(h, kind):
    """IOP ApiCallLimit / TOP code 7 say "this ban will last N (more) seconds": wait N+1.
    Tuya 1110/1199 say nothing: wait a second."""
    result = h.fetch(h.error(kind))
    assert isinstance(result, Product), result
    assert h.calls == 2
    assert h.time.sleeps == [1.0 if h.protocol == "tuya" else 4.0]


def test_http_429_retry_after_seconds(h):
    result = h.fetch(server_error(429, {"Retry-After": "5"}))
    assert isinstance(result, Product)
    assert h.calls == 2 and h.time.sleeps == [5.0]


def test_http_429_retry_after_http_date(h):
    def limited(h, request):
        h.date = int(h.time.now) + 8                 # whole seconds, as HTTP dates are
        moment = email.utils.formatdate(h.date, usegmt=True)
        return server_error(429, {"Retry-After": moment})(h, request)
    result = h.fetch(limited)
    assert isinstance(result, Product)
    assert h.time.sleeps == [pytest.approx(h.date - (h.time.now - h.time.sleeps[0]))]
    assert 7.0 < h.time.sleeps[0] <= 8.0


def test_http_429_without_retry_after_backs_off(h):
    result = h.fetch(server_error(429))
    assert isinstance(result, Product)
    assert h.calls == 2
    assert_backoffs(h.time.sleeps)


def test_http_503_retry_after_is_honoured(h):
    result = h.fetch(server_error(503, {"Retry-After": "3"}))
    assert isinstance(result, Product)
    assert h.time.sleeps == [3.0]


# --- transient faults that do not go away: a plain error after bounded tries ------------
@pytest.mark.parametrize("fault, cls, words", [
    (timeout, NetworkError, "took too long"),
    (connect_error, NetworkError, "Could not reach the marketplace"),
    (server_error(502), UpstreamError, "having trouble"),
    (empty, BadResponse, "empty answer"),
    (truncated, BadResponse, "cut off"),
], ids=["timeout", "connect-error", "http-502", "empty", "truncated"])
def test_persistent_fault_gives_up_after_max_attempts(h, fault, cls, words):
    result = h.fetch(*[fault] * 10)
    assert type(result) is cls, result
    assert words in result.user_message
    assert_plain(result.user_message)
    assert result.retryable is True
    assert h.calls == DEFAULT_POLICY.max_attempts == result.attempts
    assert len(h.time.sleeps) == DEFAULT_POLICY.max_attempts - 1
    assert_backoffs(h.time.sleeps)


def test_persistent_rate_limit_gives_up(h):
    result = h.fetch(*[h.error("rate")] * 10)
    assert isinstance(result, RateLimited)
    assert "limiting how often" in result.user_message
    assert_plain(result.user_message)
    assert h.calls == DEFAULT_POLICY.max_attempts
    wait = 1.0 if h.protocol == "tuya" else 4.0
    assert h.time.sleeps == [wait] * (DEFAULT_POLICY.max_attempts - 1)
    if h.protocol != "tuya":
        assert "wait 4 seconds" in result.user_message
        assert result.retry_after == 4.0


def test_long_ban_is_not_waited_out(h):
    """A ban longer than the total time budget: say so at once instead of hanging."""
    if h.protocol == "tuya":
        pytest.skip("Tuya's rate-limit answer names no ban length")
    result = h.fetch(h.error("rate_long"))
    assert isinstance(result, RateLimited)
    assert result.retry_after == 101.0
    assert "wait 101 seconds" in result.user_message
    assert h.calls == 1 and h.time.sleeps == []


@pytest.mark.parametrize("fault", [server_error(429, {"Retry-After": "120"}),
                                   server_error(503, {"Retry-After": "40"})],
                         ids=["429", "503"])
def test_long_retry_after_is_not_waited_out(h, fault):
    result = h.fetch(fault)
    assert isinstance(result, (RateLimited, UpstreamError))
    assert h.calls == 1 and h.time.sleeps == []


def test_total_time_is_bounded_on_the_injected_clock(h):
    """Each try hangs 10 s (on the injected clock) before timing out: the 30 s budget
    ends the tries after the third, before max_attempts (4)."""
    result = h.fetch(*[slow_timeout] * 10)
    assert isinstance(result, NetworkError)
    assert h.calls == 3 and result.attempts == 3
    assert len(h.time.sleeps) == 2
    # No wait starts that would pass the budget; the last try's own 10 s come on top.
    assert h.time.now - h.started <= DEFAULT_POLICY.max_total_s + 10.0


def test_total_time_counts_the_waits_when_the_clock_stands_still():
    """A clock that never moves (sleep injected separately) still ends the tries: the
    waits themselves count against the budget."""
    harness = Harness("aliexpress")
    frozen = lambda: NOW       # noqa: E731
    sleeps: list[float] = []

    async def sleep(seconds):
        sleeps.append(seconds)
    harness.faults = [harness.error("rate")] * 20
    policy = RetryPolicy(max_attempts=50, max_total_s=10.0)
    (result,) = fetch_many([harness.query], credentials=harness.creds,
                           transport=httpx.MockTransport(harness.handler), clock=frozen,
                           sleep=sleep, policy=policy, qps=PACE_QPS)
    assert isinstance(result, RateLimited)
    assert [s for s in sleeps if s >= PACING] == [4.0, 4.0]   # a third would pass 10 s
    assert harness.calls == 3


def test_custom_policy(h):
    policy = RetryPolicy(max_attempts=2, base_delay_s=1.0)
    result = h.fetch(*[timeout] * 5, policy=policy)
    assert isinstance(result, NetworkError)
    assert h.calls == 2
    assert len(h.time.sleeps) == 1 and 0.5 <= h.time.sleeps[0] <= 1.0


# --- errors that are never retried ---------------------------------------------------------
@pytest.mark.parametrize("kind", ["signature", "permission", "bad_param"])
def test_final_gateway_errors_are_not_retried(h, kind):
    result = h.fetch(h.error(kind), h.error(kind))
    cls, words = OUTCOMES[kind]
    assert type(result) is cls, result
    assert words in result.user_message
    assert_plain(result.user_message)
    assert result.retryable is False
    assert h.calls == 1 and h.time.sleeps == []
    assert result.raw and result.code            # the gateway's answer is kept


def test_token_error_is_not_retried_but_renewed_once_for_token_platforms(h):
    result = h.fetch(h.error("token"), h.error("token"))
    assert isinstance(result, AuthError)
    assert "token" in result.user_message.lower()
    assert_plain(result.user_message)
    assert h.time.sleeps == []
    if h.platform.token_flow:
        assert h.calls == 2 and h.token_calls == 1      # one new token, one more try
    else:
        assert h.calls == 1 and h.token_calls == 0


def test_token_error_once_then_the_new_token_works(h):
    if not h.platform.token_flow:
        pytest.skip("no token flow")
    result = h.fetch(h.error("token"))
    assert isinstance(result, Product)
    assert h.calls == 2 and h.token_calls == 1 and h.time.sleeps == []


def test_not_found_is_not_retried(h):
    result = h.fetch(not_found, not_found)
    assert isinstance(result, ProductNotFound), result
    assert "found" in result.user_message
    assert_plain(result.user_message)
    assert h.calls == 1 and h.time.sleeps == []


# --- answers that cannot be read: BadResponse, raw kept ------------------------------------
LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Login</title></head><body>"
              b"<form action='/login'>Please sign in</form></body></html>")


@pytest.mark.parametrize("fault, detail_words, raw_start", [
    (answer(LOGIN_PAGE, headers={"content-type": "text/html"}), "HTML page", "<!DOCTYPE"),
    (answer(LOGIN_PAGE, headers={"content-type": "application/json"}), "HTML page",
     "<!DOCTYPE"),
    (answer(b"Service temporarily unavailable, try later",
            headers={"content-type": "text/plain"}), "not JSON", "Service"),
    (answer(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", headers={"content-type": "image/png"}),
     "wrong content type image/png", "\ufffdPNG"),
    (answer(b"<?xml version='1.0'?><error_response><code>7</code></error_response>",
            headers={"content-type": "application/xml"}), "wrong content type", "<?xml"),
    (answer(b'{"a": 1}', headers={"content-type": "application/octet-stream"}),
     "wrong content type", '{"a"'),
], ids=["html-200", "html-labelled-json", "plain-text", "png", "xml", "octet-stream"])
def test_unreadable_answer_is_bad_response(h, fault, detail_words, raw_start):
    result = h.fetch(fault, fault)
    assert type(result) is BadResponse, result
    assert detail_words in result.detail
    assert result.raw.startswith(raw_start)
    assert_plain(result.user_message)
    assert h.calls == 1 and h.time.sleeps == []


SHAPES = [
    pytest.param({}, id="empty-object"),
    pytest.param({"unexpected": {"shape": True}}, id="unknown-object"),
    pytest.param("a string", id="string"),
    pytest.param(42, id="number"),
    pytest.param(None, id="null"),
    pytest.param(True, id="boolean"),
    pytest.param({"result": "not an object"}, id="result-string"),
    pytest.param([1, 2], id="list"),
]


@pytest.mark.parametrize("shape", SHAPES)
def test_valid_json_of_the_wrong_shape_is_bad_response(h, shape):
    result = h.fetch(answer(shape))
    assert type(result) is BadResponse, result
    assert result.detail                                   # what was wrong
    assert result.raw == json.dumps(shape)                 # the body as received
    assert "parser could not read" not in result.detail    # not the client's safety net
    assert h.calls == 1 and h.time.sleeps == []


def test_oversized_answer_is_not_read(h, monkeypatch):
    """Streamed (no Content-Length): reading stops at the cap."""
    monkeypatch.setattr(client_module, "MAX_BODY_BYTES", 50_000)

    async def chunks():
        yield b'{"padding": "'
        for _ in range(200):
            yield b"x" * 1000
        yield b'"}'

    def huge(h, request):
        return httpx.Response(200, content=chunks(), headers={"content-type": "application/json"})
    result = h.fetch(huge)
    assert type(result) is BadResponse
    assert "unexpectedly large" in result.user_message
    assert "50000" in result.detail
    assert len(result.raw) <= RAW_KEEP_CHARS + 40 and result.raw.startswith('{"padding"')
    assert "cut:" in result.raw
    assert h.calls == 1


def test_oversized_content_length_is_refused_before_reading(h, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_BODY_BYTES", 1000)
    result = h.fetch(answer(b"{}", headers={"content-length": "999999999"}))
    assert type(result) is BadResponse
    assert "999999999" in result.detail and result.raw == ""


def test_raw_body_is_kept_truncated(h):
    page = b"<html>" + b"<p>gateway maintenance</p>" * 2000 + b"</html>"
    result = h.fetch(answer(page, headers={"content-type": "text/html"}))
    assert isinstance(result, BadResponse)
    assert result.raw.startswith("<html><p>gateway maintenance</p>")
    assert len(result.raw) <= RAW_KEEP_CHARS + 40
    assert f"cut: {len(page)} bytes in all" in result.raw


def test_error_page_with_4xx_is_upstream_error(h):
    result = h.fetch(server_error(403))
    assert isinstance(result, UpstreamError) and result.detail == "HTTP 403"
    assert result.raw.startswith("<html>") and h.calls == 1


def test_redirect_is_not_followed(h):
    result = h.fetch(answer(b"", status=302, headers={"location": "https://login.example/"}))
    assert isinstance(result, UpstreamError)
    assert "302" in result.detail and h.calls == 1 and h.time.sleeps == []


def test_a_parser_bug_becomes_bad_response(h, monkeypatch):
    def broken(data, query=None):
        raise KeyError("ae_item_base_info_dto")
    monkeypatch.setattr(h.platform, "parse", broken)
    result = h.fetch()
    assert type(result) is BadResponse
    assert "KeyError" in result.detail and result.raw


# --- a batch goes on whatever happens to one of its calls ----------------------------------
def test_one_bad_call_never_stops_the_batch():
    harness = Harness("aliexpress")
    queries = [q for q in DEMO_PRODUCTS if q.platform == "aliexpress"]
    failing = queries[1].product_id

    def handler(request):
        if failing in request.content.decode():
            raise httpx.ReadTimeout("timed out", request=request)
        return harness.sandbox.handle_request(request)
    results = fetch_many(queries, credentials=harness.creds,
                         transport=httpx.MockTransport(handler), clock=harness.time,
                         sleep=harness.time.sleep, concurrency=3)
    assert [type(r) for r in results] == [Product, NetworkError, Product][:len(queries)]


def test_an_unexpected_exception_does_not_sink_the_batch():
    harness = Harness("aliexpress")
    queries = [q for q in DEMO_PRODUCTS if q.platform == "aliexpress"]

    def handler(request):
        if queries[0].product_id in request.content.decode():
            raise RuntimeError("transport bug")
        return harness.sandbox.handle_request(request)
    results = fetch_many(queries, credentials=harness.creds,
                         transport=httpx.MockTransport(handler), clock=harness.time,
                         sleep=harness.time.sleep)
    assert type(results[0]) is FetchError
    assert "RuntimeError" in results[0].detail
    assert "transport bug" not in results[0].user_message
    assert all(isinstance(r, Product) for r in results[1:])


# --- token expiry in the middle of a batch ------------------------------------------------
class FakeTokenCloud(Platform):
    """A token-flow platform that exists only in this test (no Tuya module needed)."""

    key = "fake-token-cloud"
    label = "Fake token cloud"
    qps = float(PACE_QPS)
    token_flow = True
    token_error_codes = frozenset({"token-expired"})
    credential_keys = ("client_id", "client_secret")

    def token_request(self, credentials, *, timestamp_ms, refresh_token=""):
        path = f"/token/{refresh_token}" if refresh_token else "/token?grant=1"
        return httpx.Request("GET", "https://cloud.fake.example" + path)

    def parse_token(self, data):
        if not isinstance(data, dict) or "access_token" not in data:
            raise AuthError(detail="no token", code=str(data.get("code")))
        return Token(access_token=data["access_token"], expires_in=data["expires_in"])

    def build_request(self, query, credentials, *, timestamp_ms):
        return httpx.Request("GET", f"https://cloud.fake.example/item/{query.product_id}",
                             headers={"access_token": credentials["access_token"]})

    def parse(self, data, query=None):
        if not isinstance(data, dict):
            raise BadResponse(detail="not an object")
        if data.get("code") == "token-expired":
            raise AuthError("The token expired.", detail="token-expired", code="token-expired")
        if "item" not in data:
            raise BadResponse(detail="no item")
        return Product(platform=self.key, product_id=data["item"], title=data["item"])


class FakeCloud:
    """Issues tokens; `expire_after` served items it forgets every token issued so far."""

    def __init__(self, expire_after: int | None = None, refuse: set[str] = frozenset()):
        self.expire_after = expire_after
        self.refuse = refuse            # items for which every token is refused
        self.issued = 0
        self.valid: set[str] = set()
        self.served = 0
        self.item_calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/token"):
            self.issued += 1
            token = f"tok-{self.issued}"
            self.valid.add(token)
            return httpx.Response(200, json={"access_token": token, "expires_in": 7200})
        self.item_calls += 1
        item = request.url.path.rsplit("/", 1)[-1]
        if request.headers.get("access_token") not in self.valid or item in self.refuse:
            return httpx.Response(200, json={"code": "token-expired"})
        self.served += 1
        if self.expire_after is not None and self.served == self.expire_after:
            self.valid.clear()                     # every token dies right now
        return httpx.Response(200, json={"item": item})


@pytest.fixture
def fake_cloud_platform(monkeypatch):
    platform = FakeTokenCloud()
    monkeypatch.setitem(PLATFORMS, platform.key, platform)
    return platform


def run_cloud(cloud: FakeCloud, items: list[str], concurrency: int = 4):
    time = FakeTime()
    return fetch_many([ProductQuery(FakeTokenCloud.key, i) for i in items],
                      credentials={"client_id": "fake-client", "client_secret": "fake-secret-123"},
                      transport=httpx.MockTransport(cloud), clock=time, sleep=time.sleep,
                      concurrency=concurrency), time


@pytest.mark.parametrize("concurrency", [1, 4, 12])
def test_token_expiring_mid_batch_is_renewed_once(fake_cloud_platform, concurrency):
    cloud = FakeCloud(expire_after=5)
    items = [f"item{i:02d}" for i in range(12)]
    results, time = run_cloud(cloud, items, concurrency)
    assert all(isinstance(r, Product) for r in results), results
    assert [r.product_id for r in results] == items          # the batch went on
    assert cloud.issued == 2                                 # the first token + one renewal
    assert cloud.served == 12
    # Calls in flight when the token died were refused once each, then sent again.
    assert 12 < cloud.item_calls <= 12 + concurrency
    assert time.sleeps == []


def test_token_refused_again_after_renewal_ends_only_that_product(fake_cloud_platform):
    cloud = FakeCloud(refuse={"item03"})
    items = [f"item{i:02d}" for i in range(6)]
    results, _ = run_cloud(cloud, items, concurrency=1)
    assert [type(r) for r in results] == [Product] * 3 + [AuthError] + [Product] * 2
    assert results[3].code == "token-expired" and results[3].attempts == 1
    assert cloud.issued == 2                                 # renewed once, not in a loop


def test_token_is_renewed_ahead_of_expiry(fake_cloud_platform):
    cloud = FakeCloud()
    time = FakeTime()

    def later(done, total, result):
        time.now += 7200                                     # the token's whole life
    fetch_many([ProductQuery(FakeTokenCloud.key, f"i{n}") for n in range(3)],
               credentials={"client_id": "c", "client_secret": "fake-secret-123"},
               transport=httpx.MockTransport(cloud), clock=time, sleep=time.sleep,
               concurrency=1, on_progress=later)
    assert cloud.issued == 3 and cloud.item_calls == 3      # never refused


@pytest.mark.skipif("tuya" not in PLATFORMS, reason="no Tuya module")
def test_tuya_token_revoked_mid_batch_with_concurrency():
    """The real Tuya module and its sandbox cloud: tokens revoked after the second
    product; the calls in flight notice together, one renewal serves them all."""
    from lib.sandbox import tuya as tuya_sandbox

    harness = Harness("tuya")                     # holds a token already
    cloud = tuya_sandbox.for_gateway(harness.gateway)
    tokens_before, details_before = cloud.token_requests, cloud.detail_requests
    codes = [q.product_id for q in DEMO_PRODUCTS if q.platform == "tuya"]
    queries = [ProductQuery("tuya", codes[i % len(codes)]) for i in range(8)]

    def revoke(done, total, result):
        if done == 2:
            cloud.revoke_tokens()
    results = fetch_many(queries, credentials=harness.creds, transport=harness.sandbox,
                         clock=harness.time, sleep=harness.time.sleep, concurrency=3,
                         on_progress=revoke)
    assert all(isinstance(r, Product) for r in results), results
    assert [r.product_id for r in results] == [q.product_id for q in queries]
    assert cloud.token_requests - tokens_before == 1           # one renewal for all
    assert cloud.refresh_requests == 0
    assert cloud.detail_requests - details_before == 8


# --- a batch mixing live and demo platforms -------------------------------------------------
def test_a_platform_left_out_of_the_credentials_runs_in_demo_mode(monkeypatch):
    """credentials={platform: ...} for some platforms only (the batch page does this):
    the others run on the demo sandbox, and live calls never go to the sandbox."""
    live_key = "aliexpress"
    demo_keys = [k for k in KEYS if k != live_key and k in DEMO_CREDENTIALS
                 and any(q.platform == k for q in DEMO_PRODUCTS)]
    harness = Harness(live_key)
    live_calls = []

    def live(request):
        live_calls.append(request.url.host)
        return harness.sandbox.handle_request(request)
    monkeypatch.setattr(client_module, "DEFAULT_TRANSPORT_FACTORY",
                        lambda: httpx.MockTransport(live))
    queries = [demo_query(live_key)] + [demo_query(k) for k in demo_keys]
    results = fetch_many(queries, credentials={live_key: harness.creds}, clock=harness.time,
                         sleep=harness.time.sleep, qps=PACE_QPS)
    assert all(isinstance(r, Product) for r in results), results
    assert [r.demo for r in results] == [False] + [True] * len(demo_keys)
    assert live_calls == ["api-sg.aliexpress.com"]
