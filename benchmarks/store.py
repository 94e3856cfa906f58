"""Snapshot store figures, printed and never asserted: `python -m benchmarks store`.

1. snapshot write time per product against its fetch-and-parse time (45 and 1,000 SKUs),
   and what Store.submit costs the page's thread;
2. history and previous() for one product with 365 daily snapshots of 100 SKUs;
3. database size per 1,000 snapshots (SQLite file, WAL checkpointed first);
4. 1 and 2 again on PostgreSQL: EXPLORER_BENCH_PG_URL (a database the benchmark may
   create a schema in; it drops that schema afterwards), else a throwaway cluster from
   tools/pg_cluster.py when PostgreSQL is installed, else skipped.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import sqlalchemy as sa

from benchmarks.synthetic import RESPONSE_KEY, ds_payload
from lib.client import fetch_product
from lib.model import Product
from lib.platforms import parse_payload
from lib.query import ProductQuery
from lib.sandbox import DEMO_PRODUCTS
from lib.sandbox.gateway import load_fixture
from lib.store import Store, open_store

HISTORY_GOAL_MS = 50.0
HISTORY_DAYS, HISTORY_SKUS = 365, 100
BACKPACK_DAYS = 1000
SYNTHETIC_QUERY = ProductQuery("aliexpress", "1005009999999999")
HISTORY_QUERY = ProductQuery("aliexpress", "1005009999990100")
DAY0 = datetime(2025, 1, 1, 9, 0, tzinfo=timezone.utc)


def median_ms(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def timed_ms(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- products ----------------------------------------------------------------------------
def _sku_list(payload: dict) -> list[dict]:
    (skus,) = payload[RESPONSE_KEY]["result"]["ae_item_sku_info_dtos"].values()
    return skus


def daily_payloads(payload: dict, days: int) -> Iterator[bytes]:
    """The payload as fetched on each of `days` days: every sale price moves a little
    every day (a slow wave, so most days differ from the day before) and stock drifts,
    some variants selling out for a while. Bytes, so each parse gets its own raw copy."""
    skus = _sku_list(payload)
    base = [(float(s["offer_sale_price"]), int(s.get("sku_available_stock") or 0)) for s in skus]
    for day in range(days):
        for n, (sku, (price, stock)) in enumerate(zip(skus, base)):
            sku["offer_sale_price"] = f"{price * (1 + 0.08 * math.sin((day + n) / 9)):.2f}"
            sku["sku_available_stock"] = max(0, (stock + day * 7 * (1 - 2 * (n % 2))) % 600 - 40)
        yield json.dumps(payload).encode()


def daily_products(payload: dict, days: int, query: ProductQuery) -> list[Product]:
    products = []
    for day, body in enumerate(daily_payloads(payload, days)):
        product = parse_payload("aliexpress", body, query)
        product.fetched_at = DAY0 + timedelta(days=day)
        products.append(product)
    return products


# --- stores ------------------------------------------------------------------------------
@contextlib.contextmanager
def sqlite_store(folder: str, name: str) -> Iterator[Store]:
    store = open_store(f"sqlite:///{folder}/{name}.db")
    try:
        yield store
    finally:
        store.close()


def sqlite_size(store: Store) -> int:
    """The file's bytes with the write-ahead log folded in (and so emptied)."""
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(store.engine.url.database)
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def size_breakdown(store: Store) -> str:
    """Where the bytes are: the variant rows (with their key index), the snapshot rows,
    the blobs (how many of each kind); SQLite's dbstat table, when it is compiled in."""
    with store.engine.connect() as connection:
        blobs = connection.exec_driver_sql(
            "SELECT kind, COUNT(*), SUM(LENGTH(data)) FROM blobs GROUP BY kind ORDER BY kind"
        ).all()
        try:
            pages = dict(connection.exec_driver_sql(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").all())
        except sa.exc.DBAPIError:
            pages = {}
    parts = []
    if pages:
        tables = {"snapshot rows (variant values packed in them)": ("snapshots", "sqlite_autoindex_snapshots_1",
                                    "ix_snapshots_query_time", "ix_snapshots_fetched_at"),
                  "blobs": ("blobs", "sqlite_autoindex_blobs_1")}
        parts += [f"{label} {sum(pages.get(n, 0) for n in names) / 1e6:.2f} MB"
                  for label, names in tables.items()]
    kinds = ", ".join(f"{count} {kind} {size / 1e3:.0f} kB" for kind, count, size in blobs)
    return "; ".join(parts) + f" (blobs: {kinds})"


@contextlib.contextmanager
def postgres_url() -> Iterator[tuple[str | None, str]]:
    """(url, where) of an empty PostgreSQL database, or (None, why it was skipped)."""
    given = os.environ.get("EXPLORER_BENCH_PG_URL", "").strip()
    if given:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(given, connect_args={"connect_timeout": 5})
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        except Exception as exc:
            engine.dispose()
            yield None, f"EXPLORER_BENCH_PG_URL could not be used ({type(exc).__name__}: " \
                        f"{str(exc).strip().splitlines()[0][:160]})"
            return
        url = sa.make_url(given).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False), "EXPLORER_BENCH_PG_URL"
        finally:
            with engine.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            engine.dispose()
        return
    try:
        from tools.pg_cluster import find_bin_dir, running_cluster
    except Exception as exc:
        yield None, f"EXPLORER_BENCH_PG_URL not set and tools/pg_cluster.py not usable ({exc})"
        return
    if find_bin_dir() is None:
        yield None, "EXPLORER_BENCH_PG_URL not set and PostgreSQL is not installed"
        return
    with running_cluster() as cluster:
        yield cluster.create_database("bench"), "a throwaway local cluster (tools/pg_cluster.py)"


# --- 1. writes ---------------------------------------------------------------------------
def fetch_backpack() -> Product:
    return fetch_product(DEMO_PRODUCTS[0], qps=1000)


def parse_synthetic(body: bytes) -> Callable[[], Product]:
    return lambda: parse_payload("aliexpress", body, SYNTHETIC_QUERY)


def bench_writes(store: Store, label: str, obtain: Callable[[], Product], obtain_what: str,
                 runs: int, tag: str) -> None:
    obtain_ms = median_ms(5, obtain)
    product = obtain()

    def save_fresh():
        product.fetched_at = _now()
        store.save(product)

    product.fetched_at = _now()
    first_ms = timed_ms(lambda: store.save(product))
    save_ms = median_ms(runs, save_fresh)

    caller, done, ids = [], [], []
    for _ in range(runs):
        product.fetched_at = _now()
        start = time.perf_counter()
        ids.append(store.submit(product))
        caller.append(time.perf_counter() - start)
        store.wait(ids[-1], 30)              # one at a time: the writer idle at each submit
        done.append(time.perf_counter() - start)
    failed = [store.status(i) for i in ids if store.status(i) != "saved"]
    caller_ms, done_ms = (statistics.median(t) * 1000 for t in (caller, done))
    print(f"store  {tag}snapshot write, {label}: {save_ms:.1f} ms (median of {runs}), first "
          f"save {first_ms:.1f} ms (later saves share the stored blobs) ({obtain_what} "
          f"{obtain_ms:.0f} ms: {save_ms / obtain_ms:.2f}x); on the page's thread (submit): "
          f"{caller_ms:.2f} ms, saved {done_ms:.1f} ms after it"
          + (f"; {len(failed)} submits failed: {failed[0]}" if failed else ""))


# --- 2. history --------------------------------------------------------------------------
def bench_history(store: Store, products: list[Product], tag: str) -> None:
    load_ms = timed_ms(lambda: store.save_many(products, source="fetch"))
    history = store.history(HISTORY_QUERY)
    history_ms = median_ms(5, lambda: store.history(HISTORY_QUERY))
    latest = products[-1]
    previous_ms = median_ms(5, lambda: store.previous(HISTORY_QUERY, latest.fetched_at))
    print(f"store  {tag}history, {len(history.snapshots)} snapshots x {HISTORY_SKUS} SKUs "
          f"({len(history.skus)} variant rows): store.history {history_ms:.1f} ms "
          f"= {history_ms / HISTORY_GOAL_MS:.2f}x the goal (under {HISTORY_GOAL_MS:.0f} ms); "
          f"store.previous {previous_ms:.1f} ms; save_many of all {load_ms / 1000:.2f} s")


# --- 3. size -----------------------------------------------------------------------------
def report_size(store: Store, label: str, snapshots: int) -> None:
    size = sqlite_size(store)
    print(f"store  size, {label}: {size / 1e6:.2f} MB for {snapshots} snapshots = "
          f"{size / snapshots * 1000 / 1e6:.1f} MB per 1,000 snapshots; {size_breakdown(store)}")


def bench_store() -> None:
    started = time.perf_counter()
    synthetic_body = json.dumps(ds_payload(1000, SYNTHETIC_QUERY.product_id)).encode()
    history_products = daily_products(ds_payload(HISTORY_SKUS, HISTORY_QUERY.product_id),
                                      HISTORY_DAYS, HISTORY_QUERY)
    built_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        with sqlite_store(folder, "writes") as store:
            bench_writes(store, "45 SKUs (demo backpack)", fetch_backpack, "fetch+parse", 9, "")
            bench_writes(store, "1,000 SKUs (synthetic)", parse_synthetic(synthetic_body),
                         "parse", 5, "")
        with sqlite_store(folder, "history") as store:
            bench_history(store, history_products, "")
            report_size(store, f"{HISTORY_DAYS} days x {HISTORY_SKUS} SKUs, prices moving daily",
                        HISTORY_DAYS)
        backpack = load_fixture(DEMO_PRODUCTS[0].platform, DEMO_PRODUCTS[0].product_id)
        with sqlite_store(folder, "backpack") as store:
            store.save_many(daily_products(backpack, BACKPACK_DAYS, DEMO_PRODUCTS[0]),
                            source="fetch")
            report_size(store, f"{BACKPACK_DAYS} days of the 45-SKU backpack, a price change "
                        "every day", BACKPACK_DAYS)
    with postgres_url() as (url, where):
        if url is None:
            print(f"store  PostgreSQL skipped: {where}")
        else:
            print(f"store  PostgreSQL: {where}")
            store = open_store(url)
            try:
                bench_writes(store, "45 SKUs (demo backpack)", fetch_backpack, "fetch+parse",
                             9, "[pg] ")
                bench_writes(store, "1,000 SKUs (synthetic)", parse_synthetic(synthetic_body),
                             "parse", 5, "[pg] ")
                bench_history(store, history_products, "[pg] ")
            finally:
                store.close()
    print(f"store  (built the {HISTORY_DAYS} history products in {built_s:.1f} s; "
          f"whole store benchmark {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    bench_store()
