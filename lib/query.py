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

import pycountry

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


@dataclass(frozen=True)
class FreightQuery:
    """Shipping options for `quantity` units of one SKU of a product, to the product
    query's country, priced in its currency (aliexpress.ds.freight.query)."""
    query: ProductQuery
    sku_id: str
    quantity: int = 1

    @property
    def platform(self) -> str:
        return self.query.platform

    @property
    def key(self) -> str:
        return f"{self.query.key}#{self.sku_id}x{self.quantity}@{self.query.country}"


SHAREABLE_EXTRAS = ("sku_id",)
# What an extra read back from a URL may look like (a variant id): plain and short.
_EXTRA_VALUE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def shareable_extras(params: Mapping[str, Any]) -> dict[str, str]:
    """The extras of a share link's parameters (ProductQuery.to_params' inverse); values
    that are not plain short tokens are left out rather than trusted."""
    found = {}
    for name in SHAREABLE_EXTRAS:
        value = params.get(name)
        if isinstance(value, str) and _EXTRA_VALUE.fullmatch(value):
            found[name] = value
    return found


# --- locale settings -------------------------------------------------------------------
# Real code lists (pycountry ships ISO 3166, ISO 4217 and ISO 639 as data), not a hand list.
_COUNTRY_ALIASES = {"UK": "GB"}          # what people (and AliExpress) call the UK
# Codes that are in ISO 4217 but name no money a shop could price in.
_NOT_MONEY = {"XXX", "XTS"}
# Withdrawn ISO 639-1 codes that Java-based gateways still use (the DS seed lists iw_IL).
_LEGACY_LANGUAGES = {"iw": "Hebrew", "in": "Indonesian", "ji": "Yiddish"}


def quote_input(text: Any) -> str:
    """The user's text in quotes for a message, or "That" when it is empty, long, or has
    characters that could be read as formatting (messages are shown as markdown)."""
    shown = str(text).strip() if isinstance(text, str) else ""
    if 0 < len(shown) <= 40 and all(c.isalnum() or c in " .-_+" for c in shown):
        return f"“{shown}”"
    return "That"


def _country(code: str):
    return pycountry.countries.get(alpha_2=code) if re.fullmatch(r"[A-Z]{2}", code) else None


def _lookup(database: Any, text: str) -> Any:
    """pycountry's lookup by name or code, or None (it raises LookupError)."""
    try:
        return database.lookup(text) if text else None
    except LookupError:
        return None


def normalise_country(text: str) -> str:
    """A ship-to country: an ISO 3166 two-letter code ("UK" is taken as GB)."""
    raw = text.strip() if isinstance(text, str) else ""
    code = _COUNTRY_ALIASES.get(raw.upper(), raw.upper())
    if _country(code):
        return code
    known = _lookup(pycountry.countries, raw) if len(raw) <= 60 else None
    if known is not None:
        raise InvalidQuery(f"{quote_input(raw)} is not a country code. Use the two letters of "
                           f"the country: {known.alpha_2} for {known.name}.")
    if re.fullmatch(r"[A-Z]{2}", code):
        raise InvalidQuery(f"{quote_input(raw)} is not a country code we know. Use two "
                           "letters, such as US, GB, DE or BR.")
    raise InvalidQuery(f"{quote_input(raw)} is not a country code. Use two letters, such as "
                       "US, GB, DE or BR.")


def normalise_currency(text: str) -> str:
    """A currency: an ISO 4217 three-letter code."""
    raw = text.strip() if isinstance(text, str) else ""
    code = raw.upper()
    if re.fullmatch(r"[A-Z]{3}", code) and code not in _NOT_MONEY \
            and pycountry.currencies.get(alpha_3=code):
        return code
    known = _lookup(pycountry.currencies, raw) if len(raw) <= 60 else None
    if known is not None and known.alpha_3 not in _NOT_MONEY and known.alpha_3 != code:
        raise InvalidQuery(f"{quote_input(raw)} is not a currency code. Use the three letters "
                           f"of the currency: {known.alpha_3} for {known.name}.")
    if re.fullmatch(r"[A-Z]{3}", code):
        raise InvalidQuery(f"{quote_input(raw)} is not a currency code we know. Use three "
                           "letters, such as USD, EUR or BRL.")
    raise InvalidQuery(f"{quote_input(raw)} is not a currency code. Use three letters, such "
                       "as USD, EUR or BRL.")


