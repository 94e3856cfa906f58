"""Pure signing functions, one per protocol (see shared/SIGNING.md).

No I/O and no clock: callers pass the timestamp and nonce. Values are the exact
strings that go on the wire. Each *_string_to_sign helper is public so a mismatch
against a test vector can be localised.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Iterable, Mapping


def _sorted_concat(params: Mapping[str, str]) -> str:
    # Plain code-point order (case-sensitive), name + value, no separators.
    return "".join(f"{name}{params[name]}" for name in sorted(params) if name != "sign")


def iop_string_to_sign(params: Mapping[str, str], api_path: str | None = None) -> str:
    if api_path is None:
        method = str(params.get("method", ""))
        api_path = method if "/" in method else None
    return (api_path or "") + _sorted_concat(params)


def iop_sign(secret: str, params: Mapping[str, str], api_path: str | None = None) -> str:
    message = iop_string_to_sign(params, api_path)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest().upper()


def top_string_to_sign(params: Mapping[str, str]) -> str:
    return _sorted_concat(params)


def top_sign(secret: str, params: Mapping[str, str], sign_method: str = "md5") -> str:
    text = top_string_to_sign(params)
    if sign_method == "md5":
        return hashlib.md5(f"{secret}{text}{secret}".encode()).hexdigest().upper()
    if sign_method == "hmac":
        return hmac.new(secret.encode(), text.encode(), hashlib.md5).hexdigest().upper()
    if sign_method == "hmac-sha256":
        return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()
    raise ValueError(f"unknown TOP sign_method: {sign_method!r}")


def tuya_url(path: str, query: Mapping[str, object] | None = None) -> str:
    if not query:
        return path
    pairs = "&".join(f"{key}={query[key]}" for key in sorted(query))
    return f"{path}?{pairs}"


def tuya_string_to_sign(*, method: str, path: str, query: Mapping[str, object] | None = None,
                        body: bytes = b"",
                        signed_headers: Iterable[tuple[str, str]] = ()) -> str:
    body_hash = hashlib.sha256(body or b"").hexdigest()
    headers = "".join(f"{name}:{value}\n" for name, value in signed_headers)
    return f"{method.upper()}\n{body_hash}\n{headers}\n{tuya_url(path, query)}"


def tuya_message(*, client_id: str, t: str, method: str, path: str,
                 query: Mapping[str, object] | None = None, body: bytes = b"",
                 access_token: str = "", nonce: str = "",
                 signed_headers: Iterable[tuple[str, str]] = ()) -> str:
    string_to_sign = tuya_string_to_sign(method=method, path=path, query=query, body=body,
                                         signed_headers=signed_headers)
    # Token calls are signed without the access token.
    token = "" if path.startswith("/v1.0/token") else access_token
    return f"{client_id}{token}{t}{nonce}{string_to_sign}"


def tuya_sign(*, secret: str, client_id: str, t: str, method: str, path: str,
              query: Mapping[str, object] | None = None, body: bytes = b"",
              access_token: str = "", nonce: str = "",
              signed_headers: Iterable[tuple[str, str]] = ()) -> str:
    message = tuya_message(client_id=client_id, t=str(t), method=method, path=path,
                           query=query, body=body, access_token=access_token, nonce=nonce,
                           signed_headers=signed_headers)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest().upper()
