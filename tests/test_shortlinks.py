"""Short links: followed only on the marketplace's hosts, bounded, bare GETs; the demo
short-link service end to end through parse; short links in Compare/Batch lists."""
from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from lib import compare, shortlinks
from lib.errors import InvalidQuery
from lib.sandbox import DEMO_PRODUCTS, ShortLinkTransport, demo_query_for, demo_short_links
from lib.shortlinks import (is_short_link, resolve_many, resolve_product_ref,
                            resolve_short_link)

ID = "1005006789012345"
SHORT = "https://s.click.aliexpress.com/e/_DmXyZ12"


def chain(routes: dict[str, tuple[int, str | None]], seen: list[httpx.Request] | None = None,
          cookie: bool = False) -> httpx.MockTransport:
    """A MockTransport answering each address with (status, Location)."""
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        url = str(request.url)
        if url not in routes:
            raise AssertionError(f"requested an address outside the chain: {url}")
        status, location = routes[url]
        headers = {"Location": location} if location else {}
        if cookie:
            headers["Set-Cookie"] = "xman_t=tracking; Domain=.aliexpress.com; Path=/"
        return httpx.Response(status, headers=headers, text="<html></html>")
    return httpx.MockTransport(handler)


# --- recognising short links -----------------------------------------------------------
@pytest.mark.parametrize("text", [
    SHORT, "https://a.aliexpress.com/_mKxyzAb", "a.aliexpress.com/_mLkJhGf",
    "https://ali.click/3l2x5s", "http://click.aliexpress.com/e/_abc",
    "https://www.alibaba.com/x/B0mQ9e?ck=pdp", " <https://a.aliexpress.com/_mKxyzAb> ",
    "https://a.aliexpress.ru/_AbCd"])
def test_short_links_are_recognised(text):
    assert is_short_link(text)


@pytest.mark.parametrize("text", [
    ID, f"https://www.aliexpress.com/item/{ID}.html", "https://a.aliexpress.com/",
    "https://www.alibaba.com/product-detail/Mug_1601939651515.html",
    "https://evil.example/x/abc", "https://ali.click.evil.example/abc",
    "javascript:alert(1)//a.aliexpress.com/_x", "", None, 42])
def test_other_text_is_not_a_short_link(text):
    assert not is_short_link(text)


def test_a_plain_link_or_id_never_touches_the_network():
    def no_network(request):
        raise AssertionError("no request expected")
    query = resolve_product_ref(f"https://www.aliexpress.com/item/{ID}.html",
                                transport=httpx.MockTransport(no_network))
    assert query.product_id == ID and query.platform == "aliexpress"


# --- following chains -------------------------------------------------------------------
def test_good_chain_lands_on_the_product_without_requesting_it():
    seen: list[httpx.Request] = []
    star = ("https://star.aliexpress.com/share/share.htm?platform=AE&redirectUrl="
            "https%3A%2F%2Fwww.aliexpress.com%2Fitem%2F1005006789012345.html%3Fsku_id%3D12000037711871337")
    step = "https://a.aliexpress.com/_abc123"        # same cookie domain as SHORT
    transport = chain({SHORT: (302, step), step: (301, star)}, seen, cookie=True)
    query = resolve_short_link(SHORT, currency="EUR", country="DE", transport=transport)
    assert (query.platform, query.product_id) == ("aliexpress", ID)
    assert query.extras == {"sku_id": "12000037711871337"}
    assert (query.country, query.currency) == ("DE", "EUR")
    # Two bare GETs; the share page and the product page themselves are not requested.
    assert [str(r.url) for r in seen] == [SHORT, step]
    for request in seen:
        assert request.method == "GET" and request.content == b""
        assert "cookie" not in request.headers          # the Set-Cookie was not sent back
        assert "authorization" not in request.headers and "referer" not in request.headers


