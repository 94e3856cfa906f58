"""parse_product_ref and ProductQuery: real-looking pasted ids and links, good and bad."""
from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError

import pytest

from lib.errors import FetchError, InvalidQuery
from lib.query import (ProductQuery, normalise_country, normalise_currency,
                       normalise_language, parse_product_ref)

ID = "1005006789012345"
US_ID = "3256806389000685"

GOOD = [
    # (pasted text, product id, extras)
    (ID, ID, {}),
    (US_ID, US_ID, {}),
    ("32982857990", "32982857990", {}),                  # older 11-digit id (DOC-COPY)
    ("4000903675543", "4000903675543", {}),              # 13-digit id
    ("1234567890", "1234567890", {}),                    # shortest accepted: 10 digits
    ("1234567890123456789", "1234567890123456789", {}),  # longest accepted: 19 digits
    (f"  {ID} \n", ID, {}),
    (f"\t{ID}\t", ID, {}),
    (f"https://www.aliexpress.com/item/{ID}.html", ID, {}),
    (f"https://m.aliexpress.com/item/{ID}.html", ID, {}),
    (f"https://pt.aliexpress.com/item/{ID}.html?spm=a2g0o.home.0.0.62b7c4c1Xb5Z7q"
     "&gatewayAdapt=glo2bra", ID, {}),
    (f"https://de.aliexpress.com/item/{ID}.html?skuId=12000037711871337",
     ID, {"sku_id": "12000037711871337"}),
    (f"https://www.aliexpress.us/item/{US_ID}.html?spm=a2g0o.productlist.main.1.4b1f"
     "&algo_pvid=5f0c9a&sku_id=12000037711871337&pdp_npi=4%40dis%21USD%213.30",
     US_ID, {"sku_id": "12000037711871337"}),
    (f"https://aliexpress.ru/item/{ID}.html?sku_id=12000037711871337",
     ID, {"sku_id": "12000037711871337"}),
    (f"https://WWW.ALIEXPRESS.COM/item/{ID}.html", ID, {}),
    (f"https://www.aliexpress.com/item/{ID}.html/", ID, {}),
    (f"https://m.aliexpress.com/item/{ID}/", ID, {}),
    (f"https://www.aliexpress.com/item/{ID}.html#nav-review", ID, {}),
    (f"www.aliexpress.com/item/{ID}.html", ID, {}),
    (f"aliexpress.com/item/{ID}.html", ID, {}),
    (f"//www.aliexpress.com/item/{ID}.html", ID, {}),
    (f"  https://www.aliexpress.com/item/{ID}.html  ", ID, {}),
    (f"https://www.aliexpress.com/i/{ID}.html", ID, {}),
    ("https://www.aliexpress.com/store/product/Sunglasses/4874072_32982857990.html",
     "32982857990", {}),
    (f"https://www.aliexpress.com/item/{ID}.html?sku_id=abc", ID, {}),   # bad sku_id dropped
]


@pytest.mark.parametrize("text, product_id, extras", GOOD, ids=[g[0][:70] for g in GOOD])
def test_good_refs(text, product_id, extras):
    query = parse_product_ref(text)
    assert query.platform == "aliexpress"
    assert query.product_id == product_id
    assert dict(query.extras) == extras
    assert (query.country, query.currency, query.language) == ("US", "USD", "en")


