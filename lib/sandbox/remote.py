"""The client side of the shared demo gateway (lib/sandbox/server.py).

GatewayTransport is an httpx transport (sync and async) that sends each request for
https://HOST/PATH?QUERY to http://GATEWAY/HOST/PATH?QUERY with the same method, headers
and body, and hands back the gateway's answer as it streams in (the client's size cap
and bounded decoding apply as to any transport). A gateway that is not running surfaces
as httpx.ConnectError, which the client reports as a NetworkError.

The setting EXPLORER_DEMO_GATEWAY=http://127.0.0.1:8650 sends demo calls there instead
of to the in-process sandbox (gateway_transport_from_env).
"""
from __future__ import annotations

import asyncio
import os
import ssl
import threading
import weakref
from typing import Mapping

import httpx

GATEWAY_ENV = "EXPLORER_DEMO_GATEWAY"
CALLER_HEADER = "X-Explorer-Caller"
# Headers of one hop, or recomputed by httpx for the forwarded request.
_REQUEST_HOP = frozenset(("host", "content-length", "connection", "keep-alive",
                          "proxy-connection", "transfer-encoding", "te", "trailer",
                          "upgrade", "proxy-authorization"))
# The answer is passed on as its raw stream (still encoded, de-chunked by httpcore): its
# Content-Encoding and Content-Length stay true; only the hop's own headers go.
_RESPONSE_HOP = frozenset(("connection", "keep-alive", "proxy-connection",
                           "transfer-encoding", "te", "trailer", "upgrade"))


def gateway_url(value: str) -> httpx.URL:
    """The gateway's address, checked: http://HOST:PORT (a trailing / allowed); anything
    else raises ValueError with a plain message."""
    text = (value or "").strip()
    problem = f"{GATEWAY_ENV} must be the demo gateway's address, like " \
              f"http://127.0.0.1:8650 (http, a host and a port, nothing after them)"
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ValueError(f"{problem}; {text!r} is not an address.") from None
    if url.scheme != "http":
        raise ValueError(f"{problem}; {text!r} does not start with http://.")
    if not url.host or url.port is None:
        raise ValueError(f"{problem}; {text!r} has no host and port.")
    if url.userinfo or url.path not in ("", "/") or url.query or url.fragment:
        raise ValueError(f"{problem}; {text!r} has more than a host and a port.")
    return url.copy_with(path="/")


_TLS: dict[str, ssl.SSLContext] = {}


def _tls_context() -> ssl.SSLContext:
    """One TLS context per process for the inner transports. The gateway is plain http,
    so it is never used, but httpx builds one per transport otherwise (35-65 ms of CPU,
    loading the CA bundle): on a new event loop that cost fell between the pacing's
    "send now" and the call's arrival, and bunched calls into a ban."""
    if "context" not in _TLS:
        _TLS["context"] = ssl.create_default_context()
    return _TLS["context"]


class GatewayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Forwards every request to the shared demo gateway at `base_url`; `caller` names
    this process in the gateway's stats (X-Explorer-Caller)."""

    def __init__(self, base_url: str, caller: str = "") -> None:
        self.base_url = gateway_url(base_url)
        self.caller = caller
        self._lock = threading.Lock()
        self._sync: httpx.HTTPTransport | None = None
        # An async connection pool belongs to one event loop; each fetch may run on a
        # loop of its own (lib.aio.run_sync), so each loop gets its own pool.
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                               httpx.AsyncHTTPTransport] = \
            weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"GatewayTransport({str(self.base_url)!r}, caller={self.caller!r})"

    # -- the forwarded request ------------------------------------------------------------
    def forward(self, request: httpx.Request) -> httpx.Request:
        """The request to send to the gateway (the original's body must be read)."""
        raw_path = b"/" + request.url.netloc + request.url.raw_path   # path and query
        headers = [(k, v) for k, v in request.headers.multi_items()
                   if k.lower() not in _REQUEST_HOP]
        if self.caller:
            headers.append((CALLER_HEADER, self.caller))
        return httpx.Request(request.method, self.base_url.copy_with(raw_path=raw_path),
                             headers=headers, content=request.content or None,
                             extensions=request.extensions)        # timeouts travel too

    @staticmethod
    def _answer(response: httpx.Response, stream) -> httpx.Response:
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in _RESPONSE_HOP]
        return httpx.Response(response.status_code, headers=headers, stream=stream,
                              extensions=response.extensions)

    def _refused(self, exc: httpx.ConnectError, request: httpx.Request) -> httpx.ConnectError:
        return httpx.ConnectError(f"the demo gateway at {self.base_url} cannot be reached "
                                  f"({exc})", request=request)

    # -- sync -----------------------------------------------------------------------------
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        with self._lock:
            if self._sync is None:
                self._sync = httpx.HTTPTransport(verify=_tls_context())
            inner = self._sync
        try:
            response = inner.handle_request(self.forward(request))
        except httpx.ConnectError as exc:
            raise self._refused(exc, request) from None
        return self._answer(response, response.stream)

    def close(self) -> None:
        with self._lock:
            inner, self._sync = self._sync, None
        if inner is not None:
            inner.close()

    # -- async ----------------------------------------------------------------------------
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        loop = asyncio.get_running_loop()
        with self._lock:
            inner = self._async.get(loop)
            if inner is None:
                inner = self._async[loop] = httpx.AsyncHTTPTransport(
                    verify=_tls_context())
        try:
            response = await inner.handle_async_request(self.forward(request))
        except httpx.ConnectError as exc:
            raise self._refused(exc, request) from None
        return self._answer(response, response.stream)

    async def aclose(self) -> None:
        """Closes this loop's pool (httpx.AsyncClient calls it when a batch ends); a
        later call on this or another loop opens a new one."""
        loop = asyncio.get_running_loop()
        with self._lock:
            inner = self._async.pop(loop, None)
        if inner is not None:
            await inner.aclose()


def warm_up(transport: GatewayTransport) -> bool:
    """One async call to the gateway's health route, so the first paced call of this
    process does not pay for the HTTP stack's first use (about 80 ms of imports and
    setup between the pacing's "send now" and the call's arrival: enough to bunch two
    calls into one second at the gateway). False when the gateway does not answer (it
    may start later; the fetches then say so)."""
    from lib.aio import run_sync

    async def ask() -> bool:
        inner = httpx.AsyncHTTPTransport(verify=_tls_context())
        async with httpx.AsyncClient(transport=inner, timeout=5) as client:
            url = transport.base_url.copy_with(path="/_sandbox/health")
            return (await client.get(str(url))).status_code == 200
    try:
        return bool(run_sync(ask()))
    except Exception:
        return False


def gateway_transport_from_env(environ: Mapping[str, str] = os.environ,
                               caller: str = "") -> GatewayTransport | None:
    """The shared gateway's transport when EXPLORER_DEMO_GATEWAY is set, else None (demo
    calls then stay in-process). A malformed value raises ValueError."""
    value = (environ.get(GATEWAY_ENV) or "").strip()
    return GatewayTransport(value, caller=caller) if value else None
