"""Run every benchmark and print the figures: `make bench` (or python -m benchmarks)."""
from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

import lib.sandbox.gateway as gateway
from benchmarks.synthetic import ds_payload, write_fixture_dir
from lib.client import fetch_many, fetch_product
from lib.query import ProductQuery
from lib.sandbox import SandboxGateway, SandboxTransport

ROOT = Path(__file__).resolve().parents[1]


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_batch(count: int = 200, qps: float = 50.0, latency: float = 0.1) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ids = [str(1005000000000000 + i) for i in range(count)]
        payload = ds_payload(45)
        gateway.FIXTURES = write_fixture_dir(Path(tmp), {i: payload for i in ids})
        queries = [ProductQuery("aliexpress", i) for i in ids]
        floor = count / qps

        sandbox = SandboxGateway(latency_s=latency, qps_limit=qps)
        start = time.perf_counter()
        results = fetch_many(queries, transport=SandboxTransport(sandbox), qps=qps,
                             concurrency=16)
        elapsed = time.perf_counter() - start
        failed = sum(not hasattr(r, "skus") for r in results)
        print(f"batch  {count} products, {latency * 1000:.0f} ms latency, gateway limit "
              f"{qps:.0f}/s: fetch_many {elapsed:.2f} s (floor {floor:.2f} s, "
              f"{(elapsed / floor - 1) * 100:+.1f}%; target within 15%), ban answers "
              f"{sandbox.rate_limited} (target 0), failed {failed}, calls {sandbox.calls}")

        sandbox = SandboxGateway(latency_s=latency, qps_limit=qps)
        transport = SandboxTransport(sandbox)
        start = time.perf_counter()
        for query in queries:
            fetch_product(query, transport=transport, qps=qps)
        sequential = time.perf_counter() - start
        print(f"batch  sequential one-by-one loop over the same transport: {sequential:.2f} s "
              f"({sequential / elapsed:.1f}x slower), ban answers {sandbox.rate_limited}")
        gateway.FIXTURES = Path(gateway.__file__).parent / "fixtures"


def bench_pages(sku_count: int = 500) -> None:
    from streamlit.testing.v1 import AppTest

    product_id = "1005009999999999"
    with tempfile.TemporaryDirectory() as tmp:
        gateway.FIXTURES = write_fixture_dir(Path(tmp), {product_id: ds_payload(sku_count)})
        for page in ("overview", "sku_matrix", "price_tiers", "store_ratings",
                     "media_gallery", "raw_data", "compare"):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.query_params.update({"platform": "aliexpress", "id": product_id})
            if page == "compare":
                at.query_params["p"] = [f"aliexpress:{product_id}",
                                        "aliexpress:1005006789012345"]
            start = time.perf_counter()
            at.run()         # a new session: fetch + parse (cached per query after that)
            session = time.perf_counter() - start
            start = time.perf_counter()
            if page != "overview":
                at.switch_page(f"views/{page}.py")
            at.run()
            first = time.perf_counter() - start
            start = time.perf_counter()
            at.run()
            rerun = time.perf_counter() - start
            status = "error" if at.exception else "ok"
            print(f"pages  {page:<14} {sku_count} SKUs: new session {session * 1000:6.0f} ms, "
                  f"first run {first * 1000:6.0f} ms, rerun {rerun * 1000:6.0f} ms ({status})")
        gateway.FIXTURES = Path(gateway.__file__).parent / "fixtures"


# In `make bench`'s order: the quick in-process figures first, then the real servers and
# browsers, the suite last (it takes about its own target, three minutes).
BENCHMARKS = ("parse", "batch", "pages", "store", "jobs", "report", "first_chart",
              "fairness", "load", "suite")


def main() -> None:
    which = [name for name in BENCHMARKS if name in set(sys.argv[1:]) or len(sys.argv) == 1]
    unknown = set(sys.argv[1:]) - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; "
                 f"choose from {', '.join(BENCHMARKS)}")
    print(f"python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for name in which:
        if name in ("batch", "pages"):
            globals()[f"bench_{name}"]()
        else:
            module = importlib.import_module(f"benchmarks.{name}")
            getattr(module, f"bench_{name}")()


if __name__ == "__main__":
    main()
