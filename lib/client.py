"""fetch_product / fetch_many: query -> signed request -> payload -> Product.

One async pipeline serves both (fetch_product is a batch of one). Demo mode is this
same pipeline with the sandbox transport and the sandbox's demo credentials. I/O is
injected: the transport (any httpx transport), the clock and the sleep function.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Iterable, Mapping

import httpx

from lib.credentials import Credentials
from lib.errors import (BadResponse, FetchError, InvalidQuery, NetworkError, RateLimited,
                        UpstreamError)
from lib.log import mask_params, scrub
from lib.model import Product
from lib.platforms import PLATFORMS, Token, decode_payload, parse_payload
from lib.query import ProductQuery
from lib.ratelimit import RateLimiter, shared_limiter

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(20.0, connect=8.0)
MAX_BODY_BYTES = 20 * 1024 * 1024
TOKEN_MARGIN_S = 60          # renew a token a minute before it expires

# Tokens of token-flow platforms (Tuya), shared by every fetch in the process.
_TOKENS: dict[tuple[str, str, str], Token] = {}


def _token_key(platform: str, creds: Mapping[str, str]) -> tuple[str, str, str]:
    secret = hashlib.sha256(creds.get("client_secret", "").encode()).hexdigest()[:16]
    return platform, creds.get("client_id", ""), secret


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_total_s: float = 30.0          # give up rather than wait longer than this

    def delay(self, attempt: int, error: FetchError, rng: random.Random) -> float:
        if error.retry_after:
            return float(error.retry_after)
        backoff = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return backoff * (0.5 + rng.random() / 2)          # jitter


DEFAULT_POLICY = RetryPolicy()
Progress = Callable[[int, int, "Product | FetchError"], None]


def fetch_product(query: ProductQuery, *, credentials: Mapping[str, Any] | None = None,
                  transport: Any = None, **options: Any) -> Product:
    """One product; raises a FetchError subclass with a plain-language message."""
    (result,) = fetch_many([query], credentials=credentials, transport=transport,
                           concurrency=1, **options)
    if isinstance(result, FetchError):
        raise result
    return result


def fetch_many(queries: Iterable[ProductQuery], *, credentials: Mapping[str, Any] | None = None,
               transport: Any = None, concurrency: int = 8, qps: float | None = None,
               on_progress: Progress | None = None, policy: RetryPolicy = DEFAULT_POLICY,
               clock: Callable[[], float] = time.time,
               sleep: Callable[[float], Awaitable[None]] | None = None,
               seed: int | None = None) -> list[Product | FetchError]:
    """Several products, in input order; one failure never stops the others."""
    batch = _Batch(list(queries), credentials, transport, concurrency, qps, on_progress,
                   policy, clock, sleep if sleep is not None else asyncio.sleep,
                   random.Random(seed))
    return _run(batch.run())


def _run(coro: Awaitable[Any]) -> Any:
    """Run a coroutine from sync code, also when an event loop is already running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class _SyncToAsync(httpx.AsyncBaseTransport):
    """Lets a sync-only httpx transport serve the async pipeline."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        def call() -> httpx.Response:
            response = self.transport.handle_request(request)
            content = response.read()
            return httpx.Response(response.status_code, headers=response.headers,
                                  content=content)
        return await asyncio.to_thread(call)


def _resolve(credentials: Mapping[str, Any] | None, platform: str,
             transport: Any, clock: Callable[[], float] = time.time
             ) -> tuple[Credentials, Any, bool]:
    """(credentials, transport, demo) for one platform. No credentials = demo mode.

    The demo sandbox shares the caller's clock, so an injected clock signs timestamps
    the sandbox accepts."""
    from lib.sandbox import DEMO_CREDENTIALS, SandboxTransport

    if isinstance(credentials, Mapping) and any(key in PLATFORMS for key in credentials):
        # Per-platform credentials ({"aliexpress": {...}, ...}): a platform left out, or
        # mapped to None, runs in demo mode.
        credentials = credentials.get(platform)
    if not credentials:
        demo = DEMO_CREDENTIALS.get(platform)
        if demo is None:
            raise InvalidQuery(f"There is no demo data for {PLATFORMS[platform].label}. "
                               "Add API credentials to fetch live products.")
        return Credentials(demo), transport or SandboxTransport(clock=clock), True
    return Credentials(credentials), transport, False


class _Batch:
    def __init__(self, queries, credentials, transport, concurrency, qps, on_progress,
                 policy, clock, sleep, rng) -> None:
        self.queries = queries
        self.credentials = credentials
        self.transport = transport
        self.semaphore_size = max(1, int(concurrency))
        self.qps = qps
        self.on_progress = on_progress
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.done = 0
        self.limiters: dict[str, RateLimiter] = {}
        self.demo_transport: Any = None       # one sandbox for the whole batch

    async def run(self) -> list[Product | FetchError]:
        semaphore = asyncio.Semaphore(self.semaphore_size)
        clients: dict[int, httpx.AsyncClient] = {}
        try:
            async def one(index: int, query: ProductQuery) -> Product | FetchError:
                async with semaphore:
                    try:
                        result: Product | FetchError = await self._fetch(query, clients)
                    except FetchError as exc:
                        result = exc
                self.done += 1
                if self.on_progress:
                    self.on_progress(self.done, len(self.queries), result)
                return result
            return list(await asyncio.gather(*(one(i, q) for i, q in enumerate(self.queries))))
        finally:
            for client in clients.values():
                await client.aclose()

    def _client(self, transport: Any, clients: dict[int, httpx.AsyncClient]) -> httpx.AsyncClient:
        key = id(transport)
        if key not in clients:
            if transport is None:
                transport = httpx.AsyncHTTPTransport()
            elif not isinstance(transport, httpx.AsyncBaseTransport):
                transport = _SyncToAsync(transport)
            clients[key] = httpx.AsyncClient(transport=transport, timeout=TIMEOUT,
                                             follow_redirects=False)
        return clients[key]

    async def _fetch(self, query: ProductQuery, clients) -> Product:
        if not isinstance(query, ProductQuery) or query.platform not in PLATFORMS:
            raise InvalidQuery(f"Unknown platform “{getattr(query, 'platform', query)}”.")
        platform = PLATFORMS[query.platform]
        creds, transport, demo = _resolve(self.credentials, query.platform,
                                          self.transport or self.demo_transport, self.clock)
        if demo and self.transport is None:
            self.demo_transport = transport
        http = self._client(transport, clients)
        limiter = self._limiter(query.platform, platform.qps)
        started = time.monotonic()
        attempt = 0
        token_renewed = False
        while True:
            attempt += 1
            await self._pace(limiter)
            try:
                call_creds = creds
                if platform.token_flow:
                    call_creds = await self._with_token(platform, creds, http, limiter,
                                                        renew=False)
                product = await self._attempt(platform, query, call_creds, http)
            except FetchError as exc:
                self._scrub(exc, creds)
                if platform.token_flow and not token_renewed and \
                        (exc.code or "") in platform.token_error_codes:
                    # The token expired or was revoked mid-way: renew once, go on.
                    token_renewed = True
                    _TOKENS.pop(_token_key(platform.key, creds), None)
                    attempt -= 1
                    continue
                delay = self.policy.delay(attempt, exc, self.rng)
                spent = time.monotonic() - started
                if (not exc.retryable or attempt >= self.policy.max_attempts
                        or spent + delay > self.policy.max_total_s):
                    raise exc
                log.info("retrying %s after %s (attempt %d, wait %.1fs)", query.key,
                         exc.kind, attempt, delay)
                await self.sleep(delay)
                continue
            product.demo = demo
            product.query = query
            product.fetched_at = datetime.fromtimestamp(self.clock(), tz=timezone.utc)
            return product

    def _limiter(self, platform: str, default_qps: float) -> RateLimiter:
        """One pacing schedule per platform: the batch's own when qps is given (shared
        by the whole batch), else the process-wide one at the platform's limit."""
        if not self.qps:
            return shared_limiter(platform, default_qps)
        qps = self.qps.get(platform, default_qps) if isinstance(self.qps, Mapping) else self.qps
        if platform not in self.limiters:
            self.limiters[platform] = RateLimiter(float(qps))
        return self.limiters[platform]

    async def _pace(self, limiter: RateLimiter) -> None:
        delay = limiter.reserve()
        if delay > 0:
            await self.sleep(delay)

    async def _with_token(self, platform, creds: Credentials, http: httpx.AsyncClient,
                          limiter, renew: bool) -> Credentials:
        """creds plus a valid access token, fetched (or refreshed) when needed."""
        key = _token_key(platform.key, creds)
        token = _TOKENS.get(key)
        now = self.clock()
        if token is None or token.expires_at - TOKEN_MARGIN_S <= now:
            refresh = token.refresh_token if token is not None else ""
            request = platform.token_request(creds, timestamp_ms=int(now * 1000),
                                             refresh_token=refresh)
            try:
                response = await http.send(request, stream=True)
                try:
                    body = await _read_capped(response)
                finally:
                    await response.aclose()
            except httpx.TimeoutException:
                raise NetworkError("The marketplace took too long to answer. Please try "
                                   "again.", detail="timeout (token)") from None
            except httpx.TransportError as exc:
                raise NetworkError(detail=f"{type(exc).__name__} (token)") from None
            token = platform.parse_token(decode_payload(body))
            if token.expires_in is not None:          # a lifetime: anchor it to our clock
                token = replace(token, expires_at=now + token.expires_in, expires_in=None)
            _TOKENS[key] = token
            await self._pace(limiter)
        return Credentials({**creds, "access_token": token.access_token})

    @staticmethod
    def _scrub(error: FetchError, creds: Credentials) -> None:
        """No secret may travel in an error's text."""
        secrets = creds.secret_values()
        error.user_message = scrub(error.user_message, secrets)
        error.detail = scrub(error.detail, secrets)
        if isinstance(error.raw, str):
            error.raw = scrub(error.raw, secrets)
        error.args = tuple(scrub(str(a), secrets) for a in error.args)

    async def _attempt(self, platform, query, creds, http: httpx.AsyncClient) -> Product:
        request = platform.build_request(query, creds, timestamp_ms=int(self.clock() * 1000))
        log.debug("%s %s %s", request.method, request.url.copy_with(query=None),
                  mask_params(dict(httpx.QueryParams(request.content.decode("utf-8", "replace")))
                              if request.method == "POST" else dict(request.url.params)))
        try:
            response = await http.send(request, stream=True)
            try:
                body = await _read_capped(response)
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            raise NetworkError("The marketplace took too long to answer. Please try again.",
                               detail="timeout") from None
        except httpx.TransportError as exc:
            raise NetworkError(detail=type(exc).__name__) from None
        return _to_product(platform.key, query, response, body)


async def _read_capped(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadResponse("The marketplace sent an unexpectedly large answer, so it was "
                              "not read.", detail=f"body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _to_product(platform: str, query: ProductQuery, response: httpx.Response,
                body: bytes) -> Product:
    status = response.status_code
    if status == 429:
        retry_after = _retry_after(response.headers.get("retry-after"))
        raise RateLimited(detail="HTTP 429", retry_after=retry_after)
    if status >= 500:
        raise UpstreamError("The marketplace is having trouble right now. Please try again "
                            "in a minute.", detail=f"HTTP {status}", retryable=True,
                            raw=body[:2000].decode("utf-8", "replace"))
    if not body.strip():
        raise BadResponse("The marketplace sent an empty answer. Please try again.",
                          detail=f"HTTP {status}, empty body", retryable=True)
    try:
        return parse_payload(platform, body, query)
    except BadResponse as exc:
        if status >= 400:
            raise UpstreamError(detail=f"HTTP {status}",
                                raw=body[:2000].decode("utf-8", "replace")) from None
        raise


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
