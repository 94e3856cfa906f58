"""The shared HTTP demo gateway (lib/sandbox/server.py) and its client transport
(lib/sandbox/remote.py): a real server in a subprocess, always stopped."""
from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time

import httpx
import pandas as pd
import pytest

import lib.client as client_module
from lib.client import RetryPolicy, fetch_product
from lib.errors import FetchError, NetworkError, ProductNotFound
from lib.platforms import PLATFORMS
from lib.query import ProductQuery
from lib.sandbox import DEMO_CREDENTIALS, DEMO_PRODUCTS, SandboxTransport
from lib.sandbox.gateway import FIXTURES
from lib.sandbox.remote import GatewayTransport, gateway_transport_from_env
from conftest import ROOT

START_TIMEOUT_S = 15
LINE = re.compile(r"^demo gateway listening on (http://127\.0\.0\.1:(\d+)) "
                  r"\((limit [\d.]+/s|no limit), latency [\d.]+ ms\)$")
BOTTLE = ProductQuery("aliexpress", "1005005432109876")
ONE_PER_PLATFORM = list({q.platform: q for q in reversed(DEMO_PRODUCTS)}.values())


@contextlib.contextmanager
def gateway_process(*options: str):
    """(process, url, start line) of a gateway on a free port; stopped on the way out."""
    env = {k: v for k, v in os.environ.items() if k != "EXPLORER_DEMO_FIXTURES"}
    process = subprocess.Popen(
        [sys.executable, "-m", "lib.sandbox.server", "--host", "127.0.0.1", "--port", "0",
         *options], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_S)
        line = process.stdout.readline().rstrip("\n") if ready else ""
        match = LINE.match(line)
        assert match, f"no start line: {line!r} {process.poll()=}"
        yield process, match.group(1), line
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        process.stderr.close()


@pytest.fixture(scope="module")
def open_gateway():
    with gateway_process("--qps", "0", "--latency-ms", "0") as (_, url, _line):
        yield url


@pytest.fixture(scope="module")
def limited_gateway():
    with gateway_process("--qps", "5", "--latency-ms", "100") as (_, url, line):
        assert line.endswith("(limit 5/s, latency 100 ms)")
        yield url


def stats(url: str, log: bool = False) -> dict:
    return httpx.get(f"{url}/_sandbox/stats", params={"log": "1"} if log else None).json()


def reset(url: str) -> None:
    assert httpx.post(f"{url}/_sandbox/reset").json() == {"ok": True}


def signed(query: ProductQuery = BOTTLE) -> httpx.Request:
    return PLATFORMS[query.platform].build_request(
        query, DEMO_CREDENTIALS[query.platform], timestamp_ms=int(time.time() * 1000))


def failure(query: ProductQuery, **options) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch_product(query, **options)
    return caught.value


def test_every_platform_answers_as_in_process(open_gateway, monkeypatch):
    assert {q.platform for q in ONE_PER_PLATFORM} == set(DEMO_CREDENTIALS)
    reset(open_gateway)
    remote = GatewayTransport(open_gateway, caller="equality")
    for query in ONE_PER_PLATFORM:
        here = fetch_product(query, transport=SandboxTransport())
        # A token from the in-process sandbox would be accepted there too: start
        # afresh so the Tuya grant runs through the server.
        monkeypatch.setattr(client_module, "_TOKENS", {})
        there = fetch_product(query, transport=remote)
        assert there.title == here.title and there.title
        assert len(there.skus) > 0
        pd.testing.assert_frame_equal(there.skus, here.skus)
        assert (there.price_range(), there.currency) == (here.price_range(), here.currency)
    calls = stats(open_gateway, log=True)["log"]
    asked = {(c["platform"], c["product_id"]) for c in calls}
    assert asked == {(q.platform, q.product_id) for q in ONE_PER_PLATFORM} | {("tuya", "")}
    assert {c["caller"] for c in calls} == {"equality"}
    assert not any(c["banned"] for c in calls)