def test_relative_redirect_and_the_selected_aliexpress_platform_are_kept():
    transport = chain({SHORT: (302, "/e/_step2"),
                       "https://s.click.aliexpress.com/e/_step2":
                           (302, f"https://www.aliexpress.us/item/{ID}.html")})
    query = resolve_short_link(SHORT, "aliexpress-affiliate", transport=transport)
    assert (query.platform, query.product_id) == ("aliexpress-affiliate", ID)


def test_a_short_link_switches_away_from_a_platform_that_cannot_read_it():
    transport = chain({"https://www.alibaba.com/x/B0mQ9e":
                       (302, "https://www.alibaba.com/product-detail/Mug.html"
                             "?productId=AAF2jmk4AOWGex-cDVm7jTxY")})
    query = resolve_short_link("https://www.alibaba.com/x/B0mQ9e", "aliexpress",
                               transport=transport)
    assert (query.platform, query.product_id) == ("alibaba", "AAF2jmk4AOWGex-cDVm7jTxY")


@pytest.mark.parametrize("target", [
    "https://evil.example/item/1005006789012345.html",
    "https://aliexpress.com.evil.example/item/1005006789012345.html",
    "https://www.aliexpress.com:8443/item/1005006789012345.html",
    "https://user:pw@www.aliexpress.com/item/1005006789012345.html",
    "http://127.0.0.1/admin", "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd", "aliexpress://product/1005006789012345",
])
def test_redirects_off_the_marketplace_are_refused_before_they_are_requested(target):
    seen: list[httpx.Request] = []
    transport = chain({SHORT: (302, target)}, seen)
    with pytest.raises(InvalidQuery) as info:
        resolve_short_link(SHORT, transport=transport)
    assert "leads away from the marketplace" in info.value.user_message
    assert [str(r.url) for r in seen] == [SHORT]        # the foreign address never asked


def test_hostile_redirect_hidden_in_a_share_page_parameter_is_not_followed():
    seen: list[httpx.Request] = []
    star = "https://star.aliexpress.com/share/share.htm?redirectUrl=https%3A%2F%2Fevil.example%2Fitem%2F1.html"
    transport = chain({SHORT: (302, star), star: (200, None)}, seen)
    with pytest.raises(InvalidQuery) as info:
        resolve_short_link(SHORT, transport=transport)
    assert "not a product" in info.value.user_message
    assert all(r.url.host.endswith("aliexpress.com") for r in seen)


def test_a_redirect_loop_is_named():
    other = "https://a.aliexpress.com/_loop"
    transport = chain({SHORT: (302, other), other: (302, SHORT)})
    with pytest.raises(InvalidQuery) as info:
        resolve_short_link(SHORT, transport=transport)
    assert "round in circles" in info.value.user_message


def test_too_many_hops_stop_at_the_bound():
    seen: list[httpx.Request] = []
    routes = {SHORT: (302, "https://a.aliexpress.com/_1")}
    for n in range(1, 12):
        routes[f"https://a.aliexpress.com/_{n}"] = (302, f"https://a.aliexpress.com/_{n + 1}")
    with pytest.raises(InvalidQuery) as info:
        resolve_short_link(SHORT, transport=chain(routes, seen))
    assert "too many addresses" in info.value.user_message
    assert len(seen) == shortlinks.MAX_HOPS


def test_a_slow_link_service_is_cut_off_at_the_total_time_bound():
    async def slow(request):
        await asyncio.sleep(10)
        return httpx.Response(302, headers={"Location": f"https://www.aliexpress.com/item/{ID}.html"})
    started = time.monotonic()
    with pytest.raises(InvalidQuery) as info:
        resolve_short_link(SHORT, transport=httpx.MockTransport(slow), max_seconds=0.3)
    assert time.monotonic() - started < 3
    assert "took too long" in info.value.user_message


def test_a_transport_timeout_and_a_dead_connection_get_plain_messages():
    def timeout(request):
        raise httpx.ConnectTimeout("timed out", request=request)

    def refused(request):
        raise httpx.ConnectError("connection refused", request=request)
    with pytest.raises(InvalidQuery, match="took too long"):
        resolve_short_link(SHORT, transport=httpx.MockTransport(timeout))
    with pytest.raises(InvalidQuery, match="did not answer"):
        resolve_short_link(SHORT, transport=httpx.MockTransport(refused))


