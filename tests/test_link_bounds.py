"""Links and lists from outside are bounded (issue 10, point 4).

A Compare list holds at most refs.MAX_COMPARED products, with one message for what was
left out and one for the junk; failed fetches are remembered for a minute, so reruns do
not call the gateway again; a link that asks for a product we cannot read (or that
Streamlit drops for its size) says so instead of showing the demo product; a link's
sku_id is preselected; Refresh fetches again for the session that pressed it.
Unit tests on the pure helpers, AppTest on the pages (demo mode, the sandbox gateway's
calls counted)."""
from __future__ import annotations

import re
import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from apptest_util import APP_FILE
from lib import refs, ui
from lib.client import fetch_product
from lib.compare import read_refs
from lib.errors import InvalidQuery, ProductNotFound
from lib.failures import RecentFailures
from lib.platforms.aliexpress_freight import FREIGHT_METHOD
from lib.query import LINK_DROPPED, ProductQuery, query_from_params
from lib.sandbox import DEMO_PRODUCTS
from lib.sandbox import gateway as sandbox_gateway
from lib.text import literal

BACKPACK = "aliexpress:1005006789012345"          # demo products (fixtures)
CASE = "aliexpress:1005004321098765"
MISSING = "1000000000001"                         # a well-formed id the sandbox does not know
HOSTILE = "[Sign-in](https://evil.example/login)"


def unknown_keys(n: int, start: int = 0) -> list[str]:
    """Well-formed AliExpress ids the demo gateway answers "not found"."""
    return [f"aliexpress:{1005000000000000 + start + i}" for i in range(n)]


@pytest.fixture
def calls(monkeypatch, store_at):
    """Every product request that reaches the demo gateway; caches emptied before and
    after. The app gets a store of its own (store_at): no job another test left running
    on the shared one sends calls meanwhile (in parallel runs a worker goes on at once)."""
    seen: list[str] = []
    respond = sandbox_gateway.SandboxGateway.respond

    def counting(self, request, admitted=None):
        # Product calls only: Compare also asks for shipping quotes (its landed-cost row)
        # of the products it has, which a product cached before does not spare.
        if FREIGHT_METHOD.encode() not in (request.content or b""):
            seen.append(str(request.url))
        return respond(self, request, admitted)
    monkeypatch.setattr(sandbox_gateway.SandboxGateway, "respond", counting)
    st.cache_data.clear()
    ui.RECENT_FAILURES.clear()
    yield seen
    st.cache_data.clear()
    ui.RECENT_FAILURES.clear()


