"""The hostile demo set: the real demo fixtures with attacker text in every free-text field.

`build_hostile_set(folder)` copies lib/sandbox/fixtures/ into `folder` with the same
platforms, ids and structure; every string a parser reads as text becomes one of CASES
(titles, store names, statuses, currencies, property and attribute names and values,
free-text SKU codes, units, supply ability, captions, video ids, descriptions ...), every
URL one of HOSTILE_URLS, every description HTML HOSTILE_HTML. Numbers, booleans, dates,
structural ids and the keys that link SKUs to their properties stay as they are, so the
parsers still build whole products. Point the sandbox at the folder with
EXPLORER_DEMO_FIXTURES (lib.sandbox.gateway.FIXTURES_ENV).

Every hostile text carries the marker EVIL<n> (letters and digits: escaping leaves it
whole), n numbering the distinct original strings, so different values stay different
(variants do not collapse) and the same value stays the same everywhere.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lib.sandbox.gateway import CATALOGUE_FILE, FIXTURES

MARK = "EVIL"
LONG = " ".join(["lorem"] * 834)          # with the marker: over 5,000 characters
# {m} is the marker; where a construct only works at the start of a line, it starts there.
CASES = [
    "[Your session expired: sign in {m}](https://evil.example/login)",
    "![x {m}](https://evil.example/pixel.png)",
    "{m} line one\n# Heading\nmore",
    ":red[alarm {m}]",
    ":smile: {m}",
    ":material/warning: {m}",
    "Set of 2 for $10 and $20 {m}",
    "$x^2$ {m}",
    "{m} ] ) break out",
    "<b>bold</b> {m} <img src=x onerror=alert(1)>",
    "&lt;i&gt; {m}",
    "**bold** _it_ `code` ~~s~~ {m}",
    "| a | b |\n| - | - |\n| {m} | x |",
    "> quote {m}",
    "1. list {m}",
    "- item {m}",
    "https://evil.example/x {m}",
    "www.evil.example {m}",
    "evil@evil.example {m}",
    "{m} zero\u200bwidth\u200djoin\ufeffbom \u202eRTL override",
    "{m} " + LONG,
    '=HYPERLINK("https://evil.example","{m}")',
    "=cmd|' /C calc'!A0 {m}",
    "+1 {m}",
    "-1 {m}",
    "@SUM(A1) {m}",
]
HOSTILE_URLS = [
    "https://evil.example/pixel.png",
    "javascript:alert(1)",
    "https://ae01.alicdn.com/x.jpg)](https://evil.example/y)",
    "https://evil.example/login",
]
HOSTILE_HTML = (
    "<p>{m} description</p><script>alert(1)</script>"
    '<img src="https://evil.example/pixel.png" onerror="alert(1)">'
    '<a href="https://evil.example/login">sign in {m}</a>'
    '<a href="javascript:alert(1)">click {m}</a>'
    "<h1>{m} heading</h1><iframe src=\"https://evil.example/\"></iframe>"
    "<pre>" + "x" * 3000 + "</pre><p>" + "y" * 3000 + "</p>"
)

# Structure, not text: ids, the keys that tie SKUs to properties, enum switches the
# parsers branch on, and envelope bookkeeping.
KEEP_KEYS = frozenset({
    "product_id", "main_product_id", "sub_product_id", "sku_attr", "id", "attr2_value",
    "commodity_code", "attr_code", "request_id", "_trace_id_", "tid", "rsp_msg",
    "resp_msg", "locale", "display", "price_type", "product_type", "sale_type",
    "configuration_type", "reduce_strategy", "watermark_frame", "watermark_position",
    "type", "method", "sign_method", "msg",
})
HTML_KEYS = frozenset({"detail", "description", "mobile_detail", "web_detail"})
# Ids sent as numbers that the app shows as text: they become text too.
TEXT_NUMBER_KEYS = frozenset({"media_id", "attr_value", "value_name", "attr_value_name"})
URL_KEY = re.compile(r"(url|urls|u_r_ls|link|image|images|pictures|pic|pic_list|video|"
                     r"video_pic|promotionurl)$", re.IGNORECASE)
_NUMBERISH = re.compile(r'^\s*"?[-+]?[0-9]+(?:[.,][0-9]+)?\s*[%+]?"?\s*$')
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_FLAGS = {"true", "false", "y", "n"}


class _Hostile:
    """Deterministic replacements: one hostile text per distinct original string."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.urls = 0
        self.html = 0

    def text(self, original: str) -> str:
        if original not in self.texts:
            n = len(self.texts)
            self.texts[original] = CASES[n % len(CASES)].format(m=f"{MARK}{n}")
        return self.texts[original]

    def url(self) -> str:
        self.urls += 1
        return HOSTILE_URLS[(self.urls - 1) % len(HOSTILE_URLS)]

    def url_list(self, original: str) -> str:
        """A ';'-list of image URLs: the first local one kept (pages keep a picture to
        show), every hostile URL after it."""
        first = original.split(";")[0].strip()
        return ";".join(([first] if first.startswith("/app/static/") else [])
                        + HOSTILE_URLS)