def normalise_language(text: str) -> str:
    """A language: an ISO 639-1 two-letter code, optionally with a region (pt_BR)."""
    raw = text.strip() if isinstance(text, str) else ""
    match = re.fullmatch(r"([A-Za-z]{2})(?:[-_]([A-Za-z]{2}))?", raw)
    if match:
        language = match.group(1).lower()
        region = match.group(2).upper() if match.group(2) else ""
        region = _COUNTRY_ALIASES.get(region, region)
        known = language in _LEGACY_LANGUAGES or pycountry.languages.get(alpha_2=language)
        if not known:
            raise InvalidQuery(f"{quote_input(raw)} is not a language code we know. Use two "
                               "letters such as en, de or pt, or a locale such as pt_BR.")
        if region and not _country(region):
            raise InvalidQuery(f"{quote_input(raw)} is not a language code we know: "
                               f"{region} is not a country. Use a locale such as pt_BR or "
                               "en_GB, or just the two letters of the language.")
        return language + (f"_{region}" if region else "")
    known = _lookup(pycountry.languages, raw) if len(raw) <= 60 else None
    if known is not None and getattr(known, "alpha_2", None):
        raise InvalidQuery(f"{quote_input(raw)} is not a language code. Use the two letters "
                           f"of the language: {known.alpha_2} for {known.name}.")
    raise InvalidQuery(f"{quote_input(raw)} is not a language code. Use two letters such as "
                       "en, or a locale such as pt_BR.")


# --- parsing -----------------------------------------------------------------------------
# Characters no product id on any platform has: markup, quotes, shell and SQL syntax,
# path tricks. Text with them gets a message that does not repeat it; anything else goes
# to the platform's own validator, which knows its id format best.
_NEVER_IN_IDS = frozenset("<>[]{}()`$|;&'\"=\\/%#@!?^~,")
# A scheme at the start ("javascript:", "data:", "https:"); dots excluded, so that a bare
# host with a port ("www.aliexpress.com:443/...") is not mistaken for one.
_SCHEME = re.compile(r"^([a-z][a-z0-9+\-]*):")
# Quotes and brackets that come along when a link is copied out of a message or mail.
_WRAPPERS = "<>\"'“”‘’«»()[]"
MAX_UNQUOTE_ROUNDS = 5


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
    cleaned = cleaned.strip(_WRAPPERS).strip()
    if not cleaned:
        raise InvalidQuery("Enter a product ID or paste a product link.")
    return cleaned


def looks_like_url(text: str) -> bool:
    """True for text that is meant as a link (with or without its https://)."""
    lowered = text.lower()
    return ("://" in lowered or lowered.startswith(("www.", "m.", "//"))
            or bool(_SCHEME.match(lowered))
            or bool(re.match(r"^[a-z0-9.-]+\.[a-z]{2,}(/|:|$)", lowered)))


def _plain(message: str) -> str:
    """A message safe to show as markdown: no control characters, no link syntax
    (an id echoed from a shared link must not turn into a clickable link or image)."""
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in message)
    text = text.replace("[", "(").replace("]", ")").replace("`", "'")
    return re.sub(r"\s+", " ", text).strip()


def _foreign_digit(char: str) -> bool:
    """A digit or number sign other than 0-9: ١, １, ², ½, Ⅻ ..."""
    return not char.isascii() and unicodedata.category(char) in {"Nd", "No", "Nl"}


def _not_an_id(text: str, platform: Any) -> InvalidQuery:
    """Why `text` (not a link) cannot be an id, without repeating the text itself."""
    if any(_foreign_digit(c) for c in text):
        reason = "it is written with digits other than 0-9"
    else:
        reason = "it contains characters that no product ID has (such as quotes or symbols)"
    hint = getattr(platform, "id_hint", "") or "paste the product link or its ID"
    return InvalidQuery(f"That is not a product ID: {reason}. Note that {hint}.")


# What the pure parser says of a short link (lib.shortlinks opens them, with a network).
SHORT_LINK_OFFLINE = ("This is a short link from an app's share button: it names no product "
                      "by itself and must be opened first. Open it in your browser and "
                      "paste the full link from the address bar (on AliExpress it contains "
                      "/item/<number>.html), or just the product ID.")


def _is_short_link(text: str) -> bool:
    from lib.shortlinks import is_short_link

    return is_short_link(text)


