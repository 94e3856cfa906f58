"""The Lists page through the app (AppTest): create a list, add products, refresh it as a
job, see what changed after the sandbox's answer changes; ?list=<name> opens a list;
Compare saves a list and opens one; the demo list ships with the demo history."""
from __future__ import annotations

import json
from pathlib import Path


from apptest_util import finish_jobs, frame_with, run_app, texts
from lib import ui
from lib.query import ProductQuery

BACKPACK = "1005006789012345"
CASE = "1005004321098765"
FIRST_SKU = "12000421038262485"        # Black / 20L / China: sale price 24.90 USD



def _lower_backpack_price(fixtures: Path, sale_price: str) -> None:
    path = fixtures / "aliexpress" / f"{BACKPACK}.json"
    payload = json.loads(path.read_text())
    skus = (payload["aliexpress_ds_product_get_response"]["result"]["ae_item_sku_info_dtos"]
            ["ae_item_sku_info_d_t_o"])
    (sku,) = [s for s in skus if s["sku_id"] == FIRST_SKU]
    sku["offer_sale_price"] = sale_price
    path.write_text(json.dumps(payload))


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def _messages(at, kind: str) -> list[str]:
    return [m.value for m in getattr(at, kind)]


def _refresh(at):
    _ok(at.button(key="list-refresh").click().run())
    return _ok(finish_jobs(at))


def test_create_add_refresh_and_see_the_price_drop(store_at, fixtures):
    at = _ok(run_app("views/lists.py"))
    assert any("No lists yet" in i.value for i in at.info)

    at.text_input(key="list-new-name").input("  Backpacks  ")
    at.text_area(key="list-new-refs").input(f"{BACKPACK}\n{BACKPACK}\nnot-an-id")
    _ok(at.button(key="list-create-submit").click().run())
    assert _messages(at, "success") == [
        "Created the list “Backpacks” with 1 product. Skipped: 1 entry is not a product id "
        "or link · 1 duplicate skipped."]
    assert at.selectbox(key="list-picked").value == "Backpacks"
    assert at.query_params["list"] == "Backpacks"

    # A second list of the same name, in another case, is refused plainly.
    at.text_input(key="list-new-name").input("BACKPACKS")
    _ok(at.button(key="list-create-submit").click().run())
    assert any("There is already a list called “BACKPACKS”" in e.value for e in at.error)

    list_id = ui.list_book().get("backpacks").id
    at.text_area(key=f"list-add-refs-{list_id}").input(f"https://www.aliexpress.com/item/"
                                                       f"{CASE}.html")
    _ok(at.button(key=f"list-add-submit-{list_id}").click().run())
    assert _messages(at, "success") == ["Added to “Backpacks”."]
    products = frame_with(at, "Latest check")
    assert list(products["Product id"]) == [BACKPACK, CASE]
    assert set(products["Price"]) == {"— not checked yet"}
    assert "This list has not been refreshed yet" in "\n".join(_messages(at, "info"))

    _refresh(at)
    products = frame_with(at, "Latest check")
    assert list(products["Latest check"]) == ["fetched", "fetched"]
    assert products["Price"].iloc[0] == "24.90–40.90 USD"
    assert products["Last checked"].iloc[0].endswith(" UTC")
    assert any("Refresh again later to see what changed" in i.value for i in at.info)

    _lower_backpack_price(fixtures, "21.90")
    _refresh(at)
    changes = frame_with(at, "What changed")
    assert changes.to_dict("records") == [{
        "Product": products["Title"].iloc[0], "Platform": "AliExpress (dropshipping)",
        "Product id": BACKPACK, "Change": "Price down",
        "What changed": "Color: Black · Size: 20L · Ships From: China: sale price "
                        "24.90 USD → 21.90 USD (−12.0 %)"}]
    assert any(i.value.startswith("1 change on 1 product between the refresh of")
               for i in at.info)
    assert any(b.label.startswith("Download the changes") for b in at.get("download_button"))

    # A threshold above the move hides it, and says so.
    _ok(at.number_input(key=f"list-threshold-{list_id}").set_value(15.0).run())
    assert ui.list_book().get("Backpacks").threshold_pct == 15.0
    assert not any("What changed" in f.value.columns for f in at.dataframe)
    assert any("Price moves under 15 % are not listed (1 such move)" in c.value
               for c in at.caption)


