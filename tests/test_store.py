"""The store (lib/store) on both backends: an SQLite file and a real PostgreSQL.

Every test that can run on both takes `store_url_any` (tests/pg_fixtures.py): the same
assertions once per backend, on the real demo products (demo mode, no network).
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import re
import socket
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal

from lib.client import fetch_product
from lib.sandbox import DEMO_PRODUCTS

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "lib" / "store" / "migrations"
SNAPSHOT_ID = re.compile(r"^[A-Za-z0-9_-]{12}$")
T1 = datetime(2026, 11, 20, 9, 15, 30, 123456, tzinfo=timezone.utc)
T2 = datetime(2026, 11, 21, 18, 2, 7, 654321, tzinfo=timezone.utc)
FRAMES = ("skus", "tiers", "lead_times", "country_prices", "attributes")
PASSWORD = "Sup3r-s3cret-pw"


# --- helpers ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _fetched(key: str):
    query = next(q for q in DEMO_PRODUCTS if q.key == key)
    return fetch_product(query)


def demo_product(key: str, fetched_at: datetime = T1):
    """A private copy of the demo product (tests change prices and times freely)."""
    product = copy.deepcopy(_fetched(key))
    product.fetched_at = fetched_at
    return product


def with_sale_price(product, position: int, sale_price: float, fetched_at: datetime):
    """The same product seen later with one variant's sale price changed."""
    changed = copy.deepcopy(product)
    changed.fetched_at = fetched_at
    skus = changed.skus.copy()
    skus.loc[skus.index[position], "sale_price"] = sale_price
    changed.skus = skus
    return changed


def largest_demo_key() -> str:
    return max(DEMO_PRODUCTS, key=lambda q: len(_fetched(q.key).skus)).key


def count(url: str, table: str, where: str = "") -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(f"SELECT COUNT(*) FROM {table} {where}")).scalar_one()
    finally:
        engine.dispose()


def rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql))]
    finally:
        engine.dispose()


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]      # nobody listens once this socket is closed


@pytest.fixture
def store(store_url_any):
    from lib.store import open_store

    opened = open_store(store_url_any)
    yield opened
    opened.close()


# --- the test PostgreSQL itself -----------------------------------------------------------

def test_throwaway_postgresql_takes_a_plain_sqlalchemy_connection(pg_url):
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE t (x int)"))
            connection.execute(sa.text("INSERT INTO t VALUES (1), (2)"))
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT sum(x) FROM t")).scalar_one() == 2 + 1
            assert connection.execute(sa.text("SHOW fsync")).scalar_one() == "off"
    finally:
        engine.dispose()


