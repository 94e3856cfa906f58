"""lib.coerce on the quirky values real gateways send."""
from __future__ import annotations

import math

import pytest

from lib.coerce import (MAX_URL_LENGTH, as_list, maybe_json, safe_url, split_list, to_bool,
                        to_float, to_int, to_text, unquote)


@pytest.mark.parametrize("value, expected", [
    ('"5.78"', 5.78),                 # DOC-COPY wholesale_price, once decoded from JSON
    ("'\"5.78\"'", 5.78),             # quoted twice
    ("3.30", 3.3), (" 3.30 ", 3.3), ("0.040", 0.04),
    ("7.0%", 7.0), ("93.9%", 93.9), ("50%", 50.0),
    ("1000+", 1000.0), ("5000+", 5000.0),
    ("1,234.5", 1234.5), ("12 345", 12345.0),
    ("-2", -2.0), ("+5", 5.0), (".5", 0.5), ("5.", 5.0), ("1e3", 1000.0),
    (57, 57.0), (14.24, 14.24), (0, 0.0), ("0", 0.0),
    (3256806389000685, 3256806389000685.0),
])
def test_to_float(value, expected):
    assert to_float(value) == pytest.approx(expected)
    assert isinstance(to_float(value), float)


@pytest.mark.parametrize("value", [
    None, True, False, "true", "", "   ", "abc", "N/A", "NaN", "nan", "inf", "-inf",
    float("nan"), float("inf"), float("-inf"), [1], {"a": 1}, "1.2.3", "--1", "5%%x",
    '\\"5.78\\"',                     # backslashes left in (not decoded JSON): refused
])
def test_to_float_refuses(value):
    assert to_float(value) is None


@pytest.mark.parametrize("value, expected", [
    ("57", 57), (57, 57), ("1000+", 1000), ("7.0%", 7), ("2994", 2994), (9.0, 9),
    ('"3"', 3), ("1,000", 1000), ("-1", -1), ("12000037711871337", 12000037711871337),
])
def test_to_int(value, expected):
    result = to_int(value)
    assert result == expected and isinstance(result, int)


@pytest.mark.parametrize("value", ["3.30", "0.5", 2.5, None, True, "", "x", float("nan")])
def test_to_int_refuses(value):
    assert to_int(value) is None


@pytest.mark.parametrize("value, expected", [
    (None, ""), ("", ""), ("  hi  ", "hi"), ('"blue"', "blue"), ('""', ""),
    (True, "true"), (False, "false"), (14, "14"), (14.0, "14"), (0.04, "0.04"),
    (3256806389000685, "3256806389000685"), ({"a": 1}, ""), ([1, 2], ""),
    ('"200000182:193;200007763:201336100"', "200000182:193;200007763:201336100"),
    ("Portátil", "Portátil"), ("“access_token”", "“access_token”"),
])
def test_to_text(value, expected):
    assert to_text(value) == expected


@pytest.mark.parametrize("value, expected", [
    ('"5.78"', "5.78"), ("'x'", "x"), ("\"'x'\"", "x"), ('"a', '"a'), ('"', '"'),
    ('""', ""), ("  \" 5 \"  ", "5"), ("'mixed\"", "'mixed\""),
])
def test_unquote(value, expected):
    assert unquote(value) == expected


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), ("true", True), ("TRUE", True), ('"true"', True),
    ("false", False), ("1", True), ("0", False), (1, True), (0, False), ("yes", True),
    ("no", False), ("Y", True), ("n", False),
    (None, None), ("", None), ("maybe", None), (2, None), ("2", None), ([True], None),
])
def test_to_bool(value, expected):
    assert to_bool(value) is expected


