"""The team deployment, for real (`pytest -m team` runs it alone): `make team`'s topology
(tools/team.py: a throwaway PostgreSQL, the shared demo gateway at 10 calls/s, two app
servers, two workers), a 600-item batch started in a browser on app server A, one worker
killed with SIGKILL at about a third, app server B's Batch page following the same job.

What is checked, on what the gateway saw (its call log) and what the board kept:
- the job finishes with all 600 results;
- no item is fetched again after it succeeded (no gateway call for a product after its
  result was recorded);
- 0 ban answers, never more calls than the limit in any one-second window, and at least
  85 % of the limit used over the batch's run.
The figures are printed (run with -s to see them).
"""
from __future__ import annotations

import contextlib
import copy
import json
import re
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from browser_util import screenshot, wait_for_app_run
from test_browser_jobs import _progress, _results_csv, _start_batch
from lib.jobs import ITEM_DONE, JobBoard
from lib.sandbox.gateway import FIXTURES, load_fixture
from lib.store import open_store
from tools import pg_cluster, team as team_module

pytestmark = pytest.mark.team

TOTAL = 600
QPS = 10
LATENCY_MS = 50
TEMPLATE = "1005005432109876"          # the demo bottle: a small answer
IDS = [f"10050091{n:08d}" for n in range(TOTAL)]
KILL_AT = TOTAL // 3
FINISH_TIMEOUT_S = 240


def synthetic_fixtures(folder: Path) -> Path:
    """The bundled demo fixtures plus 600 AliExpress products made from the bottle's
    answer (their own ids and titles), for the gateway to serve."""
    target = folder / "fixtures"
    shutil.copytree(FIXTURES, target)
    template = load_fixture("aliexpress", TEMPLATE)
    (response_key, wrapper), = template.items()
    for n, product_id in enumerate(IDS):
        payload = copy.deepcopy(template)
        base = payload[response_key]["result"]["ae_item_base_info_dto"]
        base["product_id"] = int(product_id)
        base["subject"] = f"Team test bottle {n + 1}"
        (target / "aliexpress" / f"{product_id}.json").write_text(json.dumps(payload))
    return target


def wait_until(condition, timeout_s: float, what: str, every_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every_s)


@pytest.fixture
def browser_in_background(page_at):
    """The test's Chromium at a lower CPU priority while the team runs. It is the
    test's client, not part of the deployment, and on a 2-core machine its page loads
    would otherwise starve the gateway and the workers of CPU for 100 ms and more: calls
    granted one after another then arrive bunched, and the gateway counts 11 in a second."""
    import os

    def chromium_pids() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if b"chrom" in (entry / "cmdline").read_bytes().split(b"\0")[0]:
                        found.append(int(entry.name))
                except OSError:
                    pass
        return found

    def lower() -> None:
        for pid in chromium_pids():
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, pid, 10)
    yield lower
    for pid in chromium_pids():
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, 0)


