"""Scan what a page sends for outside text rendered as Markdown (issue 10, point 1).

`markdown_texts(at)` walks every element AppTest produced (main, sidebar, expanders,
columns, tabs, forms) and yields (element type, field, text) for every string the
Streamlit 1.67 frontend renders as Markdown. Which fields those are was read in
streamlit/static (the StreamlitMarkdown component and its `isLabel`/`isCaption` users):
Markdown body and help (markdown, caption, badges, st.write), Heading body, Alert body,
Metric label, value and delta, every widget's label and help, expander and tab labels,
button, download-button, link-button and page-link labels, button-group (pills,
segmented control) options, radio options and captions, select-slider options, image
captions, progress and spinner text, toasts, and the help tooltips of dataframe
column_config. Plain-text slots (selectbox and multiselect options, placeholders, code,
JSON, st.html, dataframe cells, chart specs) are not yielded.

`problems(text, payloads)` says what is wrong with one such text: payload text that is
not in the form lib.text.literal gives it, and Markdown constructs built from it.
"""
from __future__ import annotations

import json
import re
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from google.protobuf.message import Message

from lib.text import WORD_JOINER, literal

MARK = "EVIL"
MARKETPLACE_HOSTS = ("aliexpress.com", "aliexpress.us", "aliexpress.ru", "alibaba.com",
                     "tuya.com")
# Fields the frontend renders through StreamlitMarkdown, on any element ...
MARKDOWN_FIELDS = {"label", "help", "body", "content", "caption", "delta", "text"}
# ... plus options and captions of these (selectbox/multiselect options are plain).
OPTION_FIELDS = {"Radio": {"options", "captions"}, "Slider": {"options"}}
# Elements whose strings are not Markdown (code, data, sanitised HTML, specs, media).
NOT_MARKDOWN = {"Html", "Json", "Code", "Text", "VegaLiteChart", "Video", "Audio",
                "Exception", "DocString", "PlotlyChart", "DeckGlJsonChart", "GraphVizChart",
                "IFrame", "Empty", "Balloons", "Snow", "ArrowNamedDataSet", "Favicon"}
OWN_DIRECTIVES = {"gray-badge", "orange-badge", "blue-badge", "green-badge", "red-badge",
                  "violet-badge", "primary-badge", "gray", "orange", "blue", "green",
                  "violet", "primary", "rainbow"}

_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
_LINK = re.compile(r"(!?)\[((?:\\.|[^\]\\])*)\]\(\s*<?([^)\s>]*)")
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2061-\u2064"
                        "\u2066-\u2069\ufeff]")
_SHORTCODE = re.compile(r"(?<![\w\\]):[a-z0-9_+\-]+:(?!/)")
_DIRECTIVE = re.compile(r"(?<![\w\\]):([a-z][a-z0-9\-]*)\[")
_BLOCK_START = re.compile(r"(?m)^[ \t]{0,3}(#{1,6}(\s|$)|>|[-+*][ \t]|\d{1,9}[.)][ \t]|\|)")
# GFM autolink literals, judged after escapes are resolved (as the renderer does).
_DOMAIN = r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+"          # GFM: a valid domain has a "."
_AUTOLINK_URL = re.compile(r"(?i)\b(https?)://(" + _DOMAIN + ")")
_AUTOLINK_WWW = re.compile(r"(?i)(?<![\w.\u2060])www\.(" + _DOMAIN + ")")
_AUTOLINK_MAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")


# --- walking the element tree ---------------------------------------------------------
def markdown_texts(at) -> Iterator[tuple[str, str, str]]:
    """(element type, field, text) for every Markdown-rendered string on the page."""
    yield from _walk(at._tree)


def _walk(node) -> Iterator[tuple[str, str, str]]:
    proto = getattr(node, "proto", None)
    if isinstance(proto, Message):
        yield from _proto_texts(proto)
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _proto_texts(msg: Message) -> Iterator[tuple[str, str, str]]:
    kind = type(msg).__name__
    if kind in NOT_MARKDOWN:
        return
    if kind == "Markdown" and _is_latex(msg):
        return
    if kind in ("Dataframe", "Arrow", "ArrowTable"):
        yield from _column_config_help(msg, kind)
        return
    wanted = MARKDOWN_FIELDS | OPTION_FIELDS.get(kind, set())
    for field, value in msg.ListFields():
        values = list(value) if field.is_repeated else [value]
        for item in values:
            if isinstance(item, Message):
                yield from _proto_texts(item)
            elif isinstance(item, str) and field.name in wanted and item:
                yield kind, field.name, item


def _is_latex(msg: Message) -> bool:
    try:
        return msg.element_type == type(msg).Type.Value("LATEX")
    except (AttributeError, ValueError):
        return False


