"""No token, secret or signature in httpx's or httpcore's log lines either.

httpx logs every request at INFO ("HTTP Request: GET https://…/v1.0/token/<refresh
token> …"): the Tuya token renewal put the refresh token in the log. lib.log.SECRET_MASK,
installed by lib.client on httpx's and httpcore's loggers, masks every record before any
handler (caplog's included) sees it. The renewal paths are driven for real on the Tuya
sandbox: the token expiring (renewed with the refresh token, in the URL path), the refresh
token refused (a new grant), and the token revoked mid-way (the call refused, renewed
once). Logging at DEBUG and at INFO; once over a real local socket so httpcore's DEBUG
trace runs too.
"""
from __future__ import annotations

import http.server
import json
import logging
import threading
from urllib.parse import parse_qsl

import httpx
import pytest

import lib.client as client_module
from lib.client import fetch_many
from lib.log import MASKED_LOGGERS, SECRET_MASK, install_secret_mask
from lib.model import Product
from lib.platforms import PLATFORMS
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxGateway, SandboxTransport
from lib.sandbox.tuya import for_gateway
from local_transport import ToLocal

NOW = 1_700_000_000.0
TUYA = next(q for q in DEMO_PRODUCTS if q.platform == "tuya")
FAKE_TUYA = {**DEMO_CREDENTIALS["tuya"], "client_secret": "FAKE-tuya-secret-s3cr3t+/=Zq81xR"}


@pytest.fixture(autouse=True)
def fresh_tokens(monkeypatch):
    monkeypatch.setattr(client_module, "_TOKENS", {})


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Recorder:
    """The sandbox, noting every secret that travels: signatures, tokens sent and issued."""

    def __init__(self, credentials: dict[str, dict[str, str]], clock=None) -> None:
        self.gateway = SandboxGateway(credentials=credentials,
                                      **({"clock": clock} if clock else {}))
        self.sandbox = SandboxTransport(self.gateway)
        self.secrets: set[str] = set()
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.note(request)
        response = self.sandbox.handle_request(request)
        response.read()
        if "/token" in request.url.path:
            result = json.loads(response.content).get("result") or {}
            self.secrets |= {result.get("access_token"), result.get("refresh_token")} - {None}
        return response

    def note(self, request: httpx.Request) -> None:
        self.paths.append(request.url.path)
        params = dict(request.url.params)
        if request.method == "POST" and request.content:
            params.update(parse_qsl(request.content.decode()))
        for name in ("sign", "access_token", "session"):
            for value in (request.headers.get(name), params.get(name)):
                if value:
                    self.secrets.add(value)
        if "/token/" in request.url.path:
            self.secrets.add(request.url.path.rsplit("/", 1)[1])     # the refresh token


def fetch(recorder: Recorder, clock: Clock, transport=None) -> Product:
    (result,) = fetch_many([TUYA], credentials=FAKE_TUYA, clock=clock,
                           transport=transport or httpx.MockTransport(recorder))
    assert isinstance(result, Product), result
    return result


def drive_every_renewal(recorder: Recorder, clock: Clock, transport=None) -> None:
    tuya = for_gateway(recorder.gateway)
    fetch(recorder, clock, transport)                   # 1. first grant
    clock.now += 7200                                   # 2. expiring: refresh token in path
    fetch(recorder, clock, transport)
    assert tuya.refresh_requests == 1
    tuya.revoke_tokens()                                # 3. revoked: call refused, new grant
    fetch(recorder, clock, transport)
    tuya.revoke_tokens()                                # 4. refresh token refused too
    clock.now += 7200
    fetch(recorder, clock, transport)
    assert tuya.refresh_requests == 2 and tuya.token_requests == 3


def logged(caplog) -> str:
    return caplog.text + "\n".join(r.getMessage() for r in caplog.records)