def test_each_test_gets_an_empty_database(pg_url):
    tables = rows(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert tables == []


# --- migrations ---------------------------------------------------------------------------

def test_open_store_migrates_to_head_once(store_url_any):
    from alembic.script import ScriptDirectory

    from lib.store import open_store

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head
    first = open_store(store_url_any)
    try:
        assert rows(store_url_any, "SELECT version_num FROM alembic_version") == [(head,)]
        snapshot_id = first.save(demo_product(DEMO_PRODUCTS[0].key))
    finally:
        first.close()
    again = open_store(store_url_any)      # a second open changes nothing, loses nothing
    try:
        assert rows(store_url_any, "SELECT version_num FROM alembic_version") == [(head,)]
        assert count(store_url_any, "snapshots") == 1
        assert again.load(snapshot_id).title == _fetched(DEMO_PRODUCTS[0].key).title
    finally:
        again.close()


def test_store_names_its_backend(store, store_url_any):
    assert store.dialect == store_url_any.split(":")[0].split("+")[0]


# --- save and load ------------------------------------------------------------------------

@pytest.mark.parametrize("key", [q.key for q in DEMO_PRODUCTS])
def test_every_demo_product_comes_back_as_saved(store, key):
    saved = demo_product(key)
    snapshot_id = store.save(saved)
    assert SNAPSHOT_ID.match(snapshot_id), snapshot_id

    loaded = store.load(snapshot_id)

    assert loaded is not None
    for name in FRAMES:
        assert_frame_equal(getattr(loaded, name), getattr(saved, name), obj=name)
    assert loaded.sku_properties == saved.sku_properties
    assert loaded.store == saved.store            # every field, ratings included
    assert loaded.media.images == saved.media.images
    assert loaded.media.videos == saved.media.videos
    assert loaded.trade == saved.trade
    for name in ("platform", "product_id", "title", "url", "category", "status", "currency",
                 "demo", "description_html", "alt_ids", "warnings", "not_provided", "query",
                 "raw", "raw_cut"):
        assert getattr(loaded, name) == getattr(saved, name), name
    assert loaded.demo is True
    assert loaded.fetched_at == T1
    assert loaded.fetched_at.utcoffset() == timedelta(0)
    assert loaded.fetched_at.microsecond == T1.microsecond
    assert loaded.snapshot_id == snapshot_id
    assert loaded.pinned is True


def test_load_of_an_unknown_id_is_none(store):
    assert store.load("AAAAAAAAAAAA") is None


def test_tuya_currency_survives_the_round_trip(store):
    tuya = [q for q in DEMO_PRODUCTS if q.platform == "tuya"]
    assert tuya, "the demo catalogue has Tuya products"
    for query in tuya:
        saved = demo_product(query.key)
        assert saved.currency == "EUR" and query.currency == "USD"   # what makes it a test
        snapshot_id = store.save(saved)
        loaded = store.load(snapshot_id)
        assert loaded.currency == "EUR"
        assert loaded.skus["currency"].tolist() == ["EUR"] * len(saved.skus)
        facts = store.previous(query, before=T1 + timedelta(seconds=1))
        assert facts.currency == "EUR"
        assert facts.skus["currency"].tolist() == ["EUR"] * len(saved.skus)
        assert store.history(query).snapshots["currency"].tolist() == ["EUR"]


def test_save_many_writes_every_product(store):
    products = [demo_product(q.key) for q in DEMO_PRODUCTS[:3]]
    ids = store.save_many(products, source="fetch")
    assert len(ids) == len(set(ids)) == 3
    for snapshot_id, product in zip(ids, products):
        assert store.load(snapshot_id).title == product.title


def test_times_come_back_as_the_same_instant_in_utc(store):
    india = timezone(timedelta(hours=5, minutes=30))
    seen = datetime(2026, 11, 22, 23, 59, 59, 999999, tzinfo=india)
    snapshot_id = store.save(demo_product(DEMO_PRODUCTS[0].key, seen))
    loaded = store.load(snapshot_id)
    assert loaded.fetched_at == seen
    assert loaded.fetched_at.utcoffset() == timedelta(0)
    assert loaded.fetched_at.isoformat() == "2026-11-22T18:29:59.999999+00:00"


def test_a_time_without_a_zone_is_refused_with_a_store_error(store):
    from lib.store import StoreError

    with pytest.raises(StoreError) as caught:
        store.save(demo_product(DEMO_PRODUCTS[0].key, datetime(2026, 11, 22, 12, 0)))
    _assert_plain(caught.value.user_message)
    assert store.history(DEMO_PRODUCTS[0]).empty      # nothing half-written


HOSTILE = ["[sign in](https://evil.example) \u200b\u202e RTL", "emoji \U0001F600 and \u00e9",
           "'; DROP TABLE snapshots; --", "tab\tnew\nline", "NUL\x00byte",
           'quote " backslash \\ placeholders %s %(title)s :title ?',
           "x" * 20_000]


def test_outside_text_comes_back_unchanged(store):
    """Payload text is stored as sent, on both backends (PostgreSQL text refuses NUL)."""
    product = demo_product(DEMO_PRODUCTS[0].key)
    product.title = " | ".join(HOSTILE)
    product.status = HOSTILE[4]
    product.store.name = HOSTILE[2]
    product.store.sales_text = HOSTILE[3]
    product.warnings = list(HOSTILE)
    skus = product.skus.copy()
    skus["sku_id"] = [f"{HOSTILE[4]}-{i}" for i in range(len(skus))]
    skus[product.sku_properties[0]] = HOSTILE[1]
    product.skus = skus
    snapshot_id = store.save(product)

    loaded = store.load(snapshot_id)

    assert loaded.title == product.title
    assert loaded.status == product.status
    assert loaded.store == product.store
    assert loaded.warnings == product.warnings
    assert_frame_equal(loaded.skus, product.skus)
    # the history rows may drop or replace a NUL (PostgreSQL text cannot hold one), but
    # the rest of the text stays as sent
    facts = store.previous(product.query, before=T1 + timedelta(seconds=1))
    assert _without_nul(facts.title) == _without_nul(product.title)
    assert [_without_nul(s) for s in facts.skus["sku_id"]] == [
        _without_nul(s) for s in skus["sku_id"]]


def _without_nul(text: str) -> str:
    return text.replace("\x00", "").replace("\ufffd", "")


# --- dedupe -------------------------------------------------------------------------------

def test_an_unchanged_answer_is_stored_once(store, store_url_any):
    key = largest_demo_key()
    store.save(demo_product(key, T1))
    blobs_after_first = count(store_url_any, "blobs")
    assert count(store_url_any, "blobs", "WHERE kind = 'raw'") == 1

    store.save(demo_product(key, T2))

    assert count(store_url_any, "snapshots") == 2
    assert count(store_url_any, "blobs") == blobs_after_first
    assert count(store_url_any, "blobs", "WHERE kind = 'raw'") == 1

    changed = with_sale_price(demo_product(key, T2), 0, 1.23, T2 + timedelta(hours=1))
    store.save(changed)

    assert count(store_url_any, "snapshots") == 3
    assert count(store_url_any, "blobs") <= blobs_after_first + 1


# --- history and previous -----------------------------------------------------------------

def _two_snapshots(store):
    """The largest demo product at T1, then at T2 with one variant's sale price cut."""
    key = largest_demo_key()
    first = demo_product(key, T1)
    position = 3
    old_price = float(first.skus["sale_price"].iloc[position])
    new_price = round(old_price * 0.8, 2)
    second = with_sale_price(first, position, new_price, T2)
    id1, id2 = store.save(first), store.save(second)
    sku_id = first.skus["sku_id"].iloc[position]
    return first, second, id1, id2, sku_id, old_price, new_price


def test_history_has_every_variant_of_every_snapshot(store):
    first, second, id1, id2, sku_id, old_price, new_price = _two_snapshots(store)
    assert old_price != new_price

    history = store.history(first.query)

    n_skus = len(first.skus)
    assert not history.empty
    assert history.properties == first.sku_properties
    assert history.snapshots["snapshot_id"].tolist() == [id1, id2]
    assert list(history.snapshots["fetched_at"]) == [pd.Timestamp(T1), pd.Timestamp(T2)]
    assert str(history.snapshots["fetched_at"].dtype) == "datetime64[ns, UTC]"
    assert history.snapshots["sku_count"].tolist() == [n_skus, n_skus]
    for row, product in zip(history.snapshots.itertuples(), (first, second)):
        low, high = product.price_range("sale_price")
        assert (row.price_min, row.price_max) == (low, high)

    assert len(history.skus) == 2 * n_skus
    assert str(history.skus["fetched_at"].dtype) == "datetime64[ns, UTC]"
    assert history.skus["fetched_at"].is_monotonic_increasing
    assert history.skus["snapshot_id"].tolist() == [id1] * n_skus + [id2] * n_skus
    changed = history.skus[history.skus["sku_id"] == sku_id]
    assert changed["sale_price"].tolist() == [old_price, new_price]
    others = history.skus[history.skus["sku_id"] != sku_id]
    first_half, second_half = (others[others["snapshot_id"] == i] for i in (id1, id2))
    assert first_half["sale_price"].tolist() == second_half["sale_price"].tolist()
    for prop in first.sku_properties:
        assert history.skus[prop].tolist() == first.skus[prop].tolist() * 2

    ratings = history.ratings
    assert len(ratings) == 2 * len(first.store.ratings) > 0
    assert dict(zip(ratings["label"], ratings["score"])) == first.store.ratings
    assert ratings["snapshot_id"].tolist() == ([id1] * len(first.store.ratings)
                                               + [id2] * len(first.store.ratings))

    timeline = history.timeline()
    assert [facts.snapshot_id for facts in timeline] == [id1, id2]
    assert [facts.fetched_at for facts in timeline] == [T1, T2]


def test_history_of_a_query_never_saved_is_empty(store):
    store.save(demo_product(DEMO_PRODUCTS[0].key))
    never_saved = next(q for q in DEMO_PRODUCTS if q.key != DEMO_PRODUCTS[0].key)
    history = store.history(never_saved)
    assert history.empty
    assert len(history.snapshots) == 0 and len(history.skus) == 0


def test_previous_gives_the_snapshot_before(store):
    from lib.store import facts_from_product

    first, second, id1, id2, sku_id, old_price, _ = _two_snapshots(store)

    before = store.previous(first.query, before=T2, exclude=id2)

    assert before is not None
    assert before.snapshot_id == id1
    assert before.fetched_at == T1
    shown = facts_from_product(first)
    for name in ("demo", "title", "status", "currency", "properties", "product_rating",
                 "review_count", "sales_count", "sales_text", "ratings"):
        assert getattr(before, name) == getattr(shown, name), name
    assert_frame_equal(before.skus.reset_index(drop=True), shown.skus.reset_index(drop=True))
    assert before.skus.loc[before.skus["sku_id"] == sku_id, "sale_price"].tolist() == [old_price]
    # exclude is what skips the snapshot on screen, even when it is older than `before`
    assert store.previous(first.query, before=T2 + timedelta(days=1), exclude=id2
                          ).snapshot_id == id1
    assert store.previous(first.query, before=T2 + timedelta(days=1)).snapshot_id == id2
    assert store.previous(first.query, before=T1) is None


# --- prune --------------------------------------------------------------------------------

def test_prune_deletes_old_snapshots_and_only_orphaned_blobs(store, store_url_any):
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    old, recent = now - timedelta(days=40), now - timedelta(days=5)
    only_old_key, kept_key = DEMO_PRODUCTS[1].key, largest_demo_key()
    assert only_old_key != kept_key
    gone = store.save(demo_product(only_old_key, old))
    shared_old = store.save(demo_product(kept_key, old))
    kept = store.save(with_sale_price(demo_product(kept_key), 0, 2.5, recent))

    assert store.prune(older_than_days=30, now=now) == 2

    assert store.load(gone) is None and store.load(shared_old) is None
    assert rows(store_url_any, "SELECT id FROM snapshots") == [(kept,)]
    referenced = {sha for shas in rows(store_url_any,
                                       "SELECT doc_sha, raw_sha, variants_sha FROM snapshots")
                  for sha in shas if sha}
    assert {sha for (sha,) in rows(store_url_any, "SELECT sha256 FROM blobs")} == referenced
    survivor = store.load(kept)         # its blobs, shared with a pruned one, are still there
    assert survivor.raw == _fetched(kept_key).raw
    assert survivor.skus["sale_price"].iloc[0] == 2.5
    assert store.prune(older_than_days=30, now=now) == 0


# --- the writer thread --------------------------------------------------------------------

def test_submit_returns_at_once_and_saves_in_the_background(store):
    product = demo_product(largest_demo_key())
    snapshot_id = store.submit(product)
    assert SNAPSHOT_ID.match(snapshot_id), snapshot_id
    deadline = time.monotonic() + 10
    status = store.status(snapshot_id)
    while status == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
        status = store.status(snapshot_id)
    assert status == "saved"
    loaded = store.load(snapshot_id)
    assert loaded.snapshot_id == snapshot_id
    assert_frame_equal(loaded.skus, product.skus)


def test_a_failed_background_write_reports_its_store_error(store):
    from lib.store import StoreError

    product = demo_product(DEMO_PRODUCTS[0].key)
    product.query = None                         # nothing to file it under
    snapshot_id = store.submit(product)
    deadline = time.monotonic() + 10
    while store.status(snapshot_id) == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    outcome = store.status(snapshot_id)
    assert isinstance(outcome, StoreError), outcome
    _assert_plain(outcome.user_message)
    assert store.load(snapshot_id) is None


# Imports first, then every process opens the store on the same "go" line.
OPEN_STORE = """import sys
from lib.store import open_store
print("ready", flush=True)
sys.stdin.readline()
open_store(sys.argv[1]).close()
"""


def test_two_processes_opening_a_new_store_at_once_both_succeed(store_url_any):
    """App replicas starting together all run the migrations on an empty database."""
    import subprocess
    import sys

    starts = [subprocess.Popen([sys.executable, "-c", OPEN_STORE, store_url_any], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    try:
        for process in starts:
            assert process.stdout.readline().strip() == "ready"
        for process in starts:
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=60)[0] for process in starts]
    finally:
        for process in starts:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    assert [process.returncode for process in starts] == [0, 0, 0], outputs
    assert count(store_url_any, "alembic_version") == 1


def test_two_threads_opening_a_new_store_at_once_both_succeed(store_url_any):
    """Two sessions of one app process asking for the store at the same moment. Daemon
    threads with a deadline: a deadlock fails the test instead of hanging the suite (the
    database of the PostgreSQL case is dropped WITH (FORCE) afterwards, freeing them)."""
    import threading

    from lib.store import open_store

    outcomes: list = []
    threads = [threading.Thread(target=lambda: outcomes.append(_try(open_store, store_url_any)),
                                daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stores = [o for o in outcomes if not isinstance(o, BaseException)]
    try:
        assert not any(t.is_alive() for t in threads), "open_store deadlocked (30 s)"
        assert len(stores) == 2, outcomes
        assert count(store_url_any, "alembic_version") == 1
        snapshot_id = stores[0].save(demo_product(DEMO_PRODUCTS[0].key))
        assert stores[1].load(snapshot_id) is not None
    finally:
        for opened in stores:
            opened.close()


def _try(function, *args):
    try:
        return function(*args)
    except BaseException as error:         # handed to the test thread to assert on
        return error


# --- failures -----------------------------------------------------------------------------

def _assert_plain(message: str) -> None:
    assert isinstance(message, str) and message.strip()
    for technical in ("Traceback", "OperationalError", "sqlalchemy", "psycopg.", "(Background"):
        assert technical not in message, message


def test_an_sqlite_path_that_cannot_be_created_is_a_store_error(tmp_path):
    from lib.store import StoreError, open_store

    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the store's folder should be")
    with pytest.raises(StoreError) as caught:
        open_store(f"sqlite:///{not_a_folder}/explorer.db")
    _assert_plain(caught.value.user_message)


def test_an_unreachable_postgresql_is_a_store_error_without_the_password():
    from lib.store import StoreError, open_store

    url = f"postgresql+psycopg://explorer:{PASSWORD}@127.0.0.1:{closed_port()}/explorer"
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        open_store(url)
    assert time.monotonic() - started < 10
    error = caught.value
    _assert_plain(error.user_message)
    for text in (error.user_message, str(error), repr(error)):
        assert PASSWORD not in text, text


def test_the_store_url_text_hides_the_password(pg_cluster, pg_url):
    from lib.store import open_store

    # trust authentication ignores the password, so it can stand in the URL for real
    with_password = pg_url.replace("postgres@", f"postgres:{PASSWORD}@")
    opened = open_store(with_password)
    try:
        assert opened.dialect == "postgresql"
        assert PASSWORD not in opened.url_text
        assert str(pg_cluster.port) in opened.url_text
    finally:
        opened.close()


def test_snapshot_ids_are_letters_and_digits_only():
    """A pinned link's id lands in spreadsheets too (the history exports): never "-…"
    (a formula start, exported with a quote) and never a repeat."""
    import re

    from lib.store.store import new_snapshot_id

    ids = {new_snapshot_id() for _ in range(5000)}
    assert len(ids) == 5000
    assert all(re.fullmatch(r"[A-Za-z0-9]{12}", i) for i in ids)