def _column_config_help(msg: Message, kind: str) -> Iterator[tuple[str, str, str]]:
    """The help tooltips of st.dataframe's column_config (JSON in the proto)."""
    raw = getattr(msg, "columns", "")
    try:
        config = json.loads(raw) if raw else {}
    except ValueError:
        return
    for column, settings in config.items() if isinstance(config, dict) else ():
        if isinstance(settings, dict) and settings.get("help"):
            yield kind, f"column_config[{column}].help", str(settings["help"])


# --- judging one text -----------------------------------------------------------------
_MARKER = re.compile(MARK + r"[A-Z]?[0-9]*")


class Payloads:
    """The outside texts a page may show, with the forms literal() gives them, indexed
    by their marker (EVIL<n>) so each text is compared only with its own payloads."""

    def __init__(self, payloads: Iterable[str]) -> None:
        self.raw = list(dict.fromkeys(payloads))
        # marker -> [(form, payload, only in mid-line)]
        self.by_marker: dict[str, list[tuple[str, str, bool]]] = {}
        for payload in self.raw:
            markers = set(_MARKER.findall(payload))
            for variant in (payload, payload.upper()):
                # literal() escapes a list marker ("- ", "1. ") only where its text
                # starts; inside a sentence passed to it whole, the marker stays.
                whole, inside = literal(variant), literal("x " + variant)[2:]
                forms = [(whole, False)] + ([(inside, True)] if inside != whole else [])
                for form, mid_line in forms:
                    for marker in markers:
                        self.by_marker.setdefault(marker, []).append(
                            (form, payload, mid_line))

    def mask(self, text: str) -> str:
        """`text` with every payload in the form literal() gives it (whole, or cut short
        and followed by "…" or the end of the text) replaced by a neutral word: what is
        left is the page's own markup plus any payload shown otherwise."""
        for marker in sorted(set(_MARKER.findall(text)), key=len, reverse=True):
            for form, _, mid_line in sorted(self.by_marker.get(marker, ()),
                                            key=lambda f: -len(f[0])):
                text = _mask_form(text, form, marker, mid_line)
        return text

    def payloads_in(self, text: str) -> list[str]:
        """The payloads whose marker is in `text`."""
        return list(dict.fromkeys(payload for marker in set(_MARKER.findall(text))
                                  for _, payload, _ in self.by_marker.get(marker, ())))


def _mask_form(text: str, form: str, marker: str, mid_line: bool = False) -> str:
    """Mask `form` wherever it stands whole, or cut short before "…" or the end. A
    `mid_line` form (a list marker left as it is) only after words on its line: at the
    start of a line, or after a bare "- ", its marker would make a list."""
    head = form[:form.find(marker) + len(marker)] if marker in form else ""
    start = text.find(head) if head else -1
    while start >= 0:
        line = text[text.rfind("\n", 0, start) + 1:start]
        if mid_line and not re.search(r"[\w\\]", line):
            start = text.find(head, start + 1)
            continue
        length = len(head)
        while (start + length < len(text) and length < len(form)
               and text[start + length] == form[length]):
            length += 1
        after = text[start + length:]
        if length == len(form):
            text = text[:start] + "SAFE" + after
        elif after.lstrip(" \\") == "" or after.lstrip(" \\").startswith("…"):
            text = text[:start] + "SAFE" + after.lstrip(" \\")[1:]
        start = text.find(head, start + 1)
    return text


def masked(text: str, payloads: Iterable[str] | Payloads) -> str:
    known = payloads if isinstance(payloads, Payloads) else Payloads(payloads)
    return known.mask(text)


def problems(text: str, payloads: Iterable[str] | Payloads = ()) -> list[str]:
    """What would render as markup in `text` (a Markdown-rendered string). Links and
    images are judged in every text; the rest where outside text (the EVIL marker, or
    a known payload) is still there after the literal() forms are masked."""
    known = payloads if isinstance(payloads, Payloads) else Payloads(payloads)
    found = _link_problems(text)
    rest = known.mask(text)
    found += _autolink_problems(rest)
    if _INVISIBLE.search(text) and MARK in text:
        found.append("zero-width or bidi control character")
    if MARK not in rest:
        return found
    for payload in known.payloads_in(rest):
        plain = " ".join(payload.split())
        if MARK in payload and len(plain) >= 4 and plain != literal(payload) \
                and (payload in rest or plain in rest):
            found.append(f"payload not through literal(): {plain[:60]!r}")
            break
    bare = _ESCAPED.sub("\x00", _without_own_links(rest))
    if "<" in bare or "&" in bare:
        found.append("raw < or & (HTML or entity)")
    if "$" in bare:
        found.append("raw $ (math)")
    if any(m.group(0) for m in _SHORTCODE.finditer(bare)):
        found.append("emoji :shortcode:")
    if any(m.group(1) not in OWN_DIRECTIVES for m in _DIRECTIVE.finditer(bare)):
        found.append("a :directive[ not the page's own")
    if ":material/" in bare and _payload_icon(rest):
        found.append(":material/ icon from outside text")
    if _payload_block_start(rest, bare, known):
        found.append("line-start block construct (#, >, -, 1., |)")
    if "\n" in rest.strip("\n") and not _only_own_breaks(rest):
        found.append("newline in outside text")
    return found


