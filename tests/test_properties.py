"""Property-based tests (Hypothesis): whatever comes in, only the documented errors go out.

- parse_product_ref: any text -> a ProductQuery or InvalidQuery, never another exception;
- the parsers: real captures and demo fixtures, randomly mutated (keys dropped, values
  nulled, types swapped, lists wrapped and unwrapped, huge and negative numbers,
  unicode) -> a Product whose tables keep their column contract, or a FetchError;
- the coerce converters never raise; sanitize_html never lets "<script" or
  "javascript:" through.

The suite runs a short session (FUZZ_EXAMPLES, default 120 examples per test, no
deadline). A long fuzz session: `FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest -q
tests/test_properties.py` (Hypothesis keeps failing examples in .hypothesis/ and replays
them first on the next run).
"""
from __future__ import annotations

import json
import math
import os
import traceback
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.coerce import (as_list, maybe_json, safe_url, split_list, to_bool, to_float, to_int,
                        to_text, unquote)
from lib.errors import FetchError, InvalidQuery
from lib.model import (ATTRIBUTE_COLUMNS, COUNTRY_PRICE_COLUMNS, LEAD_TIME_COLUMNS,
                       SKU_KEY_COLUMNS, SKU_VALUE_COLUMNS, TIER_COLUMNS, Product)
from lib.platforms import PLATFORMS, parse_payload
from lib.query import (ProductQuery, normalise_country, normalise_currency,
                       normalise_language, parse_product_ref)
from lib.sandbox import fixture_ids, load_fixture
from lib.sanitize import image_sources, sanitize_html
from paths import REAL

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 200,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])

# The real captures of each platform (shared/real-responses) and its demo fixtures.
CAPTURE_DIRS = {"aliexpress": "ds", "aliexpress-affiliate": "affiliate", "alibaba": "icbu",
                "aliexpress-seller": "legacy"}


def samples(key: str) -> list[Any]:
    found = []
    folder = CAPTURE_DIRS.get(key)
    if folder and (REAL / folder).is_dir():
        found += [json.loads(p.read_text(encoding="utf-8"))
                  for p in sorted((REAL / folder).iterdir()) if p.is_file()]
    found += [load_fixture(key, i) for i in fixture_ids(key)]
    return found


SAMPLES = {key: samples(key) for key in PLATFORMS}


# --- strategies ----------------------------------------------------------------------------
URL_BITS = ["https://", "http://", "//", "javascript:", "data:", "www.", "aliexpress.com",
            "a.aliexpress.com", "alibaba.com", ".aliexpress.us", "/item/", ".html", "?",
            "&", "#", "%2e%2e/", "../", "1005006789012345", "3256806389000685", "sku_id=",
            "productId=", "/_", ":", "@", "\\", " ", "\x00", "\u200b", "１", "é", "🙂"]
text_like_input = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(URL_BITS), max_size=12).map("".join),
    st.lists(st.one_of(st.sampled_from(URL_BITS), st.text(max_size=8)), max_size=10)
    .map("".join),
)
scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", "0", "-1", "null", "true", "1000+", "\"5.78\"", "7.0%", "NaN",
                     "1e308", "9" * 40, "{\"US\": 1}", "[1, 2", "<script>alert(1)</script>",
                     "javascript:alert(1)", "//ae01.alicdn.com/x.jpg", "🙂" * 5, "\u202e"]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document (dict keys and list indexes)."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, prefix + (index,))
    return found


def get(node: Any, path: tuple) -> Any:
    for step in path:
        node = node[step]
    return node


def swap_type(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        number = to_float(value)
        return number if number is not None else [value]
    if isinstance(value, list):
        return value[0] if value else {}
    if isinstance(value, dict):
        return list(value.values())
    return "null"


OPERATIONS = ["drop", "null", "replace", "swap", "wrap", "unwrap", "huge", "negative",
              "unicode", "empty"]


@st.composite
def mutated(draw, key: str) -> Any:
    payload = json.loads(json.dumps(draw(st.sampled_from(SAMPLES[key]))))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        places = paths(payload)
        path = draw(st.sampled_from(places))
        operation = draw(st.sampled_from(OPERATIONS))
        if not path:
            if operation in ("replace", "swap", "wrap"):
                payload = {"replace": draw(json_values), "swap": swap_type(payload),
                           "wrap": [payload]}[operation]
            continue
        parent, last = get(payload, path[:-1]), path[-1]
        value = parent[last]
        if operation == "drop":
            if isinstance(parent, dict):
                del parent[last]
            else:
                parent.pop(last)
            continue
        parent[last] = {
            "null": None,
            "replace": draw(json_values),
            "swap": swap_type(value),
            "wrap": {"string": value} if draw(st.booleans()) else [value],
            "unwrap": (value[0] if isinstance(value, list) and value else
                       next(iter(value.values())) if isinstance(value, dict) and value
                       else value),
            "huge": draw(st.sampled_from([10 ** 25, -(10 ** 25), 1e308, -1e308, math.inf,
                                          2 ** 63, "9" * 30])),
            "negative": draw(st.sampled_from([-1, -0.01, "-5", -(2 ** 31)])),
            "unicode": draw(st.text(min_size=1, max_size=20)),
            "empty": draw(st.sampled_from(["", [], {}, " "])),
        }[operation]
    return payload


def check_contract(product: Product) -> None:
    columns = list(product.skus.columns)
    assert columns[:2] == SKU_KEY_COLUMNS
    assert all(c in columns for c in SKU_VALUE_COLUMNS)
    assert all(p in columns for p in product.sku_properties)
    assert list(product.tiers.columns) == TIER_COLUMNS
    assert list(product.lead_times.columns) == LEAD_TIME_COLUMNS
    assert list(product.country_prices.columns) == COUNTRY_PRICE_COLUMNS
    assert list(product.attributes.columns) == ATTRIBUTE_COLUMNS
    assert isinstance(product.warnings, list)
    assert all(0 <= v <= 5 for v in product.store.ratings.values() if v is not None)
    for image in product.media.images:
        assert image.url.startswith(("https://", "http://", "/app/static/")), image.url
    assert "<script" not in product.description_html.lower()


# --- parsers ---------------------------------------------------------------------------------
# Crashes found by this test in modules outside its owner's reach, reported to their
# owners: (file, function, exception). While one still happens the test is marked xfail
# with what was seen; any other exception fails it. Remove a line once it is fixed.
KNOWN_BUGS: set[tuple] = set()     # all reported crashes are fixed


def known_bug(error: Exception) -> tuple | None:
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if "/lib/" in f.filename.replace("\\", "/") and "site-packages" not in f.filename]
    if not frames:
        return None
    last = frames[-1]
    where = ("lib/" + last.filename.replace("\\", "/").split("/lib/", 1)[1], last.name,
             type(error))
    return where if where in KNOWN_BUGS else None