def assert_no_secret(text: str, secrets: set[str]) -> None:
    secrets = {s for s in secrets if s}
    assert len(secrets) >= 6
    for secret in secrets:
        assert secret not in text, f"{secret[:6]}… is in the log"


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO], ids=["DEBUG", "INFO"])
def test_tuya_token_renewals_leave_no_secret_in_the_log(caplog, level):
    caplog.set_level(level)
    clock = Clock()
    recorder = Recorder({"tuya": FAKE_TUYA}, clock)
    drive_every_renewal(recorder, clock)
    assert any(path.startswith("/v1.0/token/") for path in recorder.paths)
    text = logged(caplog)
    # httpx did log the renewal, with the token masked.
    assert "HTTP Request: GET https://" in text
    assert "/v1.0/token/*** " in text
    assert_no_secret(text, recorder.secrets | {FAKE_TUYA["client_secret"]})


@pytest.mark.parametrize("key", [k for k in PLATFORMS if k != "tuya"
                                 and any(q.platform == k for q in DEMO_PRODUCTS)])
@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO], ids=["DEBUG", "INFO"])
def test_signed_calls_leave_no_signature_in_the_log(caplog, key, level):
    caplog.set_level(level)
    creds = {**DEMO_CREDENTIALS[key]}
    for name in ("app_secret", "access_token"):
        if name in creds or name in PLATFORMS[key].credential_keys:
            creds[name] = f"FAKE-{name}-{key}-0123456789abcdef"
    recorder = Recorder({key: creds})
    query = next(q for q in DEMO_PRODUCTS if q.platform == key)
    (result,) = fetch_many([query], credentials=creds, transport=httpx.MockTransport(recorder))
    assert isinstance(result, Product), result
    text = logged(caplog)
    assert "HTTP Request: " in text
    secrets = recorder.secrets | set(creds[n] for n in ("app_secret", "access_token")
                                     if n in creds)
    for secret in secrets:
        assert secret not in text, f"{secret[:6]}… is in the log"


# --- a real socket: httpcore's DEBUG trace too -------------------------------------------------
class SandboxServer(http.server.ThreadingHTTPServer):
    """The sandbox behind a real local HTTP server (the Host header names the gateway)."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        request = httpx.Request(self.command, f"https://{self.headers['host']}{self.path}",
                                headers=list(self.headers.items()),
                                content=self.rfile.read(length))
        response = self.server.recorder(request)
        self.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(response.content)))
        self.end_headers()
        self.wfile.write(response.content)

    do_POST = do_GET

    def log_message(self, *args) -> None:       # quiet
        pass


def test_renewals_over_a_real_socket_leave_no_secret_in_httpcore_either(caplog):
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    recorder = Recorder({"tuya": FAKE_TUYA}, clock)
    server = SandboxServer(recorder)
    try:
        drive_every_renewal(recorder, clock, ToLocal(server.server_address[1]))
    finally:
        server.shutdown()
        server.server_close()
    names = {record.name for record in caplog.records}
    assert {"httpx", "httpcore.http11", "httpcore.connection"} <= names
    assert_no_secret(logged(caplog), recorder.secrets | {FAKE_TUYA["client_secret"]})


# --- the mask itself -----------------------------------------------------------------------------
def test_the_mask_sits_on_every_logger_once_and_covers_args_and_tracebacks(caplog):
    install_secret_mask()
    install_secret_mask()
    for name in MASKED_LOGGERS:
        assert logging.getLogger(name).filters.count(SECRET_MASK) == 1
    caplog.set_level(logging.DEBUG)
    SECRET_MASK.remember(["zz-remembered-token-42"])
    logging.getLogger("httpcore.http11").debug("send %s", "GET /v1.0/token/abcdef123 x")
    logging.getLogger("httpx").info("HTTP Request: %s %s", "POST",
                                    "https://x/sync?app_key=1&sign=F00D&session=zz9")
    try:
        raise RuntimeError("failed on https://x/y?access_token=zz-remembered-token-42")
    except RuntimeError:
        logging.getLogger("httpx").exception("boom")
    text = caplog.text
    assert "/v1.0/token/*** x" in text and "abcdef123" not in text
    assert "sign=***" in text and "session=***" in text and "F00D" not in text
    assert "app_key=1" in text                          # not a secret: left as it is
    assert "zz-remembered-token-42" not in text and "RuntimeError" in text