def _is_url(value: str) -> bool:
    return value.startswith(("/", "http://", "https://"))


def hostile_value(key: str, value: Any, state: _Hostile) -> Any:
    """`value` (found under `key`) with its free text made hostile, recursively."""
    if isinstance(value, dict):
        return {k: hostile_value(k, v, state) for k, v in value.items()}
    if isinstance(value, list):
        if key and URL_KEY.search(key) and value and all(isinstance(v, str) for v in value):
            local = [v for v in value if v.startswith("/app/static/")][:1]
            return local + list(HOSTILE_URLS)
        return [hostile_value(key, v, state) for v in value]
    if key in TEXT_NUMBER_KEYS and isinstance(value, (int, str)) and str(value):
        return state.text(str(value))
    if not isinstance(value, str) or key in KEEP_KEYS:
        return value
    if value == "" or _NUMBERISH.match(value) or _DATE.match(value) \
            or value.lower() in _FLAGS:
        return value
    if key in HTML_KEYS:
        state.html += 1
        return HOSTILE_HTML.format(m=f"{MARK}D{state.html}")
    if ";" in value and _is_url(value):
        return state.url_list(value)
    if _is_url(value) or (URL_KEY.search(key) and "." in value):
        return state.url()
    return state.text(value)


def hostile_catalogue(entries: list[dict], state: _Hostile) -> list[dict]:
    """Same ids (and shop currency: demo credentials are built from it), hostile titles
    and blurbs."""
    return [{**entry, "title": state.text(f"catalogue title: {entry.get('title')}"),
             "blurb": state.text(f"catalogue blurb: {entry.get('blurb')}")}
            for entry in entries]


def build_hostile_set(folder: Path, source: Path = FIXTURES) -> dict[str, str]:
    """Write the hostile set into `folder`; returns {original: hostile text}."""
    state = _Hostile()
    for platform_dir in sorted(p for p in source.iterdir() if p.is_dir()):
        target = folder / platform_dir.name
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(platform_dir.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if path.name == CATALOGUE_FILE:
                made = hostile_catalogue(data, state)
            else:
                made = hostile_value("", data, state)
            (target / path.name).write_text(json.dumps(made, ensure_ascii=False, indent=1),
                                            encoding="utf-8")
    return dict(state.texts)


def hostile_texts(mapping: dict[str, str]) -> list[str]:
    """Every hostile text of a built set, longest first (for masking)."""
    return sorted(set(mapping.values()), key=len, reverse=True)


# --- hostile input from the URL and from pastes ---------------------------------------
def hostile_url_params(platform: str, product_id: str) -> list[dict[str, str]]:
    """Query strings a hostile link sender would craft, one dict per link."""
    evil = [case.format(m=f"{MARK}U{i}") for i, case in enumerate(CASES)]
    short = [e for e in evil if len(e) < 200]
    return [
        {"platform": platform, "id": short[0]},
        {"platform": platform, "id": product_id, "country": short[1], "currency": short[6],
         "language": short[3]},
        {"platform": platform, "id": product_id, "metric": short[0], "rows": short[4],
         "cols": short[5], "variants": short[2], "filter-Color": short[7]},
        {"platform": short[8], "id": product_id},
        {"platform": platform, "id": product_id, "qty": short[9],
         **{f"filter-{case}": short[10] for case in short[11:14]}},
    ]


def hostile_compare_param() -> list[str]:
    """A p= list of junk entries with markup in them."""
    return [case.format(m=f"{MARK}P{i}")[:120] for i, case in enumerate(CASES[:12])]


def hostile_paste() -> str:
    """A batch paste: every case on its own line, plus a real demo key."""
    lines = [case.format(m=f"{MARK}B{i}") for i, case in enumerate(CASES)]
    return "\n".join(line.replace("\n", " ") for line in lines)


def hostile_csv() -> bytes:
    """A CSV whose header and cells are hostile."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"[ids {MARK}H](https://evil.example/login)", "note"])
    for i, case in enumerate(CASES[:15]):
        writer.writerow([case.format(m=f"{MARK}C{i}"), f":red[{MARK}N{i}]"])
    return out.getvalue().encode("utf-8")


def hostile_inputs() -> list[str]:
    """Every hostile string the link, paste and CSV inputs above carry (for masking)."""
    import csv
    import io

    values = [v for params in hostile_url_params("aliexpress", "1") for k, v in
              params.items()] + [k for params in hostile_url_params("aliexpress", "1")
                                 for k in params if MARK in k]
    values += hostile_compare_param() + hostile_paste().splitlines()
    values += [cell for row in csv.reader(io.StringIO(hostile_csv().decode("utf-8")))
               for cell in row]
    return [v for v in dict.fromkeys(values) if MARK in v]
