"""Reading a report (lib/report/) the way a browser would, without a browser.

`parse(html)` builds a small element tree with the standard library's HTML parser (the
same tokenizer rules a browser uses for tags and attributes), so the tests judge the
structure the document really has, not strings that happen to look like markup.
`network_findings(root, allowed_links)` lists everything in it that would make a browser
(or WeasyPrint) ask a server for something. `static_loader` gives the demo pictures from
static/ as lib.ui.report_image does, without Streamlit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
# Elements a self-contained report never has: each loads, runs or frames something.
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "link", "frame", "frameset",
                  "applet", "base", "audio", "video", "source", "track", "portal",
                  "form", "input", "button", "noscript", "template", "use", "image",
                  "foreignobject"}
# Attributes whose value a browser fetches or navigates to.
URL_ATTRIBUTES = {"src", "href", "srcset", "poster", "action", "formaction", "data",
                  "background", "xlink:href", "cite", "longdesc", "ping", "manifest",
                  "codebase", "archive", "lowsrc", "dynsrc", "usemap", "profile", "icon",
                  "imagesrcset"}
# xmlns attributes name a namespace; no browser fetches them.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
              "http://www.w3.org/1999/xhtml"}
# What Vega's SVG renderer writes (vl-convert): anything else inside an <svg> is not
# Vega's and would have come from text.
SVG_TAGS = {"svg", "g", "path", "rect", "line", "text", "tspan", "defs", "clippath",
            "lineargradient", "radialgradient", "stop", "title", "desc", "circle",
            "ellipse", "polyline", "polygon"}
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
CSS_IMPORT = re.compile(r"@import", re.IGNORECASE)


@dataclass
class Node:
    tag: str
    attrs: list[tuple[str, str | None]] = field(default_factory=list)
    children: list["Node | str"] = field(default_factory=list)
    parent: "Node | None" = None

    def attr(self, name: str) -> str | None:
        return next((v for k, v in self.attrs if k == name), None)

    @property
    def classes(self) -> set[str]:
        return set((self.attr("class") or "").split())

    def iter(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list["Node"]:
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and (cls is None or cls in n.classes)]

    def find(self, tag: str | None = None, cls: str | None = None) -> "Node":
        found = self.find_all(tag, cls)
        assert found, f"no <{tag} class={cls}>"
        return found[0]

    def raw_text(self, skip: set[str] = frozenset()) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif not (child.classes & skip):
                parts.append(child.raw_text(skip))
        return "".join(parts)

    def text(self, skip: set[str] = frozenset()) -> str:
        """The text as shown: entities decoded, white space folded."""
        return " ".join(self.raw_text(skip).split())

    def ancestors(self) -> Iterator["Node"]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def inside(self, tag: str) -> bool:
        return any(a.tag == tag for a in self.ancestors())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]
        self.mismatched: list[str] = []

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):          # <path ... /> in SVG
        node = Node(tag, attrs, parent=self.stack[-1])
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                if depth != len(self.stack) - 1:
                    self.mismatched.append(tag)
                del self.stack[depth:]
                return
        self.mismatched.append(f"/{tag}")

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: bytes | str) -> Node:
    """The document's element tree; asserts that every element was closed in order
    (a report is generated markup: an unbalanced tag means text became markup)."""
    source = html.decode("utf-8") if isinstance(html, bytes) else html
    builder = _TreeBuilder()
    builder.feed(source)
    builder.close()
    assert not builder.mismatched, f"unbalanced tags: {builder.mismatched[:10]}"
    assert len(builder.stack) == 1, f"unclosed: {[n.tag for n in builder.stack[1:]]}"
    return builder.root


def _css_findings(css: str, where: str) -> list[str]:
    found = [f"{where}: url({target})" for _, target in CSS_URL.findall(css)
             if not target.strip().startswith("#")]
    if CSS_IMPORT.search(css):
        found.append(f"{where}: @import")
    return found


def network_findings(root: Node, allowed_links: set[str]) -> list[str]:
    """Everything that would load or navigate: forbidden elements, URL attributes other
    than data:image/ pictures, #fragments in SVG and the `allowed_links` as <a href>,
    event handlers, CSS url()/@import in style attributes and <style> elements, a meta
    refresh, xmlns values that are not the known namespaces."""
    found = []
    for node in root.iter():
        if node.tag == "#document":
            continue
        if node.tag in FORBIDDEN_TAGS:
            found.append(f"<{node.tag}>")
        if node.tag == "style":
            found += _css_findings(node.raw_text(), "<style>")
        if node.tag == "meta" and (node.attr("http-equiv") or "").lower() == "refresh":
            found.append("<meta refresh>")
        in_svg = node.tag == "svg" or node.inside("svg")
        for name, value in node.attrs:
            value = value or ""
            where = f"<{node.tag} {name}={value[:80]!r}>"
            if name.startswith("on"):
                found.append(f"event handler {where}")
            elif name == "xmlns" or name.startswith("xmlns:"):
                if value not in NAMESPACES:
                    found.append(f"namespace {where}")
            elif name in URL_ATTRIBUTES:
                if node.tag == "img" and name == "src" and value.startswith("data:image/"):
                    pass
                elif node.tag == "a" and name == "href" and value in allowed_links:
                    pass
                elif in_svg and name in ("href", "xlink:href") and value.startswith("#"):
                    pass
                else:
                    found.append(f"url attribute {where}")
            elif name == "style" or (in_svg and "url(" in value.lower()):
                found += _css_findings(value, where)
    return found


def figures(root: Node) -> dict[str, list[str]]:
    """The report's figure boxes: label -> the values shown under it (in order)."""
    out: dict[str, list[str]] = {}
    for box in root.find_all("div", "figure"):
        label = next(n for n in box.find_all("div", "label")).text()
        value = next(n for n in box.find_all("div", "value")).text()
        out.setdefault(label, []).append(value)
    return out


def facts(root: Node) -> dict[str, list[str]]:
    """The definition lists: term -> the values next to it."""
    out: dict[str, list[str]] = {}
    for dl in root.find_all("dl", "facts"):
        terms = [c for c in dl.children if isinstance(c, Node)]
        for term, value in zip(terms[::2], terms[1::2]):
            assert (term.tag, value.tag) == ("dt", "dd")
            out.setdefault(term.text(), []).append(value.text())
    return out


def section(root: Node, title: str) -> Node:
    """The <section> whose <h2> says `title`."""
    for node in root.find_all("section"):
        heading = node.find_all("h2")
        if heading and heading[0].text() == title:
            return node
    raise AssertionError(f"no section {title!r}")


def table_rows(table: Node) -> tuple[list[str], list[list[Node]]]:
    """A table's header texts and its body rows' cells (th and td)."""
    head = [th.text() for th in table.find("thead").find_all("th")]
    rows = [[c for c in tr.children if isinstance(c, Node) and c.tag in ("th", "td")]
            for tr in table.find("tbody").find_all("tr")]
    return head, rows


def svg_mark_groups(svg: Node) -> list[Node]:
    """Vega's mark containers (<g class="mark-... role-mark ...">) in one chart."""
    return [g for g in svg.find_all("g") if "role-mark" in g.classes]


def static_loader(url: str) -> bytes | None:
    """Pictures for a report as the app serves them: /app/static/<path> from static/
    (confined to it), anything else not loaded."""
    prefix = "/app/static/"
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    path = (STATIC / url[len(prefix):]).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        return None
    return path.read_bytes()
