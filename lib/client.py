"""fetch_product / fetch_many: query -> signed request -> payload -> Product.

One async pipeline serves both (fetch_product is a batch of one). Demo mode is this
same pipeline with the sandbox transport and the sandbox's demo credentials. I/O is
injected: the transport (any httpx transport), the clock and the sleep function.

Reliability, in one place:
- pacing: every request (token calls included) waits for its slot in the platform's
  schedule (lib/ratelimit.py), so a batch does not trigger bans in the first place;
- one retry policy (RetryPolicy): timeouts, connection errors, HTTP 5xx, empty or cut-off
  answers and rate-limit answers are tried again with exponential back-off and jitter,
  or after the wait the gateway asks for (Retry-After, "this ban will last N seconds"),
  within a bounded number of tries and ONE deadline per fetch (RetryPolicy.max_total_s,
  on the injected clock): the back-off waits are planned within it and every attempt
  (token call, pacing, sending, reading the body, parsing) runs under an asyncio timeout
  on what is left of it, so a silent gateway or a body dribbled byte by byte ends too
  (on virtual time, where only the injected sleep moves the clock, it is checked between
  tries);
  signature, token, permission, not-found and bad-parameter errors never are, also when
  a 429 or 5xx answer's body names one of them (the gateway's own error wins);
- answers are screened before parsing: size cap (on the DECODED body, decoded here in
  bounded steps, so a gzip bomb never reaches memory; sync transports stream too), status,
  empty or cut-off body, wrong content type; whatever cannot be read becomes BadResponse
  with the raw body (cut to RAW_KEEP_CHARS) on `.raw`; the text is decoded in the
  answer's charset (GBK, latin-1...);
- what a Product keeps of the payload (`raw`) is bounded (lib.model.bounded_raw);
- token-flow platforms (Tuya) get their token once per process and renew it once when
  a call says it expired, however many calls of a batch notice at the same time;
- no secret travels in an error (scrubbed) or a log line (masked: ours, and httpx's and
  httpcore's through lib.log.SECRET_MASK, which learns each credential and token used).
"""
from __future__ import annotations

import asyncio
import codecs
import email.utils
import hashlib
import logging
import random
import threading
import time
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Coroutine, Iterable, Mapping

import httpx
import pandas as pd

from lib.credentials import Credentials
from lib.aio import run_sync
from lib.errors import (AuthError, BadResponse, FetchError, InvalidQuery, NetworkError,
                        RateLimited, UpstreamError)
from lib.log import SECRET_MASK, install_secret_mask, mask_params, mask_path, scrub
from lib.model import Product, bounded_raw
from lib.platforms import PLATFORMS, Token, decode_payload, parse_freight, parse_payload
from lib.query import FreightQuery, ProductQuery, quote_input
from lib.ratelimit import FOREGROUND, RateLimiter, shared_limiter

log = logging.getLogger(__name__)
install_secret_mask()        # httpx logs token URLs at INFO: masked wherever it is logged

TIMEOUT = httpx.Timeout(20.0, connect=8.0)
MAX_BODY_BYTES = 20 * 1024 * 1024    # the decoded body (and the bytes on the wire)
DECODE_STEP_BYTES = 256 * 1024       # a compressed body is inflated this much at a time
RAW_KEEP_CHARS = 2000        # how much of an unreadable answer an error keeps (.raw)
TOKEN_MARGIN_S = 60          # renew a token a minute before it expires

# Live mode without a transport uses a real network transport; a test (or a tool) can set
# this to a zero-argument callable returning the transport to use instead (e.g. the
# sandbox), without touching the UI code that calls fetch_product.
DEFAULT_TRANSPORT_FACTORY: Callable[[], Any] | None = None
# Demo mode without a transport uses the in-process sandbox; a team deployment sets this
# (lib/deployment.py) to reach the shared demo gateway server instead, so every process
# is judged by one gateway.
DEMO_TRANSPORT_FACTORY: Callable[[], Any] | None = None

# Tokens of token-flow platforms (Tuya), shared by every fetch in the process.
_TOKENS: dict[tuple[str, str, str], Token] = {}

# Content types that cannot hold a JSON answer, whatever the body looks like.
_NOT_JSON_TYPES = ("image/", "audio/", "video/", "font/", "multipart/",
                   "application/octet-stream", "application/pdf", "application/zip",
                   "application/gzip")


def _token_key(platform: str, creds: Mapping[str, str]) -> tuple[str, str, str]:
    secret = hashlib.sha256(creds.get("client_secret", "").encode()).hexdigest()[:16]
    return platform, creds.get("client_id", ""), secret


