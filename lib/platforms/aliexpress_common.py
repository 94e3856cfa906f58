"""What the AliExpress platforms share: product links, ids, and the IOP request."""
from __future__ import annotations

import re
from typing import Any, Mapping

import httpx

from lib.errors import InvalidQuery
from lib.signing import iop_sign

IOP_GATEWAY = "https://api-sg.aliexpress.com/sync"
ALIEXPRESS_HOSTS = ("aliexpress.com", "aliexpress.us", "aliexpress.ru")
# Where AliExpress (and Alibaba.com) serve pictures and clips: Alibaba's CDNs, the
# aliexpress-media servers, Taobao's older CDN (seen in real answers and the seeds).
ALI_MEDIA_HOSTS = ("alicdn.com", "aliexpress-media.com", "aliexpress.com", "aliexpress.us",
                   "aliexpress.ru", "taobaocdn.com", "tbcdn.cn")
# Short links redirect through a server we cannot reach offline.
SHORT_LINK_HOSTS = ("a.aliexpress.com", "s.click.aliexpress.com", "click.aliexpress.com",
                    "a.aliexpress.ru", "sale.aliexpress.com")
ID_HINT = ("an AliExpress product ID is a number of 10 to 19 digits, such as "
           "1005006789012345, or a link like https://www.aliexpress.com/item/1005006789012345.html")
_ID = re.compile(r"[1-9][0-9]{9,18}")
_ITEM_PATHS = (
    re.compile(r"/(?:item|i)/(?:[^/]+/)?([0-9]+)\.html?$", re.IGNORECASE),
    re.compile(r"/store/product/[^/]*/[0-9]+_([0-9]+)\.html?$", re.IGNORECASE),
    re.compile(r"/item/([0-9]+)/?$", re.IGNORECASE),
)


def validate_aliexpress_id(text: str) -> str:
    candidate = text.strip()
    if not candidate.isascii() or not candidate.isdigit():
        if candidate.lstrip("-+").replace(".", "", 1).isdigit() or "e" in candidate.lower() \
                and candidate.replace("e", "").replace("E", "").replace(".", "").isdigit():
            raise InvalidQuery(f"“{candidate[:40]}” is not a whole product number: "
                               f"{ID_HINT}.")
        raise InvalidQuery(f"“{candidate[:40]}” is not a product ID: {ID_HINT}.")
    if not _ID.fullmatch(candidate):
        if candidate.startswith("0"):
            raise InvalidQuery(f"“{candidate[:40]}” starts with a zero, which no product "
                               f"ID does: {ID_HINT}.")
        raise InvalidQuery(f"“{candidate[:40]}” has {len(candidate)} digits: {ID_HINT}.")
    return candidate


def aliexpress_id_from_url(host: str, path: str, query: Mapping[str, str]
                           ) -> tuple[str, dict[str, str]]:
    if host in SHORT_LINK_HOSTS or path.startswith("/_"):
        raise InvalidQuery("This is a short AliExpress link, which can only be opened "
                           "online. Open it in your browser and paste the full link from "
                           "the address bar (it contains /item/<number>.html).")
    extras: dict[str, str] = {}
    sku_id = query.get("sku_id") or query.get("skuId")
    if sku_id and sku_id.isascii() and sku_id.isdigit():
        extras["sku_id"] = sku_id
    candidate = query.get("productId") or query.get("productIds") or ""
    if not candidate:
        trimmed = path.rstrip("/") if not path.endswith(".html/") else path[:-1]
        for pattern in _ITEM_PATHS:
            match = pattern.search(trimmed)
            if match:
                candidate = match.group(1)
                break
    if not candidate:
        raise InvalidQuery("This AliExpress link does not point to a product page. Paste "
                           "a link that contains /item/<number>.html, or just the number.")
    return validate_aliexpress_id(candidate), extras


def iop_request(*, method: str, business: Mapping[str, Any], credentials: Mapping[str, str],
                timestamp_ms: int, token_param: str = "session",
                gateway: str = IOP_GATEWAY) -> httpx.Request:
    """A signed IOP form POST. Empty and None values are never sent (nor signed)."""
    params: dict[str, str] = {
        "app_key": credentials.get("app_key", ""),
        "method": method,
        "timestamp": str(timestamp_ms),
        "sign_method": "sha256",
        "format": "json",
        token_param: credentials.get("access_token", ""),
    }
    for name, value in business.items():
        params[name] = ("true" if value else "false") if isinstance(value, bool) else value
    params = {k: str(v) for k, v in params.items() if v is not None and str(v) != ""}
    params["sign"] = iop_sign(credentials.get("app_secret", ""), params)
    return httpx.Request("POST", gateway, data=params)