ID_HINT_WORDS = ("10 to 19 digits", "1005006789012345")
LINK_HINT = "https://"
BAD = [
    # (text, words the message must contain)
    ("", ("Enter a product ID",)),
    ("    \n\t ", ("Enter a product ID",)),
    ("abcdef", ID_HINT_WORDS),
    ("iphone case", ID_HINT_WORDS),
    ("123", ID_HINT_WORDS + ("3 digits",)),
    ("123456789", ID_HINT_WORDS + ("9 digits",)),
    ("12345678901234567890", ID_HINT_WORDS + ("20 digits",)),
    ("-1005006789012345", ID_HINT_WORDS + ("whole product number",)),
    ("1005006789012345.0", ID_HINT_WORDS + ("whole product number",)),
    ("1.005006789012345e15", ID_HINT_WORDS + ("whole product number",)),
    ("1e15", ID_HINT_WORDS),
    ("１００５００６７８９０１２３４５", ID_HINT_WORDS),     # full-width digits
    ("١٠٠٥٠٠٦٧٨٩٠١٢٣٤٥", ID_HINT_WORDS),                  # Arabic-Indic digits
    ("0005006789012345", ID_HINT_WORDS + ("starts with a zero",)),  # not "16 digits"
    ("1005006789\x00012345", ("control characters",)),
    ("1005006789012345\u200b", ("control characters",)),  # zero-width space
    ("1005006789\x1b[31m012345", ("control characters",)),
    ("javascript:alert(document.cookie)", (LINK_HINT, "product ID")),
    ("JavaScript:alert(1)//https://www.aliexpress.com/item/1005006789012345.html",
     (LINK_HINT,)),
    ("data:text/html,<script>alert(1)</script>", (LINK_HINT,)),
    ("file:///etc/passwd", (LINK_HINT,)),
    ("ftp://www.aliexpress.com/item/1005006789012345.html", ("https://",)),
    ("https://www.amazon.com/dp/B08N5WRWNW", ("www.amazon.com", "aliexpress.com",
                                               "product ID")),
    ("https://aliexpress.com.evil.example/item/1005006789012345.html",
     ("not supported", "aliexpress.com")),
    ("https://evil.example/www.aliexpress.com/item/1005006789012345.html",
     ("not supported",)),
    ("https://a.aliexpress.com/_mKxyzAb", ("short", "full link", "/item/")),
    ("https://s.click.aliexpress.com/e/_DmXyZ12", ("short", "full link", "/item/")),
    ("https://www.aliexpress.com/item/../../etc/passwd", ("malformed",)),
    ("https://www.aliexpress.com/%2e%2e/%2e%2e/item/1005006789012345.html",
     ("malformed",)),
    ("https://www.aliexpress.com/item/%252e%252e/1005006789012345.html", ("malformed",)),
    ("https://www.aliexpress.com/", ("/item/", "product page")),
    ("https://www.aliexpress.com/item/abc.html", ("/item/",)),
    ("https://www.aliexpress.com/item/123.html", ID_HINT_WORDS),
    ("https://[::1/item/1005006789012345.html", ("malformed",)),
    ("1" * 5000, ("too long",)),
    ("https://www.aliexpress.com/item/1005006789012345.html?x=" + "a" * 5000, ("too long",)),
]


@pytest.mark.parametrize("text, words", BAD, ids=[repr(b[0][:50]) for b in BAD])
def test_bad_refs_raise_plain_invalid_query(text, words):
    with pytest.raises(InvalidQuery) as info:
        parse_product_ref(text)
    error = info.value
    message = error.user_message
    assert isinstance(error, FetchError)
    for word in words:
        assert word in message
    # Plain language: no traceback, no Python internals, bounded length.
    for internal in ("Traceback", "Error:", "File \"", "line ", "None", "\\x", "<script"):
        assert internal not in message
    assert len(message) < 400
    assert "\x00" not in message and "\x1b" not in message


@pytest.mark.parametrize("value", [None, 1005006789012345, b"1005006789012345", ["x"]])
def test_non_text_input_is_invalid(value):
    with pytest.raises(InvalidQuery, match="product ID or paste a product link"):
        parse_product_ref(value)


def test_unknown_platform_is_invalid():
    with pytest.raises(InvalidQuery) as info:
        parse_product_ref(ID, platform="ebay")
    assert "ebay" in info.value.user_message and "aliexpress" in info.value.user_message


def test_defaults_are_normalised():
    query = parse_product_ref(ID, country="uk", currency="eur", language="pt-br")
    assert (query.country, query.currency, query.language) == ("GB", "EUR", "pt_BR")


@pytest.mark.parametrize("text, expected", [("uk", "GB"), ("UK", "GB"), (" br ", "BR"),
                                            ("us", "US"), ("gb", "GB")])
def test_country_codes(text, expected):
    assert normalise_country(text) == expected


@pytest.mark.parametrize("text", ["", "USA", "U1", "英国", None])
def test_bad_country_codes(text):
    with pytest.raises(InvalidQuery, match="two letters"):
        normalise_country(text)


@pytest.mark.parametrize("text, expected", [("usd", "USD"), (" brl", "BRL"), ("Eur", "EUR")])
def test_currency_codes(text, expected):
    assert normalise_currency(text) == expected


@pytest.mark.parametrize("text", ["", "US", "DOLLAR", "$", "12a"])
def test_bad_currency_codes(text):
    with pytest.raises(InvalidQuery, match="three letters"):
        normalise_currency(text)


@pytest.mark.parametrize("text, expected", [("EN", "en"), ("pt_br", "pt_BR"), ("pt-BR", "pt_BR"),
                                            ("he", "he")])
def test_language_codes(text, expected):
    assert normalise_language(text) == expected


def test_bad_language_code():
    with pytest.raises(InvalidQuery, match="language code"):
        normalise_language("english")


