"""Building the report's HTML so that outside text can only ever be text.

`el(tag, *children, **attributes)` is the one way report code writes an element: a
child or attribute that is a plain `str` (or a number) goes through
`lib.text.html_literal()`; only `Html` (markup this package built itself: elements, the
SVG of a chart, the sanitised seller description) passes unchanged. A link's `href`
must be http(s) and an image's `src` a data: URI this package made, so no value can
point the reader's browser anywhere it did not choose to click.
"""
from __future__ import annotations

from typing import Iterable
from urllib.parse import urlsplit

from lib.text import MAX_LITERAL, html_literal

# Elements without a closing tag.
_VOID = {"br", "hr", "img", "meta", "col"}
LONG_TEXT = 20_000          # a paragraph of the seller's may be long; a label is not


class Html(str):
    """Markup this package produced: inserted as it is, never escaped again."""


def text(value: object, limit: int = MAX_LITERAL) -> Html:
    """Outside text, escaped: shows as exactly these characters."""
    return Html(html_literal(value, limit))


def _children(children: Iterable[object]) -> Iterable[str]:
    for child in children:
        if child is None or child is False or child == "":
            continue
        if isinstance(child, Html):
            yield child
        elif isinstance(child, (list, tuple)):
            yield from _children(child)
        else:
            yield text(child)


def join(*children: object) -> Html:
    """Several children side by side (a fragment)."""
    return Html("".join(_children(children)))


def web_link(url: object) -> str | None:
    """`url` if it is a plain http(s) address a reader may click, else None."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _name(name: str) -> str:
    return name.rstrip("_").replace("_", "-")          # class_ -> class, data_x -> data-x


def _attribute(name: str, value: object) -> str:
    name = _name(name)
    if name == "href":
        value = web_link(value)
        if value is None:
            raise ValueError("a report link must be an http(s) address")
    if name == "src" and not (isinstance(value, Html) and value.startswith("data:")):
        raise ValueError("a report image must be embedded (a data: URI built here)")
    if name.startswith("on") or name == "style" and not isinstance(value, Html):
        raise ValueError(f"attribute {name} takes no outside text")
    shown = value if isinstance(value, Html) else html_literal(value, LONG_TEXT)
    return f' {name}="{shown}"'


def el(tag: str, *children: object, **attributes: object) -> Html:
    """<tag attributes>children</tag>; attributes that are None or False are left out,
    True is written as a bare attribute."""
    attrs = "".join(f" {_name(name)}" if value is True else _attribute(name, value)
                    for name, value in attributes.items()
                    if value is not None and value is not False)
    if tag in _VOID:
        return Html(f"<{tag}{attrs}>")
    return Html(f"<{tag}{attrs}>{''.join(_children(children))}</{tag}>")


def link(label: object, url: object) -> Html:
    """A link to a page on the web, or the label as plain text when `url` is not a
    plain http(s) address (never a javascript: or data: link)."""
    target = web_link(url)
    if target is None:
        return text(label)
    return el("a", label, href=target, rel="noopener noreferrer nofollow")


def paragraph(value: object) -> Html:
    return el("p", text(value, LONG_TEXT))