def max_in_any_second(moments: list[float]) -> int:
    moments, best, start = sorted(moments), 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_a_600_item_batch_on_two_workers_survives_a_sigkill_within_one_rate_limit(
        tmp_path, page_at, browser_in_background):
    if pg_cluster.find_bin_dir() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    fixtures = synthetic_fixtures(tmp_path)
    with team_module.running_team(tmp_path / "team", qps=QPS, latency_ms=LATENCY_MS,
                                  fixtures=fixtures) as team:
        app_a, app_b = team.app_urls
        store = open_store(team.db_url)
        board = JobBoard(store)
        try:
            httpx.post(f"{team.gateway_url}/_sandbox/reset", timeout=10)
            # Both servers and browser pages warm first: a cold server's first script
            # run (imports) is seconds of CPU on a 2-core machine, and CPU starvation is
            # what delays a paced call on its way to the gateway.
            page_b = page_at(1280, 900)
            page_b.goto(f"{app_b}/batch-fetch")
            wait_for_app_run(page_b, timeout=60_000)
            page_a = page_at(1280, 900)
            browser_in_background()          # its renderers exist now: all of them
            job_id = _start_batch(page_a, app_a, IDS)
            submitted = time.time()
            # App server B follows the same job (another session, another server).
            wait_until(lambda: board.get(job_id).done >= 60, 60, "60 done")
            page_b.goto(f"{app_b}/batch-fetch?job={job_id}")
            expect(page_b.get_by_role("heading", name=re.compile("Job started"))).to_be_visible(
                timeout=60_000)
            expect(page_b.get_by_text(f"job {job_id}")).to_be_visible()

            # At about a third: SIGKILL the worker that holds the most of the job.
            wait_until(lambda: board.get(job_id).done >= KILL_AT, 120, f"{KILL_AT} done")
            stats = team.gateway_stats()
            busiest = max(team.workers, key=lambda w: sum(
                n for caller, n in stats["callers"].items() if f":{w.pid}:" in caller))
            busiest.kill()
            killed_at, done_at_kill = time.time(), board.get(job_id).done
            print(f"\nteam: killed {busiest.name} (pid {busiest.pid}) with SIGKILL at "
                  f"{killed_at - submitted:.1f} s, {done_at_kill} of {TOTAL} done")

            # B's progress line goes on past the kill, and to the end.
            wait_until(lambda: _progress(page_b, total=TOTAL) >= done_at_kill, 30, "B's progress")
            finished = wait_until(lambda: (j := board.get(job_id)).finished and j,
                                  FINISH_TIMEOUT_S, "the job to finish", every_s=0.5)
            expect(page_b.get_by_test_id("stProgress").first).to_contain_text(
                "600 of 600 done", timeout=30_000)
            expect(page_b.get_by_text(f"{TOTAL} fetched · 0 failed")).to_be_visible(
                timeout=30_000)
            wait_for_app_run(page_b)
            screenshot(page_b, "team-batch-on-server-b")
            results_on_b = _results_csv(page_b)
            expect(page_b.get_by_test_id("stException")).to_have_count(0)

            items = board.items(job_id)
            log = team.gateway_stats(log=True)
        finally:
            store.close()

    # All 600 results, each with its snapshot.
    assert (finished.status, finished.done, finished.failed) == ("done", TOTAL, 0)
    assert all(i.state == ITEM_DONE and i.snapshot_id for i in items)
    assert len(results_on_b) == TOTAL                  # B's results table: every product
    assert {r["Product id"].lstrip("\t") for r in results_on_b} == set(IDS)

    calls = [c for c in log["log"] if c["product_id"] in set(IDS)]
    by_product: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        by_product[call["product_id"]].append(call["at"])
    # No item fetched again once its result was recorded.
    again = [i.query.product_id for i in items
             if any(at > i.finished_at.timestamp() for at in by_product[i.query.product_id])]
    assert again == [], f"fetched again after success: {again[:10]}"
    twice = sorted(p for p, moments in by_product.items() if len(moments) > 1)
    assert set(by_product) == set(IDS)
    moments = [c["at"] for c in log["log"] if not c["banned"]]       # answered calls
    span = max(moments) - min(moments)
    utilisation = len(moments) / (span * QPS)
    per_caller = Counter(c["caller"] for c in log["log"])

    print(f"team: {TOTAL} items in {finished.finished_at.timestamp() - submitted:.1f} s "
          f"from the click; gateway: {len(moments)} calls over {span:.1f} s = "
          f"{len(moments) / span:.2f}/s of the {QPS}/s limit ({utilisation:.0%}), "
          f"max {max_in_any_second(moments)} in any second, {log['bans']} bans; "
          f"fetched twice (in flight at the kill): {len(twice)}")
    bans_at = [f"{c['at'] - submitted:.1f}" for c in log["log"] if c["banned"]]
    print(f"team:   bans at (s from the click): {', '.join(bans_at) or 'none'}; the kill "
          f"at {killed_at - submitted:.1f}")
    for n, call in enumerate(log["log"]):
        if call["banned"]:              # what the gateway saw in the second before it
            before = [f"{c['at'] - submitted:.3f} {c['caller'].split(':')[-1]}"
                      for c in log["log"][max(0, n - 11):n + 1]]
            print("team:     " + ", ".join(before))
    for caller, count in per_caller.items():
        mine = [c["at"] for c in log["log"] if c["caller"] == caller]
        print(f"team:   {caller or '(no caller)'}: {count} calls, "
              f"{count / max(1e-9, max(mine) - min(mine)):.2f}/s while it ran")
    assert len(twice) <= 2 * 4 * 2          # at most the killed worker's calls in flight
    # One limit for all: no bans, never over the limit in any second, and used.
    assert log["bans"] == 0
    assert max_in_any_second(moments) <= QPS
    assert log["max_calls_in_any_second"] <= QPS
    assert utilisation >= 0.85
