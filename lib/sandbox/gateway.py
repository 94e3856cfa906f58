"""The demo gateway: an httpx transport that behaves like the real IOP gateway.

It checks the app key, the timestamp, the token and the signature exactly as the real
gateway does (a bad signature gets the real `IncompleteSignature` body), routes by
`method`, serves bundled fixtures in their real wrapped shape, answers unknown ids with
the real not-found body, and can add latency and enforce a calls-per-second limit
(answering `ApiCallLimit` like the real one) for benchmarks and fault tests.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import parse_qsl

import httpx

from lib.platforms import PLATFORMS
from lib.signing import iop_sign, top_sign

FIXTURES = Path(__file__).parent / "fixtures"
# Another fixture folder of the same layout (<platform>/<id>.json, <platform>/catalogue.json),
# read at call time so a test can point a running app at a hostile set.
FIXTURES_ENV = "EXPLORER_DEMO_FIXTURES"
IOP_HOST = "api-sg.aliexpress.com"
TOP_HOSTS = ("eco.taobao.com", "api.taobao.com", "gw.api.taobao.com")
# The TOP router's integer codes for the failures the sandbox can produce.
_TOP_CODES = {
    "MissingParameter": (40, "isv.missing-parameter"),
    "InvalidMethod": (22, "isv.invalid-method"),
    "InvalidAppKey": (29, "isv.appkey-not-exists"),
    "InvalidTimestamp": (31, "isv.invalid-timestamp"),
    "IncompleteSignature": (25, "isv.invalid-signature"),
    "IllegalAccessToken": (27, "isv.invalid-session"),
    "ApiCallLimit": (7, "accesscontrol.limited-by-api-access-count"),
}
TIMESTAMP_TOLERANCE_MS = 15 * 60 * 1000

CATALOGUE_FILE = "catalogue.json"    # per platform: [{product_id, title, blurb, currency?}]


def catalogue_settings(platform: str) -> dict[str, str]:
    """Settings the demo catalogue states for its shop: the mall currency of a platform
    whose API sends none (Tuya). One shop has one currency, so all entries must agree."""
    stated = {entry["currency"] for entry in catalogue(platform) if entry.get("currency")}
    if len(stated) > 1:
        raise ValueError(f"the {platform} demo catalogue states several currencies: "
                         f"{sorted(stated)}")
    return {"currency": stated.pop()} if stated else {}


def _demo_credentials() -> dict[str, dict[str, str]]:
    return {key: {**platform.demo_credentials, **catalogue_settings(key)}
            for key, platform in PLATFORMS.items() if platform.demo_credentials}


def fixtures_dir() -> Path:
    """The fixture folder in use: EXPLORER_DEMO_FIXTURES when set, else the bundled one."""
    configured = os.environ.get(FIXTURES_ENV, "").strip()
    return Path(configured) if configured else FIXTURES


def _platform_dir(platform: str) -> Path | None:
    """The folder of one known platform (no other name reaches the file system)."""
    return fixtures_dir() / platform if platform in PLATFORMS else None


def fixture_ids(platform: str) -> list[str]:
    folder = _platform_dir(platform)
    if folder is None or not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if p.name != CATALOGUE_FILE)


def catalogue(platform: str) -> list[dict[str, str]]:
    folder = _platform_dir(platform)
    path = folder / CATALOGUE_FILE if folder is not None else None
    return json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else []


# Demo credentials: fake, public, accepted only by this sandbox; each platform module
# declares its own (Platform.demo_credentials), the catalogue adds its shop's settings.
DEMO_CREDENTIALS: dict[str, dict[str, str]] = _demo_credentials()


def load_fixture(platform: str, product_id: str) -> dict | None:
    folder = _platform_dir(platform)
    if folder is None or not product_id:
        return None
    path = folder / f"{product_id}.json"
    if path.name == CATALOGUE_FILE or path.parent != folder or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


class SandboxGateway:
    def __init__(self, *, clock: Callable[[], float] = time.time, latency_s: float = 0.0,
                 qps_limit: float | None = None,
                 credentials: Mapping[str, Mapping[str, str]] = DEMO_CREDENTIALS) -> None:
        self.clock = clock
        self.latency_s = latency_s
        self.qps_limit = qps_limit
        self.credentials = credentials
        self.calls = 0
        self.rate_limited = 0
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()
        # The clock reading the last limit check judged (None without a limit): the
        # HTTP gateway (server.py) reads it right after admit() to log arrivals exactly.
        self.last_arrival: float | None = None

    # -- httpx entry points ----------------------------------------------------------
    def admit(self) -> bool:
        """Count a call as it arrives; False when it breaks the calls-per-second limit."""
        with self._lock:
            self.calls += 1
            return not self._over_limit()

    def respond(self, request: httpx.Request, admitted: bool | None = None) -> httpx.Response:
        request.read()
        limited = not (self.admit() if admitted is None else admitted)
        if limited:
            self.rate_limited += 1
            return _json(self._rate_limit_body(request.url))
        for matches, handler in self._handlers():
            if matches(request.url):
                return handler(request)
        return httpx.Response(404, text="Not Found", headers={"content-type": "text/html"})

    def _handlers(self):
        """(url predicate, handler) per protocol; a new protocol adds one line here."""
        from lib.sandbox import tuya      # the Tuya cloud (imports this module, hence here)
        return [
            (lambda url: url.host == IOP_HOST and url.path == "/sync", self._method_gateway),
            (lambda url: url.host in TOP_HOSTS and url.path == "/router/rest",
             self._method_gateway),
            (tuya.handles, tuya.for_gateway(self).respond),
        ]

    def _rate_limit_body(self, url: httpx.URL) -> dict:
        """The 'too many calls' answer in the wire format of the protocol asked."""
        from lib.sandbox import tuya

        if tuya.handles(url):
            return tuya.for_gateway(self)._error(1110, "too many requests",
                                                 int(self.clock() * 1000))
        message = "Api access frequency exceeds the limit. this ban will last 1 seconds"
        if url.host in TOP_HOSTS:
            return self._top_error("ApiCallLimit", message)
        return self._error("ApiCallLimit", message)

    def _over_limit(self) -> bool:
        if not self.qps_limit:
            return False
        now = self.last_arrival = self.clock()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.qps_limit:
            return True
        self._recent.append(now)
        return False

    # -- method-routed gateways (IOP /sync and the TOP router) ------------------------
    def _method_gateway(self, request: httpx.Request) -> httpx.Response:
        """IOP and TOP share one shape: signed form parameters, routed by `method`.

        The IOP gateway (api-sg) takes sha256 and, for TOP-era clients, md5/hmac; the
        TOP router answers errors in its own style (integer codes, sub_code).
        """
        top_style = request.url.host in TOP_HOSTS
        err = self._top_error if top_style else self._error
        # Parameters may travel in the URL query, the form body, or both.
        params = dict(request.url.params)
        params.update(parse_qsl(request.content.decode("utf-8", "replace"),
                                keep_blank_values=True))
        for required in ("app_key", "method", "timestamp", "sign", "sign_method"):
            if not params.get(required):
                return _json(err("MissingParameter", f"The input parameter “{required}” "
                                 f"that is mandatory for processing this request is not "
                                 f"supplied"))
        platform_key = self._platform_for_method(params["method"])
        if platform_key is None:
            return _json(err("InvalidMethod", f"Invalid method: {params['method']}"))
        creds = self.credentials.get(platform_key, {})
        if not creds or params["app_key"] != creds.get("app_key"):
            return _json(err("InvalidAppKey", "Invalid app Key"))
        if not _fresh(params["timestamp"], self.clock()):
            return _json(err("InvalidTimestamp", "The request has expired: the timestamp "
                             "is out of range"))
        unsigned = {k: v for k, v in params.items() if k != "sign"}
        if params["sign_method"] == "sha256" and not top_style:
            expected = iop_sign(creds["app_secret"], unsigned)
        elif params["sign_method"] in ("md5", "hmac", "hmac-sha256"):
            expected = top_sign(creds["app_secret"], unsigned, params["sign_method"])
        else:
            expected = None
        if params["sign"] != expected:
            return _json(err("IncompleteSignature", "The request signature does not "
                             "conform to platform standards"))
        token = params.get("session") or params.get("access_token")
        needs_token = "access_token" in PLATFORMS[platform_key].credential_keys
        if needs_token and not token:
            return _json(err("MissingParameter", "The input parameter “access_token” that "
                             "is mandatory for processing this request is not supplied"))
        if needs_token and token != creds.get("access_token"):
            return _json(err("IllegalAccessToken", "Illegal access token"))
        return self._serve(platform_key, params)

    def _serve(self, platform_key: str, params: Mapping[str, str]) -> httpx.Response:
        platform = PLATFORMS[platform_key]
        product_id = platform.sandbox_product_id(params)
        fixture = load_fixture(platform_key, product_id)
        if fixture is None:
            return _json(platform.sandbox_not_found(self._request_id(), product_id, params))
        answer = platform.sandbox_answer(fixture, params)
        return _json(answer)

    def _top_error(self, code: str, message: str) -> dict:
        number, sub_code = _TOP_CODES.get(code, (15, "isp.unknown-error"))
        return {"error_response": {"code": number, "msg": message, "sub_code": sub_code,
                                   "sub_msg": message, "request_id": self._request_id()[:12]}}

    def _platform_for_method(self, method: str) -> str | None:
        return next((key for key, p in PLATFORMS.items() if method in p.api_methods), None)

    def _error(self, code: str, message: str) -> dict:
        return {"error_response": {"type": "ISV", "code": code, "msg": message,
                                   "request_id": self._request_id()}}

    def _request_id(self) -> str:
        digest = hashlib.sha1(f"{self.calls}-{self.clock()}".encode()).hexdigest()
        return digest[:25]


def _fresh(timestamp: str, now_s: float) -> bool:
    """A 13-digit millisecond timestamp within the tolerance of the sandbox clock."""
    return (timestamp.isdigit() and len(timestamp) == 13
            and abs(int(timestamp) - now_s * 1000) <= TIMESTAMP_TOLERANCE_MS)


def _json(body: dict, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                          headers={"content-type": "application/json;charset=UTF-8"})


class SandboxTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Both a sync and an async httpx transport over one SandboxGateway."""

    def __init__(self, gateway: SandboxGateway | None = None, **options) -> None:
        self.gateway = gateway or SandboxGateway(**options)

    # The limit is judged when a call arrives; the latency is the time to answer.
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        admitted = self.gateway.admit()
        if self.gateway.latency_s:
            time.sleep(self.gateway.latency_s)
        return self.gateway.respond(request, admitted)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        admitted = self.gateway.admit()
        if self.gateway.latency_s:
            await asyncio.sleep(self.gateway.latency_s)
        await request.aread()
        return self.gateway.respond(request, admitted)