def test_schedule_remove_and_delete(store_at):
    book = ui.list_book()
    book.create("Weekly", [ProductQuery("aliexpress", BACKPACK),
                           ProductQuery("aliexpress", CASE)])
    at = _ok(run_app("views/lists.py", list="weekly"))
    watch = book.get("Weekly")
    _ok(at.number_input(key=f"list-hours-{watch.id}").set_value(24).run())
    scheduled = book.get("Weekly")
    assert scheduled.schedule_hours == 24 and scheduled.next_refresh_at is not None
    assert any(c.value.startswith("Next refresh: ") and "UTC" in c.value for c in at.caption)

    key = f"aliexpress|{BACKPACK}|US|USD|en"
    at.multiselect(key=f"list-remove-keys-{watch.id}").set_value([key])
    _ok(at.button(key=f"list-remove-submit-{watch.id}").click().run())
    assert [q.product_id for q in book.get("Weekly").queries] == [CASE]
    assert "Removed 1 product from “Weekly”." in _messages(at, "success")

    _ok(at.button(key="list-delete").click().run())
    assert any("Delete the list “Weekly”" in w.value for w in at.warning)
    assert book.get("Weekly") is not None          # not before the yes
    _ok(at.button(key="list-delete-yes").click().run())
    assert book.get("Weekly") is None
    assert "Deleted the list “Weekly”." in _messages(at, "success")
    assert any("No lists yet" in i.value for i in at.info)


def test_list_param_opens_that_list_in_any_case(store_at):
    book = ui.list_book()
    book.create("Alpha", [ProductQuery("aliexpress", BACKPACK)])
    book.create("Second list", [ProductQuery("aliexpress", CASE)])
    at = _ok(run_app("views/lists.py", list="second LIST"))
    assert at.selectbox(key="list-picked").value == "Second list"
    assert at.query_params["list"] == "Second list"
    assert frame_with(at, "Latest check")["Product id"].tolist() == [CASE]

    _ok(at.selectbox(key="list-picked").select("Alpha").run())
    assert at.query_params["list"] == "Alpha"

    missing = _ok(run_app("views/lists.py", list="nothing like it"))
    assert any("There is no list called “nothing like it”" in w.value for w in missing.warning)
    assert missing.selectbox(key="list-picked").value == "Alpha"


def test_open_in_compare_and_compare_by_list_param(store_at):
    book = ui.list_book()
    book.create("Watched", [ProductQuery("aliexpress", BACKPACK),
                            ProductQuery("aliexpress", CASE)])
    at = _ok(run_app("views/lists.py", list="Watched"))
    _ok(at.button(key="list-compare").click().run())
    assert at.query_params["p"] == [f"aliexpress:{BACKPACK}", f"aliexpress:{CASE}"]
    assert any(t.value == "Compare products" for t in at.title)

    linked = _ok(run_app("views/compare.py", list="WATCHED"))
    assert linked.query_params["p"] == [f"aliexpress:{BACKPACK}", f"aliexpress:{CASE}"]
    assert "list" not in linked.query_params
    assert any("The products of the list “Watched” (2)" in i.value for i in linked.info)


