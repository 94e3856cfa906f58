"""Text from outside (payloads, links, pastes) made literal for Streamlit's Markdown.

Streamlit renders Markdown in far more places than st.markdown: captions, headings,
alerts, metric labels and values, widget labels and help tooltips, expander and
button labels, radio options. Anything from outside that goes into one of those goes
through `literal()`; nothing else is allowed there. Plain-text slots (dataframe
cells, selectbox and multiselect options, chart titles, file names) take the text as
it is: escaping there would show backslashes.

What Streamlit's renderer makes of plain text, checked in Chromium with 1.67:
- CommonMark and GFM: emphasis, code, links, images, headings, lists, tables, HTML,
  entities, math. The characters that open them are backslash-escaped
  (\\ ` * _ [ ] < > # | ~ $ &), and so is a list or break marker at the start (the
  text may open a list item: "- 1. x" would nest a list). Other punctuation stays as
  it is, so "4.7 / 5 (USD)" reads, and is sent, unchanged.
- GFM autolink literals (https://..., www...., a@b.c) are found *after* escapes are
  resolved, so escaping does not stop them: a word joiner (U+2060, invisible) goes
  between "https:" and "//", between "www" and ".", and after "@".
- Streamlit's directives (:red[...], :material/icon:) and emoji :shortcodes: need a
  colon right before a word; a word joiner after such a colon (escaped too) stops all
  three, and a colon in a sentence ("Size: 40L") stays as it is.
The HTML report (lib/report/) is the other place outside text lands: there every
value goes through `html_literal()` (the same tidy line, HTML-escaped), never into
markup as it is.
Pure: no Streamlit import.
"""
from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote, urlsplit

WORD_JOINER = "\u2060"
# Zero-width and bidirectional controls, BOM, word joiners, soft hyphen, and every
# other control character: none of them belongs in a label.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u2069\ufeff\ufff9-\ufffb]")
_MARKDOWN_OPENERS = re.compile(r"([\\`*_\[\]<>#|~$&])")
# "1. x", "- x", "+ x", "---": only followed by a space (or a rule of dashes) are they
# list items or a break; "-5%" and "4.7" are text.
_LEADING_MARKER = re.compile(r"^(?:(\d{1,9})([.)])(?=\s|$)|([-+])(?=\s|$|-))")
_DIRECTIVE_COLON = re.compile(r":(?=[\w/+\-\[])")               # :red[ :smile: :material/
_AUTOLINK_WWW = re.compile(r"((?<![A-Za-z0-9])www)(?=\.)", re.IGNORECASE)
_AUTOLINK_AT = re.compile(r"@(?=[A-Za-z0-9_])")
MAX_LITERAL = 2_000     # a label is a sentence, not a payload


def strip_invisible(text: str) -> str:
    """The text without zero-width, bidirectional-control and similar invisible
    characters (the parsers apply it to every payload string: lib/coerce.to_text)."""
    return _INVISIBLE.sub("", text)


def clean(value: object, limit: int = MAX_LITERAL) -> str:
    """Outside text as one tidy line: invisible and control characters removed,
    runs of white space (newlines included) folded into one space, cut at `limit`."""
    text = "" if value is None else str(value)
    text = strip_invisible(text)
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def literal(value: object, limit: int = MAX_LITERAL) -> str:
    """Outside text to put into any Markdown slot: it renders as exactly these
    characters (see the module docstring for what is neutralised and why)."""
    text = _MARKDOWN_OPENERS.sub(r"\\\1", clean(value, limit))
    text = _LEADING_MARKER.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)
    # Also breaks "https://" autolinks: the word joiner sits between ":" and "//".
    text = _DIRECTIVE_COLON.sub("\\:" + WORD_JOINER, text)
    text = _AUTOLINK_WWW.sub(r"\1" + WORD_JOINER, text)
    return _AUTOLINK_AT.sub("@" + WORD_JOINER, text)


def html_literal(value: object, limit: int = MAX_LITERAL) -> str:
    """Outside text to put into HTML (an element's text or a quoted attribute): the
    tidy line of `clean()`, with & < > " ' escaped, so it shows as exactly these
    characters and can never open a tag or leave an attribute."""
    return html.escape(clean(value, limit), quote=True)


def host_allowed(url: str, hosts: tuple[str, ...] | frozenset[str]) -> bool:
    """True for an http(s) URL on one of `hosts` or a subdomain of one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    return parts.scheme in ("http", "https") and bool(host) and any(
        host == allowed or host.endswith("." + allowed) for allowed in hosts)


def link(text: object, url: str) -> str:
    """A Markdown link with literal text to an already validated http(s) URL. The URL
    is percent-encoded where Markdown would end or bend it (spaces, brackets, angle
    brackets, backslashes, quotes), so no URL can break out of the link."""
    target = quote(url, safe="/:?&=#%+,;@!$'*~.-_")
    target = target.replace("(", "%28").replace(")", "%29")
    return f"[{literal(text)}]({target})"