def parse_checked(key: str, payload: Any, query: Any, seen: set) -> None:
    """Parse: a Product keeping the contract, or a FetchError, or a known bug (noted)."""
    try:
        product = parse_payload(key, payload, query)
    except FetchError:
        return
    except Exception as error:         # noqa: BLE001 - sorted here
        bug = known_bug(error)
        if bug is None:
            raise
        seen.add(bug)
        return
    check_contract(product)


def xfail_if_known(seen: set) -> None:
    if seen:
        pytest.xfail("known parser crashes (reported): "
                     + "; ".join(f"{f}:{fn} {e.__name__}" for f, fn, e in sorted(seen, key=str)))


@pytest.mark.parametrize("key", [k for k in PLATFORMS if SAMPLES[k]])
def test_parser_survives_mutated_payloads(key):
    query = ProductQuery(key, "x")
    seen: set[tuple] = set()

    @FUZZ
    @given(payload=mutated(key))
    def run(payload):
        parse_checked(key, payload, None, seen)
        parse_checked(key, payload, query, seen)
    run()
    xfail_if_known(seen)


def test_ds_parser_from_bytes():
    """The DS parser as a gateway feeds it: JSON bytes (NaN and Infinity included)."""
    seen: set[tuple] = set()

    @FUZZ
    @given(payload=mutated("aliexpress"))
    def run(payload):
        parse_checked("aliexpress", json.dumps(payload).encode(), None, seen)
    run()
    xfail_if_known(seen)


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_parsers_survive_any_body(body):
    for key in PLATFORMS:
        try:
            parse_payload(key, body)
        except FetchError:
            pass


# --- input -----------------------------------------------------------------------------------
@FUZZ
@given(text=text_like_input, platform=st.sampled_from([None, *PLATFORMS]))
def test_parse_product_ref_raises_only_invalid_query(text, platform):
    try:
        query = parse_product_ref(text, platform)
    except InvalidQuery as error:
        assert error.user_message and "Traceback" not in error.user_message
        return
    assert query.platform in PLATFORMS and query.product_id


@FUZZ
@given(value=st.one_of(st.text(max_size=30), st.none(), st.integers(), st.binary(max_size=5)))
def test_locale_checks_raise_only_invalid_query(value):
    for check in (normalise_country, normalise_currency, normalise_language):
        try:
            assert check(value)
        except InvalidQuery:
            pass


# --- converters and sanitiser ---------------------------------------------------------------
@FUZZ
@given(value=json_values)
def test_coerce_converters_never_raise(value):
    text = to_text(value)
    assert isinstance(text, str)
    number = to_float(value)
    assert number is None or math.isfinite(number)
    whole = to_int(value)
    assert whole is None or isinstance(whole, int)
    assert to_bool(value) in (True, False, None)
    assert isinstance(as_list(value), list)
    maybe_json(value)
    assert all(isinstance(part, str) for part in split_list(value))
    url = safe_url(value)
    assert url == "" or url.startswith(("https://", "http://", "/app/static/"))
    if isinstance(value, str):
        assert isinstance(unquote(value), str)


HTML_BITS = ["<script>", "</script>", "<SCRIPT", "<scr", "ipt>", "javascript:", "JaVaScRiPt:",
             "java\tscript:", "&#106;avascript:", "&colon;", "<a href=\"", "\">", "<img src=",
             " onerror=", "alert(1)", "<iframe", "<svg onload=", "<style>", "style=\"",
             "<!--", "-->", "<p>", "</p>", "<![CDATA[", "\"", "'", "<", ">", "=", " ",
             "data:text/html,", "<math><mtext>", "<noscript>", "</noscript>", "<xmp>",
             "<plaintext>", "<textarea>", "</textarea>", "vbscript:", "\x00", "é"]
html_like = st.one_of(st.text(max_size=200),
                      st.lists(st.sampled_from(HTML_BITS), max_size=25).map("".join),
                      st.lists(st.one_of(st.sampled_from(HTML_BITS), st.text(max_size=5)),
                               max_size=20).map("".join))


@FUZZ
@given(html=html_like)
def test_sanitize_never_lets_script_through(html):
    output = sanitize_html(html)
    lowered = output.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    for url in image_sources(output):
        assert url.startswith(("https://", "http://", "/app/static/"))
