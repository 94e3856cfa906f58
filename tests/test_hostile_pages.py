"""Every page with the hostile demo set: no outside text renders as Markdown (issue 10, 1).

The sandbox serves tests/hostile.py's set (same ids, attacker text in every field the
parsers read) through EXPLORER_DEMO_FIXTURES; every page of every demo product, the
Compare page with all of them, the Batch page with a hostile paste and CSV, and hostile
URL parameters are run with AppTest, and tests/markdown_scan.py checks every string the
frontend renders as Markdown. Run alone: `pytest -q tests/test_hostile_pages.py`.

The first tests check the scanner itself: it must catch st.markdown / st.caption / a
widget label with payload text, and pass the same text through lib.text.literal().
"""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from apptest_util import APP_FILE, finish_jobs
from hostile import (CASES, MARK, build_hostile_set, hostile_compare_param, hostile_csv,
                     hostile_inputs, hostile_paste, hostile_texts, hostile_url_params)
from lib import ui
from lib.sandbox import DEMO_PRODUCTS
from lib.sandbox.gateway import FIXTURES_ENV
from lib.text import literal
from markdown_scan import markdown_texts, problems, report, scan

PAGES = ["overview", "sku_matrix", "price_tiers", "landed_cost", "store_ratings",
         "media_gallery", "raw_data", "history"]
DEMO_KEYS = [q.key for q in DEMO_PRODUCTS]


# --- the scanner catches what it must, and only that ---------------------------------
def _careless_app(payload: str) -> None:
    import streamlit as st

    st.markdown(payload)
    st.caption(payload)
    st.text_input(payload)
    st.expander(payload)


def _careful_app(payload: str) -> None:
    import streamlit as st

    from lib.text import literal

    st.markdown(f"**Title:** {literal(payload)}")
    st.caption(literal(payload))
    st.text_input(literal(payload), help=literal(payload))
    st.expander(literal(payload))
    st.markdown(f"[Open on the marketplace](https://www.aliexpress.com/item/1.html) · "
                f":gray-badge[{literal(payload)}]")


def _run(script, payload: str) -> AppTest:
    at = AppTest.from_function(script, args=(payload,), default_timeout=30)
    at.run()
    assert not at.exception
    return at


@pytest.mark.parametrize("case", range(len(CASES)))
def test_scanner_flags_payload_in_markdown_caption_label_and_expander(case):
    payload = CASES[case].format(m=f"{MARK}{case}")
    at = _run(_careless_app, payload)
    flagged = [(kind, field) for kind, field, _, _ in scan(at, [payload])]
    if literal(payload) == " ".join(payload.split()):
        return                  # nothing in it Markdown would read ("+1", "-1"): harmless
    assert flagged.count(("Markdown", "body")) == 2, report(scan(at, [payload]))  # + caption
    assert {("TextInput", "label"), ("Expandable", "label")} <= set(flagged)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_scanner_passes_the_same_payload_through_literal(case):
    payload = CASES[case].format(m=f"{MARK}{case}")
    at = _run(_careful_app, payload)
    assert len(list(markdown_texts(at))) >= 6
    assert scan(at, [payload]) == [], report(scan(at, [payload]))


def test_scanner_judges_structure_without_knowing_the_payload():
    """Even without the payload list (a text transformed on the way), constructs next to
    the marker are caught, and the page's own markup around literal text is not."""
    assert "markdown image: 'https://evil.example/pixel.png'" in problems(
        f"![x {MARK}](https://evil.example/pixel.png)")
    assert problems(f"Sold by [{MARK}](https://evil.example/login)") == [
        "link to a foreign host: 'https://evil.example/login'"]
    assert problems(f"{MARK} for $10 and $20") == ["raw $ (math)"]
    assert problems(f"**Store:** :red[{MARK}]") == ["a :directive[ not the page's own"]
    assert problems(f"{MARK}\n# Heading")
    assert problems(f"see https://evil.example/x {MARK}") == [
        "autolink: 'https://evil.example'"]
    assert problems(f"{MARK} \u202e") == ["zero-width or bidi control character"]
    # The page's own list and badges around literal text: fine once the payload is known
    # (masked); unknown, a bullet before outside text cannot be told from a payload's.
    payload = f"x {MARK} ] ) $1 :red[a]"
    assert problems(f"- **Name:** {literal(payload)}  \n"
                    f":gray-badge[:material/science: Demo] "
                    f"[Open](https://www.aliexpress.com/item/1.html)", [payload]) == []