def test_bad_country_in_defaults_is_invalid_query():
    with pytest.raises(InvalidQuery, match="country code"):
        parse_product_ref(ID, country="Brazil")


# --- ProductQuery --------------------------------------------------------------------
def test_product_query_is_hashable_and_equal_queries_hash_equal():
    a = ProductQuery("aliexpress", ID, extras={"sku_id": "12000037711871337"})
    b = parse_product_ref(f"https://www.aliexpress.com/item/{ID}.html"
                          "?sku_id=12000037711871337&spm=x")
    c = ProductQuery("aliexpress", ID)
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2
    assert {a: "cached"}[b] == "cached"


def test_product_query_is_frozen():
    query = ProductQuery("aliexpress", ID)
    with pytest.raises(FrozenInstanceError):
        query.product_id = "1"  # type: ignore[misc]


def test_extras_are_read_only():
    query = ProductQuery("aliexpress", ID, extras={"sku_id": "1"})
    before = hash(query)
    extras = query.extras
    for action in (lambda: extras.__setitem__("x", "y"), lambda: extras.__delitem__("sku_id"),
                   extras.clear, lambda: extras.pop("sku_id"), extras.popitem,
                   lambda: extras.setdefault("x", "y"), lambda: extras.update(x="y")):
        with pytest.raises(TypeError, match="read-only"):
            action()
    with pytest.raises(TypeError, match="read-only"):
        extras |= {"x": "y"}
    assert dict(query.extras) == {"sku_id": "1"}
    assert hash(query) == before


def test_extras_are_copied_and_stringified():
    source = {"sku_id": 12000037711871337}
    query = ProductQuery("aliexpress", ID, extras=source)
    source["sku_id"] = 1
    assert dict(query.extras) == {"sku_id": "12000037711871337"}


def test_product_query_survives_pickle_and_copy():
    """Streamlit caches pickle return values (a Product holds its query)."""
    query = ProductQuery("aliexpress", ID, country="BR", extras={"sku_id": "1"})
    for clone in (pickle.loads(pickle.dumps(query)), copy.deepcopy(query), copy.copy(query)):
        assert clone == query and hash(clone) == hash(query)
        with pytest.raises(TypeError):
            clone.extras["x"] = "y"  # type: ignore[index]


def test_key():
    assert ProductQuery("aliexpress", ID).key == f"aliexpress:{ID}"


def test_to_params_round_trip():
    query = parse_product_ref(f"https://aliexpress.ru/item/{ID}.html?sku_id=12000037711871337",
                              country="de", currency="eur", language="de")
    params = query.to_params()
    assert params == {"platform": "aliexpress", "id": ID, "country": "DE", "currency": "EUR",
                      "language": "de", "sku_id": "12000037711871337"}
    rebuilt = parse_product_ref(params["id"], platform=params["platform"],
                                country=params["country"], currency=params["currency"],
                                language=params["language"],
                                extras={"sku_id": params["sku_id"]})
    assert rebuilt == query


def test_to_params_leaves_out_unshareable_extras():
    query = ProductQuery("aliexpress", ID, extras={"sku_id": "5", "debug": "1"})
    assert "debug" not in query.to_params()
    assert query.to_params()["sku_id"] == "5"


def test_shareable_extras_read_back_only_plain_variant_ids():
    from lib.query import shareable_extras

    assert shareable_extras({"sku_id": "12000037711871337", "qty": "250"}) == {
        "sku_id": "12000037711871337"}
    for hostile in ("[x](https://evil.example)", "1 OR 1=1", "", "x" * 65):
        assert shareable_extras({"sku_id": hostile}) == {}
    query = parse_product_ref(ID, extras=shareable_extras({"sku_id": "12000037711871337"}))
    assert query.to_params()["sku_id"] == "12000037711871337"     # the round trip


@pytest.mark.parametrize("text, expected", [
    ("a.aliexpress.com/_mLkJhGf", True), ("https://ali.click/abc", True),
    ("www.alibaba.com/x/B0mQ9e", True), (ID, False), ("AAF2jmk4AOWGex-cDVm7jTxY", False),
    ("CMsmartplug01", False)])
def test_looks_like_url(text, expected):
    from lib.query import looks_like_url

    assert looks_like_url(text) is expected


def test_parse_product_ref_alone_stays_offline_for_short_links():
    # Opening short links is lib.shortlinks' job (it takes a transport); the pure parser
    # still explains them rather than guessing.
    with pytest.raises(InvalidQuery, match="short"):
        parse_product_ref("https://ali.click/abc123")