@pytest.mark.parametrize("platform", ["aliexpress", "aliexpress-seller", "tuya"])
def test_a_wrong_secret_fails_as_in_process(open_gateway, platform):
    creds = dict(DEMO_CREDENTIALS[platform])
    secret = next(k for k in creds if k.endswith("secret"))
    creds[secret] = "not-the-secret"
    query = next(q for q in ONE_PER_PLATFORM if q.platform == platform)
    here = failure(query, credentials=creds, transport=SandboxTransport())
    there = failure(query, credentials=creds, transport=GatewayTransport(open_gateway))
    assert (type(there), there.kind, there.code) == (type(here), here.kind, here.code)
    assert there.code in ("IncompleteSignature", "25", "1004")


@pytest.mark.parametrize("query", [ProductQuery("aliexpress", "1005000000000001"),
                                   ProductQuery("tuya", "CMnosuchthing99")])
def test_an_unknown_id_is_not_found_as_in_process(open_gateway, query):
    here = failure(query, transport=SandboxTransport())
    there = failure(query, transport=GatewayTransport(open_gateway))
    assert isinstance(there, ProductNotFound)
    assert (type(there), there.kind, there.code) == (type(here), here.kind, here.code)


def test_the_limit_is_judged_across_callers(limited_gateway):
    reset(limited_gateway)
    answers: dict[str, list[int]] = {"a": [], "b": []}     # per caller: 1 = banned

    def send(caller: str, transport: GatewayTransport) -> None:
        for _ in range(6):                  # unpaced: as fast as the answers come
            response = transport.handle_request(signed())
            answers[caller].append(b"ApiCallLimit" in response.read())

    transports = {caller: GatewayTransport(limited_gateway, caller=caller) for caller in answers}
    threads = [threading.Thread(target=send, args=(caller, transports[caller]))
               for _ in range(3) for caller in answers]      # a, b, a, b, a, b
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    seen = stats(limited_gateway, log=True)
    banned = sum(sum(flags) for flags in answers.values())
    assert seen["calls"] == 36 and seen["callers"] == {"a": 18, "b": 18}
    assert banned > 0 and seen["bans"] == banned
    assert all(sum(flags) < len(flags) for flags in answers.values())  # both got through
    assert seen["limit"] == 5 and seen["max_calls_in_any_second"] > 5
    assert seen["max_admitted_in_any_second"] == 5       # used, never exceeded
    # The same from the log itself: no one-second window holds more admitted calls.
    admitted = sorted(c["at"] for c in seen["log"] if not c["banned"])
    assert len(admitted) == 36 - banned
    assert max(sum(1 for t in admitted[i:] if t - start < 1.0)
               for i, start in enumerate(admitted)) == 5


def test_latency_is_added_to_every_call(limited_gateway):
    time.sleep(1.1)                         # out of the last test's limit window
    transport = GatewayTransport(limited_gateway)
    started = time.monotonic()
    response = transport.handle_request(signed())
    body = response.read()
    elapsed = time.monotonic() - started
    assert b"ApiCallLimit" not in body and b"1005005432109876" in body
    assert elapsed >= 0.1
    assert stats(limited_gateway)["latency_ms"] == 100


