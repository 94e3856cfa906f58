"""Watchlists (lib/watchlists): names, products in order, the schedule's claim, and the
change view on real demo products, on SQLite and PostgreSQL where the store is involved."""
from __future__ import annotations

import copy
import threading
from datetime import datetime, timedelta, timezone

import pytest

from lib.batch import result_row
from lib.client import fetch_product
from lib.errors import NetworkError, ProductNotFound
from lib.jobs import REFRESH, ItemError, JobBoard
from lib.query import ProductQuery
from lib.store import codec, open_store
from lib.watchlists import (COMPARED, ONE_REFRESH, ListBook, ListError, list_changes,
                            scheduled_refreshes)
from lib.watchlists import book as book_module
from lib.watchlists.changes import stamp
from lib.watchlists.schedule import _claim

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
BACKPACK = ProductQuery("aliexpress", "1005006789012345")
BOTTLE = ProductQuery("aliexpress", "1005005432109876")
CASE = ProductQuery("aliexpress", "1005004321098765")
EARBUDS = ProductQuery("aliexpress-affiliate", "1005007246813579")
SCALE = ProductQuery("aliexpress-affiliate", "1005006543210987")
MUG = ProductQuery("alibaba", "AAHq3mZ8Kx2WvN7p-Tb4sL9e")


@pytest.fixture
def store(store_url_any):
    opened = open_store(store_url_any)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path}/lists.db")
    yield opened
    opened.close()


# --- names ------------------------------------------------------------------------------
def test_names_empty_too_long_control_and_taken_in_another_case(store):
    book = ListBook(store)
    for bad, words in [("", "Give the list a name"), ("   ", "Give the list a name"),
                       ("x" * 61, "at most 60 characters; this one has 61"),
                       ("Shoes\nand more", "line breaks"), ("Sho\u200bes", "invisible")]:
        with pytest.raises(ListError) as refused:
            book.create(bad, now=T0)
        assert words in refused.value.user_message, bad
    made = book.create("  Shoes  ", now=T0)
    assert made.name == "Shoes" and made.threshold_pct == 5.0 and not made.demo
    with pytest.raises(ListError) as taken:
        book.create("SHOES", now=T0)
    assert taken.value.user_message.startswith("There is already a list called “SHOES”")
    assert book.get("sHoEs").id == made.id
    assert book.create("x" * 60, now=T0).name == "x" * 60
    assert book.names() == ["Shoes", "x" * 60]
    assert book.get("nothing like it") is None


def test_rename_keeps_names_unique(store):
    book = ListBook(store)
    first, second = book.create("First", now=T0), book.create("Second", now=T0)
    with pytest.raises(ListError):
        book.rename(second, "FIRST")
    assert book.rename(second, "Third").name == "Third"
    assert book.rename(first, "first").name == "first"        # its own name, another case


# --- products ---------------------------------------------------------------------------
def test_add_keeps_order_skips_repeats_and_remove(store):
    book = ListBook(store)
    made = book.create("Mix", [BACKPACK, BOTTLE], now=T0)
    in_gb = ProductQuery("aliexpress", BACKPACK.product_id, country="GB")
    with_variant = ProductQuery("aliexpress", BACKPACK.product_id,
                                extras={"sku_id": "12000421038262485"})
    outcome = book.add("mix", [BOTTLE, CASE, with_variant, in_gb, CASE])
    assert [q.key for q in outcome.added] == [CASE.key, BACKPACK.key]
    assert outcome.added[1].country == "GB"
    assert [q.key for q in outcome.already] == [BOTTLE.key, BACKPACK.key, CASE.key]
    assert outcome.message() == "Added 2 products to “Mix” · 3 were already in it."
    listed = book.get("Mix")
    assert [(q.key, q.country) for q in listed.queries] == [
        (BACKPACK.key, "US"), (BOTTLE.key, "US"), (CASE.key, "US"), (BACKPACK.key, "GB")]
    assert all(not q.extras for q in listed.queries)

    assert book.remove(made, [codec.query_key(BOTTLE), "not|a|key|x|y"]) == 1
    book.add(made, [BOTTLE])
    assert [q.key for q in book.by_id(made.id).queries] == [BACKPACK.key, CASE.key,
                                                            BACKPACK.key, BOTTLE.key]
    assert book.add(made, [CASE]).message() == "Already in “Mix”."
    assert book.add(made, [EARBUDS]).message() == "Added to “Mix”."