def parse_product_ref(text: Any, platform: str | None = None, **defaults: Any) -> ProductQuery:
    """A bare id or a pasted product link -> ProductQuery (raises InvalidQuery)."""
    from lib.platforms import PLATFORMS, platform_for_host

    if platform is not None and platform not in PLATFORMS:
        raise InvalidQuery(f"Unknown platform {quote_input(platform)}. Choose one of: "
                           + ", ".join(PLATFORMS) + ".")
    cleaned = clean_input(text)
    extras: dict[str, str] = dict(defaults.pop("extras", {}) or {})
    try:
        if looks_like_url(cleaned) and _is_short_link(cleaned):
            raise InvalidQuery(SHORT_LINK_OFFLINE)
        if looks_like_url(cleaned):
            platform, product_id, link_extras = _parse_link(cleaned, platform, PLATFORMS,
                                                            platform_for_host)
            extras.update(link_extras)
        else:
            platform = platform or DEFAULT_PLATFORM
            if any(c in _NEVER_IN_IDS or _foreign_digit(c) for c in cleaned):
                raise _not_an_id(cleaned, PLATFORMS[platform])
            product_id = PLATFORMS[platform].validate_id(cleaned)
    except InvalidQuery as exc:
        # Platform messages may quote part of the input: keep them plain.
        exc.user_message = _plain(exc.user_message)
        exc.args = (exc.user_message if not exc.detail
                    else f"{exc.user_message} ({exc.detail})",)
        raise
    return ProductQuery(
        platform=platform, product_id=product_id,
        country=normalise_country(defaults.get("country", "US")),
        currency=normalise_currency(defaults.get("currency", "USD")),
        language=normalise_language(defaults.get("language", "en")),
        extras=extras)


def _unquote_fully(text: str) -> str:
    """%252e%252e -> %2e%2e -> ..: decode until nothing changes (a few rounds at most)."""
    for _ in range(MAX_UNQUOTE_ROUNDS):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def _parse_link(text: str, platform: str | None, platforms: Mapping[str, Any],
                platform_for_host) -> tuple[str, str, dict[str, str]]:
    text = text.rstrip(".,;:!?")                  # a link copied with a sentence's end
    lowered = text.lower()
    scheme = _SCHEME.match(lowered)
    if scheme and scheme.group(1) not in {"http", "https"} and "://" not in lowered[:12]:
        # javascript:, data:, vbscript:, mailto:, about: ... (no //: not a web address)
        raise InvalidQuery("That is not a web link to a product. Paste a link that starts "
                           "with https:// from the product page, or just the product ID.")
    if lowered.startswith(("javascript:", "data:", "vbscript:", "file:", "blob:")):
        raise InvalidQuery("That is not a web link to a product. Paste a link that starts "
                           "with https:// from the product page, or just the product ID.")
    if lowered.startswith("//"):
        text = "https:" + text
    elif "://" not in text:
        text = "https://" + text
    if "\\" in text:
        # Browsers read \ as /, which can change the site a link points to.
        raise InvalidQuery("That link is malformed (it contains \\). Copy it again from "
                           "the browser's address bar.")
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        raise InvalidQuery("That link is malformed. Copy it again from the browser's "
                           "address bar.") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise InvalidQuery("Only web links (https://…) to product pages can be read.")
    # Decode %2e%2e-style tricks before looking at the path, then refuse traversal.
    path = _unquote_fully(parts.path)
    if ".." in path.split("/"):
        raise InvalidQuery("That link is malformed. Copy it again from the browser's "
                           "address bar.")
    candidates = platform_for_host(host)
    if not candidates:
        supported = sorted({h for p in platforms.values() for h in p.link_hosts})
        site = f"Links from {quote_input(host)}" if quote_input(host) != "That" else "Links from that site"
        raise InvalidQuery(f"{site} are not supported. Paste a product link from "
                           f"{', '.join(supported)}, or just the product ID.")
    chosen = platform if platform in candidates else candidates[0]
    query = dict(parse_qsl(parts.query, keep_blank_values=False))
    product_id, extras = platforms[chosen].id_from_url(host, path, query)
    return chosen, product_id, extras


# --- the product a page link asks for ---------------------------------------------------
LINK_DROPPED = ("This link is too long to be read (more than 1,000 parameters or 512 kB), "
                "so none of it could be read: no product is shown. Ask for a shorter link "
                "(a comparison holds at most 50 products), or enter the product's ID or "
                "link in the sidebar.")


def query_from_params(params: Mapping[str, Any]) -> ProductQuery | None:
    """The product a page link asks for (?platform=…&id=…&country=…), or None when the
    link asks for none (a first visit: the caller may show a default product). Raises
    InvalidQuery when it asks for one that cannot be read: an unknown platform, a bad
    id, a platform with no id."""
    from lib.platforms import PLATFORMS

    platform, product_id = params.get("platform"), params.get("id")
    if platform is None and product_id is None:
        return None
    if not product_id:
        if platform not in PLATFORMS:
            raise InvalidQuery(f"Unknown platform {quote_input(platform)}. Choose one of: "
                               + ", ".join(PLATFORMS) + ".")
        raise InvalidQuery("The link names a platform but no product ID. Enter the "
                           "product's ID or link in the sidebar.")
    return parse_product_ref(product_id, platform or None,
                             country=params.get("country", "US"),
                             currency=params.get("currency", "USD"),
                             language=params.get("language", "en"),
                             extras=shareable_extras(params))
