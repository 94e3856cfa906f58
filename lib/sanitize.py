"""Seller HTML made safe to render: an allow-list sanitiser (nh3, Rust's ammonia).

No scripts, styles, event handlers, iframes, forms, or javascript:/data: URLs survive.
"""
from __future__ import annotations

import html as html_lib
import re
from typing import Callable

import nh3

from lib.coerce import safe_url

ALLOWED_TAGS = {
    "a", "b", "br", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "li", "ol", "p", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "u", "ul", "blockquote", "pre", "code",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
MAX_HTML_LENGTH = 500_000
_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"", re.IGNORECASE)
# Script-ish schemes left as plain text ("javascript:" in a sentence) are harmless in
# HTML, but a later consumer might autolink them: the colon becomes an entity, which
# renders the same.
_SCRIPT_SCHEME = re.compile(r"(java|vb|live)(\s*)script(\s*):", re.IGNORECASE)


def sanitize_html(html: object,
                  url_filter: Callable[[str, str], str] | None = None) -> str:
    """Seller HTML -> safe HTML ('' for anything that is not a string). `url_filter`
    (attribute, url) -> url or '' may refuse more addresses (lib/platforms/urls.py
    keeps only the marketplace's hosts); a refused href or src is removed."""
    if not isinstance(html, str) or not html.strip():
        return ""

    def keep(element: str, attribute: str, value: str) -> str | None:
        if attribute in {"href", "src"}:
            url = safe_url(value)
            return (url_filter(attribute, url) if url and url_filter else url) or None
        return value

    safe = nh3.clean(html[:MAX_HTML_LENGTH], tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https"}, link_rel="noopener noreferrer nofollow",
                     attribute_filter=keep, strip_comments=True)
    return _SCRIPT_SCHEME.sub(lambda m: m.group(0)[:-1] + "&#58;", safe)


def image_sources(safe_html: str) -> list[str]:
    """The <img> URLs of already-sanitised HTML, in order, without repeats."""
    seen: dict[str, None] = {}
    for src in _IMG_SRC.findall(safe_html):
        url = safe_url(html_lib.unescape(src))
        if url:
            seen.setdefault(url, None)
    return list(seen)


def without_pictures(safe_html: str) -> str:
    """Already-sanitised HTML with its pictures and links taken out (their text kept):
    for a document that must load nothing and send no one anywhere (lib/report/)."""
    if not safe_html:
        return ""
    return nh3.clean(safe_html, tags=ALLOWED_TAGS - {"img", "a"},
                     attributes={k: v for k, v in ALLOWED_ATTRIBUTES.items()
                                 if k not in ("img", "a")},
                     url_schemes=set(), strip_comments=True)
