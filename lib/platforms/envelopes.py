"""Recognising the error envelopes of the IOP and TOP gateways.

New IOP gateway: {"error_response": {"type", "code": "ApiCallLimit", "msg", ...}}.
Legacy TOP router: {"error_response": {"code": 7, "msg", "sub_code", "sub_msg"}}.
Business errors inside a normal wrapper (rsp_code 605 ...) are per API and handled by
the platform modules with `business_error`.
"""
from __future__ import annotations

import re
from typing import Any

from lib.coerce import to_float, to_text
from lib.errors import (AuthError, BadResponse, FetchError, InvalidQuery,
                        NotAvailableInCountry, ProductNotFound, RateLimited, UpstreamError)

_BAN_SECONDS = re.compile(r"ban will last (?:for )?(\d+(?:\.\d+)?)", re.IGNORECASE)

_SIGNATURE = {"IncompleteSignature", "InvalidSignature", "25", "isv.invalid-signature"}
_TOKEN = {"IllegalAccessToken", "InvalidSession", "SessionExpired", "27", "26",
          "isv.invalid-session", "InvalidAccessToken"}
_APP_KEY = {"InvalidAppKey", "AppKeyNotExist", "29", "isv.appkey-not-exists", "InvalidApiKey"}
_PERMISSION = {"11", "InsufficientPermission", "AppCallLimitedByPermission",
               "isv.permission-api-package-limit", "InsufficientIsvPermissions"}
_RATE = {"ApiCallLimit", "7", "AppCallLimit", "accesscontrol.limited-by-api-access-count",
         "FrequencyLimit"}
_NOT_FOUND = {"isp.product.not.exist", "isv.product-not-exist", "ITEM_ID_NOT_FOUND",
              "isp.item-not-found"}
_CLOCK = {"InvalidTimestamp", "IllegalTimestamp", "TimestampExpired", "1013"}
_BAD_PARAM = {"MissingParameter", "InvalidParameter", "40", "41", "isv.invalid-parameter",
              "isv.missing-parameter"}


def ban_seconds(message: str) -> float | None:
    """'this ban will last 1 seconds' -> 2.0 (wait N+1 s, as the gateway advises)."""
    match = _BAN_SECONDS.search(message or "")
    return float(match.group(1)) + 1 if match else None


def gateway_error(data: Any) -> FetchError | None:
    """The FetchError for an `error_response` envelope, or None when there is none."""
    if not isinstance(data, dict) or not isinstance(data.get("error_response"), dict):
        return None
    err = data["error_response"]
    code = to_text(err.get("code"))
    sub_code = to_text(err.get("sub_code"))
    message = to_text(err.get("msg"))
    sub_message = to_text(err.get("sub_msg"))
    detail = " / ".join(t for t in (code, message, sub_code, sub_message) if t)
    codes = {code, sub_code}
    if codes & _RATE or "frequency" in message.lower():
        wait = ban_seconds(message) or ban_seconds(sub_message) or 1.0
        return RateLimited(f"The marketplace is limiting how often we may ask. Please wait "
                           f"{_duration(wait)} and try again.", detail=detail, code=code,
                           retry_after=wait)
    if codes & _SIGNATURE:
        return AuthError("The marketplace rejected the request signature: the app secret "
                         "is probably wrong. Check the credentials in the settings.",
                         detail=detail, code=code)
    if codes & _TOKEN:
        return AuthError("The access token is invalid or has expired. Create a new token "
                         "for this app and update the settings.", detail=detail, code=code)
    if codes & _APP_KEY:
        return AuthError("The marketplace does not recognise the app key. Check the "
                         "credentials in the settings.", detail=detail, code=code)
    if codes & _PERMISSION:
        return AuthError("This app is not allowed to use this marketplace API. Ask for the "
                         "API permission in the developer console.", detail=detail, code=code)
    if codes & _CLOCK:
        return UpstreamError("The marketplace rejected the request time: this computer's "
                             "clock may be wrong. Check the system clock and try again.",
                             detail=detail, code=code)
    if codes & _NOT_FOUND:
        return ProductNotFound(detail=detail, code=code)
    if codes & _BAD_PARAM:
        if "access_token" in message or "session" in message.lower():
            return AuthError("No access token was sent. Add the access token to the "
                             "settings.", detail=detail, code=code)
        return InvalidQuery("The marketplace did not accept the request: a value is missing "
                            "or not valid for this API.", detail=detail, code=code)
    if sub_code.startswith("isp.") and any(word in sub_code for word in _TRANSIENT):
        # The router's own service hiccup (remote timeout, unavailable): worth a retry.
        return UpstreamError("The marketplace had a temporary problem. Please try again in "
                             "a minute.", detail=detail, code=code, retryable=True)
    return UpstreamError(detail=detail, code=code)


_TRANSIENT = ("timeout", "unavailable", "service-error", "remote-service", "busy")


def _duration(seconds: float) -> str:
    """'2 seconds', '5 minutes', '2 hours' for a wait the user is asked to sit out."""
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.0f} hours"


def open_body(data: Any, response_keys: tuple[str, ...] | str) -> dict:
    """The body inside a gateway answer: raises the gateway's error envelope, refuses a
    non-object, and unwraps `<api>_response` when present (captures may lack it)."""
    keys = (response_keys,) if isinstance(response_keys, str) else response_keys
    if not isinstance(data, dict):
        raise BadResponse(detail=f"expected a JSON object, got {type(data).__name__}")
    error = gateway_error(data)
    if error:
        raise error
    body = next((data[key] for key in keys if key in data), data)
    if not isinstance(body, dict):
        raise BadResponse(detail=f"{' / '.join(keys)} is not an object")
    return body


def business_error(code: Any, message: Any) -> FetchError | None:
    """rsp_code-style codes inside a normal wrapper (DS API table): None for success."""
    number = to_float(code)
    text = to_text(message)
    if number is None or number in (0, 200):
        return None
    detail = f"{to_text(code)} {text}".strip()
    if number == 605 or "NOT_FOUND" in text.upper():
        return ProductNotFound(detail=detail, code=to_text(code))
    if number == 602:
        return NotAvailableInCountry(detail=detail, code=to_text(code))
    if number in (401, 403):
        return AuthError(detail=detail, code=to_text(code))
    if number == 429:
        return RateLimited(detail=detail, code=to_text(code), retry_after=1.0)
    return UpstreamError(detail=detail, code=to_text(code))
