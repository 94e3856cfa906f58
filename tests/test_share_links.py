"""Share links keep the whole view (point 14), and the sidebar picker follows what was
loaded (point 9), also after a short link (point 18). AppTest, demo mode."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from streamlit.testing.v1 import AppTest

from apptest_util import APP_FILE, share_links

SHARE_APP = Path(__file__).with_name("share_link_app.py")
BACKPACK = "1005006789012345"
CASE = "1005004321098765"
MUG = "AAHq3mZ8Kx2WvN7p-Tb4sL9e"
BOARD = "AAGb7Yt2Qw9Lm4Xc_Rk8Zp1D"
PRODUCT_KEYS = ["platform", "id", "country", "currency", "language"]


def open_share_app(**params: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(SHARE_APP), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def share_link(at: AppTest) -> str:
    link, _pinned = share_links(at)
    return link


def pairs(link: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(link).query)


def reopen(link: str) -> AppTest:
    """A colleague opens `link`: a new session with exactly its query string."""
    params: dict[str, list[str]] = {}
    for key, value in pairs(link):
        params.setdefault(key, []).append(value)
    return open_share_app(**{k: v[0] if len(v) == 1 else v for k, v in params.items()})


def picker(at: AppTest):
    (platform,) = [s for s in at.sidebar.selectbox if s.label == "Platform"]
    (ref,) = [t for t in at.sidebar.text_input if t.label == "Product ID or link"]
    (submit,) = [b for b in at.sidebar.button if b.label == "Show product"]
    return platform, ref, submit


# --- point 14: the share link carries every setting ---------------------------------------
def test_bound_widget_values_are_in_the_share_link_after_the_product():
    at = open_share_app()
    assert pairs(share_link(at)) == [("platform", "aliexpress"), ("id", BACKPACK),
                                     ("country", "US"), ("currency", "USD"),
                                     ("language", "en")]   # defaults: nothing else
    at.number_input(key="qty").set_value(250).run()
    at.selectbox(key="metric").set_value("Stock").run()
    at.multiselect(key="skus").set_value(["red", "green"]).run()
    link = share_link(at)
    got = pairs(link)
    assert [k for k, _ in got[:5]] == PRODUCT_KEYS          # the product first
    assert got[5:] == [("qty", "250"), ("metric", "Stock"), ("skus", "red"),
                       ("skus", "green")]
    # Back to a default: the setting leaves the link, as it leaves the address bar.
    at.selectbox(key="metric").set_value("Price").run()
    assert ("metric", "Price") not in pairs(share_link(at))
    assert ("qty", "250") in pairs(share_link(at))


def test_a_shared_link_reopens_with_the_same_settings_and_the_same_link():
    at = open_share_app()
    at.number_input(key="qty").set_value(250).run()
    at.multiselect(key="skus").set_value(["blue"]).run()
    link = share_link(at)
    colleague = reopen(link)
    assert colleague.number_input(key="qty").value == 250
    assert colleague.multiselect(key="skus").value == ["blue"]
    assert pairs(share_link(colleague)) == pairs(link)


def test_other_parameters_survive_loading_another_product():
    at = open_share_app(platform="aliexpress", id=BACKPACK, qty="250",
                        p=["aliexpress:1", "alibaba:2"], sku_id="12000037711871337")
    assert at.number_input(key="qty").value == 250
    assert ("sku_id", "12000037711871337") in pairs(share_link(at))
    platform, ref, submit = picker(at)
    ref.input(CASE)
    submit.click().run()
    assert not at.exception
    assert at.query_params["id"] == CASE
    assert at.query_params["qty"] == "250"                    # the view's setting stays
    assert at.query_params["p"] == ["aliexpress:1", "alibaba:2"]
    assert "sku_id" not in at.query_params                    # the old product's variant
    got = pairs(share_link(at))
    assert ("qty", "250") in got and got.count(("p", "aliexpress:1")) == 1
    assert ("p", "alibaba:2") in got and ("id", CASE) in got


def test_the_share_link_keeps_the_page_path():
    at = AppTest.from_file(str(SHARE_APP), default_timeout=60)
    at.context["url"] = "http://localhost:8501/price-tiers?platform=aliexpress"
    at.query_params["qty"] = "250"
    at.run()
    link = share_link(at)
    assert link.startswith("http://localhost:8501/price-tiers?platform=aliexpress&id=")
    assert link.endswith("&qty=250")


def test_price_tiers_quantity_round_trips_through_the_share_link():
    at = AppTest.from_file(str(APP_FILE), default_timeout=60)
    for key, value in {"platform": "aliexpress", "id": BACKPACK}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("views/price_tiers.py").run()
    at.number_input(key="qty").set_value(250).run()
    assert not at.exception
    link = share_link(at)
    assert ("qty", "250") in pairs(link)
    colleague = AppTest.from_file(str(APP_FILE), default_timeout=60)
    for key, value in pairs(link):
        colleague.query_params[key] = value
    colleague.run()
    colleague.switch_page("views/price_tiers.py").run()
    assert not colleague.exception
    assert colleague.number_input(key="qty").value == 250
    assert ("qty", "250") in pairs(share_link(colleague))


# --- point 9: the picker follows what was loaded ------------------------------------------
def test_platform_box_follows_a_pasted_link_and_reads_the_next_bare_id_with_it():
    at = open_share_app(platform="aliexpress", id=BACKPACK)
    platform, ref, submit = picker(at)
    assert platform.value == "aliexpress"
    ref.input(f"https://www.alibaba.com/product-detail/Mug.html?productId={MUG}")
    submit.click().run()
    assert not at.exception and not at.sidebar.error
    platform, ref, _ = picker(at)
    assert (at.query_params["platform"], at.query_params["id"]) == ("alibaba", MUG)
    assert platform.value == "alibaba"                        # the box followed
    assert ref.value == MUG
    # The next bare id is read as an Alibaba.com id (no AliExpress "digits" message).
    platform, ref, submit = picker(at)
    ref.input(BOARD)
    submit.click().run()
    assert not at.sidebar.error, [e.value for e in at.sidebar.error]
    assert (at.query_params["platform"], at.query_params["id"]) == ("alibaba", BOARD)
    assert picker(at)[0].value == "alibaba"


def test_a_demo_short_link_opens_its_product_and_the_box_follows():
    at = AppTest.from_file(str(APP_FILE), default_timeout=60).run()
    platform, ref, submit = picker(at)
    assert platform.value == "aliexpress"
    ref.input("https://www.alibaba.com/x/DemoMug01")
    submit.click().run()
    assert not at.exception and not at.sidebar.error
    assert (at.query_params["platform"], at.query_params["id"]) == ("alibaba", MUG)
    assert picker(at)[0].value == "alibaba"
    assert at.subheader[0].value.startswith("Custom Logo Stoneware Coffee Mug")


def test_a_demo_short_link_of_the_affiliate_product_opens_it_on_its_own_platform():
    at = open_share_app(platform="aliexpress", id=BACKPACK)
    platform, ref, submit = picker(at)
    ref.input("https://s.click.aliexpress.com/e/_oDemoEarbuds")
    submit.click().run()
    assert not at.sidebar.error, [e.value for e in at.sidebar.error]
    assert (at.query_params["platform"], at.query_params["id"]) == (
        "aliexpress-affiliate", "1005007246813579")
    assert picker(at)[0].value == "aliexpress-affiliate"


def test_an_unknown_short_link_gets_a_plain_message_in_the_sidebar():
    at = open_share_app(platform="aliexpress", id=BACKPACK)
    _, ref, submit = picker(at)
    ref.input("https://a.aliexpress.com/_NoSuchCode")
    submit.click().run()
    (error,) = at.sidebar.error
    assert "does not exist or has expired" in error.value
    assert at.query_params["id"] == BACKPACK                   # nothing else loaded


# --- the same in a real browser --------------------------------------------------------------
def _browser_share_link(page) -> str:
    from playwright.sync_api import expect

    sidebar = page.get_by_test_id("stSidebar")
    expander = sidebar.get_by_test_id("stExpander").filter(has_text="Share this view")
    code = expander.get_by_test_id("stCode").first
    if not code.is_visible():
        expander.get_by_text("Share this view").click()
    expect(code).to_be_visible()
    return code.inner_text().strip()


def test_browser_share_link_follows_the_quantity_and_the_picker_follows_a_short_link(
        streamlit_server, page_at):
    import re

    from playwright.sync_api import expect

    from browser_util import wait_for_app_run

    page = page_at()
    page.goto(f"{streamlit_server}/price-tiers?platform=aliexpress&id={BACKPACK}&qty=250")
    wait_for_app_run(page)
    main = page.get_by_test_id("stMain")
    quantity = main.get_by_test_id("stNumberInput").get_by_label("Quantity", exact=True)
    expect(quantity).to_have_value("250")
    link = _browser_share_link(page)
    assert link.startswith(f"{streamlit_server}/price-tiers?platform=aliexpress&id={BACKPACK}")
    assert ("qty", "250") in pairs(link)
    quantity.fill("300")
    quantity.press("Enter")
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"qty=300"))
    assert ("qty", "300") in pairs(_browser_share_link(page))
    # A demo short link switches the product and the Platform box to Alibaba.com.
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_label("Product ID or link", exact=True).fill("https://www.alibaba.com/x/DemoMug01")
    sidebar.get_by_role("button", name="Show product").click()
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(rf"id={MUG}"))
    expect(sidebar.get_by_role("combobox", name="Platform")).to_have_value("Alibaba.com")
    expect(sidebar.get_by_label("Product ID or link", exact=True)).to_have_value(MUG)
