"""Known fake secrets never appear anywhere: logs, exceptions, products, the rendered app.

Live mode is exercised for real: the sandbox gateway is built with the fake credentials
(SandboxGateway(credentials={platform: FAKE})), so requests are signed with them and
checked by it. Failures include a hostile gateway that quotes the whole request back
(headers and body) in its error message.
"""
from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import lib.client as client_module
from apptest_util import APP_FILE
from lib.client import fetch_many, fetch_product
from lib.credentials import Credentials
from lib.errors import AuthError, FetchError, NetworkError, ProductNotFound
from lib.model import Product
from lib.platforms import PLATFORMS
from lib.query import ProductQuery
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxGateway, SandboxTransport

# Fake secrets, long and distinctive; a few with characters that URL-encoding changes.
FAKE: dict[str, dict[str, str]] = {}
for _index, (_key, _demo) in enumerate(DEMO_CREDENTIALS.items()):
    _fake = dict(_demo)
    for _name in ("app_secret", "client_secret"):
        if _name in _fake:
            _fake[_name] = f"FAKE-{_name}-{_index}-s3cr3t+/=Zq81xR"
    if "access_token" in _fake or "access_token" in PLATFORMS[_key].credential_keys:
        _fake["access_token"] = f"FAKE-session-{_index}-50000601a1b2c3d4e5f6"
    FAKE[_key] = _fake
KEYS = [k for k in PLATFORMS if k in FAKE and any(q.platform == k for q in DEMO_PRODUCTS)]


def secrets_of(key: str, issued: list[str] = ()) -> list[str]:
    """The strings that must never show: the secret credentials and any token the
    gateway issued during the test (Tuya)."""
    creds = FAKE[key]
    return [v for k, v in creds.items() if k in {"app_secret", "client_secret",
                                                  "access_token"}] + list(issued)


def demo_query(key: str) -> ProductQuery:
    return next(q for q in DEMO_PRODUCTS if q.platform == key)


