"""The Tuya cloud for the demo: token issuing and the mall commodity detail.

Plugged into the demo gateway (gateway.py `_handlers`) for the Tuya regional hosts. It
checks what the real cloud checks, in the same order, and answers in its envelopes:

* headers: `client_id` known (else 1005), `t` a 13-digit time near the gateway's clock
  (else 1013), `sign_method` HMAC-SHA256 and `sign` recomputed with lib.signing.tuya_sign
  (else 1004 "sign invalid");
* `GET /v1.0/token?grant_type=1` issues a token (expire_time 7200 s) and a refresh token;
  `GET /v1.0/token/{refresh_token}` renews them;
* business calls need a valid `access_token` header (else 1010 "token invalid", as the
  real cloud answers, captured in shared/real-responses/errors);
* `GET /v1.0/sellercenter/commodity/detail/{code}?mall_code=..&lang=..` serves
  fixtures/tuya/<code>.json in the real envelope, and 2000000 "params error" (the one
  error the commodity detail document lists) for an unknown commodity or mall.

Tokens are DETERMINISTIC and self-validating: an HMAC (keyed with the app's secret) over
the client id, a generation number and the expiry, followed by the generation and the
expiry in hex, so any sandbox instance accepts a token another one issued. A test makes
tokens die mid-batch either by moving the gateway's clock past the expiry or by calling
`revoke_tokens()`, which bumps this instance's generation so every token and refresh
token issued before is refused.
"""
from __future__ import annotations

import hashlib
import hmac
import threading
import weakref
from typing import Any, Mapping

import httpx

from lib.platforms import PLATFORMS
from lib.platforms.tuya import DETAIL_PATH, HOSTS, SIGN_METHOD, TOKEN_PATH
from lib.signing import tuya_sign

KEY = "tuya"
TOKEN_LIFETIME_S = 7200
_TOKEN_HEX = 32


def handles(url: httpx.URL) -> bool:
    return url.host in HOSTS


def for_gateway(gateway: Any) -> "TuyaSandbox":
    """The Tuya cloud of one SandboxGateway (created on first use, kept with it)."""
    with _LOCK:
        sandbox = _INSTANCES.get(gateway)
        if sandbox is None:
            sandbox = _INSTANCES[gateway] = TuyaSandbox(gateway)
        return sandbox


_INSTANCES: "weakref.WeakKeyDictionary[Any, TuyaSandbox]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