def test_a_list_holds_at_most_the_cap(store, monkeypatch):
    monkeypatch.setattr(book_module, "MAX_PRODUCTS", 3)
    book = ListBook(store)
    book.create("Capped", [BACKPACK, BOTTLE], now=T0)
    outcome = book.add("Capped", [CASE, EARBUDS, SCALE])
    assert [q.key for q in outcome.added] == [CASE.key]
    assert [q.key for q in outcome.over_cap] == [EARBUDS.key, SCALE.key]
    assert "2 not added" in outcome.message() and "at most 3 products" in outcome.message()
    assert len(book.get("Capped").queries) == 3


def test_a_new_list_never_inherits_a_deleted_lists_refreshes(store):
    book, board = ListBook(store), JobBoard(store)
    old = book.create("Old", [BACKPACK], now=T0)
    board.create(REFRESH, old.queries, title="Refresh of list Old", list_id=old.id, now=T0)
    book.delete(old)
    new = book.create("New", [BOTTLE], now=T0)
    assert board.recent(kind=REFRESH, list_id=new.id) == []
    (kept,) = board.recent(kind=REFRESH)
    assert kept.title == "Refresh of list Old" and kept.list_id is None


def test_delete_threshold_and_gone_list(store):
    book = ListBook(store)
    made = book.create("Gone soon", [BACKPACK], now=T0)
    assert book.set_threshold(made, 12.5).threshold_pct == 12.5
    with pytest.raises(ListError):
        book.set_threshold(made, -1)
    assert book.delete(made) is True
    assert book.get("Gone soon") is None and book.all() == []
    with pytest.raises(ListError) as gone:
        book.add(made, [BOTTLE])
    assert "no longer exists" in gone.value.user_message
    assert book.delete(made) is False


# --- schedule ---------------------------------------------------------------------------
def test_schedule_due_and_claimed_once(store):
    book, board = ListBook(store), JobBoard(store)
    made = book.create("Every six hours", [BACKPACK, BOTTLE], now=T0)
    scheduled = book.set_schedule(made, 6, now=T0)
    assert scheduled.schedule_hours == 6 and scheduled.next_refresh_at == T0 + timedelta(hours=6)
    assert scheduled_refreshes(store, board, T0 + timedelta(hours=5, minutes=59)) == []

    (job_id,) = scheduled_refreshes(store, board, T0 + timedelta(hours=6))
    job = board.get(job_id)
    assert (job.kind, job.list_id, job.created_by, job.total) == (REFRESH, made.id,
                                                                 "schedule", 2)
    assert job.title == "Refresh of list Every six hours"
    assert [i.query.key for i in board.items(job_id)] == [BACKPACK.key, BOTTLE.key]
    assert book.by_id(made.id).next_refresh_at == T0 + timedelta(hours=12)
    assert scheduled_refreshes(store, board, T0 + timedelta(hours=7)) == []

    # The refresh still queued: the next time moves on, no second job.
    assert scheduled_refreshes(store, board, T0 + timedelta(hours=12)) == []
    assert book.by_id(made.id).next_refresh_at == T0 + timedelta(hours=18)
    assert len(board.recent(kind=REFRESH, list_id=made.id)) == 1

    assert book.set_schedule(made, 0, now=T0).next_refresh_at is None
    assert scheduled_refreshes(store, board, T0 + timedelta(days=3)) == []


def test_the_same_claim_wins_once(store):
    book = ListBook(store)
    made = book.set_schedule(book.create("Claimed", [BACKPACK], now=T0), 2, now=T0)
    seen, now = made.next_refresh_at, T0 + timedelta(hours=3)
    assert _claim(store.engine, made.id, seen, 2, now) is True
    assert _claim(store.engine, made.id, seen, 2, now) is False