def test_without_latency_an_answer_is_quick(open_gateway):
    """Guards against small writes waiting for delayed ACKs (about 40 ms each)."""
    transport = GatewayTransport(open_gateway)
    took = []
    for _ in range(10):
        started = time.monotonic()
        transport.handle_request(signed()).read()
        took.append(time.monotonic() - started)
    assert sorted(took)[len(took) // 2] < 0.03


def test_the_log_names_callers_and_products_and_reset_clears_it(open_gateway):
    reset(open_gateway)
    with httpx.Client(transport=GatewayTransport(open_gateway, caller="worker-7")) as http:
        assert http.send(signed()).status_code == 200
    with httpx.Client(transport=GatewayTransport(open_gateway)) as http:   # no caller
        http.send(signed(ProductQuery("aliexpress", "1005006789012345")))
    seen = stats(open_gateway, log=True)
    assert [(c["caller"], c["platform"], c["product_id"], c["banned"]) for c in seen["log"]] == [
        ("worker-7", "aliexpress", "1005005432109876", False),
        ("", "aliexpress", "1005006789012345", False)]
    assert seen["callers"] == {"worker-7": 1, "": 1} and seen["bans"] == 0
    assert seen["first_at"] <= seen["last_at"] <= time.time()
    assert "log" not in stats(open_gateway)
    reset(open_gateway)
    cleared = stats(open_gateway, log=True)
    assert (cleared["calls"], cleared["callers"], cleared["log"], cleared["first_at"]) == \
        (0, {}, [], None)


def test_control_routes_and_unknown_hosts(open_gateway):
    assert httpx.get(f"{open_gateway}/_sandbox/health").json() == {"ok": True}
    reset(open_gateway)
    with httpx.Client() as http:          # one connection: a refused POST leaves it usable
        assert http.post(f"{open_gateway}/example.com/sync", content=b"a=1").status_code == 404
        assert http.get(f"{open_gateway}/_sandbox/health").status_code == 200
    assert httpx.get(f"{open_gateway}/_sandbox/nothing").status_code == 404
    assert stats(open_gateway)["calls"] == 0


def test_a_gateway_that_is_not_running_is_a_network_error():
    with gateway_process() as (process, url, _line):
        process.terminate()
        process.wait(5)
    error = failure(BOTTLE, transport=GatewayTransport(url),
                    policy=RetryPolicy(max_attempts=1))
    assert isinstance(error, NetworkError) and error.detail == "ConnectError"


def test_sigterm_stops_the_server_cleanly():
    with gateway_process("--qps", "10", "--latency-ms", "50") as (process, url, line):
        assert line == f"demo gateway listening on {url} (limit 10/s, latency 50 ms)"
        assert httpx.get(f"{url}/_sandbox/health").status_code == 200
        process.send_signal(signal.SIGTERM)
        # Exit code 0 (a clean stop); the bound is generous: no timed assertion on a
        # busy machine, only "it stops by itself".
        assert process.wait(30) == 0


def test_a_whole_batch_runs_concurrently_through_the_gateway(open_gateway):
    results = client_module.fetch_many(DEMO_PRODUCTS, transport=GatewayTransport(open_gateway))
    assert [r.query.key for r in results] == [q.key for q in DEMO_PRODUCTS]
    assert all(len(r.skus) > 0 for r in results)


def test_fixtures_option_serves_another_folder(tmp_path):
    shutil.copytree(FIXTURES, tmp_path, dirs_exist_ok=True)
    (tmp_path / "aliexpress" / f"{BOTTLE.product_id}.json").unlink()
    with gateway_process("--fixtures", str(tmp_path)) as (_, url, _line):
        assert isinstance(failure(BOTTLE, transport=GatewayTransport(url)), ProductNotFound)
        case = ProductQuery("aliexpress", "1005004321098765")
        assert len(fetch_product(case, transport=GatewayTransport(url)).skus) == 24
    refused = subprocess.run([sys.executable, "-m", "lib.sandbox.server", "--fixtures",
                              str(tmp_path / "missing")], cwd=ROOT, capture_output=True,
                             text=True, timeout=20)
    assert refused.returncode == 2 and "is not a folder" in refused.stderr


def test_the_setting_is_checked():
    assert gateway_transport_from_env({}) is None
    assert gateway_transport_from_env({"EXPLORER_DEMO_GATEWAY": " "}) is None
    made = gateway_transport_from_env({"EXPLORER_DEMO_GATEWAY": "http://localhost:8650/"},
                                      caller="app-a")
    assert str(made.base_url) == "http://localhost:8650/" and made.caller == "app-a"
    original = signed()
    forwarded = made.forward(original)
    assert str(forwarded.url) == "http://localhost:8650/api-sg.aliexpress.com/sync"
    assert forwarded.content == original.content and forwarded.method == "POST"
    assert forwarded.headers["x-explorer-caller"] == "app-a"
    token_call = PLATFORMS["tuya"].token_request(DEMO_CREDENTIALS["tuya"], timestamp_ms=1,
                                                  refresh_token="")
    assert made.forward(token_call).url.raw_path == \
        b"/" + token_call.url.netloc + b"/v1.0/token?grant_type=1"
    for wrong in ("127.0.0.1:8650", "https://127.0.0.1:8650", "http://127.0.0.1",
                  "http://127.0.0.1:8650/api", "http://u:p@127.0.0.1:8650", "http://:8650"):
        with pytest.raises(ValueError, match="EXPLORER_DEMO_GATEWAY must be"):
            gateway_transport_from_env({"EXPLORER_DEMO_GATEWAY": wrong})