@pytest.mark.parametrize("landing", [
    "https://www.aliexpress.com/store/1102345678",
    "https://www.aliexpress.com/w/wholesale-backpack.html",
    "https://sale.aliexpress.com/__pc/sale_promo.htm",
])
def test_a_landing_page_that_is_not_a_product_says_so(landing):
    transport = chain({SHORT: (302, landing), landing: (200, None)})
    with pytest.raises(InvalidQuery) as info:
        resolve_short_link(SHORT, transport=transport)
    message = info.value.user_message
    assert "not a product" in message and "Traceback" not in message


@pytest.mark.parametrize("status, words", [(404, "does not exist or has expired"),
                                           (410, "does not exist or has expired"),
                                           (503, "could not open this link right now"),
                                           (302, "did not say where it leads")])
def test_link_service_errors_are_plain(status, words):
    transport = chain({SHORT: (status, None)})
    with pytest.raises(InvalidQuery, match=words):
        resolve_short_link(SHORT, transport=transport)


def test_many_links_resolve_concurrently_in_input_order():
    active, peak = 0, 0

    async def handler(request):
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.05)
        active -= 1
        code = request.url.path.rsplit("_", 1)[-1]
        return httpx.Response(302, headers={
            "Location": f"https://www.aliexpress.com/item/10050067890{int(code):05d}.html"})
    links = [f"https://a.aliexpress.com/_{n}" for n in range(20)]
    started = time.monotonic()
    results = resolve_many(links, transport=httpx.MockTransport(handler))
    assert [r.product_id for r in results] == [f"10050067890{n:05d}" for n in range(20)]
    assert 1 < peak <= shortlinks.CONCURRENCY
    assert time.monotonic() - started < 20 * 0.05      # not one after the other


# --- the demo short-link service ---------------------------------------------------------
def test_every_demo_short_link_opens_its_demo_product():
    links = demo_short_links()
    assert len(links) >= 9
    demo_keys = {q.key for q in DEMO_PRODUCTS}
    transport = ShortLinkTransport()
    results = resolve_many([e["short_url"] for e in links], transport=transport)
    for entry, query in zip(links, results):
        assert not isinstance(query, InvalidQuery), (entry["short_url"], query)
        opened = demo_query_for(query)
        assert (opened.platform, opened.product_id) == (entry["platform"], entry["product_id"])
        assert opened.key in demo_keys
    # Every demo platform that has product links has a demo short link.
    assert {e["platform"] for e in links} == {"aliexpress", "aliexpress-affiliate",
                                              "aliexpress-seller", "alibaba"}


def test_the_affiliate_fixtures_promotion_link_is_a_working_demo_short_link():
    from lib.platforms import parse_payload
    from lib.sandbox import load_fixture

    product = parse_payload("aliexpress-affiliate",
                            load_fixture("aliexpress-affiliate", "1005007246813579"))
    query = demo_query_for(resolve_short_link(product.trade.promotion_link,
                                              transport=ShortLinkTransport()))
    assert query.key == "aliexpress-affiliate:1005007246813579"


def test_demo_service_answers_unknown_codes_with_404_and_the_chain_with_redirects():
    transport = ShortLinkTransport()
    with httpx.Client(transport=transport) as http:
        assert http.get("https://a.aliexpress.com/_NoSuchCode").status_code == 404
        first = http.get("https://ali.click/DemoPhoneCase")
        assert first.status_code == 302
        assert first.headers["location"] == "https://a.aliexpress.com/_DemoPhoneCase"
        assert http.get("https://m.aliexpress.com/item/1005004321098765.html").status_code == 200
    with pytest.raises(InvalidQuery, match="does not exist"):
        resolve_short_link("https://a.aliexpress.com/_NoSuchCode", transport=transport)