# --- the hostile set and the fixture-folder seam ---------------------------------------
@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-set")
    build_hostile_set(folder)
    return folder


def test_fixture_folder_is_read_at_call_time(hostile_folder, monkeypatch):
    from lib.query import ProductQuery
    from lib.sandbox import demo_title, fixture_ids, load_fixture
    from lib.sandbox.gateway import FIXTURES, catalogue

    normal = {q.platform: fixture_ids(q.platform) for q in DEMO_PRODUCTS}
    backpack = load_fixture("aliexpress", "1005006789012345")
    monkeypatch.setenv(FIXTURES_ENV, str(hostile_folder))
    assert {p: fixture_ids(p) for p in normal} == normal            # the same ids
    assert load_fixture("aliexpress", "1005006789012345") != backpack
    assert all(MARK in e["title"] and MARK in e["blurb"] for e in catalogue("tuya"))
    assert MARK in demo_title(ProductQuery("tuya", "CMsmartplug01"))
    # no way out of the folder, nor into another platform's
    assert load_fixture("aliexpress", "../alibaba/AAGb7Yt2Qw9Lm4Xc_Rk8Zp1D") is None
    assert load_fixture("../aliexpress", "1005006789012345") is None
    assert load_fixture("aliexpress", "catalogue") is None
    assert fixture_ids("..") == [] and catalogue("../tuya") == []
    monkeypatch.delenv(FIXTURES_ENV)
    assert load_fixture("aliexpress", "1005006789012345") == backpack
    assert FIXTURES.is_dir()


def test_hostile_set_puts_outside_text_in_every_field_the_views_show(hostile_folder,
                                                                      monkeypatch):
    """Parsed, each hostile product still has all its variants, and every text the
    pages show carries the marker (so the page scan sees every field)."""
    import json

    from lib.platforms import parse_payload
    from lib.sandbox import load_fixture

    for query in DEMO_PRODUCTS:
        monkeypatch.delenv(FIXTURES_ENV, raising=False)
        normal = parse_payload(query.platform, load_fixture(query.platform, query.product_id))
        monkeypatch.setenv(FIXTURES_ENV, str(hostile_folder))
        raw = load_fixture(query.platform, query.product_id)
        product = parse_payload(query.platform, json.loads(json.dumps(raw)))
        assert len(product.skus) == len(normal.skus), query.key
        assert len(product.sku_properties) == len(normal.sku_properties), query.key
        texts, before = _shown_texts(product), _shown_texts(normal)
        # (a range built from two numbers, "3000–6500", is numbers, kept as sent)
        # A text the same in both sets is the parser's own label ("Brand", "listed").
        plain = {k: v for k, v in texts.items() if v and MARK not in str(v)
                 and any(c.isalpha() for c in str(v)) and before.get(k) != v}
        assert not plain, (query.key, plain)


def _shown_texts(product) -> dict[str, str]:
    texts = {"title": product.title, "status": product.status, "store": product.store.name,
             "currency": product.currency, "moq unit": product.trade.moq_unit,
             "supply": product.trade.supply_ability, "packaging": product.trade.packaging}
    for n, column in enumerate(product.sku_properties):
        texts[f"property {n}"] = column
        texts.update({f"property {n} value {i}": v for i, v in
                      enumerate(product.skus[column].dropna()) if v})
    for i, row in product.attributes.iterrows():
        texts.update({f"attribute {i} {k}": row[k] for k in ("name", "value") if row[k]})
    return texts