@dataclass(frozen=True)
class RetryPolicy:
    """How a fetch retries, and its one deadline: `max_total_s` bounds the whole fetch,
    tries, waits between them, slow or silent answers and token calls included."""
    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_total_s: float = 30.0          # the deadline of one fetch, from its start
    jitter: float = 0.5                # the random share of each back-off

    def delay(self, attempt: int, error: FetchError, rng: random.Random) -> float:
        """How long to wait after failed attempt number `attempt` (1-based)."""
        if error.retry_after:
            return float(error.retry_after)           # the gateway said how long
        backoff = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return backoff * (1 - self.jitter + self.jitter * rng.random())

    def gives_up(self, attempt: int, error: FetchError, spent_s: float, delay_s: float) -> bool:
        """True when `error` is final: not retryable, out of tries, or out of time."""
        return (not error.retryable or attempt >= self.max_attempts
                or spent_s + delay_s > self.max_total_s)

    def out_of_time(self) -> NetworkError:
        """The error of a fetch that reached its deadline."""
        return NetworkError(f"The marketplace did not answer within {self.max_total_s:g} "
                            "seconds, so the app stopped waiting. Please try again in a "
                            "minute.", detail=f"deadline of {self.max_total_s:g} s reached",
                            retryable=False)


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
               transport: Any = None, concurrency: int = 8,
               qps: float | Mapping[str, float] | None = None,
               on_progress: Progress | None = None, policy: RetryPolicy = DEFAULT_POLICY,
               clock: Callable[[], float] | None = None,
               sleep: Callable[[float], Awaitable[None]] | None = None,
               seed: int | None = None,
               on_result: Callable[[int, "Product | FetchError"], None] | None = None,
               stop: Callable[[], bool] | None = None,
               background: bool = False) -> list[Product | FetchError | None]:
    """Several products, in input order; one failure never stops the others.

    on_result(index, result): called as each product finishes (a job records it then).
    stop(): asked before each product starts; once it says True, products not started
    are not fetched and stay None in the answer (a cancelled job).
    background: a job's calls; they take a pacing slot only when no other call waits
    for one, so interactive fetches of other sessions go first (lib/ratelimit.py).

    qps: calls per second, one number for every platform or {platform: qps}; default
    each platform's own limit (Platform.qps, and Platform.qpm per minute when set).
    clock/sleep: inject both for virtual time (pacing and retry waits then run on them);
    with only the clock injected, it stamps requests and bounds retries, and pacing
    keeps to real time, shared with every other fetch in the process."""
    batch = _Batch(list(queries), credentials, transport, concurrency, qps, on_progress,
                   policy, clock, sleep, random.Random(seed))
    batch.on_result, batch.stop, batch.background = on_result, stop, background
    return run_sync(batch.run())


def fetch_freight(query: ProductQuery, sku_id: str, quantity: int, *,
                  credentials: Mapping[str, Any] | None = None, transport: Any = None,
                  **options: Any) -> pd.DataFrame:
    """The shipping options for `quantity` units of one SKU to the query's country, in
    its currency: a DataFrame of lib.model.FREIGHT_COLUMNS (see fetch_freight_many).
    Raises a FetchError subclass (not deliverable: NotAvailableInCountry)."""
    (result,) = fetch_freight_many([FreightQuery(query, sku_id, int(quantity))],
                                   credentials=credentials, transport=transport,
                                   concurrency=1, **options)
    if isinstance(result, FetchError):
        raise result
    return result


def fetch_freight_many(requests: Iterable[FreightQuery], *,
                       credentials: Mapping[str, Any] | None = None, transport: Any = None,
                       concurrency: int = 8, **options: Any
                       ) -> list[pd.DataFrame | FetchError | None]:
    """Shipping options for several (product, SKU, quantity) requests, in input order,
    with the same pacing (the platform's one schedule, shared with product fetches),
    retries and deadline as fetch_many; one failure never stops the others. Each
    answer's `attrs` say `demo`, `fetched_at` (UTC datetime) and `request`. Options as
    for fetch_many (qps, policy, clock, sleep, seed, on_progress, background...)."""
    on_result = options.pop("on_result", None)
    stop = options.pop("stop", None)
    background = options.pop("background", False)
    batch = _Batch(list(requests), credentials, transport, concurrency,
                   options.pop("qps", None), options.pop("on_progress", None),
                   options.pop("policy", DEFAULT_POLICY), options.pop("clock", None),
                   options.pop("sleep", None), random.Random(options.pop("seed", None)),
                   call=FREIGHT_CALL)
    if options:
        raise TypeError(f"unexpected options: {', '.join(sorted(options))}")
    batch.on_result, batch.stop, batch.background = on_result, stop, background
    return run_sync(batch.run())