def test_demo_short_link_fetches_the_product_end_to_end():
    from lib.client import fetch_product

    query = demo_query_for(resolve_short_link("https://www.alibaba.com/x/DemoMug01",
                                              "aliexpress", transport=ShortLinkTransport()))
    product = fetch_product(query)
    assert product.platform == "alibaba" and product.product_id == "AAHq3mZ8Kx2WvN7p-Tb4sL9e"
    assert "mug" in product.title.lower()


# --- lists (Compare / Batch) ----------------------------------------------------------------
def test_parse_refs_resolves_only_the_short_links_of_a_list():
    seen: list[httpx.Request] = []
    transport = ShortLinkTransport()
    original = transport.handle_async_request

    async def counting(request):
        seen.append(request)
        return await original(request)
    transport.handle_async_request = counting
    text = ("1005006789012345\nhttps://ali.click/DemoPhoneCase\n"
            "https://a.aliexpress.com/_NoSuchCode https://www.alibaba.com/x/DemoMug01 "
            "https://www.aliexpress.com/item/1005005432109876.html")
    queries, problems = compare.parse_refs(text, transport=transport)
    assert [q.key for q in queries] == ["aliexpress:1005006789012345",
                                        "aliexpress:1005004321098765",
                                        "alibaba:AAHq3mZ8Kx2WvN7p-Tb4sL9e",
                                        "aliexpress:1005005432109876"]
    assert len(problems) == 1 and "does not exist" in problems[0].message
    assert problems[0].text == "https://a.aliexpress.com/_NoSuchCode"
    # Only the three short links were requested (one of them in two hops).
    assert {r.url.host for r in seen} <= {"ali.click", "a.aliexpress.com", "www.alibaba.com"}
    assert len(seen) == 4


def test_parse_refs_caps_the_short_links_it_resolves(monkeypatch):
    monkeypatch.setattr(shortlinks, "MAX_SHORT_LINKS", 3)
    links = " ".join(f"https://a.aliexpress.com/_{n}" for n in range(5))

    def handler(request):
        code = int(request.url.path.rsplit("_", 1)[-1])
        return httpx.Response(302, headers={
            "Location": f"https://www.aliexpress.com/item/10050067890{code:05d}.html"})
    queries, problems = compare.parse_refs(links, transport=httpx.MockTransport(handler))
    assert len(queries) == 3 and len(problems) == 2
    assert all("at most 3 short links" in p.message for p in problems)


def test_parse_refs_of_a_list_without_short_links_sends_nothing():
    def no_network(request):
        raise AssertionError("no request expected")
    queries, problems = compare.parse_refs(f"{ID} aliexpress:1005005432109876",
                                           transport=httpx.MockTransport(no_network))
    assert len(queries) == 2 and not problems


def test_every_refusal_is_plain_language():
    cases = [chain({SHORT: (302, "https://evil.example/")}),
             chain({SHORT: (302, SHORT)}),
             chain({SHORT: (404, None)}),
             chain({SHORT: (302, "https://www.aliexpress.com/"),
                    "https://www.aliexpress.com/": (200, None)})]
    for transport in cases:
        with pytest.raises(InvalidQuery) as info:
            resolve_short_link(SHORT, transport=transport)
        message = info.value.user_message
        assert 40 < len(message) < 400
        for internal in ("Traceback", "Error", "None", "HTTP", "hop", "Location"):
            assert internal not in message, message
        assert info.value.detail                     # the technical cause, kept apart


def test_an_alibaba_short_link_to_another_suppliers_listing_says_why_it_cannot_open():
    from lib.client import fetch_product

    transport = chain({"https://www.alibaba.com/x/B0mQ9e": (
        302, "https://www.alibaba.com/product-detail/Custom-Mug_1601939651515.html?spm=a27")})
    query = resolve_short_link("https://www.alibaba.com/x/B0mQ9e", transport=transport)
    assert (query.platform, query.product_id) == ("alibaba", "1601939651515")
    with pytest.raises(InvalidQuery) as info:
        fetch_product(query)                         # demo mode: the sandbox gateway
    assert "store that authorised this app" in info.value.user_message