# --- the hostile set on every page ----------------------------------------------------
@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The sandbox on the hostile set; the per-query product cache emptied around it."""
    folder = tmp_path_factory.mktemp("hostile-fixtures")
    mapping = build_hostile_set(folder)
    with pytest.MonkeyPatch.context() as patch:
        # A store of its own, holding yesterday's snapshot of every normal demo product:
        # the Overview's "what changed" then quotes the hostile titles and variants too.
        patch.setenv("EXPLORER_DB_URL",
                     f"sqlite:///{tmp_path_factory.mktemp('hostile-store') / 'h.db'}")
        ui.reset_store()
        _seed_yesterday(ui.store())
        patch.setenv(FIXTURES_ENV, str(folder))
        patch.setenv("EXPLORER_DEMO", "1")
        st.cache_data.clear()
        yield hostile_texts(mapping) + hostile_inputs()
    st.cache_data.clear()
    ui.reset_store()


def _seed_yesterday(store) -> None:
    from datetime import timedelta

    from lib.client import fetch_product

    for query in DEMO_PRODUCTS:
        product = fetch_product(query)
        product.fetched_at -= timedelta(days=1)
        store.save(product)


def _open(params: dict[str, str | list[str]]) -> AppTest:
    at = AppTest.from_file(str(APP_FILE), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at


def _findings(at: AppTest, payloads, where: str) -> list[str]:
    lines = [f"{where}: exception {e.value!r}"[:300] for e in at.exception]
    found = scan(at, payloads)
    if found:
        lines += [f"{where}: {line}" for line in report(found).splitlines()]
    return lines


@pytest.mark.parametrize("key", DEMO_KEYS)
def test_every_page_of_a_hostile_product_renders_its_text_as_text(hostile, key):
    platform, product_id = key.split(":", 1)
    at = _open({"platform": platform, "id": product_id})
    findings = _findings(at, hostile, f"{key} overview")
    for page in PAGES[1:]:
        at.switch_page(f"views/{page}.py").run()
        findings += _findings(at, hostile, f"{key} {page}")
    assert not findings, "\n".join(findings)


def test_compare_with_every_hostile_product(hostile):
    at = _open({"p": DEMO_KEYS})
    at.switch_page("views/compare.py").run()
    findings = _findings(at, hostile, "compare")
    assert len([m for m in markdown_texts(at) if MARK in m[2]]) > 0, "no payload on screen"
    assert not findings, "\n".join(findings)


def test_compare_with_a_hostile_list_in_the_link(hostile):
    at = _open({"p": hostile_compare_param() + DEMO_KEYS[:2]})
    at.switch_page("views/compare.py").run()
    findings = _findings(at, hostile, "compare p=")
    assert not findings, "\n".join(findings)


def test_batch_with_a_hostile_paste(hostile):
    at = _open({})
    at.switch_page("views/batch.py").run()
    at.text_area(key="batch-text").set_value(hostile_paste() + "\n" + "\n".join(DEMO_KEYS))
    at.run()
    findings = _findings(at, hostile, "batch paste")
    fetch = [b for b in at.main.button if b.label.startswith("Fetch ")]
    assert fetch, [b.label for b in at.main.button]
    fetch[0].click().run()
    finish_jobs(at)
    findings += _findings(at, hostile, "batch results")
    assert not findings, "\n".join(findings)


def test_batch_with_a_hostile_csv(hostile):
    at = _open({})
    at.switch_page("views/batch.py").run()
    uploads = at.get("file_uploader")
    if not uploads or not hasattr(uploads[0], "set_value"):
        pytest.skip("this Streamlit's AppTest cannot upload files; the paste test covers "
                    "the same reading")
    uploads[0].set_value(("hostile.csv", hostile_csv(), "text/csv")).run()
    columns = [s for s in at.main.selectbox if s.label == "Column with the ids or links"]
    assert columns and MARK + "H" in columns[0].options[0], "the CSV was not read"
    findings = _findings(at, hostile, "batch csv")
    fetch = [b for b in at.main.button if b.label.startswith("Fetch ")]
    if fetch and not fetch[0].disabled:
        fetch[0].click().run()
        finish_jobs(at)
        findings += _findings(at, hostile, "batch csv results")
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("index", range(5))
@pytest.mark.parametrize("page", ["overview", "sku_matrix", "price_tiers"])
def test_hostile_url_parameters(hostile, page, index):
    params = hostile_url_params("aliexpress", "1005006789012345")[index]
    at = _open(params)
    findings = _findings(at, hostile, f"URL {index} /")
    if page != "overview":
        at.switch_page(f"views/{page}.py").run()
        findings += _findings(at, hostile, f"URL {index} {page}")
    assert not findings, "\n".join(findings)