class _ProductCall:
    """What a fetch of one product sends and reads (the default call of a batch)."""
    item_type = ProductQuery

    def check(self, platform: Any, item: Any) -> None:
        pass

    def build(self, platform, item, creds, timestamp_ms: int) -> httpx.Request:
        return platform.build_request(item, creds, timestamp_ms=timestamp_ms)

    def read(self, platform, item, response, body: bytes, now: float, creds) -> Product:
        product = _to_product(platform.key, item, response, body, now)
        return platform.apply_settings(product, creds)    # e.g. the Tuya mall currency

    def finish(self, result: Product, item, demo: bool, when: datetime) -> Product:
        result.demo, result.query, result.fetched_at = demo, item, when
        return result


class _FreightCall(_ProductCall):
    """The shipping-options call (lib.query.FreightQuery -> DataFrame)."""
    item_type = FreightQuery

    def check(self, platform: Any, item: Any) -> None:
        if not platform.quotes_shipping:
            raise InvalidQuery(f"{platform.label} has no shipping-options call in this "
                               "app: enter your own freight figure instead.")
        if int(item.quantity) < 1:
            raise InvalidQuery("The quantity must be at least 1.")

    def build(self, platform, item, creds, timestamp_ms: int) -> httpx.Request:
        return platform.build_freight_request(item, creds, timestamp_ms=timestamp_ms)

    def read(self, platform, item, response, body: bytes, now: float, creds) -> pd.DataFrame:
        return _read_answer(platform.key, response, body, now,
                            lambda text: parse_freight(platform.key, text, item))

    def finish(self, result: pd.DataFrame, item, demo: bool, when: datetime) -> pd.DataFrame:
        result.attrs.update(demo=demo, fetched_at=when, request=item)
        return result


PRODUCT_CALL, FREIGHT_CALL = _ProductCall(), _FreightCall()


class _SyncToAsync(httpx.AsyncBaseTransport):
    """Lets a sync-only httpx transport serve the async pipeline. Its answer is passed on
    as it arrives (each chunk read on a worker thread), still encoded, never read whole
    here: the size cap and the bounded decoding apply as to any other transport."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await _on_own_thread(self.transport.handle_request, request)
        stream: httpx.AsyncByteStream
        headers = response.headers
        if isinstance(response.stream, httpx.ByteStream):
            stream = response.stream              # bytes in memory, still encoded
        elif response.is_stream_consumed:
            # The transport read (and so decoded) it itself: pass on the decoded bytes.
            stream = httpx.ByteStream(response.content)
            headers = httpx.Headers([(k, v) for k, v in headers.multi_items()
                                     if k.lower() not in ("content-encoding",
                                                          "content-length")])
        else:
            stream = _ThreadedStream(response.stream)
        return httpx.Response(response.status_code, headers=headers, stream=stream,
                              extensions=response.extensions)


async def _on_own_thread(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` on a daemon thread of its own. Unlike asyncio.to_thread, a call
    still blocked when the deadline ends the fetch (a sync transport waiting on a silent
    socket) does not hold up asyncio.run's exit: it finishes alone, its result dropped."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)

    def work() -> None:
        try:
            outcome = (True, function(*args))
        except BaseException as exc:          # handed to the awaiting task
            outcome = (False, exc)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:
            pass                              # the fetch is over and its loop closed
    threading.Thread(target=work, daemon=True, name="sync-transport").start()
    return await future


class _ThreadedStream(httpx.AsyncByteStream):
    """A sync byte stream read chunk by chunk on worker threads."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    async def __aiter__(self):
        chunks = iter(self.stream)
        while True:
            chunk = await _on_own_thread(next, chunks, None)
            if chunk is None:
                return
            yield chunk

    async def aclose(self) -> None:
        close = getattr(self.stream, "close", None)
        if close is not None:
            await _on_own_thread(close)


def pacing_account(creds: Mapping[str, Any], demo: bool) -> str:
    """Whose quota a call spends, for the shared pacing key: "demo", or a short hash of
    the app key / client id (the quota's owner; never a secret, never the key itself)."""
    if demo:
        return "demo"
    owner = str(creds.get("app_key") or creds.get("client_id") or "")
    return hashlib.sha256(owner.encode("utf-8")).hexdigest()[:12] if owner else ""


def _credentials_for(credentials: Mapping[str, Any] | None, platform: str
                     ) -> tuple[Credentials, bool]:
    """(credentials, demo) for one platform. No credentials = demo mode; a mapping keyed
    by platform gives each its own, and a platform it leaves out runs in demo mode."""
    from lib.sandbox import DEMO_CREDENTIALS

    if isinstance(credentials, Mapping) and any(isinstance(credentials.get(key), Mapping)
                                                for key in PLATFORMS):
        credentials = credentials.get(platform)
    if credentials is None:
        demo = DEMO_CREDENTIALS.get(platform)
        if demo is None:
            raise InvalidQuery(f"There is no demo data for {PLATFORMS[platform].label}. "
                               "Add API credentials to fetch live products.")
        return Credentials(demo), True
    return Credentials(credentials), False