class Capture(logging.Handler):
    """Everything logged anywhere, formatted with its traceback if any."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    root = logging.getLogger()
    handler = Capture()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield caplog, handler
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture(autouse=True)
def fresh_tokens(monkeypatch):
    monkeypatch.setattr(client_module, "_TOKENS", {})


ISSUED: list[str] = []       # every token any sandbox of these tests issued


class Sandbox:
    """The sandbox with the fake credentials, noting the tokens it issues."""

    def __init__(self, key: str, hostile: bool = False) -> None:
        self.key = key
        self.transport = SandboxTransport(SandboxGateway(credentials={key: FAKE[key]}))
        self.hostile = hostile
        self.issued = ISSUED

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self.transport.handle_request(request)
        response.read()
        if "/token" in request.url.path:
            result = json.loads(response.content).get("result") or {}
            self.issued += [t for t in (result.get("access_token"), result.get("refresh_token"))
                            if t]
            return response
        if self.hostile:
            return echo(request)
        return response


def echo(request: httpx.Request) -> httpx.Response:
    """A gateway error quoting the whole request back: URL, headers and body."""
    quoted = (f"{request.method} {request.url} headers={dict(request.headers)} "
              f"body={request.content.decode('utf-8', 'replace')}")
    if request.url.host.startswith("openapi"):
        body = {"success": False, "code": 1106, "msg": f"permission deny: {quoted}",
                "t": 0, "tid": "x"}
    else:
        body = {"error_response": {"type": "ISV", "code": "InsufficientPermission",
                                   "msg": f"Insufficient permission for {quoted}",
                                   "sub_code": "isv.debug", "sub_msg": quoted,
                                   "request_id": "x"}}
    return httpx.Response(200, json=body)


def error_texts(error: FetchError) -> list[str]:
    return [str(error), repr(error), error.user_message, error.detail or "",
            error.raw or "", *map(str, error.args), str(error.code)]


def product_texts(product: Product) -> list[str]:
    texts = [json.dumps(product.raw, default=str), repr(product), product.description_html,
             *product.warnings, repr(product.query)]
    for frame in (product.skus, product.tiers, product.lead_times, product.country_prices,
                  product.attributes):
        texts.append(frame.to_csv())
    return texts


def assert_clean(texts: list[str], secrets: list[str]) -> None:
    assert secrets and all(len(s) >= 8 for s in secrets)
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret leaked into: {text[:300]}"


# --- the client: succeeding and failing live fetches ------------------------------------
@pytest.mark.parametrize("key", KEYS)
def test_successful_live_fetch_leaks_nothing(key, logs):
    caplog, handler = logs
    sandbox = Sandbox(key)
    product = fetch_product(demo_query(key), credentials=FAKE[key],
                            transport=httpx.MockTransport(sandbox))
    assert isinstance(product, Product) and product.demo is False
    requests = [line for line in handler.lines if line.startswith("lib.client DEBUG")]
    assert requests, "requests are logged at debug level"
    assert all("'sign': '***'" in line for line in requests if "'sign'" in line)
    texts = handler.lines + [r.getMessage() for r in caplog.records] + [caplog.text]
    assert_clean(texts + product_texts(product), secrets_of(key, sandbox.issued))


@pytest.mark.parametrize("key", KEYS)
def test_failing_live_fetches_leak_nothing(key, logs):
    caplog, handler = logs
    secrets = secrets_of(key)
    errors: list[FetchError] = []
    query = demo_query(key)
    # 1. A wrong secret (the sandbox refuses the signature).
    wrong = {**FAKE[key]}
    for name in ("app_secret", "client_secret"):
        if name in wrong:
            wrong[name] = wrong[name][::-1]
            secrets.append(wrong[name])
    with pytest.raises(AuthError) as info:
        fetch_product(query, credentials=wrong, transport=Sandbox(key).transport)
    errors.append(info.value)
    # 2. A product that does not exist.
    unknown = ProductQuery(key, "CMnothere999" if key == "tuya" else
                           ("AAzzzzzzzzzzzzzzzzzzzzzz" if key == "alibaba"
                            else "1000000000001"))
    with pytest.raises(ProductNotFound) as info:
        fetch_product(unknown, credentials=FAKE[key],
                      transport=httpx.MockTransport(Sandbox(key)))
    errors.append(info.value)
    # 3. A hostile gateway quoting the request (secrets, tokens, signature) back.
    hostile = Sandbox(key, hostile=True)
    with pytest.raises(AuthError) as info:
        fetch_product(query, credentials=FAKE[key], transport=httpx.MockTransport(hostile))
    errors.append(info.value)
    assert "headers=" in info.value.detail + (info.value.raw or "")   # it did quote
    # 4. The network failing mid-call.
    def broken(request):
        raise httpx.ConnectError(f"cannot connect for {request.url} {dict(request.headers)}",
                                 request=request)
    (result,) = fetch_many([query], credentials=FAKE[key],
                           transport=httpx.MockTransport(broken),
                           sleep=_no_sleep, clock=lambda: 1_700_000_000.0)
    assert isinstance(result, NetworkError)
    errors.append(result)
    texts = handler.lines + [r.getMessage() for r in caplog.records] + [caplog.text]
    for error in errors:
        texts += error_texts(error)
    assert_clean(texts, secrets + hostile.issued)


async def _no_sleep(seconds: float) -> None:
    return None


def test_credentials_never_show_their_values():
    creds = Credentials(FAKE["aliexpress"])
    for text in (repr(creds), str(creds), f"{creds}", f"{creds!r}", "%s" % (creds,),
                 repr([creds]), repr({"c": creds})):
        assert_clean([text], secrets_of("aliexpress"))
    assert "app_key=" in repr(creds) and "***" in repr(creds)


# --- the rendered app ----------------------------------------------------------------------
def element_texts(at: AppTest) -> list[str]:
    """Every element's full proto as text (markdown, code, errors, exceptions, json,
    tables, widget values and labels), plus the URL and the session state."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at._tree)
    texts.append(repr(dict(at.query_params)))
    texts.append(repr(at.session_state.to_dict()))
    return texts