@pytest.mark.parametrize("value, expected", [
    ({"ae_item_sku_info_d_t_o": [{"a": 1}, {"a": 2}]}, [{"a": 1}, {"a": 2}]),
    ({"ae_item_sku_info_d_t_o": {"a": 1}}, [{"a": 1}]),        # one element sent bare
    ({"string": ["u1", "u2"]}, ["u1", "u2"]),
    ({"string": "u1"}, ["u1"]),                                  # scalar wrapper
    ({"number": 5}, [5]),
    ({"products": {"product": [{"id": 1}]}}, [{"id": 1}]),       # wrapped twice
    ({"products": {"product": {"id": 1}}}, [{"id": 1}]),
    ({"id": 1}, [{"id": 1}]),                                    # a bare object
    ({"store_id": 5}, [{"store_id": 5}]),                        # single key, scalar
    ({"a": 1, "b": 2}, [{"a": 1, "b": 2}]),
    ([1, 2], [1, 2]), ([], []), (None, []), ("", []), ("x", ["x"]), (0, [0]),
])
def test_as_list(value, expected):
    assert as_list(value) == expected


@pytest.mark.parametrize("value, expected", [
    ('{"US":3256806389000685}', {"US": 3256806389000685}),
    (' [1, 2] ', [1, 2]),
    (b'{"a": 1}', {"a": 1}),
    ('{"222038415":28392,"191288010":3331185}', {"222038415": 28392, "191288010": 3331185}),
    ("plain text", "plain text"), ("", ""), (5, 5), (None, None),
    ({"US": 1}, {"US": 1}),
    ("{not json", None), ("[1,", None),
])
def test_maybe_json(value, expected):
    assert maybe_json(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("https://a/1.jpg;https://a/2.jpg", ["https://a/1.jpg", "https://a/2.jpg"]),
    ("a;;b; ;c;", ["a", "b", "c"]),
    ({"string": ["x", "y"]}, ["x", "y"]),
    (["a", None, "", 5], ["a", "5"]),
    (None, []), ("", []),
])
def test_split_list(value, expected):
    assert split_list(value) == expected


def test_split_list_other_separator():
    assert split_list("CN;FUJ") == ["CN", "FUJ"]
    assert split_list("a, b ,c", ",") == ["a", "b", "c"]


@pytest.mark.parametrize("value, expected", [
    ("https://ae01.alicdn.com/kf/S4f3fbe67.jpg", "https://ae01.alicdn.com/kf/S4f3fbe67.jpg"),
    ("http://img.example/x.jpg", "http://img.example/x.jpg"),
    ("HTTPS://ae01.alicdn.com/kf/x.jpg", "HTTPS://ae01.alicdn.com/kf/x.jpg"),
    ("//ae01.alicdn.com/kf/x.jpg", "https://ae01.alicdn.com/kf/x.jpg"),
    (' "https://ae01.alicdn.com/kf/x.jpg" ', "https://ae01.alicdn.com/kf/x.jpg"),
    ("/app/static/demo/backpack_red.png", "/app/static/demo/backpack_red.png"),
    ("https://video.aliexpress-media.com/play/5000261204359.mp4",
     "https://video.aliexpress-media.com/play/5000261204359.mp4"),
])
def test_safe_url_keeps(value, expected):
    assert safe_url(value) == expected


@pytest.mark.parametrize("value", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)",
    "data:image/png;base64,iVBORw0KGgo=", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)", "file:///etc/passwd", "ftp://host.example/x.jpg",
    "https://user:pw@host.example/x.jpg", "https://user@host.example/x.jpg",
    "https://", "https:///path-only", "media url", "/etc/passwd", "relative/x.jpg",
    "/app/static/../secrets.toml", "/app/static/%2e%2e/secrets.toml",
    "/app/static/.%2E/x", "https://a.example/x y.jpg", "https://a.example/x\n.jpg",
    "https://a.example/\x00.jpg", "https://[::1/x.jpg", "", None, 5, ["https://a/x"],
    "0",
])
def test_safe_url_refuses(value):
    assert safe_url(value) == ""


def test_safe_url_length_bound():
    prefix = "https://ae01.alicdn.com/kf/"
    longest = prefix + "x" * (MAX_URL_LENGTH - len(prefix))
    assert len(longest) == MAX_URL_LENGTH
    assert safe_url(longest) == longest
    assert safe_url(longest + "x") == ""
    assert safe_url(prefix + "x" * 100_000) == ""


def test_nan_never_leaks_as_a_number():
    for value in ("NaN", float("nan"), "inf", "Infinity"):
        result = to_float(value)
        assert result is None or math.isfinite(result)