def _resolve(credentials: Mapping[str, Any] | None, platform: str,
             transport: Any, clock: Callable[[], float] = time.time
             ) -> tuple[Credentials, Any, bool]:
    """(credentials, transport, demo) for one platform.

    Demo mode without a transport gets the sandbox, sharing the caller's clock (so an
    injected clock signs timestamps the sandbox accepts). Live mode without a transport
    gets DEFAULT_TRANSPORT_FACTORY's when it is set; else the real network is used."""
    from lib.sandbox import SandboxTransport

    creds, demo = _credentials_for(credentials, platform)
    if transport is None:
        if demo and DEMO_TRANSPORT_FACTORY is not None and clock is time.time:
            # (an injected clock signs times only the in-process sandbox shares)
            transport = DEMO_TRANSPORT_FACTORY()
        elif demo:
            transport = SandboxTransport(clock=clock)
        elif DEFAULT_TRANSPORT_FACTORY is not None:
            transport = DEFAULT_TRANSPORT_FACTORY()
    return creds, transport, demo


class _Batch:
    def __init__(self, queries, credentials, transport, concurrency, qps, on_progress,
                 policy, clock, sleep, rng, call: _ProductCall = PRODUCT_CALL) -> None:
        self.call = call
        self.queries = queries
        self.credentials = credentials
        self.transport = transport
        self.semaphore_size = max(1, int(concurrency))
        self.qps = qps
        self.on_progress = on_progress
        self.policy = policy
        # Wall time stamps requests; elapsed time (retry budget, pacing) is measured on
        # the injected clock when there is one, else on the monotonic clock.
        self.clock = clock if clock is not None else time.time
        self.timer = clock if clock is not None else time.monotonic
        self.virtual_time = clock is not None and sleep is not None
        self.sleep = sleep if sleep is not None else asyncio.sleep
        self.rng = rng
        self.done = 0
        self.limiters: dict[str, RateLimiter] = {}
        self.token_locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self.on_result: Callable[[int, Any], None] | None = None
        self.stop: Callable[[], bool] | None = None
        self.background = False
        self.demo_transport: Any = None       # one sandbox for the whole batch
        self.live_transport: Any = None       # one DEFAULT_TRANSPORT_FACTORY transport

    async def run(self) -> list[Product | FetchError]:
        semaphore = asyncio.Semaphore(self.semaphore_size)
        clients: dict[int, httpx.AsyncClient] = {}
        # An interactive batch puts the process in the foreground: a job's CPU-heavy
        # steps wait meanwhile (lib.ratelimit.Foreground).
        interactive = not self.background
        if interactive:
            FOREGROUND.enter()
        try:
            async def one(index: int, query: ProductQuery) -> Product | FetchError | None:
                async with semaphore:
                    if self.stop is not None and self.stop():
                        return None
                    try:
                        result: Product | FetchError = await self._fetch(query, clients)
                    except FetchError as exc:
                        result = exc
                    except Exception as exc:         # a bug must not sink the batch
                        log.exception("fetching %s failed unexpectedly",
                                      getattr(query, "key", "?"))
                        result = FetchError(detail=f"internal error ({type(exc).__name__})")
                self.done += 1
                if self.on_result and self.background and not self.virtual_time:
                    # A job's on_result saves to the database: off this loop, so a call
                    # granted its slot meanwhile goes out on time, not bunched with the
                    # next one at the gateway (measured: saves held sends 100+ ms); and
                    # after a page being drawn, not during it (its CPU and the write).
                    await FOREGROUND.yield_to()
                    await asyncio.to_thread(self.on_result, index, result)
                elif self.on_result:
                    self.on_result(index, result)
                if self.on_progress:
                    self.on_progress(self.done, len(self.queries), result)
                return result
            return list(await asyncio.gather(*(one(i, q) for i, q in enumerate(self.queries))))
        finally:
            for client in clients.values():
                await client.aclose()
            if interactive:
                FOREGROUND.leave()

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

    def _transport_for(self, query: ProductQuery) -> tuple[Credentials, Any, bool]:
        """Credentials and transport; one sandbox (demo) and one factory-made transport
        (live) serve the whole batch."""
        _, demo = _credentials_for(self.credentials, query.platform)
        kept = self.demo_transport if demo else self.live_transport
        creds, transport, demo = _resolve(self.credentials, query.platform,
                                          self.transport or kept, self.clock)
        if self.transport is None:
            if demo:
                self.demo_transport = transport
            else:
                self.live_transport = transport
        return creds, transport, demo

    async def _fetch(self, query: ProductQuery, clients) -> Product:
        if not isinstance(query, self.call.item_type) or query.platform not in PLATFORMS:
            name = quote_input(getattr(query, "platform", ""))
            raise InvalidQuery(f"Unknown platform {name}. Choose one of: "
                               + ", ".join(PLATFORMS) + ".")
        platform = PLATFORMS[query.platform]
        self.call.check(platform, query)
        creds, transport, demo = self._transport_for(query)
        http = self._client(transport, clients)
        limiter = self._limiter(platform, pacing_account(creds, demo))
        started = self.timer()
        waited = 0.0
        attempt = 0
        token_renewed = False
        stale: Token | None = None
        SECRET_MASK.remember(creds.secret_values())
        while True:
            attempt += 1
            used: list[Token] = []
            try:
                # Elapsed on the injected clock; a clock that stands still (a test's)
                # still counts the waits.
                left = self.policy.max_total_s - max(self.timer() - started, waited)
                product = await self._within(left, self._try_once(
                    platform, query, creds, http, limiter, stale, used))
            except FetchError as exc:
                token = used[0] if used else None
                self._scrub(exc, creds, self._token_secrets(platform, creds, token))
                exc.attempts = attempt
                if platform.token_flow and not token_renewed and token is not None and \
                        (exc.code or "") in platform.token_error_codes:
                    # The token expired or was revoked mid-way: renew once, go on.
                    token_renewed = True
                    stale = token
                    attempt -= 1
                    continue
                delay = self.policy.delay(attempt, exc, self.rng)
                spent = max(self.timer() - started, waited)
                if self.policy.gives_up(attempt, exc, spent, delay):
                    raise exc
                log.info("retrying %s after %s (attempt %d, wait %.1fs)", query.key,
                         exc.kind, attempt, delay)
                await self.sleep(delay)
                waited += delay
                continue
            return self.call.finish(product, query, demo,
                                    datetime.fromtimestamp(self.clock(), tz=timezone.utc))

    async def _within(self, seconds: float, work: Coroutine[Any, Any, Product]) -> Product:
        """`work` under a timeout of what is left of the fetch's deadline. On virtual
        time (clock and sleep injected) only the injected sleep moves the clock, so a
        real-time timeout would mean nothing: the deadline is then checked between tries."""
        if seconds <= 0:
            work.close()                      # never started: no "never awaited" warning
            raise self.policy.out_of_time()
        if self.virtual_time:
            return await work
        timeout = asyncio.timeout(seconds)
        try:
            async with timeout:
                return await work
        except TimeoutError:
            if timeout.expired():
                raise self.policy.out_of_time() from None
            raise

    async def _try_once(self, platform, query, creds: Credentials, http, limiter,
                        stale: Token | None, used: list[Token]) -> Product:
        """One attempt: the token when the platform needs one (noted in `used`), then
        the call."""
        if platform.token_flow:
            token = await self._token(platform, creds, http, limiter, stale)
            used.append(token)
            SECRET_MASK.remember((token.access_token, token.refresh_token))
            creds = Credentials({**creds, "access_token": token.access_token})
        return await self._attempt(platform, query, creds, http, limiter)

    def _limiter(self, platform, account: str = "") -> RateLimiter:
        """One pacing schedule per platform and account. Default: the process-wide one
        (or, in a team deployment, the one every process shares) at the platform's
        limits, in real time; a batch with its own qps, or running on virtual time, has
        its own (shared by the whole batch)."""
        qps = platform.qps
        if isinstance(self.qps, Mapping):
            qps = self.qps.get(platform.key, qps)
        elif self.qps:
            qps = self.qps
        qpm = getattr(platform, "qpm", None)
        extra: dict[str, Any] = {"qpm": qpm} if qpm else {}
        if not self.qps and not self.virtual_time:
            return shared_limiter(platform.key, qps, account=account, **extra)
        if self.virtual_time:
            extra["clock"] = self.timer
        if platform.key not in self.limiters:
            self.limiters[platform.key] = RateLimiter(float(qps), **extra)
        return self.limiters[platform.key]

    async def _pace(self, limiter: RateLimiter) -> None:
        # Interactive calls keep the plain wait(sleep) call, so any limiter (a test's
        # counting fake included) still serves them; only a job's asks for background.
        if self.background:
            await limiter.wait(self.sleep, background=True)
        else:
            await limiter.wait(self.sleep)

    async def _token(self, platform, creds: Credentials, http: httpx.AsyncClient,
                     limiter, stale: Token | None) -> Token:
        """A valid access token, fetched (or refreshed ahead of expiry) when needed.

        One fetch at a time per app: calls of a batch that all find the token missing,
        expiring or refused (`stale`) wait for the one renewal instead of each asking."""
        key = _token_key(platform.key, creds)
        lock = self.token_locks.setdefault(key, asyncio.Lock())
        async with lock:
            token = _TOKENS.get(key)
            if stale is not None and token is stale:
                _TOKENS.pop(key, None)                 # refused by the gateway: new grant
                token = None
            now = self.clock()
            if token is not None and token.expires_at - TOKEN_MARGIN_S > now:
                return token
            refresh = token.refresh_token if token is not None else ""
            try:
                token = await self._request_token(platform, creds, http, limiter, refresh)
            except AuthError as exc:
                if not refresh or (exc.code or "") not in platform.token_error_codes:
                    raise
                # The refresh token is no longer accepted: ask for a new grant.
                token = await self._request_token(platform, creds, http, limiter, "")
            _TOKENS[key] = token
            return token

    async def _request_token(self, platform, creds, http, limiter, refresh: str) -> Token:
        await self._pace(limiter)
        now = self.clock()
        request = platform.token_request(creds, timestamp_ms=int(now * 1000),
                                         refresh_token=refresh)
        response, body = await self._send(http, request, " (token)")
        _screen_stated(platform, response, body, self.clock())
        try:
            token = platform.parse_token(decode_payload(_text(response, body)))
        except FetchError as exc:
            if exc.raw is None:
                exc.raw = _raw_text(body)
            raise
        SECRET_MASK.remember((token.access_token, token.refresh_token))
        if token.expires_in is not None:          # a lifetime: anchor it to our clock
            token = replace(token, expires_at=now + token.expires_in, expires_in=None)
        return token

    @staticmethod
    def _token_secrets(platform, creds: Credentials, used: Token | None) -> list[str]:
        """The tokens a token-flow call may have sent or received (not in `creds`)."""
        if not platform.token_flow:
            return []
        tokens = [used, _TOKENS.get(_token_key(platform.key, creds))]
        return [t for token in tokens if token is not None
                for t in (token.access_token, token.refresh_token) if t]

    @staticmethod
    def _scrub(error: FetchError, creds: Credentials, extra: Iterable[str] = ()) -> None:
        """No secret may travel in an error's text."""
        secrets = creds.secret_values() + list(extra)
        error.user_message = scrub(error.user_message, secrets)
        error.gateway_message = scrub(error.gateway_message, secrets)   # the gateway's words
        error.hint = scrub(error.hint, secrets)
        error.detail = scrub(error.detail, secrets)
        if isinstance(error.raw, str):
            error.raw = scrub(error.raw, secrets)
        error.args = tuple(scrub(str(a), secrets) for a in error.args)

    async def _send(self, http: httpx.AsyncClient, request: httpx.Request,
                    what: str = "") -> tuple[httpx.Response, bytes]:
        """Send one request (logged with its secrets masked); network faults become
        NetworkError, an undecodable stream BadResponse (both worth another try)."""
        _log_request(request)
        try:
            response = await http.send(request, stream=True)
            try:
                body = await _read_capped(response)
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            raise NetworkError("The marketplace took too long to answer. Please try again.",
                               detail=f"timeout{what}") from None
        except httpx.DecodingError as exc:
            raise BadResponse("The marketplace's answer arrived damaged. Please try again.",
                              detail=f"{type(exc).__name__}{what}", retryable=True) from None
        except (httpx.TransportError, httpx.TooManyRedirects) as exc:
            raise NetworkError(detail=f"{type(exc).__name__}{what}") from None
        return response, body

    async def _attempt(self, platform, query, creds, http: httpx.AsyncClient,
                       limiter) -> Product:
        await self._pace(limiter)
        request = self.call.build(platform, query, creds, int(self.clock() * 1000))
        response, body = await self._send(http, request)
        now = self.clock()
        if self.background and not self.virtual_time:
            # A job's parsing waits while a page is being drawn (lib.ratelimit.Foreground).
            await FOREGROUND.yield_to()
        # Parse off the event loop, so a big payload does not delay other calls' timers.
        return await asyncio.to_thread(self.call.read, platform, query, response, body,
                                       now, creds)


