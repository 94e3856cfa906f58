"""The platform registry: key -> platform object, and payload parsing without network."""
from __future__ import annotations

import gc
import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from lib.errors import BadResponse
from lib.model import Product
from lib.platforms.base import Platform, Token
from lib.platforms.urls import confine_urls

# One module per platform, each exposing PLATFORM; the order is the picker's order.
PLATFORM_MODULES = ("aliexpress_ds", "aliexpress_affiliate", "alibaba", "aliexpress_seller",
                    "tuya")
_HERE = Path(__file__).parent
if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PLATFORMS", "Platform", "Token", "decode_payload", "parse_freight",
           "parse_payload", "platform_for_host"]

PLATFORMS: dict[str, Platform] = {}
for _name in PLATFORM_MODULES:
    if (_HERE / f"{_name}.py").is_file():
        _platform = importlib.import_module(f"lib.platforms.{_name}").PLATFORM
        PLATFORMS[_platform.key] = _platform


def platform_for_host(host: str) -> list[str]:
    """Keys of the platforms that read product links from `host`, in registry order."""
    return [key for key, platform in PLATFORMS.items() if platform.owns_host(host)]


_fast_decode = msgspec.json.Decoder().decode


def decode_payload(payload: Any) -> Any:
    """dict/list pass through; str/bytes are decoded as JSON (BadResponse if not JSON).

    msgspec decodes first (about twice as fast as json.loads, and exact for integers of
    any size, like json.loads); whatever it refuses (invalid UTF-8, which is read with
    "replace", a BOM, whitespace beyond JSON's, NaN / Infinity, floats beyond the double
    range, lone surrogate escapes, deep nesting, and every non-JSON answer) takes the
    standard library path below, so results and error messages stay json.loads's."""
    if isinstance(payload, (bytes, bytearray, str)):
        try:
            return _fast_decode(payload)
        except Exception:        # noqa: BLE001 - anything refused is decoded as before
            pass
    if isinstance(payload, (bytes, bytearray)):
        payload = bytes(payload).decode("utf-8", "replace")
    if isinstance(payload, str):
        text = payload.strip().lstrip("\ufeff")
        if not text:
            raise BadResponse("The marketplace sent an empty answer. Please try again.",
                              detail="empty body")
        try:
            return json.loads(text)
        except ValueError as exc:
            kind = "an HTML page" if text[:1] == "<" else "text that is not JSON"
            raise BadResponse(detail=f"the answer is {kind}: {exc}", raw=text[:2000]) from None
    return payload


def parse_payload(platform: str, payload: Any, query: Any = None) -> Product:
    """A payload exactly as a gateway (or a saved capture) gives it -> Product."""
    if platform not in PLATFORMS:
        raise KeyError(f"unknown platform {platform!r}")
    # A big answer is tens of thousands of new dicts, lists and strings, and every 700
    # new objects the cycle collector would walk them all again: it runs after the parse
    # instead (memory is still freed by reference counting), a fifth less time.
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        data = decode_payload(payload)
        spec = PLATFORMS[platform]
        try:
            return confine_urls(spec.parse(data, query), spec.web_hosts, spec.media_hosts)
        except BadResponse as exc:
            if exc.raw is None:
                exc.raw = json.dumps(data, ensure_ascii=False)[:2000] if not isinstance(data, str) else data[:2000]
            raise
    finally:
        if collecting:
            gc.enable()


def parse_freight(platform: str, payload: Any, query: Any = None) -> "pd.DataFrame":
    """A shipping-options answer exactly as the gateway (or a capture) gives it -> a
    DataFrame of lib.model.FREIGHT_COLUMNS, one row per option; raises the FetchError
    the answer states (not deliverable: NotAvailableInCountry). `query` (a FreightQuery)
    is for messages only."""
    if platform not in PLATFORMS:
        raise KeyError(f"unknown platform {platform!r}")
    data = decode_payload(payload)
    try:
        return PLATFORMS[platform].parse_freight(data)
    except BadResponse as exc:
        if exc.raw is None:
            exc.raw = json.dumps(data, ensure_ascii=False)[:2000] if not isinstance(data, str) else data[:2000]
        raise
