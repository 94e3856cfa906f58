"""Load and server memory (issue 15), printed, never asserted: `python -m benchmarks load`.

A real demo server (`streamlit run app.py`, EXPLORER_DEMO=1, a store of its own in a
throwaway EXPLORER_DATA_DIR) and one Chromium (Playwright's async API; one browser
context, i.e. one Streamlit session, per visitor).

Load: 20 visitors each open a different demo share link (the 11 demo products, in USD
for US or in EUR for Germany, each starting on another page), then click every page of
the sidebar navigation in order, once round, back to the page they started on. A page
switch is timed from the click until the new page is drawn: the app's root says
`data-test-script-state="notRunning"` and the page's own heading is in the main area (the
page title; the product's title on Overview, which has no page title). The same
condition for every switch, alone or under load. Visitors behave like people: a think
time of 1-2 s between switches (uniform, seeded: a quick reader, so a heavy load), and
they arrive staggered over 5 s (a burst of 20 clicks in the same millisecond is a
stress test, not a demo audience). The baseline is the same walk by one visitor alone, on
the same server in the same run: once before the 20 arrive and once after they leave
(the median of both walks' switches), after a warm-up walk that pays the process's
first imports of each page (else the baseline would carry them and flatter the ratio).

"No error" counts, per switch: Streamlit exception boxes, error alerts (none of the
walked pages shows one for a demo product alone), browser console errors other than the
two a single visitor sees too (see BENIGN_CONSOLE), page errors, switches that never
finished, and websocket disconnects (a close of the app's /_stcore/stream before the
visitor leaves, or a second stream opened = a reconnect).

Server memory: the RSS of the server process and any children (/proc VmRSS) at the end
of the load, the 20 sessions still connected, and its peak (sampled every 0.5 s).

Memory after 20 product views in one session: a fresh server; one visitor picks 20
products one after the other with the sidebar's demo-product buttons (the 11 in USD, then
in EUR after changing the picker's currency: 20 distinct fetches), each on the next page
of the product pages in turn; the server's RSS at the end, against the fresh server's
RSS before any visitor and after the first view.

The server's CPU is read from /proc around each lone switch, so the capacity the load
needs is printed too (the script runs of one server process share one core: the GIL).
`python -m benchmarks.load [load] [views] [--<streamlit option>=<value> ...]`: the
options go to the server, to try a setting without editing the config. Several minutes:
the 20 walks take as long as the server needs to serve them.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from lib.query import ProductQuery
from lib.sandbox import DEMO_PRODUCTS, demo_title
from tools import streamlit_server as server_process

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = 20
THINK_S = (1.0, 2.0)
STAGGER_S = 5.0
SEED = 15
SWITCH_TIMEOUT_MS = 90_000
OPEN_TIMEOUT_MS = 180_000         # a new session's first page (the fetch, the frontend)
VIEWS = 20
TARGET_RATIO = 2.0
TARGET_LOAD_MB = 500
TARGET_VIEWS_MB = 300

# (label in the sidebar navigation, URL path, the page's heading; None: Overview, whose
# heading is the product's title) in the navigation's order (app.py PAGES).
PAGES = [("Overview", "", None), ("SKU matrix", "sku-matrix", "SKU matrix"),
         ("Price tiers", "price-tiers", "Price tiers"),
         ("Landed cost", "landed-cost", "Landed cost"),
         ("Store ratings", "store-ratings", "Store ratings"),
         ("Media gallery", "media", "Media gallery"),
         ("Compare", "compare-products", "Compare products"),
         ("Batch fetch", "batch-fetch", "Batch fetch"), ("Lists", "lists", "Lists"),
         ("History", "history", "History"), ("Raw data", "raw-data", "Raw data")]
PRODUCT_PAGES = [p for p in PAGES if p[0] not in ("Compare", "Batch fetch", "Lists")]

# Console errors one visitor alone sees too: the page icon (a Material symbol) is fetched
# from fonts.gstatic.com, unreachable on an offline machine; and a deep link makes
# Streamlit's frontend probe <page>/_stcore/health and /host-config (404) before it
# finds the server's base path.
BENIGN_CONSOLE = ("net::ERR_NAME_NOT_RESOLVED", "net::ERR_INTERNET_DISCONNECTED",
                  "/_stcore/health", "/_stcore/host-config")

# Ready: the script run is over and the page's heading is drawn in the main area; then
# what the page shows that it should not.
READY_JS = """([heading, productId, currency]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return false;
  const shown = e => e.getClientRects().length > 0;
  const h1 = [...main.querySelectorAll('h1')].filter(shown).map(e => e.textContent.trim());
  if (heading === null) {
    if (h1.length || ![...main.querySelectorAll('h3')].some(shown)) return false;
  } else if (!h1.includes(heading)) return false;
  if (productId !== null) {
    const side = document.querySelector('[data-testid="stSidebar"]');
    const ref = side && side.querySelector('input[aria-label="Product ID or link"]');
    const cur = side && side.querySelector('input[aria-label="Currency"]');
    if (!ref || ref.value !== productId || !cur || cur.value !== currency) return false;
  }
  return {exceptions: document.querySelectorAll('[data-testid="stException"]').length,
          errors: [...document.querySelectorAll('[data-testid="stAlertContentError"]')]
                    .map(e => e.textContent.trim().slice(0, 160)),
          connection: app.getAttribute('data-test-connection-state')};
}"""


# --- the server --------------------------------------------------------------------------
class DemoServer:
    """`streamlit run app.py` in demo mode with a store of its own, as the README's demo
    server (tools/streamlit_server); ended by its own pid (SIGTERM, then SIGKILL)."""

    def __init__(self, extra_args: tuple[str, ...] = ()) -> None:
        self.extra_args = tuple(extra_args)
        self.data_dir = tempfile.mkdtemp(prefix="explorer-load-")
        self.log = Path(self.data_dir) / "server.log"
        self.url = ""
        self.process: subprocess.Popen | None = None
        self._served = contextlib.ExitStack()

    def __enter__(self) -> "DemoServer":
        env = {k: v for k, v in server_process.environment_without_secrets().items()
               if k not in ("EXPLORER_DB_URL", "EXPLORER_DEMO_HISTORY", "EXPLORER_JOBS")
               and not k.endswith(("_APP_KEY", "_CLIENT_ID"))}
        env.update(EXPLORER_DEMO="1", EXPLORER_DATA_DIR=self.data_dir)
        try:
            self.url, self.process = self._served.enter_context(
                server_process.streamlit_server(ROOT / "app.py", env, log_path=self.log,
                                                timeout_s=60, extra_args=self.extra_args))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._served.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def rss_mb(self) -> float:
        """VmRSS of the server and its children, in MB (10^6 bytes)."""
        return sum(_vm_rss_kb(pid) for pid in _tree(self.process.pid)) * 1024 / 1e6

    def cpu_s(self) -> float:
        """User + system CPU seconds of the server process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    pids, seen = [pid], []
    while pids:
        current = pids.pop()
        seen.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pids.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return seen


