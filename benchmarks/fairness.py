"""Fairness in a real browser (the Speed issue's figure), printed and never asserted:
`python -m benchmarks fairness`.

One real demo server (`streamlit run app.py`, demo mode, a store and a fixture folder of
its own): the default single-server deployment, where jobs run on the in-process runner
inside the app server. Session A opens the Batch page in Chromium, pastes 300 ids and
presses Fetch, exactly as a user does, and stays on the job's page (its progress
fragment redraws every 1.5 s). While the job runs, session B (a fresh browser context,
a fresh Streamlit session every time) opens

- a share link to one demo product (the Overview page) and waits until the product's
  title is drawn and the script run is over;
- a share link to a 10-product Compare and waits until the comparison table is drawn
  and the run is over.

Each open uses a ship-to country not used before, so the product is in no cache yet
(st.cache_data is per process, keyed by the whole query): every open really fetches,
parses and saves. The same opens on the idle server (before the job and after it ends,
interleaved in the same run) give the baseline; medians, and the ratios against the
targets (single <= 1.5x, compare <= 2x).

The job's 300 items are 300 distinct synthetic AliExpress products (benchmarks/
synthetic.py, 45 SKUs each, about the backpack's size), served by the demo sandbox from
the server's own fixture folder (EXPLORER_DEMO_FIXTURES): every item is fetched, parsed
and saved, the heaviest job of that length. In demo mode the in-process sandbox answers
with no added latency (SandboxGateway latency_s=0): a call costs its pacing slot
(AliExpress 10/s, one every 105 ms), signing, parsing and saving, all in the server.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

from tools import streamlit_server as server_process

ROOT = Path(__file__).resolve().parents[1]
JOB_ITEMS = 300
SKUS_PER_ITEM = 45
RUNS = 3                       # opens of each kind per phase (idle before, busy, idle after)
COUNTRIES = ["DE", "FR", "GB", "ES", "IT", "NL", "BE", "PL", "SE", "CA", "AU", "JP", "AT",
             "CH", "DK", "FI", "IE", "PT", "NO", "CZ", "HU", "RO", "GR", "NZ", "MX", "BR",
             "CL", "KR", "SG", "IL", "ZA", "AE", "SA", "TR", "UA", "SK", "SI", "HR", "BG",
             "LT", "LV", "EE", "LU", "MT", "CY", "IS", "AR", "CO", "PE", "TH", "MY", "PH"]
SINGLE_TARGET, COMPARE_TARGET = 1.5, 2.0
JOB_IN_URL = re.compile(r"[?&]job=([A-Za-z0-9]{12})(?:&|$)")
START_TIMEOUT_S = 40


def job_ids(count: int = JOB_ITEMS) -> list[str]:
    return [str(1005008000000000 + n) for n in range(count)]


def write_fixtures(folder: Path, count: int = JOB_ITEMS) -> Path:
    """The bundled demo fixtures plus `count` synthetic AliExpress products."""
    import json

    from benchmarks.synthetic import ds_payload
    from lib.sandbox.gateway import FIXTURES

    target = folder / "fixtures"
    shutil.copytree(FIXTURES, target)
    template = json.dumps(ds_payload(SKUS_PER_ITEM, product_id="1005009999999999"))
    for product_id in job_ids(count):
        (target / "aliexpress" / f"{product_id}.json").write_text(
            template.replace("1005009999999999", product_id), encoding="utf-8")
    return target


@contextlib.contextmanager
def demo_server(folder: Path, log_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run app.py` in demo mode, with its own store and fixtures (as
    tests/conftest.py running_app starts one); ends exactly that process."""
    env = {k: v for k, v in server_process.environment_without_secrets().items()
           if not k.endswith(("_APP_KEY", "_CLIENT_ID")) and k != "EXPLORER_DB_URL"}
    env.update(EXPLORER_DEMO="1", EXPLORER_DATA_DIR=str(folder / "data"),
               EXPLORER_DEMO_FIXTURES=str(write_fixtures(folder)),
               EXPLORER_DEMO_HISTORY="0")
    with server_process.streamlit_server(ROOT / "app.py", env, log_path=log_path,
                                         timeout_s=START_TIMEOUT_S) as served:
        yield served