def test_compare_saves_a_list_and_the_sidebar_adds_to_it(store_at):
    at = _ok(run_app("views/compare.py", p=[f"aliexpress:{BACKPACK}", f"aliexpress:{CASE}"]))
    assert not [b for b in at.selectbox if b.key == "compare-save-choice"]   # no list yet
    at.text_input(key="compare-save-name").input("From compare")
    _ok(at.button(key="compare-save-submit").click().run())
    assert "Created the list “From compare” with 2 products." in _messages(at, "success")
    saved = ui.list_book().get("from compare")
    assert [q.product_id for q in saved.queries] == [BACKPACK, CASE]

    page = _ok(run_app("views/overview.py", platform="aliexpress", id=BACKPACK))
    assert page.sidebar.selectbox(key="sidebar-list-choice").value == "From compare"
    _ok(page.sidebar.button(key="sidebar-list-submit").click().run())
    assert "Already in “From compare”." in [s.value for s in page.sidebar.success]

    other = _ok(run_app("views/overview.py", platform="tuya", id="CMsmartplug01"))
    _ok(other.sidebar.button(key="sidebar-list-submit").click().run())
    assert "Added to “From compare”." in [s.value for s in other.sidebar.success]
    assert [q.product_id for q in ui.list_book().get("From compare").queries] == [
        BACKPACK, CASE, "CMsmartplug01"]


def test_demo_list_with_its_changes_on_a_fresh_store(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPLORER_DB_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("EXPLORER_DEMO_HISTORY", "1")
    ui.reset_store()
    try:
        assert ui.store().wait_idle(120), "the demo history did not load"
        at = _ok(run_app("views/lists.py"))
        assert at.selectbox(key="list-picked").value == "Demo products"
        changes = frame_with(at, "What changed")
        assert len(changes) >= 3 and "Sold out" in set(changes["Change"])
        assert any("between the refresh of" in i.value for i in at.info)
        assert "the demo list" in texts(at)
    finally:
        ui.reset_store()


def test_hostile_list_names_and_titles_render_as_text(store_at, tmp_path, monkeypatch):
    """List names (typed by users) and product titles (from payloads) on the Lists page,
    in Compare's list notice and the sidebar's confirmation: literal text everywhere."""
    from hostile import CASES, MARK, build_hostile_set, hostile_texts
    from lib.sandbox import DEMO_PRODUCTS
    from lib.sandbox.gateway import FIXTURES_ENV
    from lib.watchlists import ListError
    from markdown_scan import report, scan

    mapping = build_hostile_set(tmp_path / "hostile")
    monkeypatch.setenv(FIXTURES_ENV, str(tmp_path / "hostile"))
    book, names = ui.list_book(), []
    for i, case in enumerate(CASES):
        try:
            names.append(book.create(case.format(m=f"{MARK}{i}"), DEMO_PRODUCTS).name)
        except ListError:            # line breaks, invisible characters, over 60
            continue
    assert len(names) >= 15
    payloads = hostile_texts(mapping) + names

    at = _refresh(_ok(run_app("views/lists.py", list=names[0])))
    assert frame_with(at, "Latest check")["Latest check"].tolist() == ["fetched"] * len(
        DEMO_PRODUCTS)
    findings = scan(at, payloads)
    for name in names[1:]:
        findings += scan(_ok(run_app("views/lists.py", list=name)), payloads)
    findings += scan(_ok(run_app("views/compare.py", list=names[1])), payloads)
    page = _ok(run_app("views/overview.py", platform="aliexpress", id=BACKPACK))
    _ok(page.sidebar.button(key="sidebar-list-submit").click().run())
    assert page.sidebar.success, "the confirmation names the list"
    findings += scan(page, payloads)
    assert findings == [], report(findings)


def test_without_a_database_the_page_says_why(monkeypatch):
    monkeypatch.setenv("EXPLORER_DB_URL", "sqlite:////proc/explorer-lists/lists.db")
    ui.reset_store()
    try:
        at = _ok(run_app("views/lists.py"))
        (warning,) = [w.value for w in at.warning if "Lists are unavailable" in w.value]
        assert "cannot be created" in warning
        page = _ok(run_app("views/overview.py", platform="aliexpress", id=BACKPACK))
        assert any("Lists need the history database" in c.value for c in page.sidebar.caption)
    finally:
        ui.reset_store()