def _payload_block_start(rest: str, bare: str, known: Payloads) -> bool:
    """A line that starts with a block construct (#, >, -, 1., |) coming from outside
    text: one of a known payload's own lines at the start of a line; with no payload
    known, any such line in a text with the marker (the page's own bullets included)."""
    payloads = known.payloads_in(rest)
    if not payloads:
        return bool(_BLOCK_START.search(bare))
    starts = [line.lstrip() for line in rest.split("\n")]
    for payload in payloads:
        for line in payload.split("\n"):
            line = line.strip()
            if line and _BLOCK_START.match(line) and any(s.startswith(line[:12])
                                                         for s in starts):
                return True
    return False


def _link_problems(text: str) -> list[str]:
    found = []
    bare = _ESCAPED.sub("\x00\x00", text)        # same length: offsets stay valid
    for match in _LINK.finditer(bare):
        image, url = match.group(1), text[match.start(3):match.end(3)]
        if image:
            found.append(f"markdown image: {url[:60]!r}")
        elif not _marketplace(url):
            found.append(f"link to a foreign host: {url[:60]!r}")
        elif "[" in match.group(2):
            found.append("link text not escaped")
    return found


def _without_own_links(text: str) -> str:
    """Links the page builds itself to a marketplace, replaced by their text."""
    bare = _ESCAPED.sub("\x00\x00", text)
    pieces, last = [], 0
    for match in _LINK.finditer(bare):
        url = text[match.start(3):match.end(3)]
        if not match.group(1) and _marketplace(url):
            end = text.find(")", match.end(3))
            pieces += [text[last:match.start()], text[match.start(2):match.end(2)]]
            last = end + 1 if end >= 0 else len(text)
    return "".join(pieces) + text[last:]


def _without_link_targets(text: str) -> str:
    """Every link replaced by its text (its target is judged as a link, not again as
    an autolink)."""
    bare = _ESCAPED.sub("\x00\x00", text)
    pieces, last = [], 0
    for match in _LINK.finditer(bare):
        end = text.find(")", match.end(3))
        pieces += [text[last:match.start()], text[match.start(2):match.end(2)]]
        last = end + 1 if end >= 0 else len(text)
    return "".join(pieces) + text[last:]


def _marketplace(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if not parts.scheme and not parts.netloc:
        return not url.startswith("//") and not url.lower().startswith("javascript")
    return parts.scheme in ("http", "https") and any(
        host == h or host.endswith("." + h) for h in MARKETPLACE_HOSTS)


def _payload_icon(rest: str) -> bool:
    """A :material/...: icon next to the marker (the page's own icons are not)."""
    return bool(re.search(r":material/\w+:[^\n]{0,3}" + MARK, rest))


def _only_own_breaks(rest: str) -> bool:
    """The page's own multi-line Markdown: hard breaks ('  \\n') and list items of its
    own, with outside text only inside lines, never starting one."""
    for line in rest.split("\n")[1:]:
        if line.lstrip().startswith(MARK):
            return False
    return True


def _autolink_problems(rest: str) -> list[str]:
    """GFM autolinks to a foreign host: the renderer finds them after resolving escapes,
    so only the word joiner literal() inserts stops them."""
    resolved = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", _without_link_targets(rest))
    found = []
    for match in _AUTOLINK_URL.finditer(resolved):
        if not _marketplace(f"https://{match.group(2)}"):
            found.append(f"autolink: {match.group(0)[:60]!r}")
    for match in _AUTOLINK_WWW.finditer(resolved):
        if not _marketplace(f"https://www.{match.group(1)}"):
            found.append(f"autolink: {match.group(0)[:60]!r}")
    for match in _AUTOLINK_MAIL.finditer(resolved):
        if WORD_JOINER not in match.group(0):
            found.append(f"e-mail autolink: {match.group(0)[:60]!r}")
    return found


def scan(at, payloads: Iterable[str] = ()) -> list[tuple[str, str, str, list[str]]]:
    """(element type, field, text, problems) for every Markdown text with a problem."""
    known = payloads if isinstance(payloads, Payloads) else Payloads(payloads)
    return [(kind, field, text, found) for kind, field, text in markdown_texts(at)
            if (found := problems(text, known))]


def report(findings) -> str:
    """The findings, one line each, for an assertion message."""
    return "\n".join(f"{kind}.{field}: {text[:120]!r} -> {', '.join(found)}"
                     for kind, field, text, found in findings)