def _log_request(request: httpx.Request) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    if request.method == "POST":
        params = dict(httpx.QueryParams(request.content.decode("utf-8", "replace")))
    else:
        params = dict(request.url.params)
    url = request.url.copy_with(query=None)
    log.debug("%s %s://%s%s %s", request.method, url.scheme, url.host,
              mask_path(url.path), mask_params(params))


_TOO_LARGE = "The marketplace sent an unexpectedly large answer, so it was not read."


async def _read_capped(response: httpx.Response) -> bytes:
    """The decoded body, refused (BadResponse) as soon as it passes MAX_BODY_BYTES, on
    the wire or decoded. Decoded here, not by httpx: httpx inflates each arriving chunk
    whole, so a 2 MB gzip chunk would become 2 GB in memory before any check."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BadResponse(_TOO_LARGE, detail=f"body of {declared} bytes, over the "
                                             f"{MAX_BODY_BYTES}-byte cap", raw="")
    try:
        content = response.content           # an in-process transport read it already
    except httpx.ResponseNotRead:
        pass
    else:
        if len(content) > MAX_BODY_BYTES:
            raise BadResponse(_TOO_LARGE, detail=f"body over {MAX_BODY_BYTES} bytes",
                              raw=_raw_text(content[:RAW_KEEP_CHARS * 4], len(content)))
        return content
    inflater = _Inflater(response.headers.get("content-encoding", ""))
    chunks: list[bytes] = []
    size = wire = 0

    def keep(piece: bytes) -> None:
        nonlocal size
        size += len(piece)
        if size > MAX_BODY_BYTES:
            head = (b"".join(chunks[:8]) + piece)[:RAW_KEEP_CHARS * 4]
            decoded = " (decoded)" if inflater.stages else ""
            raise BadResponse(_TOO_LARGE, detail=f"body over {MAX_BODY_BYTES} bytes{decoded}",
                              raw=_raw_text(head, size))
        chunks.append(piece)

    async for data in response.aiter_raw():
        for piece in inflater.feed(data):
            keep(piece)
        wire += len(data)
        if wire > MAX_BODY_BYTES:             # e.g. endless bytes after the gzip end
            raise BadResponse(_TOO_LARGE, detail=f"body over {MAX_BODY_BYTES} bytes "
                                                 "on the wire", raw="")
    for piece in inflater.flush():
        keep(piece)
    return b"".join(chunks)


class _Inflate:
    """One gzip or deflate layer, inflated at most DECODE_STEP_BYTES at a time."""

    def __init__(self, wbits: int, deflate: bool = False) -> None:
        self.inflater = zlib.decompressobj(wbits)
        self.deflate = deflate                # "deflate" may come without its zlib header
        self.started = False

    def feed(self, data: bytes) -> Iterable[bytes]:
        while True:
            try:
                out = self.inflater.decompress(data, DECODE_STEP_BYTES)
            except zlib.error as exc:
                if self.deflate and not self.started:
                    self.started = True           # raw deflate, as httpx also accepts
                    self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise httpx.DecodingError(str(exc)) from None
            self.started = True
            if out:
                yield out
            tail = self.inflater.unconsumed_tail
            if not out and len(tail) == len(data):
                return                            # no progress: nothing more to give
            data = tail
            if not data and len(out) < DECODE_STEP_BYTES:
                return                            # input used up, no output pending

    def flush(self) -> bytes:
        try:
            return self.inflater.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(str(exc)) from None


class _Inflater:
    """The Content-Encoding layers of a body, undone in bounded steps (last applied first)."""

    def __init__(self, header: str) -> None:
        self.stages: list[_Inflate] = []
        for name in reversed([n.strip().lower() for n in header.split(",")]):
            if name in ("", "identity"):
                continue
            if name in ("gzip", "x-gzip"):
                self.stages.append(_Inflate(16 + zlib.MAX_WBITS))
            elif name == "deflate":
                self.stages.append(_Inflate(zlib.MAX_WBITS, deflate=True))
            else:
                raise BadResponse("The marketplace sent its answer compressed in a way this "
                                  "app cannot read.", detail=f"content-encoding {name}",
                                  raw="")

    def feed(self, data: bytes, stage: int = 0) -> Iterable[bytes]:
        if stage == len(self.stages):
            if data:
                yield data
            return
        for piece in self.stages[stage].feed(data):
            yield from self.feed(piece, stage + 1)

    def flush(self) -> Iterable[bytes]:
        for index, stage in enumerate(self.stages):
            yield from self.feed(stage.flush(), index + 1)


# Charsets servers state by default whatever they send; a body that is valid UTF-8 is
# read as UTF-8 despite them (a latin-1 text with accents is practically never valid UTF-8).
_DEFAULT_CHARSETS = {"iso8859-1", "cp1252", "ascii"}


def _text(response: httpx.Response, body: bytes) -> str:
    """The body as text, in the charset the answer states (UTF-8 when it states none or
    one Python does not know)."""
    try:
        codec = codecs.lookup(response.charset_encoding or "utf-8").name
    except LookupError:
        codec = "utf-8"
    if codec in _DEFAULT_CHARSETS:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return body.decode(codec, "replace")


def _raw_text(body: bytes, total: int | None = None) -> str:
    """The start of a body as text, for the Raw data page, marked when cut."""
    text = body[:RAW_KEEP_CHARS * 4].decode("utf-8", "replace")
    total = len(body) if total is None else total
    if len(text) > RAW_KEEP_CHARS or total > len(body):
        return text[:RAW_KEEP_CHARS] + f"\n… [cut: {total} bytes in all]"
    return text


def _screen(response: httpx.Response, body: bytes, now: float) -> None:
    """Raise for an answer that is not a readable JSON document, before any parsing."""
    status = response.status_code
    retry_after = _retry_after(response.headers.get("retry-after"), now)
    if status == 429:
        raise RateLimited(detail="HTTP 429", retry_after=retry_after, raw=_raw_text(body))
    if status >= 500:
        raise UpstreamError("The marketplace is having trouble right now. Please try again "
                            "in a minute.", detail=f"HTTP {status}", retryable=True,
                            retry_after=retry_after, raw=_raw_text(body))
    if 300 <= status < 400:
        raise UpstreamError("The marketplace sent the request somewhere else instead of "
                            "answering; its API address may have changed.",
                            detail=f"HTTP {status} redirect", raw=_raw_text(body))
    if not body.strip():
        raise BadResponse("The marketplace sent an empty answer. Please try again.",
                          detail=f"HTTP {status}, empty body", retryable=True, raw="")
    declared = response.headers.get("content-length", "")
    encoded = response.headers.get("content-encoding", "identity").lower() not in {"", "identity"}
    if declared.isdigit() and not encoded and len(body) < int(declared):
        raise BadResponse("The marketplace's answer was cut off. Please try again.",
                          detail=f"body cut off: {len(body)} of {declared} bytes",
                          retryable=True, raw=_raw_text(body))
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype.startswith(_NOT_JSON_TYPES) or "xml" in ctype:
        kind = "XML" if "xml" in ctype else "a file"
        raise BadResponse(f"The marketplace sent {kind} instead of the product data. "
                          "If this keeps happening, the API address may be wrong.",
                          detail=f"wrong content type {ctype}", raw=_raw_text(body))


def _screen_stated(platform, response: httpx.Response, body: bytes, now: float) -> None:
    """_screen, but a 429 or 5xx answer whose body states a gateway error is named by
    it: a final cause (token, permission, not found...) is raised as such and never
    retried; a transient one keeps the HTTP error's retry, with the gateway's words.
    (Other 4xx answers go on to the parser, which reads their envelope.)"""
    stated = None
    if response.status_code == 429 or response.status_code >= 500:
        try:
            stated = platform.error_in(decode_payload(_text(response, body)))
        except FetchError:
            stated = None                       # not JSON: the status says it all
    if stated is not None and not stated.retryable and type(stated) is not UpstreamError:
        stated.raw = _raw_text(body)
        raise stated
    try:
        _screen(response, body, now)
    except FetchError as exc:
        if stated is not None:
            exc.code = exc.code or stated.code
            exc.gateway_message = exc.gateway_message or stated.gateway_message
            exc.hint = exc.hint or stated.hint
            if exc.retry_after is None:
                exc.retry_after = stated.retry_after
        raise


def _to_product(platform: str, query: ProductQuery, response: httpx.Response,
                body: bytes, now: float | None = None) -> Product:
    product = _read_answer(platform, response, body, now,
                           lambda text: parse_payload(platform, text, query))
    # The product is cached (pickled on every rerun): keep a bounded copy of the payload.
    product.raw, product.raw_cut = bounded_raw(product.raw)
    if product.raw_cut:
        product.warnings.append(product.raw_cut)
    return product


def _read_answer(platform: str, response: httpx.Response, body: bytes, now: float | None,
                 parse: Callable[[str], Any]) -> Any:
    """Screen an answer, then `parse(text)`; every way it can fail becomes a FetchError
    carrying the start of the body."""
    status = response.status_code
    _screen_stated(PLATFORMS[platform], response, body, time.time() if now is None else now)
    text = _text(response, body)
    try:
        return parse(text)
    except BadResponse as exc:
        if status >= 400:
            raise UpstreamError(detail=f"HTTP {status}", raw=_raw_text(body)) from None
        if _cut_off(text):
            raise BadResponse("The marketplace's answer was cut off. Please try again.",
                              detail=f"the answer ends in the middle ({exc.detail})",
                              retryable=True, raw=_raw_text(body)) from None
        exc.raw = _raw_text(body)
        raise
    except FetchError as exc:
        if exc.raw is None:
            exc.raw = _raw_text(body)
        raise
    except Exception as exc:          # a parser bug: the answer is kept, the app goes on
        log.warning("the %s parser failed on an answer", platform, exc_info=True)
        raise BadResponse(detail=f"the {platform} parser could not read the answer "
                                 f"({type(exc).__name__})", raw=_raw_text(body)) from None


def _cut_off(text: str) -> bool:
    """True for a JSON document that stops in the middle (unclosed brackets or string)."""
    text = text.strip().lstrip("\ufeff")
    if not text.startswith(("{", "[")):
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth < 0:
                return False
    return in_string or depth > 0


def _retry_after(value: str | None, now: float) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date (taken against `now`)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, moment.timestamp() - now)
