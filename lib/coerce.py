"""Tolerant converters for the messy values gateways send.

Numbers arrive as strings ("3.30"), sometimes doubly quoted ('"5.78"'), with percent
signs ("7.0%"), thousands separators or a trailing "+" ("1000+"); booleans as "true";
lists wrapped in a single-key object, or a one-element list as a bare object; JSON
inside strings. Every function here returns None (or an empty value) instead of
raising, so a parser can record a warning and go on.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import unquote as percent_decode, urlsplit

from lib.text import strip_invisible

_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# Wrapper keys whose value may be a scalar (a one-element list sent bare).
_SCALAR_WRAPPERS = {"string", "number", "long", "int", "integer"}
MAX_URL_LENGTH = 2048


def unquote(value: str) -> str:
    """'"5.78"' -> '5.78'; repeated, because some gateways quote twice."""
    text = value.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def to_text(value: Any) -> str:
    if type(value) is str:          # the common case first: parsers call this a lot
        text = value.strip()
        if not text.isascii():      # zero-width and direction controls make text lie
            text = strip_invisible(text).strip()
        return unquote(text) if text[:1] in ("\"", "'") else text
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unquote(str(value))


_PLAIN_DECIMAL = re.compile(r"\d+(\.\d+)?")


def to_float(value: Any) -> float | None:
    if type(value) is str and _PLAIN_DECIMAL.fullmatch(value.strip('"')):
        return float(value.strip('"'))   # fast path: "3.30" and '"5.78"', the usual cases
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = to_text(value).replace(",", "").replace(" ", "")
        text = text.rstrip("%+").strip()
        if not _NUMBER.match(text):
            return None
        number = float(text)
    return number if math.isfinite(number) else None


def to_int(value: Any) -> int | None:
    # Whole numbers stay exact: 17-digit ids do not survive a trip through float.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if type(value) is str and value.isascii() and value.isdigit():
        return _whole(value)          # fast path: "57"
    if isinstance(value, str):
        text = to_text(value).replace(",", "").replace(" ", "").rstrip("%+").strip()
        if _INTEGER.match(text):
            return _whole(text)
    number = to_float(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def _whole(digits: str) -> int | None:
    """int() of a digit string; None past Python's 4,300-digit limit (a hostile figure,
    not a count anyone sends), which int() refuses with a ValueError."""
    try:
        return int(digits)
    except ValueError:
        return None


def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = to_text(value).lower()
    if text in {"true", "1", "y", "yes"}:
        return True
    if text in {"false", "0", "n", "no"}:
        return False
    return None


def as_list(value: Any) -> list:
    """The items of a list however it was wrapped.

    `{"ae_item_sku_info_d_t_o": [...]}` -> the list; `{"string": "url"}` -> ["url"];
    a bare object (a one-element list sent unwrapped) -> [object]; None -> [].
    """
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
            if isinstance(inner, (list, dict)) or key in _SCALAR_WRAPPERS:
                return as_list(inner)
        return [value]
    return [value]


def maybe_json(value: Any) -> Any:
    """Decode JSON sent inside a string ('{"US":3256...}'); other values pass through.

    Returns None for a string that looks like JSON but does not parse.
    """
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("{", "[")):
            try:
                return json.loads(text)
            except ValueError:
                return None
    return value


def split_list(value: Any, sep: str = ";") -> list[str]:
    """'a;b;;c' -> ['a', 'b', 'c']; lists (or wrapped lists) pass through as text."""
    if isinstance(value, (list, dict)):
        return [t for t in (to_text(v) for v in as_list(value)) if t]
    return [part.strip() for part in to_text(value).split(sep) if part.strip()]


def safe_url(value: Any) -> str:
    """A URL fit to show: http(s) only, protocol-relative fixed to https, no
    credentials, bounded length. Paths under /app/static/ (bundled demo files served by
    the app itself) are kept. Anything else gives ''."""
    text = to_text(value)
    if not text or len(text) > MAX_URL_LENGTH or any(ord(c) < 33 or c == "\x7f" for c in text):
        return ""
    if "\\" in text:       # browsers read \ as /, which can move the host: refuse
        return ""
    if text.startswith("/app/static/"):
        # Browsers resolve %2e%2e as "..": decode before refusing traversal.
        return text if ".." not in percent_decode(text) else ""
    if text.startswith("//"):
        text = "https:" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return ""
    if parts.username or parts.password:
        return ""
    return text