def _vm_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakSampler:
    """The server's largest RSS, sampled every 0.5 s while it runs."""

    def __init__(self, server: DemoServer) -> None:
        self.server, self.peak, self._stop = server, 0.0, threading.Event()
        self.peak_at_s = 0.0                 # seconds after the start
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.perf_counter()
        while not self._stop.is_set():
            rss = self.server.rss_mb()
            if rss > self.peak:
                self.peak, self.peak_at_s = rss, time.perf_counter() - start
            self._stop.wait(0.5)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.rss_mb())


# --- the links --------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    query: ProductQuery
    start: int                    # index into PAGES

    def url(self, base: str) -> str:
        from urllib.parse import urlencode
        return f"{base}/{PAGES[self.start][1]}?{urlencode(self.query.to_params())}"


def _locale(query: ProductQuery, currency: str) -> ProductQuery:
    country = {"USD": "US", "EUR": "DE", "GBP": "GB"}[currency]
    return ProductQuery(query.platform, query.product_id, country, currency, query.language)


def load_links(count: int = SESSIONS) -> list[Link]:
    """`count` different share links: product n % 11, USD (US) for the first 11 and EUR
    (Germany) after, each starting on another page (a stride of 4 over the 11 pages)."""
    return [Link(_locale(DEMO_PRODUCTS[n % len(DEMO_PRODUCTS)],
                         ("USD", "EUR")[n // len(DEMO_PRODUCTS) % 2]), n * 4 % len(PAGES))
            for n in range(count)]


def baseline_links() -> list[Link]:
    """The warm-up walk's link, then the two lone walks': the products of load links 0
    (USD) and 12 (EUR) but starting on other pages, so the lone walks do the load's kind
    of work (a USD product has the bundled demo history on its History page, a EUR one
    only its new snapshot); the warm-up uses a product the lone walks do not."""
    links = load_links()
    return [Link(links[5].query, 0), Link(links[0].query, 1), Link(links[12].query, 6)]


# --- a visitor ---------------------------------------------------------------------------
@dataclass
class Visit:
    """What one visitor saw."""
    link: Link
    first_s: float = 0.0
    switches: list[tuple[str, float]] = field(default_factory=list)
    exceptions: int = 0
    error_alerts: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    benign_console: int = 0
    page_errors: list[str] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    disconnects: int = 0
    streams: int = 0
    cpu_s: list[tuple[str, float]] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return (self.exceptions + len(self.error_alerts) + len(self.console_errors)
                + len(self.page_errors) + len(self.timeouts) + self.disconnects
                + max(0, self.streams - 1))


async def _drawn(page, heading: str | None, visit: Visit, what: str,
                 product: tuple[str, str] | None = None,
                 timeout_ms: int = SWITCH_TIMEOUT_MS) -> bool:
    """Wait until the page is drawn; note what it shows that it should not."""
    product_id, currency = product or (None, None)
    try:
        handle = await page.wait_for_function(READY_JS, arg=[heading, product_id, currency],
                                              polling=50, timeout=timeout_ms)
    except Exception as exc:              # Playwright's TimeoutError, a closed page
        visit.timeouts.append(f"{what}: {type(exc).__name__}")
        return False
    seen = await handle.json_value()
    visit.exceptions += seen["exceptions"]
    visit.error_alerts.extend(f"{what}: {text}" for text in seen["errors"])
    if seen["connection"] != "CONNECTED":
        visit.disconnects += 1
    return True


def _watch(page, visit: Visit, leaving: list[bool]) -> None:
    def console(message) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        text = f"{message.text} @ {where}"
        if any(mark in text for mark in BENIGN_CONSOLE):
            visit.benign_console += 1
        else:
            visit.console_errors.append(text[:300])

    def websocket(ws) -> None:
        if "/_stcore/stream" not in ws.url:
            return
        visit.streams += 1

        def closed(_ws) -> None:
            if not leaving[0]:
                visit.disconnects += 1
        ws.on("close", closed)

    page.on("console", console)
    page.on("pageerror", lambda error: visit.page_errors.append(str(error)[:300]))
    page.on("websocket", websocket)


async def _click_page(page, index: int) -> None:
    nav = page.get_by_test_id("stSidebarNav")
    await nav.get_by_role("link", name=PAGES[index][0], exact=True).click()


async def walk(browser, base: str, link: Link, *, delay_s: float = 0.0,
               think: random.Random | None = None, hold: asyncio.Event | None = None,
               walked: list[Link] | None = None, cpu=None) -> Visit:
    """Open `link` in a new context, then click every page of the navigation once, in
    order, ending on the page it started on. `think`: the think-time generator (None: no
    pause). `hold`: keep the session open until it is set; `walked`: appended to when
    the walk is over; `cpu`: a function giving the server's CPU seconds, read around
    each switch (visit.cpu_s)."""
    visit = Visit(link)
    leaving = [False]
    await asyncio.sleep(delay_s)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        _watch(page, visit, leaving)
        start = time.perf_counter()
        try:
            await page.goto(link.url(base), timeout=OPEN_TIMEOUT_MS)
        except Exception as exc:
            visit.timeouts.append(f"open: {type(exc).__name__}")
        if await _drawn(page, PAGES[link.start][2], visit, f"open {PAGES[link.start][0]}",
                        timeout_ms=OPEN_TIMEOUT_MS):
            visit.first_s = time.perf_counter() - start
        count = len(PAGES)
        for step in range(1, count + 1):
            if think is not None:
                await asyncio.sleep(think.uniform(*THINK_S))
            index = (link.start + step) % count
            start = time.perf_counter()
            cpu_start = cpu() if cpu else 0.0
            try:
                await _click_page(page, index)
            except Exception as exc:
                visit.timeouts.append(f"click {PAGES[index][0]}: {type(exc).__name__}")
                continue
            if await _drawn(page, PAGES[index][2], visit, PAGES[index][0]):
                visit.switches.append((PAGES[index][0], time.perf_counter() - start))
                if cpu:
                    await asyncio.sleep(0.2)     # the run's last messages and clean-up
                    visit.cpu_s.append((PAGES[index][0], cpu() - cpu_start))
    finally:
        if walked is not None:
            walked.append(link)
        if hold is not None:
            await hold.wait()
        leaving[0] = True
        await context.close()
    return visit


# --- the figures -------------------------------------------------------------------------
def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _p90(values: list[float]) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 \
        else values[0]


def _problems_line(visits: list[Visit]) -> str:
    total = sum(v.problems for v in visits)
    parts = {"exceptions": sum(v.exceptions for v in visits),
             "error alerts": sum(len(v.error_alerts) for v in visits),
             "console errors": sum(len(v.console_errors) for v in visits),
             "page errors": sum(len(v.page_errors) for v in visits),
             "unfinished": sum(len(v.timeouts) for v in visits),
             "disconnects": sum(v.disconnects + max(0, v.streams - 1) for v in visits)}
    benign = sum(v.benign_console for v in visits)
    return (f"{total} errors (" + ", ".join(f"{k} {n}" for k, n in parts.items())
            + f"; benign console messages a lone visitor gets too: {benign})")


def _examples(visits: list[Visit], limit: int = 3) -> list[str]:
    found = []
    for visit in visits:
        for kind, items in (("error alert", visit.error_alerts),
                            ("console", visit.console_errors),
                            ("page error", visit.page_errors),
                            ("unfinished", visit.timeouts)):
            found.extend(f"{kind}: {item}" for item in items)
    return found[:limit]


async def _load_part(browser, server: DemoServer) -> None:
    warm, alone_before, alone_after = baseline_links()
    await walk(browser, server.url, warm)                   # the process's first imports
    lone = [await walk(browser, server.url, alone_before, think=random.Random(SEED),
                       cpu=server.cpu_s)]
    rss_before = server.rss_mb()

    links = load_links()
    arrivals = random.Random(SEED + 1)
    hold = asyncio.Event()
    walked: list[Link] = []
    with PeakSampler(server) as sampler:
        started = time.perf_counter()
        cpu_start = server.cpu_s()
        tasks = [asyncio.create_task(
            walk(browser, server.url, link, delay_s=n * STAGGER_S / SESSIONS
                 + arrivals.uniform(0, STAGGER_S / SESSIONS),
                 think=random.Random(SEED * 1000 + n), hold=hold, walked=walked))
                 for n, link in enumerate(links)]
        # memory with every session still connected: once all 20 walked (or gave up)
        while len(walked) < len(tasks):
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
        cpu_load = server.cpu_s() - cpu_start
        rss_end = server.rss_mb()
        hold.set()
        visits = await asyncio.gather(*tasks)
    lone.append(await walk(browser, server.url, alone_after, think=random.Random(SEED),
                           cpu=server.cpu_s))

    one = [s for visit in lone for _, s in visit.switches]
    many = [s for visit in visits for _, s in visit.switches]
    if not one or not many:
        print("load   no page switch finished: " + "; ".join(_examples(lone + visits)))
        return
    ratio = statistics.median(many) / statistics.median(one)
    print(f"load   {SESSIONS} sessions x {len(PAGES)} page switches (think {THINK_S[0]:g}-"
          f"{THINK_S[1]:g} s, arrivals over {STAGGER_S:g} s), {elapsed:.0f} s: median switch "
          f"{statistics.median(many):.2f} s vs {statistics.median(one):.2f} s alone = "
          f"{ratio:.2f}x (target <= {TARGET_RATIO:g}x); p90 {_p90(many):.2f} s vs "
          f"{_p90(one):.2f} s = {_p90(many) / _p90(one):.2f}x")
    firsts = [v.first_s for v in visits if v.first_s]
    print(f"load   share link opened (first page drawn): median {_median(firsts):.2f} s "
          f"under load ({len(firsts)} of {len(visits)} drawn) vs "
          f"{_median([v.first_s for v in lone if v.first_s]):.2f} s alone")
    per_walk = statistics.mean(sum(c for _, c in v.cpu_s) for v in lone) \
        * len(PAGES) / max(1, statistics.mean(len(v.cpu_s) for v in lone))
    think = len(PAGES) * sum(THINK_S) / 2
    print(f"load   server CPU: {cpu_load:.0f} s in the {elapsed:.0f} s of the load "
          f"({cpu_load / elapsed * 100:.0f}% of one core; the script runs share one core: "
          f"the GIL); a lone walk's {len(PAGES)} switches {per_walk:.1f} s, so {SESSIONS} "
          f"walks need {SESSIONS * per_walk:.0f} s of one core against {think:.1f} s of "
          f"think time per walk (load/capacity {SESSIONS * per_walk / think:.1f})")
    cpu_by_page: dict[str, list[float]] = {}
    for visit in lone:
        for name, seconds in visit.cpu_s:
            cpu_by_page.setdefault(name, []).append(seconds)
    print("load   server CPU per switch alone: " + ", ".join(
        f"{name} {statistics.mean(cpu_by_page[name]):.2f} s" for name, *_ in PAGES
        if name in cpu_by_page))
    print(f"load   machine load average at the end {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} cores; other processes' load skews every figure)")
    print(f"load   {_problems_line(visits)}; alone: {_problems_line(lone)}")
    for example in _examples(lone + visits):
        print(f"load     e.g. {example}")
    by_page: dict[str, list[float]] = {}
    for visit in visits:
        for name, seconds in visit.switches:
            by_page.setdefault(name, []).append(seconds)
    alone_by_page: dict[str, list[float]] = {}
    for visit in lone:
        for name, seconds in visit.switches:
            alone_by_page.setdefault(name, []).append(seconds)
    print("load   median switch by page, load / alone: " + ", ".join(
        f"{name} {_median(by_page[name]):.1f}/{_median(alone_by_page.get(name, [])):.1f}"
        for name, *_ in PAGES if name in by_page))
    print(f"load   server memory at the end (20 sessions connected): {rss_end:.0f} MB "
          f"(target < {TARGET_LOAD_MB} MB), peak {sampler.peak:.0f} MB "
          f"({sampler.peak_at_s:.0f} s after the first arrival), before the 20: "
          f"{rss_before:.0f} MB")


async def _views_part(browser, server: DemoServer) -> None:
    fresh = server.rss_mb()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    visit = Visit(Link(DEMO_PRODUCTS[0], 0))
    leaving = [False]
    try:
        page = await context.new_page()
        _watch(page, visit, leaving)
        first = _locale(DEMO_PRODUCTS[0], "USD")
        await page.goto(Link(first, 0).url(server.url), timeout=SWITCH_TIMEOUT_MS)
        await _drawn(page, None, visit, "view 1", (first.product_id, "USD"))
        after_first = server.rss_mb()
        views = 1
        sidebar = page.get_by_test_id("stSidebar")
        for n in range(1, VIEWS):
            currency = "USD" if n < len(DEMO_PRODUCTS) else "EUR"
            product = DEMO_PRODUCTS[n % len(DEMO_PRODUCTS)] if n != len(DEMO_PRODUCTS) \
                else DEMO_PRODUCTS[-1]
            page_index = PAGES.index(PRODUCT_PAGES[n % len(PRODUCT_PAGES)])
            heading = PAGES[page_index][2]
            await _click_page(page, page_index)
            await _drawn(page, heading, visit, f"page before view {n + 1}")
            if n == len(DEMO_PRODUCTS):        # the same product, now in EUR
                box = sidebar.locator('input[aria-label="Currency"]')
                await box.click()
                await box.fill("EUR")
                await box.press("Enter")
                await sidebar.get_by_role("button", name="Show product").click()
            else:
                button = sidebar.get_by_role("button", name=demo_title(product), exact=True)
                if not await button.is_visible():
                    await sidebar.get_by_text("Other platforms' demo products").click()
                await button.click()
            if await _drawn(page, heading, visit, f"view {n + 1}",
                            (product.product_id, currency)):
                views += 1
        end = server.rss_mb()
    finally:
        leaving[0] = True
        await context.close()
    print(f"memory {views} product views in one session: server RSS {end:.0f} MB (target < "
          f"{TARGET_VIEWS_MB} MB); fresh server {fresh:.0f} MB, after the first view "
          f"{after_first:.0f} MB; {_problems_line([visit])}")
    for example in _examples([visit]):
        print(f"memory   e.g. {example}")


async def _main(parts: set[str], server_args: tuple[str, ...]) -> None:
    from playwright.async_api import async_playwright

    executable = next((p for p in (os.environ.get("CHROMIUM_EXECUTABLE"),
                                   "/usr/lib/chromium/chromium", "/usr/bin/chromium")
                       if p and os.path.exists(p)), None)
    if executable is None:
        print("load   skipped: no Chromium (apt-get install -y chromium)")
        return
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            if "load" in parts:
                with DemoServer(server_args) as server:
                    await _load_part(browser, server)
            if "views" in parts:
                with DemoServer(server_args) as server:
                    await _views_part(browser, server)
        finally:
            await browser.close()


def bench_load(parts: tuple[str, ...] = ("load", "views"),
               server_args: tuple[str, ...] = ()) -> None:
    """Both parts (or those named); `server_args`: extra `streamlit run` options for the
    server, to try a setting without editing the config (e.g.
    `python -m benchmarks.load --runner.postScriptGC=false`)."""
    if server_args:
        print(f"load   server options: {' '.join(server_args)}")
    asyncio.run(_main(set(parts), tuple(server_args)))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    bench_load(tuple(a for a in arguments if not a.startswith("--")) or ("load", "views"),
               tuple(a for a in arguments if a.startswith("--")))