def _run_over(page, timeout_ms: int = 120_000) -> None:
    from playwright.sync_api import expect

    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED",
                                  timeout=timeout_ms)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout_ms)


class Opener:
    """Session B: every open in a fresh browser context (a new Streamlit session)."""

    def __init__(self, browser, base: str) -> None:
        from lib.sandbox import DEMO_PRODUCTS, demo_title

        self.browser, self.base = browser, base
        self.countries = iter(COUNTRIES)
        self.single = DEMO_PRODUCTS[0]                   # the backpack (aliexpress)
        self.title = demo_title(self.single)
        self.compared = DEMO_PRODUCTS[:10]

    def _timed(self, url: str, drawn) -> float:
        from playwright.sync_api import expect

        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url, wait_until="commit", timeout=120_000)
            expect(drawn(page)).to_be_visible(timeout=120_000)
            _run_over(page)
            return time.perf_counter() - start
        finally:
            context.close()

    def open_single(self) -> float:
        from urllib.parse import urlencode

        query = self.single
        params = {"platform": query.platform, "id": query.product_id,
                  "country": next(self.countries), "currency": "USD", "language": "en"}
        return self._timed(f"{self.base}/?{urlencode(params)}",
                           lambda page: page.get_by_role("heading", name=self.title).first)

    def open_compare(self) -> float:
        from urllib.parse import urlencode

        first = self.compared[0]
        pairs = [("platform", first.platform), ("id", first.product_id),
                 ("country", next(self.countries)), ("currency", "USD"), ("language", "en")]
        pairs += [("p", q.key) for q in self.compared]
        return self._timed(f"{self.base}/compare?{urlencode(pairs)}",
                           lambda page: page.get_by_test_id("stMain")
                           .get_by_test_id("stDataFrame").first)


class SessionA:
    """Session A: the Batch page, the 300 ids pasted, Fetch pressed; stays on the job."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.jobs: list[str] = []

    def start_job(self) -> str:
        from playwright.sync_api import expect

        page, lines = self.page, job_ids()
        page.goto(f"{self.base}/batch-fetch", wait_until="commit", timeout=120_000)
        area = page.get_by_label("Ids or links (one per line)")
        expect(area).to_be_visible(timeout=60_000)
        _run_over(page)
        area.fill("\n".join(lines))
        area.press("Control+Enter")
        button = page.get_by_role("button",
                                  name=re.compile(rf"Fetch {len(lines)} product\(s\)"))
        expect(button).to_be_enabled(timeout=30_000)
        page.wait_for_timeout(250)
        _run_over(page)
        button.click()
        expect(page).to_have_url(JOB_IN_URL, timeout=30_000)
        job = JOB_IN_URL.search(page.url).group(1)
        self.jobs.append(job)
        return job

    def close(self) -> None:
        self.context.close()


def _job_state(data_dir: Path, job_id: str) -> tuple[str, int]:
    """(status, settled items) of a job, read from the server's SQLite store."""
    import sqlite3

    database = next(data_dir.rglob("*.db"))
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True,
                                            timeout=5)) as db:
        status = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        settled = db.execute("SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state "
                             "IN ('done', 'failed')", (job_id,)).fetchone()
    return (status[0] if status else "?"), (settled[0] if settled else 0)


def _finished(status: str) -> bool:
    return status in ("done", "finished", "failed", "cancelled", "completed")


