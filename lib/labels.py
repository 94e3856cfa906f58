"""Words for what the platforms send as codes: product statuses, country codes.

Views show the words; the code as sent goes into a tooltip (and the Raw data page),
so a buyer reads "On sale", not `onSelling`. Pure: no Streamlit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import pycountry

DASH = "—"   # a gap in a table or a figure: never "None", never 0


@dataclass(frozen=True)
class Label:
    text: str          # what the page shows
    detail: str        # for the tooltip: the code as sent and what it means
    sent: str = ""     # the value as sent, for the Raw data page


# The values each platform's documentation lists (seeds 000-004); anything else is
# shown as sent, marked as a value the documentation does not describe.
_AE_STATUS = {            # product_status_type (dropshipping and seller APIs)
    "onselling": "On sale",
    "offline": "Not on sale (offline)",
    "auditing": "Under review",
    "editingrequired": "Needs editing",
}
_STATUS_WORDS: dict[str, dict[str, str]] = {
    "aliexpress": _AE_STATUS,
    "aliexpress-seller": _AE_STATUS,
    "aliexpress-affiliate": {   # platform_product_type: which marketplace, not a status
        "all": "AliExpress",
        "plaza": "AliExpress Plaza",
        "tmall": "Tmall on AliExpress",
    },
    "alibaba": {               # status: sketch, approved, tbd, new / modified
        "sketch": "Draft",
        "approved": "Approved",
        "tbd": "Rejected in review",
        "new": "Under review",
        "modified": "Under review (edited)",
    },
    "tuya": {                   # the parser turns the publish flag into these words
        "listed": "Listed in the mall",
        "not listed": "Not listed in the mall",
    },
}
_STATUS_MEANING = {"aliexpress-affiliate": "Platform product type"}
_TUYA_FLAG = {"listed": "true", "not listed": "false"}


def platform_label(key: str) -> str:
    """The platform's name as shown ("AliExpress (dropshipping)"), else the key."""
    from lib.platforms import PLATFORMS     # platforms import labels' neighbours

    return PLATFORMS[key].label if key in PLATFORMS else key


def status_label(platform: str, status: str) -> Label | None:
    """The product status in words, with the value as sent for the tooltip; None when
    the platform sent no status."""
    raw = (status or "").strip()
    if not raw:
        return None
    meaning = _STATUS_MEANING.get(platform, "Status")
    words = _STATUS_WORDS.get(platform, {}).get(raw.lower())
    if words and platform == "tuya":
        flag = _TUYA_FLAG[raw.lower()]
        return Label(words, f"The commodity's publish flag is {flag}", f"publish: {flag}")
    if words:
        return Label(words, f"{meaning} as sent: {raw}", raw)
    shown = re.sub(r"[^\w .\-]", "", raw)[:40] or "Unrecognised status"
    return Label(shown, f"{meaning} as sent: {raw} (a value the platform's "
                        f"documentation does not describe)", raw)


# --- countries ---------------------------------------------------------------------
_COUNTRY_ALIASES = {"UK": "GB"}     # AliExpress writes UK for the United Kingdom


def country_name(value: str) -> str:
    """'CN' -> 'China'; a name (or anything not a known code) is kept as sent."""
    text = (value or "").strip()
    code = _COUNTRY_ALIASES.get(text.upper(), text.upper())
    if re.fullmatch(r"[A-Z]{2}", code):
        country = pycountry.countries.get(alpha_2=code)
        if country is not None:
            return getattr(country, "common_name", None) or country.name
    return text


def country_code(value: str) -> str:
    """The two-letter code for a code or a country name ('' when none is known)."""
    text = (value or "").strip()
    upper = _COUNTRY_ALIASES.get(text.upper(), text.upper())
    if re.fullmatch(r"[A-Z]{2}", upper) and pycountry.countries.get(alpha_2=upper):
        return upper
    try:
        return pycountry.countries.lookup(text).alpha_2 if 2 < len(text) <= 60 else ""
    except LookupError:
        return ""


def countries_label(values: list[str] | str) -> Label | None:
    """Country names for the page, the codes for the tooltip; None when there are none."""
    items = [values] if isinstance(values, str) else list(values)
    items = [v for v in (str(i).strip() for i in items) if v]
    if not items:
        return None
    pairs = dict.fromkeys((country_name(v), country_code(v)) for v in items)
    names = list(dict.fromkeys(name for name, _ in pairs))
    codes = [f"{code} = {name}" for name, code in pairs if code]
    return Label(", ".join(names), ("ISO country codes: " if len(codes) > 1 else
                                    "ISO country code: ") + ", ".join(codes)
                 if codes else "")


# --- tables for the screen -----------------------------------------------------------
def gaps_as_dash(table: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: every gap (None, NaN, <NA>, "") shown as "—". Numbers become
    text so the dash can sit beside them; downloads keep the typed table. A seller's
    literal "None" (High-concerned chemical: None) is a value: shown as the word
    "none", so that no cell on screen reads like a leaked null."""
    shown = {}
    for column in table.columns:
        shown[column] = [DASH if _gap(value) else
                         "none" if value == "None" else _text(value)
                         for value in table[column]]
    return pd.DataFrame(shown, columns=list(table.columns), index=table.index, dtype=object)


def _gap(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _text(value) -> str:
    if isinstance(value, float):
        return format(value, ".12g")
    return str(value)