@pytest.fixture
def live_app(monkeypatch, logs):
    """The app in live mode: credentials from the environment, the transport from the
    client's hook (the UI code is untouched)."""
    fake = FAKE["aliexpress"]
    monkeypatch.setenv("ALIEXPRESS_APP_KEY", fake["app_key"])
    monkeypatch.setenv("ALIEXPRESS_APP_SECRET", fake["app_secret"])
    monkeypatch.setenv("ALIEXPRESS_ACCESS_TOKEN", fake["access_token"])
    monkeypatch.delenv("EXPLORER_DEMO", raising=False)
    st.cache_data.clear()
    yield monkeypatch
    st.cache_data.clear()


def open_app(product_id: str, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP_FILE), default_timeout=60)
    for name, value in {"platform": "aliexpress", "id": product_id, "country": "US",
                        "currency": "USD", "language": "en"}.items():
        at.query_params[name] = value
    at.run()   # st.navigation registers the views' URL paths on the first run
    if page:
        at.switch_page(f"views/{page}.py")
        at.run()
    return at


PAGES = ["overview", "sku_matrix", "price_tiers", "store_ratings", "media_gallery",
         "raw_data"]


def test_app_live_success_leaks_nothing(live_app, logs):
    caplog, handler = logs
    sandbox = Sandbox("aliexpress")
    live_app.setattr(client_module, "DEFAULT_TRANSPORT_FACTORY",
                     lambda: httpx.MockTransport(sandbox))
    product_id = demo_query("aliexpress").product_id
    texts: list[str] = []
    for page in PAGES:
        at = open_app(product_id, page)
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        shown = "\n".join(element_texts(at))
        assert "Live" in shown and "Demo mode" not in shown          # live mode for real
        texts += element_texts(at)
    texts += handler.lines + [caplog.text]
    assert_clean(texts, secrets_of("aliexpress", sandbox.issued))


@pytest.mark.parametrize("case", ["not-found", "hostile-gateway", "network"])
def test_app_live_failure_leaks_nothing(live_app, logs, case):
    caplog, handler = logs
    sandbox = Sandbox("aliexpress", hostile=case == "hostile-gateway")
    product_id = demo_query("aliexpress").product_id

    def broken(request):
        raise httpx.ConnectError(f"no route for {request.content.decode()}", request=request)
    if case == "network":
        factory = lambda: httpx.MockTransport(broken)          # noqa: E731
    else:
        factory = lambda: httpx.MockTransport(sandbox)         # noqa: E731
    live_app.setattr(client_module, "DEFAULT_TRANSPORT_FACTORY", factory)
    live_app.setattr(client_module, "DEFAULT_POLICY",
                     client_module.RetryPolicy(max_attempts=1))
    at = open_app("1000000000001" if case == "not-found" else product_id)
    assert at.error, "the failure is shown"
    # The technical detail is on screen too (in the expander): it must be clean as well.
    texts = element_texts(at) + handler.lines + [caplog.text]
    assert_clean(texts, secrets_of("aliexpress", sandbox.issued))


def test_credentials_repr_masks_secrets_and_shows_plain_settings():
    from lib.credentials import Credentials

    creds = Credentials({"app_key": "key-12345678", "app_secret": "s3cr3t-abcdefgh",
                         "tracking_id": "my_tracking", "endpoint": "https://openapi.tuyaeu.com"})
    text = repr(creds)
    assert "s3cr3t-abcdefgh" not in text and "key-12345678" not in text
    assert "tracking_id='my_tracking'" in text
    assert "endpoint='https://openapi.tuyaeu.com'" in text
    assert str(creds) == text