def bench_fairness(runs: int = RUNS) -> None:
    from playwright.sync_api import sync_playwright

    from lib.platforms import PLATFORMS

    executable = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
                       if os.path.exists(p)), None)
    if executable is None:
        print("fairness  skipped: no Chromium (apt-get install -y chromium)")
        return
    with tempfile.TemporaryDirectory(prefix="fairness-") as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        browser = pw.chromium.launch(executable_path=executable, headless=True)
        try:
            with demo_server(folder, folder / "server.log") as (base, _process):
                _measure(browser, base, folder / "data", runs,
                         PLATFORMS["aliexpress"].qps)
        finally:
            browser.close()


def _measure(browser, base: str, data_dir: Path, runs: int, qps: float) -> None:
    opener = Opener(browser, base)
    # Warm-up: the server's first script runs (imports) are the first-visitor figure,
    # another target; not part of this one.
    opener.open_single()
    opener.open_compare()
    idle_single, idle_compare, busy_single, busy_compare = [], [], [], []
    for _ in range(runs):
        idle_single.append(opener.open_single())
        idle_compare.append(opener.open_compare())
    session_a = SessionA(browser, base)
    try:
        job = session_a.start_job()
        started = time.monotonic()
        while _job_state(data_dir, job)[1] < 10:        # the job is under way
            if time.monotonic() - started > 60:
                raise RuntimeError("the job did not start")
            time.sleep(0.1)
        overlapped = 0
        for _ in range(runs):
            for kind, times in (("single", busy_single), ("compare", busy_compare)):
                status, _ = _job_state(data_dir, job)
                if _finished(status):                  # keep a job running: one more
                    job = session_a.start_job()
                    while _job_state(data_dir, job)[1] < 10:
                        time.sleep(0.1)
                took = opener.open_single() if kind == "single" else opener.open_compare()
                overlapped += not _finished(_job_state(data_dir, job)[0])
                times.append(took)
        last_job = job
        job_start = time.monotonic()
        while not _finished(_job_state(data_dir, last_job)[0]):
            if time.monotonic() - job_start > 300:
                print("fairness  warning: the job did not finish within 5 minutes")
                break
            time.sleep(0.5)
    finally:
        session_a.close()
    for _ in range(runs):
        idle_single.append(opener.open_single())
        idle_compare.append(opener.open_compare())
    report(idle_single, idle_compare, busy_single, busy_compare, overlapped, runs, qps,
           len(session_a.jobs))


def report(idle_single, idle_compare, busy_single, busy_compare, overlapped, runs, qps,
           jobs) -> None:
    single_idle, compare_idle = statistics.median(idle_single), statistics.median(idle_compare)
    single_busy, compare_busy = statistics.median(busy_single), statistics.median(busy_compare)
    print(f"fairness  real demo server, Chromium, fresh session per open; sandbox latency "
          f"0 ms per call (in-process demo gateway), aliexpress paced at {qps:g}/s; "
          f"job: {JOB_ITEMS} synthetic products x {SKUS_PER_ITEM} SKUs from the Batch "
          f"page ({jobs} job(s) to cover the opens; {overlapped} of {2 * runs} opens "
          f"ended with the job still running)")
    print(f"fairness  single product share link (title drawn, run over): "
          f"{single_busy:.2f} s during the job vs {single_idle:.2f} s idle = "
          f"{single_busy / single_idle:.2f}x (target <= {SINGLE_TARGET:g}x); median of "
          f"{len(busy_single)} busy, {len(idle_single)} idle "
          f"[busy {_list(busy_single)}; idle {_list(idle_single)}]")
    print(f"fairness  10-product compare share link (table drawn, run over): "
          f"{compare_busy:.2f} s during the job vs {compare_idle:.2f} s idle = "
          f"{compare_busy / compare_idle:.2f}x (target <= {COMPARE_TARGET:g}x); median of "
          f"{len(busy_compare)} busy, {len(idle_compare)} idle "
          f"[busy {_list(busy_compare)}; idle {_list(idle_compare)}]")


def _list(values) -> str:
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    bench_fairness()