def test_two_processes_at_the_same_minute_start_one_refresh(store_url_any):
    """Two stores on the same database (two server processes) tick together."""
    stores = [open_store(store_url_any) for _ in range(2)]
    try:
        book = ListBook(stores[0])
        made = book.set_schedule(book.create("Raced", [BACKPACK, BOTTLE], now=T0), 1, now=T0)
        now = T0 + timedelta(hours=1)
        start, started = threading.Barrier(2), []

        def tick(opened):
            start.wait()
            started.append(scheduled_refreshes(opened, JobBoard(opened), now))
        threads = [threading.Thread(target=tick, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(len(ids) for ids in started) == [0, 1]
        assert len(JobBoard(stores[0]).recent(kind=REFRESH, list_id=made.id)) == 1
    finally:
        for opened in stores:
            opened.close()


# --- the change view --------------------------------------------------------------------
def _changed(product, **skus):
    """A copy of a fetched product with some variants' values changed."""
    changed = copy.deepcopy(product)
    frame = changed.skus.copy()
    for sku_id, values in skus.items():
        for column, value in values.items():
            frame.loc[frame["sku_id"].astype(str) == sku_id, column] = value
    changed.skus = frame
    return changed


def _refresh(board, store, list_id, results, at):
    """A finished refresh through the board as a runner records one: each query with a
    Product (saved as a snapshot) or a FetchError."""
    queries = [q for q, _ in results]
    job = board.create(REFRESH, queries, title="Refresh", list_id=list_id, now=at)
    assert board.claim(job.id, "test-runner", now=at)
    for seq, (query, result) in enumerate(results):
        if isinstance(result, Exception):
            board.finish_item(job.id, seq, error=ItemError.of(result), now=at)
        else:
            board.finish_item(job.id, seq, snapshot_id=store.save(result),
                              summary=result_row(query, result), now=at)
    return board.release(job.id, "test-runner", now=at)


@pytest.fixture
def demo_refreshes(sqlite_store):
    """A list of six real demo products, refreshed once."""
    store = sqlite_store
    book, board = ListBook(store), JobBoard(store)
    products = {q.key: fetch_product(q) for q in (BACKPACK, BOTTLE, CASE, EARBUDS, SCALE, MUG)}
    watch = book.create("Watched", [BACKPACK, BOTTLE, CASE, EARBUDS, SCALE], now=T0)
    _refresh(board, store, watch.id, [(q, products[q.key]) for q in watch.queries], T0)
    return store, book, board, watch, products


def test_one_refresh_says_refresh_again(demo_refreshes):
    store, book, board, watch, _ = demo_refreshes
    view = list_changes(board, store, watch)
    assert view.state == ONE_REFRESH
    assert "Refresh again later to see what changed" in view.headline()
    assert view.rows == [] and view.table().empty
    assert {p.status for p in view.products} == {"first"}


def test_change_view_lists_exactly_what_changed(demo_refreshes):
    store, book, board, watch, products = demo_refreshes
    backpack = _changed(products[BACKPACK.key],
                        **{"12000421038262485": {"sale_price": 22.41},     # −10 %
                           "12000421038262502": {"stock": 0}})             # 721 -> sold out
    bottle = _changed(products[BOTTLE.key], **{"12000481863849014": {"sale_price": 13.96}})
    bottle.store.product_rating = 4.4                                      # from 4.9; −2 % price
    book.add(watch, [MUG])
    later = T0 + timedelta(days=1)
    _refresh(board, store, watch.id, [
        (BACKPACK, backpack), (BOTTLE, bottle),
        (CASE, ProductNotFound()), (EARBUDS, NetworkError()),
        (SCALE, products[SCALE.key]), (MUG, products[MUG.key])], later)

    view = list_changes(board, store, book.get("Watched"))
    assert view.state == COMPARED
    titles = {k: p.title for k, p in products.items()}
    assert [(r.product, r.platform, r.product_id, r.change, r.what) for r in view.rows] == [
        (titles[BACKPACK.key], "AliExpress (dropshipping)", BACKPACK.product_id, "Price down",
         "Color: Black · Size: 20L · Ships From: China: sale price 24.90 USD → 22.41 USD "
         "(−10.0 %)"),
        (titles[BACKPACK.key], "AliExpress (dropshipping)", BACKPACK.product_id, "Sold out",
         "Color: Black · Size: 20L · Ships From: United States: sold out (was 721 in stock)"),
        (titles[BOTTLE.key], "AliExpress (dropshipping)", BOTTLE.product_id, "Rating down",
         "Product rating: 4.9 → 4.4"),
        (titles[CASE.key], "AliExpress (dropshipping)", CASE.product_id, "Not found now",
         f"Not found at this refresh; it was there at the previous one ({stamp(T0)}). "
         + ProductNotFound.default_message),
        (titles[EARBUDS.key], "AliExpress (affiliate)", EARBUDS.product_id,
         "Could not be checked", "Could not be checked now: " + NetworkError.default_message),
    ]
    lines = {p.product_id: (p.status, p.text) for p in view.products}
    assert lines[BACKPACK.product_id] == ("changed", "1 price drop, 1 variant sold out")
    assert lines[BOTTLE.product_id] == ("changed", "Product rating: 4.9 → 4.4 (1 price move "
                                                   "under 5 % not listed)")
    assert lines[CASE.product_id][0] == "gone"
    assert lines[EARBUDS.product_id][0] == "not_checked"
    assert lines[SCALE.product_id] == ("unchanged", "No change since the previous refresh.")
    assert lines[MUG.product_id][0] == "first"
    assert view.hidden_moves == 1
    assert view.threshold_note().startswith("Price moves under 5 % are not listed (1 such")
    assert view.headline() == (f"5 changes on 4 products between the refresh of {stamp(T0)} "
                               f"and the refresh of {stamp(later)}.")
    assert list(view.table().columns) == ["Product", "Platform", "Product id", "Change",
                                          "What changed"]

    # A lower threshold lists the 2 % move of the bottle too.
    looser = list_changes(board, store, book.set_threshold(watch, 1.5))
    (move,) = [r for r in looser.rows if r.product_id == BOTTLE.product_id
               and r.kind == "price_down"]
    assert move.what == "SKU 12000481863849014: sale price 14.24 USD → 13.96 USD (−2.0 %)"
    assert looser.hidden_moves == 0


def test_a_product_removed_from_the_list_leaves_its_view(demo_refreshes):
    store, book, board, watch, products = demo_refreshes
    _refresh(board, store, watch.id, [(q, products[q.key]) for q in watch.queries],
             T0 + timedelta(hours=1))
    book.remove(watch, [codec.query_key(BACKPACK)])
    view = list_changes(board, store, book.get("Watched"))
    assert BACKPACK.product_id not in {p.product_id for p in view.products}
    assert view.rows == []
    assert view.headline().startswith("No change between the refresh of")
    assert view.headline().endswith("on the 4 products compared.")


# --- the demo list ----------------------------------------------------------------------
def test_demo_list_with_two_refreshes_of_the_demo_history(sqlite_store):
    from lib.sandbox import DEMO_PRODUCTS
    from lib.store.demo_history import DEMO_HISTORY_VERSION, demo_history_products
    from lib.watchlists import DEMO_LIST, ensure_demo_list

    store, board = sqlite_store, JobBoard(sqlite_store)
    now = datetime.now(timezone.utc)
    store.load_once("demo_history", str(DEMO_HISTORY_VERSION),
                    lambda: demo_history_products(now), source="demo-history")
    made = ensure_demo_list(store, board, now)
    again = ensure_demo_list(store, board, now)          # idempotent
    assert made.id == again.id and made.name == DEMO_LIST and made.demo
    assert [q.key for q in made.queries] == [q.key for q in DEMO_PRODUCTS]
    refreshes = board.recent(kind=REFRESH, list_id=made.id, finished_only=True)
    assert len(refreshes) == 2
    newest, week = refreshes
    assert timedelta(days=29) <= newest.created_at - week.created_at <= timedelta(days=31)
    assert newest.created_at > now - timedelta(days=2)
    assert {j.created_by for j in refreshes} == {"demo"}
    items = board.items(newest.id)
    assert len(items) == len(DEMO_PRODUCTS)
    assert all(i.summary and i.summary["Title"] for i in items)

    view = list_changes(board, store, made)
    assert view.state == COMPARED and view.rows
    assert {r.change for r in view.rows} >= {"Sold out", "Price up"}

    ListBook(store).delete(made)                         # deleted: not made again
    assert ensure_demo_list(store, board, now) is None
    assert ListBook(store).get(DEMO_LIST) is None


def test_a_users_own_list_named_like_the_demo_list_is_left_alone(sqlite_store):
    from lib.watchlists import DEMO_LIST, ensure_demo_list

    book = ListBook(sqlite_store)
    mine = book.create(DEMO_LIST.upper(), [BACKPACK], now=T0)
    found = ensure_demo_list(sqlite_store, JobBoard(sqlite_store), T0)
    assert found.id == mine.id and not found.demo and len(found.queries) == 1
    assert JobBoard(sqlite_store).recent(kind=REFRESH) == []


def test_put_a_typed_name_makes_a_list_else_into_the_picked_one(store):
    book = ListBook(store)
    assert book.put([BACKPACK], new_name="Bags") == ("Bags", "Created the list “Bags” "
                                                             "with 1 product.")
    assert book.put([BOTTLE, BACKPACK], into="Bags") == (
        "Bags", "Added 1 product to “Bags” · 1 was already in it.")
    assert book.put([CASE], new_name="Cases", into="Bags")[0] == "Cases"
    with pytest.raises(ListError):
        book.put([CASE])                                   # no list picked, no name
    assert [q.key for q in book.get("Bags").queries] == [BACKPACK.key, BOTTLE.key]


def test_products_table_from_the_latest_refresh(demo_refreshes):
    from lib.watchlists.tables import file_stem, product_labels, product_rows

    store, book, board, watch, products = demo_refreshes
    book.add(watch, [MUG])
    watch = book.get("Watched")
    (latest,) = board.recent(kind=REFRESH, list_id=watch.id)
    table = product_rows(watch.queries, board.items(latest.id))
    assert list(table["Product id"]) == [q.product_id for q in watch.queries]
    first = table.iloc[0]
    assert (first["Title"], first["Price"], first["Latest check"]) == (
        products[BACKPACK.key].title, "24.90–40.90 USD", "fetched")
    assert first["Last checked"] == stamp(T0) and first["Ship to"] == "US · USD · en"
    assert table.iloc[1]["Price"] == "14.24 USD"                  # one variant: one price
    mug = table.iloc[-1]
    assert (mug["Price"], mug["Last checked"], mug["Latest check"]) == (
        "— not checked yet", "— not checked yet", "not checked yet")
    labels = product_labels(watch.queries, board.items(latest.id))
    assert labels[codec.query_key(MUG)] == f"Alibaba.com {MUG.product_id} (US, USD, en)"
    assert labels[codec.query_key(BOTTLE)].endswith(f"(AliExpress (dropshipping) "
                                                    f"{BOTTLE.product_id}, US)")
    assert file_stem("Back packs / 2026!") == "list-Back-packs-2026"


def test_products_table_says_why_a_check_failed(sqlite_store):
    from lib.watchlists.tables import product_rows

    book, board = ListBook(sqlite_store), JobBoard(sqlite_store)
    watch = book.create("Failing", [CASE], now=T0)
    _refresh(board, sqlite_store, watch.id, [(CASE, ProductNotFound())], T0)
    (latest,) = board.recent(kind=REFRESH, list_id=watch.id)
    row = product_rows(watch.queries, board.items(latest.id)).iloc[0]
    assert (row["Price"], row["Latest check"]) == ("— could not be checked",
                                                   "failed: product not found")


def test_gone_found_again_still_gone_and_cancelled_are_told_apart():
    """The pure part (compare_refreshes) on real demo Facts: what a failure next to a
    success means, and never "no change" for a product not checked now."""
    from lib.jobs import FAILED, ITEM_DONE, SKIPPED, JobItem
    from lib.store import facts_from_product
    from lib.watchlists import compare_refreshes

    backpack = fetch_product(BACKPACK)
    facts = {"a1": facts_from_product(backpack), "a2": facts_from_product(backpack)}
    gone = ItemError.of(ProductNotFound())

    def done(query, snapshot):
        return JobItem("j", 0, query, ITEM_DONE, snapshot_id=snapshot)

    def failed(query, error):
        return JobItem("j", 0, query, FAILED, error=error)

    previous = [done(BACKPACK, "a1"), failed(BOTTLE, gone), failed(CASE, gone),
                done(SCALE, "a1")]
    latest = [done(BACKPACK, "a2"), done(BOTTLE, "a2"), failed(CASE, gone),
              JobItem("j", 3, SCALE, SKIPPED)]
    view = compare_refreshes(latest, previous, facts, threshold_pct=5,
                             order=[BACKPACK, BOTTLE, CASE, SCALE, MUG])
    assert [(r.product_id, r.change, r.what) for r in view.rows] == [
        (BOTTLE.product_id, "Found again",
         "Found again: it was not found at the previous refresh."),
        (SCALE.product_id, "Could not be checked",
         "Not checked: the refresh was cancelled before this product.")]
    assert [(p.product_id, p.status) for p in view.products] == [
        (BACKPACK.product_id, "unchanged"), (BOTTLE.product_id, "changed"),
        (CASE.product_id, "still_gone"), (SCALE.product_id, "not_checked"),
        (MUG.product_id, "not_refreshed")]
    assert view.products[0].product == backpack.title       # from the Facts: no summary