class TuyaSandbox:
    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway
        self.generation = 0
        self.token_requests = 0          # grants (grant_type=1)
        self.refresh_requests = 0        # /v1.0/token/{refresh_token}
        self.detail_requests = 0
        self._lock = threading.Lock()

    # -- test controls ------------------------------------------------------------------
    def revoke_tokens(self) -> None:
        """Every access and refresh token issued so far stops working."""
        with self._lock:
            self.generation += 1

    # -- the gateway ----------------------------------------------------------------------
    def respond(self, request: httpx.Request) -> httpx.Response:
        from lib.sandbox.gateway import _fresh, _json, load_fixture

        now_ms = int(self.gateway.clock() * 1000)
        creds = self.gateway.credentials.get(KEY, {})
        headers = request.headers
        client_id = headers.get("client_id", "")
        if not creds or not client_id or client_id != creds.get("client_id"):
            return _json(self._error(1005, "clientId invalid", now_ms))
        t = headers.get("t", "")
        if not _fresh(t, now_ms / 1000):
            return _json(self._error(1013, "request time is invalid", now_ms))
        path = request.url.path
        query = {k: v for k, v in request.url.params.multi_items()}
        is_token_call = path == TOKEN_PATH or path.startswith(TOKEN_PATH + "/")
        access_token = "" if is_token_call else headers.get("access_token", "")
        signed_names = [n for n in headers.get("Signature-Headers", "").split(":") if n]
        expected = tuya_sign(secret=creds.get("client_secret", ""), client_id=client_id, t=t,
                             method=request.method, path=path, query=query or None,
                             body=request.content, access_token=access_token,
                             nonce=headers.get("nonce", ""),
                             signed_headers=[(n, headers.get(n, "")) for n in signed_names])
        if headers.get("sign_method", "") != SIGN_METHOD or \
                not hmac.compare_digest(headers.get("sign", ""), expected):
            return _json(self._error(1004, "sign invalid", now_ms))
        if request.method != "GET":
            return _json(self._error(1108, "uri path invalid", now_ms))
        if path == TOKEN_PATH:
            if query.get("grant_type") != "1":
                return _json(self._error(1003, "grant type invalid", now_ms))
            with self._lock:
                self.token_requests += 1
            return _json(self._issue(creds, now_ms))
        if path.startswith(TOKEN_PATH + "/"):
            with self._lock:
                self.refresh_requests += 1
            refresh = path[len(TOKEN_PATH) + 1:]
            if self._valid(creds, refresh, "refresh", now_ms, check_expiry=False) is None:
                return _json(self._error(1012, "token status is invalid", now_ms))
            return _json(self._issue(creds, now_ms))
        if path.startswith(DETAIL_PATH) and path.count("/") == DETAIL_PATH.count("/"):
            if not access_token:
                return _json(self._error(1002, "access_token is null", now_ms))
            if self._valid(creds, access_token, "access", now_ms) is None:
                return _json(self._error(1010, "token invalid", now_ms))
            with self._lock:
                self.detail_requests += 1
            platform = PLATFORMS[KEY]
            code = path[len(DETAIL_PATH):]
            params = {**query, "commodity_code": code}
            fixture = None
            if query.get("mall_code") == creds.get("mall_code") and query.get("lang"):
                fixture = load_fixture(KEY, platform.sandbox_product_id(params))
            if fixture is None:
                body = platform.sandbox_not_found(self._tid(now_ms), code)
            else:
                body = dict(platform.sandbox_answer(fixture, params))
                body["tid"] = self._tid(now_ms)
            body["t"] = now_ms
            return _json(body)
        return _json(self._error(1108, "uri path invalid", now_ms))

    # -- tokens -----------------------------------------------------------------------------
    def _issue(self, creds: Mapping[str, str], now_ms: int) -> dict:
        expires = now_ms // 1000 + TOKEN_LIFETIME_S
        generation = self.generation
        return {"result": {"access_token": _token(creds, "access", generation, expires),
                           "expire_time": TOKEN_LIFETIME_S,
                           "refresh_token": _token(creds, "refresh", generation, expires),
                           "uid": "bay" + _mac(creds, "uid")[:17]},
                "success": True, "t": now_ms, "tid": self._tid(now_ms)}

    def _valid(self, creds: Mapping[str, str], token: str, kind: str, now_ms: int,
               check_expiry: bool = True) -> int | None:
        """The token's expiry (epoch s) if it is one of ours and alive, else None."""
        if len(token) != _TOKEN_HEX:
            return None
        try:
            generation, expires = int(token[20:24], 16), int(token[24:], 16)
        except ValueError:
            return None
        if not hmac.compare_digest(token, _token(creds, kind, generation, expires)):
            return None
        if generation < self.generation:
            return None
        if check_expiry and expires * 1000 <= now_ms:
            return None
        return expires

    # -- envelopes ----------------------------------------------------------------------------
    def _error(self, code: int, msg: str, now_ms: int) -> dict:
        return {"code": code, "msg": msg, "success": False, "t": now_ms,
                "tid": self._tid(now_ms)}

    def _tid(self, now_ms: int) -> str:
        return hashlib.md5(f"{self.gateway.calls}-{now_ms}".encode()).hexdigest()


def _mac(creds: Mapping[str, str], text: str) -> str:
    key = creds.get("client_secret", "").encode()
    message = f"{creds.get('client_id', '')}|{text}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _token(creds: Mapping[str, str], kind: str, generation: int, expires: int) -> str:
    """20 hex of HMAC, 4 hex of generation, 8 hex of expiry: 32 hex characters."""
    tail = f"{generation % 0x10000:04x}{expires % 0x100000000:08x}"
    return _mac(creds, f"{kind}|{tail}")[:20] + tail
