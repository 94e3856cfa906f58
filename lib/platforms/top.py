"""The TOP protocol (Taobao-style router): the signed request several platforms send."""
from __future__ import annotations

from typing import Any, Mapping

import httpx

from lib.errors import AuthError
from lib.signing import top_sign

TOP_SIGN_METHODS = ("md5", "hmac", "hmac-sha256")


def top_request(*, method: str, business: Mapping[str, Any],
                credentials: Mapping[str, str], timestamp_ms: int,
                gateway: str, with_session: bool = True) -> httpx.Request:
    """A signed TOP form POST (md5 by default; credentials["sign_method"] may say
    "hmac" or "hmac-sha256"). Empty and None values are never sent (nor signed)."""
    sign_method = (credentials.get("sign_method") or "md5").strip().lower()
    if sign_method not in TOP_SIGN_METHODS:
        raise AuthError("The sign method in the settings is not known: use md5 "
                        "(default), hmac or hmac-sha256.",
                        detail=f"sign_method {sign_method!r}")
    params: dict[str, Any] = {
        "method": method,
        "app_key": credentials.get("app_key", ""),
        "timestamp": str(timestamp_ms),
        "format": "json",
        "v": "2.0",
        "sign_method": sign_method,
    }
    if with_session:
        params["session"] = credentials.get("access_token", "")
    for name, value in business.items():
        params[name] = ("true" if value else "false") if isinstance(value, bool) else value
    params = {k: str(v) for k, v in params.items() if v is not None and str(v) != ""}
    params["sign"] = top_sign(credentials.get("app_secret", ""), params, sign_method)
    return httpx.Request("POST", gateway, data=params)
