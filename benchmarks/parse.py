"""parse_payload on the 1,000-SKU, 3-dimension AliExpress payload against json.loads.

The ratio is measured in one run, the timings interleaved round by round (the machine
is shared, so a figure alone means little): best of `rounds` each, in CPU time of this
process (time.process_time: both sides are single-threaded CPU work, and CPU time does
not count the waits for a core another process holds, which wall time on a loaded
2-core machine mostly measures); the wall-clock ratio is printed beside it.
"""
from __future__ import annotations

import copy
import json
import time
import tracemalloc

import msgspec

from benchmarks.synthetic import RESPONSE_KEY, ds_payload
from lib.platforms import parse_payload

TARGET = 3.0


def _distinct_tiers(payload: dict) -> dict:
    """The payload with every SKU's tier prices its own (no two ladders alike)."""
    payload = copy.deepcopy(payload)
    (skus,) = payload[RESPONSE_KEY]["result"]["ae_item_sku_info_dtos"].values()
    for n, sku in enumerate(skus):
        for step, tier in enumerate(sku["wholesale_price_tiers"]["wholesale_price_tier"]):
            tier["wholesale_price"] = f'"{20 + n * 0.01 - step:.2f}"'
    return payload


def _interleaved(actions: dict, rounds: int) -> tuple[dict[str, float], dict[str, float]]:
    """(best CPU time, best wall time) of each action, the actions taking turns."""
    cpu = {name: float("inf") for name in actions}
    wall = dict(cpu)
    for _ in range(rounds):
        for name, action in actions.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            action()
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)
            wall[name] = min(wall[name], time.perf_counter() - start)
    return cpu, wall


def bench_parse(sku_count: int = 1000, rounds: int = 25) -> None:
    payload = ds_payload(sku_count)
    body = json.dumps(payload).encode()
    distinct = json.dumps(_distinct_tiers(payload)).encode()
    decoder = msgspec.json.Decoder()
    parse_payload("aliexpress", body)           # imports and first-call costs out of the way
    best, wall = _interleaved({
        "loads": lambda: json.loads(body),
        "msgspec": lambda: decoder.decode(body),
        "parse": lambda: parse_payload("aliexpress", body),
        "loads_distinct": lambda: json.loads(distinct),
        "parse_distinct": lambda: parse_payload("aliexpress", distinct),
    }, rounds)
    tracemalloc.start()
    product = parse_payload("aliexpress", body)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    loads, ratio = best["loads"], best["parse"] / best["loads"]
    print(f"parse  {sku_count} SKUs x 3 dims, {len(body) / 1e6:.2f} MB, best CPU time "
          f"of {rounds} interleaved: json.loads {loads * 1000:.1f} ms, msgspec decode alone "
          f"{best['msgspec'] * 1000:.1f} ms ({best['msgspec'] / loads:.2f}x), parse_payload "
          f"{best['parse'] * 1000:.1f} ms; {len(product.skus)} SKU rows, "
          f"{len(product.tiers)} tier rows; peak memory {peak / 1e6:.1f} MB")
    print(f"parse  parse_payload vs json.loads: {best['parse'] * 1000:.1f} ms vs "
          f"{loads * 1000:.1f} ms CPU = {ratio:.2f}x (target <= {TARGET:g}x); wall clock "
          f"{wall['parse'] * 1000:.1f} ms vs {wall['loads'] * 1000:.1f} ms = "
          f"{wall['parse'] / wall['loads']:.2f}x")
    print(f"parse  the same with every SKU's tier prices different: "
          f"{best['parse_distinct'] * 1000:.1f} ms vs {best['loads_distinct'] * 1000:.1f} ms "
          f"CPU = {best['parse_distinct'] / best['loads_distinct']:.2f}x (not a target: no "
          f"two SKUs share a price ladder)")


if __name__ == "__main__":
    bench_parse()
