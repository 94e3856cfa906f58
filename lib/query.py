"""What the user asked for: a ProductQuery, parsed from a bare id or a pasted link.

The general mechanism lives here (cleaning the text, telling a link from an id,
choosing the platform by the link's host); each platform module knows its own id
format and link shapes (`Platform.id_from_url`, `Platform.validate_id`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

from lib.errors import InvalidQuery

MAX_INPUT_LENGTH = 2000
DEFAULT_PLATFORM = "aliexpress"


class FrozenDict(dict):
    """A dict that cannot change after creation, so a ProductQuery stays hashable."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def _blocked(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("ProductQuery.extras is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _blocked  # type: ignore[assignment]
    __ior__ = _blocked  # type: ignore[assignment]

    def __reduce__(self):
        # pickle/copy (Streamlit caches) rebuild through the constructor, not __setitem__.
        return (FrozenDict, (dict(self),))


@dataclass(frozen=True)
class ProductQuery:
    platform: str
    product_id: str
    country: str = "US"
    currency: str = "USD"
    language: str = "en"
    extras: Mapping[str, str] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extras", FrozenDict({str(k): str(v) for k, v in
                                                       dict(self.extras or {}).items()}))

    @property
    def key(self) -> str:
        """Short form used in share links and lists: "aliexpress:1005006789012345"."""
        return f"{self.platform}:{self.product_id}"

    def to_params(self) -> dict[str, str]:
        """The URL query parameters that reopen this query."""
        params = {"platform": self.platform, "id": self.product_id, "country": self.country,
                  "currency": self.currency, "language": self.language}
        params.update({k: v for k, v in self.extras.items() if k in SHAREABLE_EXTRAS})
        return params


SHAREABLE_EXTRAS = ("sku_id",)


# --- locale settings -------------------------------------------------------------------
_COUNTRY_ALIASES = {"UK": "GB"}


def normalise_country(text: str) -> str:
    code = (text or "").strip().upper()
    code = _COUNTRY_ALIASES.get(code, code)
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise InvalidQuery(f"“{text}” is not a country code. Use two letters, such as US, "
                           "GB, DE or BR.")
    return code


def normalise_currency(text: str) -> str:
    code = (text or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InvalidQuery(f"“{text}” is not a currency code. Use three letters, such as "
                           "USD, EUR or BRL.")
    return code


def normalise_language(text: str) -> str:
    code = (text or "").strip().replace("-", "_")
    if not re.fullmatch(r"[A-Za-z]{2}(_[A-Za-z]{2})?", code):
        raise InvalidQuery(f"“{text}” is not a language code. Use two letters such as en, "
                           "or a locale such as pt_BR.")
    language, _, region = code.partition("_")
    return language.lower() + (f"_{region.upper()}" if region else "")


# --- parsing -----------------------------------------------------------------------------
def clean_input(text: Any) -> str:
    if not isinstance(text, str):
        raise InvalidQuery("Enter a product ID or paste a product link.")
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidQuery("That text is far too long to be a product ID or link. Paste "
                           "just the product link or its number.")
    cleaned = text.strip()
    if not cleaned:
        raise InvalidQuery("Enter a product ID or paste a product link.")
    if any(unicodedata.category(c) in {"Cc", "Cf"} for c in cleaned):
        raise InvalidQuery("The text contains invisible control characters. Type the "
                           "product ID again, or copy the link straight from the address bar.")
    return cleaned


def _looks_like_url(text: str) -> bool:
    lowered = text.lower()
    return ("://" in lowered or lowered.startswith(("www.", "m.", "javascript:", "data:",
                                                      "file:", "//"))
            or bool(re.match(r"^[a-z0-9.-]+\.[a-z]{2,}(/|$)", lowered)))


def parse_product_ref(text: Any, platform: str | None = None, **defaults: Any) -> ProductQuery:
    """A bare id or a pasted product link -> ProductQuery (raises InvalidQuery)."""
    from lib.platforms import PLATFORMS, platform_for_host

    if platform is not None and platform not in PLATFORMS:
        raise InvalidQuery(f"Unknown platform “{platform}”. Choose one of: "
                           + ", ".join(PLATFORMS) + ".")
    cleaned = clean_input(text)
    extras: dict[str, str] = dict(defaults.pop("extras", {}) or {})
    if _looks_like_url(cleaned):
        platform, product_id, link_extras = _parse_link(cleaned, platform, PLATFORMS,
                                                        platform_for_host)
        extras.update(link_extras)
    else:
        platform = platform or DEFAULT_PLATFORM
        product_id = PLATFORMS[platform].validate_id(cleaned)
    return ProductQuery(
        platform=platform, product_id=product_id,
        country=normalise_country(defaults.get("country", "US")),
        currency=normalise_currency(defaults.get("currency", "USD")),
        language=normalise_language(defaults.get("language", "en")),
        extras=extras)


def _parse_link(text: str, platform: str | None, platforms: Mapping[str, Any],
                platform_for_host) -> tuple[str, str, dict[str, str]]:
    lowered = text.lower()
    if lowered.startswith(("javascript:", "data:", "file:")):
        raise InvalidQuery("That is not a web link to a product. Paste a link that starts "
                           "with https:// from the product page, or just the product ID.")
    if lowered.startswith("//"):
        text = "https:" + text
    elif "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        raise InvalidQuery("That link is malformed. Copy it again from the browser's "
                           "address bar.") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise InvalidQuery("Only web links (https://…) to product pages can be read.")
    # Decode %2e%2e-style tricks before looking at the path, then refuse traversal.
    path = unquote(unquote(parts.path))
    if ".." in path.split("/"):
        raise InvalidQuery("That link is malformed. Copy it again from the browser's "
                           "address bar.")
    candidates = platform_for_host(host)
    if not candidates:
        supported = sorted({h for p in platforms.values() for h in p.link_hosts})
        raise InvalidQuery(f"Links from “{host or text[:40]}” are not supported. Paste a "
                           f"product link from {', '.join(supported)}, or just the product ID.")
    chosen = platform if platform in candidates else candidates[0]
    query = dict(parse_qsl(parts.query, keep_blank_values=False))
    product_id, extras = platforms[chosen].id_from_url(host, path, query)
    return chosen, product_id, extras