def compare_page(keys: list[str], calls: list[str]) -> AppTest:
    """The Compare page opened straight from a link holding only its p= entries (the
    gateway calls of the app's first run, on the Overview, are not counted)."""
    at = AppTest.from_file(str(APP_FILE), default_timeout=120)
    at.run()
    calls.clear()
    at.query_params.clear()
    at.query_params["p"] = keys
    at.switch_page("views/compare.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_link(page: str | None = None, **params) -> AppTest:
    at = AppTest.from_file(str(APP_FILE), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def p_entries(at: AppTest) -> list[str]:
    value = at.query_params.get("p", [])
    return [value] if isinstance(value, str) else list(value)


# --- unit: reading and bounding a list --------------------------------------------------------
def test_a_long_list_keeps_the_first_products_and_says_how_many_were_left_out():
    listing = refs.read_compare_list(" ".join(unknown_keys(120)))
    assert listing.keys == unknown_keys(50)
    assert [q.key for q in listing.left_out] == unknown_keys(70, start=50)
    message, = listing.notices()
    assert "at most 50 products" in message and "70 more entries were left out" in message
    # The first ones left out are named, as literal text.
    assert ", ".join(literal(k) for k in unknown_keys(3, start=50)) in message


def test_entries_past_the_read_limit_are_counted_not_parsed():
    reading = read_refs(" ".join(unknown_keys(refs.MAX_READ + 25)), max_entries=refs.MAX_READ)
    assert len(reading.queries) == refs.MAX_READ and reading.unread == 25
    listing = refs.read_compare_list(" ".join(unknown_keys(refs.MAX_READ + 25)))
    assert "975 more entries were left out" in refs.over_limit_message(listing)


def test_junk_entries_get_one_message_with_counts_and_the_first_few_as_text():
    junk = ([f"nosuch:{i}" for i in range(300)] + ["aliexpress:12ab"] * 300
            + [HOSTILE] + [BACKPACK] * 300)
    listing = refs.read_compare_list(" ".join(junk))
    assert listing.keys == [BACKPACK]
    assert len(listing.problems) == 601 and len(listing.duplicates) == 299
    message, = listing.notices()                      # one message, not 900
    assert message.startswith("900 entries were skipped: ")
    assert "301 are not product IDs or links" in message
    assert "300 name a platform this app does not know" in message
    assert "299 repeat a product already listed" in message
    assert (f"“{literal('nosuch:0')}” (unknown platform), “{literal('nosuch:1')}” "
            "(unknown platform)") in message
    assert len(message) < 600


def test_hostile_entries_are_quoted_as_literal_text():
    listing = refs.read_compare_list(f"{HOSTILE} nosuch:1 {BACKPACK}")
    message = refs.skipped_message(listing)
    assert literal(HOSTILE) in message
    assert not re.search(r"(?<!\\)\]\(", message)            # no link can close
    assert "https://" not in message


def test_one_bad_entry_gets_its_full_reason():
    listing = refs.read_compare_list(f"nosuch:123 {BACKPACK}")
    assert listing.notices() == [literal("“nosuch:123”: “nosuch” is not a platform this app "
                                         "knows. Use one of: aliexpress, aliexpress-affiliate, "
                                         "alibaba, aliexpress-seller, tuya.")]


def test_adding_beyond_the_limit_says_which_were_not_added():
    keys, not_added = refs.add_to_list(unknown_keys(48), [BACKPACK, unknown_keys(1)[0], CASE,
                                                         "tuya:1", "tuya:2"])
    assert keys == unknown_keys(48) + [BACKPACK, CASE]
    assert not_added == ["tuya:1", "tuya:2"]
    message = refs.not_added_message(not_added)
    assert message.startswith(f"2 products were not added ({literal('tuya:1')}, "
                              f"{literal('tuya:2')}): at most 50 ")
    assert refs.not_added_message([]) == ""


# --- unit: failures remembered briefly ----------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_failure_is_remembered_for_its_ttl_only():
    clock = Clock()
    memo = RecentFailures(ttl_s=60, clock=clock)
    error = ProductNotFound()
    key = (ProductQuery("aliexpress", MISSING), False, "")
    memo.remember(key, error)
    clock.now += 59.5
    remembered = memo.get(key)
    assert remembered.error is error and remembered.age_s == pytest.approx(59.5)
    assert memo.get((ProductQuery("aliexpress", MISSING), True, "")) is None   # other mode
    assert memo.get((ProductQuery("aliexpress", MISSING), False, "x")) is None  # refreshed
    clock.now += 1
    assert memo.get(key) is None and len(memo) == 0


def test_the_memory_of_failures_is_bounded():
    memo = RecentFailures(ttl_s=60, max_entries=3, clock=Clock())
    for i in range(10):
        memo.remember(i, ProductNotFound())
    assert len(memo) == 3 and memo.get(6) is None and memo.get(9) is not None


# --- unit: what a link asks for -------------------------------------------------------------------
def test_a_link_without_a_product_asks_for_none():
    assert query_from_params({}) is None
    assert query_from_params({"p": "aliexpress:1", "country": "DE"}) is None


@pytest.mark.parametrize("params, said", [
    ({"platform": "nosuch"}, "Unknown platform “nosuch”"),
    ({"platform": "nosuch", "id": "1005006789012345"}, "Unknown platform “nosuch”"),
    ({"platform": "alibaba"}, "names a platform but no product ID"),
    ({"platform": "aliexpress", "id": ""}, "names a platform but no product ID"),
    ({"id": "12ab"}, "not a product ID"),
])
def test_a_link_asking_for_what_cannot_be_read_raises(params, said):
    with pytest.raises(InvalidQuery) as caught:
        query_from_params(params)
    assert said in caught.value.user_message


def test_a_link_with_a_product_reads_it_with_its_variant():
    query = query_from_params({"platform": "aliexpress", "id": "1005006789012345",
                               "country": "DE", "sku_id": "12000037711871337"})
    assert query == ProductQuery("aliexpress", "1005006789012345", "DE",
                                 extras={"sku_id": "12000037711871337"})


# --- unit: the variant a link names -----------------------------------------------------------------
@pytest.fixture(scope="module")
def backpack():
    return fetch_product(ProductQuery("aliexpress", "1005006789012345"))


def test_the_link_variant_sets_the_matrix_filters(backpack):
    skus = backpack.skus
    wanted = skus[skus["Ships From"] == "Spain"].iloc[-1]
    product = fetch_product(ProductQuery("aliexpress", "1005006789012345",
                                         extras={"sku_id": str(wanted["sku_id"])}))
    assert refs.requested_sku(product) == str(wanted["sku_id"])
    assert refs.initial_filters(product, "Color", "Size") == {"Ships From": ["Spain"]}
    assert refs.initial_filters(product, "Color", "Ships From") == {"Size": [wanted["Size"]]}
    # Without sku_id (or with one the product does not have): each first value.
    assert refs.initial_filters(backpack, "Color", "Size") == {"Ships From": ["China"]}
    other = fetch_product(ProductQuery("aliexpress", "1005006789012345",
                                       extras={"sku_id": "999"}))
    assert refs.requested_sku(other) is None


# --- AppTest: the Compare page ----------------------------------------------------------------------
def test_a_compare_link_with_hundreds_of_entries_is_capped(calls):
    at = compare_page(unknown_keys(120), calls)
    assert len(calls) == 50                                  # not 120 gateway calls
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "70 more entries were left out" in warnings[0]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("50 of 50 products could not be loaded")
    assert p_entries(at) == unknown_keys(50)                  # the link written back, short
    at.run()                                                 # a rerun (any widget change)
    assert len(calls) == 50                                  # failures remembered: no call
    assert [w.value for w in at.warning] == warnings         # the message stays
    assert not at.exception


def test_a_compare_link_full_of_junk_gets_one_message(calls):
    junk = [f"nosuch:{i}" for i in range(40)] + ["aliexpress:12ab"] * 40 + [HOSTILE]
    at = compare_page(junk + [BACKPACK, CASE] + [BACKPACK] * 40, calls)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and warnings[0].startswith("121 entries were skipped")
    assert "https://" not in warnings[0]
    assert not at.error and len(calls) == 1       # the case (the backpack: already cached)
    assert p_entries(at) == [BACKPACK, CASE]


def test_adding_products_beyond_the_limit_says_so(calls):
    at = compare_page(unknown_keys(49), calls)
    at.text_area[0].input(f"{BACKPACK}\n{CASE}\naliexpress:1005005432109876")
    at.button(key="FormSubmitter:compare-add-Add to comparison").click().run()
    assert not at.exception
    assert p_entries(at) == unknown_keys(49) + [BACKPACK]
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and warnings[0].startswith(
        f"2 products were not added ({literal(CASE)}, "
        f"{literal('aliexpress:1005005432109876')}): at most 50 products")


def test_failed_products_are_tried_again_only_on_demand(calls):
    at = compare_page([BACKPACK, "aliexpress:" + MISSING], calls)
    assert len(calls) == 1                # the missing one (the backpack: already cached)
    for _ in range(3):
        at.run()
    assert len(calls) == 1
    at.button(key=f"refresh-aliexpress:{MISSING}").click().run()
    assert len(calls) == 2                                   # only the failed one again
    assert len(at.error) == 1


# --- AppTest: one product's link --------------------------------------------------------------------
def test_a_failing_product_is_not_fetched_again_on_every_rerun(calls, monkeypatch):
    at = open_link(platform="aliexpress", id=MISSING)
    assert len(calls) == 1 and at.error
    for _ in range(3):
        at.run()
    assert len(calls) == 1
    # A minute later the gateway is asked again; "Try again" asks at once.
    later = time.monotonic() + 61
    monkeypatch.setattr(ui.RECENT_FAILURES, "clock", lambda: later)
    at.run()
    assert len(calls) == 2
    monkeypatch.setattr(ui.RECENT_FAILURES, "clock", time.monotonic)
    at.button(key=f"refresh-aliexpress:{MISSING}").click().run()
    assert len(calls) == 3


@pytest.mark.parametrize("params, said", [
    ({"platform": "nosuch"}, "Unknown platform “nosuch”"),
    ({"platform": "nosuch", "id": DEMO_PRODUCTS[0].product_id}, "Unknown platform “nosuch”"),
    ({f"x{i}": "1" for i in range(1001)}, LINK_DROPPED[:40]),
    ({"note": "a" * 600_000}, LINK_DROPPED[:40]),
])
def test_a_link_that_cannot_be_read_never_shows_the_demo_product(calls, params, said):
    at = open_link(**params)
    errors = [e.value.replace("\\", "") for e in at.error]
    assert any(said.replace("\\", "") in e for e in errors), errors
    assert not at.subheader                                 # no product's title
    assert calls == []


def test_a_first_visit_shows_the_demo_product(calls):
    at = open_link()
    assert not at.error
    assert at.subheader[0].value.startswith("Trail 40L Hiking Backpack")


def test_the_link_variant_is_preselected_on_price_tiers_and_the_sku_matrix(calls, backpack):
    skus = backpack.skus
    cheapest = str(skus.loc[skus["sale_price"].idxmin(), "sku_id"])
    wanted = skus[(skus["Ships From"] == "Spain") & (skus["sku_id"].astype(str) != cheapest)]
    wanted = wanted.iloc[0]
    at = open_link("price_tiers", platform="aliexpress", id="1005006789012345",
                   sku_id=str(wanted["sku_id"]))
    assert at.selectbox(key="variant").value == str(wanted["sku_id"])
    at = open_link("sku_matrix", platform="aliexpress", id="1005006789012345",
                   sku_id=str(wanted["sku_id"]))
    assert at.multiselect(key="filter-Ships From").value == ["Spain"]
    # Without sku_id the defaults are as before.
    at = open_link("price_tiers", platform="aliexpress", id="1005006789012345")
    assert at.selectbox(key="variant").value == cheapest


def test_refresh_refetches_for_each_session_that_presses_it(calls):
    demo = DEMO_PRODUCTS[0]
    sessions = [open_link(platform=demo.platform, id=demo.product_id) for _ in range(2)]
    assert len(calls) == 1                                   # the first load is shared
    for at in sessions:
        before = len(calls)
        at.button(key=f"refresh-{demo.key}").click().run()
        assert not at.exception
        assert len(calls) == before + 1                      # its own fetch, every time
    at = sessions[0]
    at.run()
    assert len(calls) == 3                                   # a rerun uses its refreshed copy


def test_a_dropped_link_is_said_on_every_rerun_until_a_product_is_asked_for(calls):
    at = open_link(**{f"x{i}": "1" for i in range(1001)})
    assert ui.DROPPED_PARAM not in at.query_params           # the marker is not kept
    at.run()
    assert [e.value for e in at.error] == [literal(LINK_DROPPED)] and not at.subheader
    at.sidebar.button(key=f"demo-{DEMO_PRODUCTS[0].key}").click().run()
    assert not at.error and at.subheader[0].value.startswith("Trail 40L Hiking Backpack")


# --- the real server: Streamlit drops the link before the page runs ------------------------------
def test_browser_a_dropped_link_says_so(streamlit_server, page_at):
    from playwright.sync_api import expect

    from browser_util import wait_for_app_run

    page = page_at()
    # lib.ui marks dropped links from its first import on, i.e. from the first session's
    # first run: that one request was judged before (a launcher importing lib.ui before
    # the server starts closes the gap). So one ordinary visit first.
    page.goto(streamlit_server + "/")
    wait_for_app_run(page)
    page.goto(streamlit_server + "/?" + "&".join(f"x{i}=1" for i in range(1001)))
    expect(page.get_by_text("This link is too long to be read")).to_be_visible(timeout=30_000)
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Trail 40L Hiking Backpack")).to_have_count(0)
    assert "x1000=1" not in page.url
    page.goto(streamlit_server + "/?platform=nosuch")
    expect(page.get_by_text("Unknown platform “nosuch”")).to_be_visible(timeout=30_000)
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Trail 40L Hiking Backpack")).to_have_count(0)
