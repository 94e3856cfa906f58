"""Share link -> first chart drawn (issue 15): `python -m benchmarks first_chart`.

The real app (demo mode, a store of its own) against a trivial one-chart Streamlit app
(benchmarks/trivial_app.py), each a real `streamlit run` on its own port, driven by
Chromium. "First chart drawn": from page.goto in a fresh browser context until the
first Vega chart has drawn marks (an svg.marks or canvas of non-zero size inside
[data-testid="stVegaLiteChart"]); the same condition for both apps.

Warm: both servers already served one visitor and went quiet again (a fresh store loads
the demo history after its first page); median of fresh contexts, interleaved.
Cold: the very first visitor of a freshly started server, each app in turn, median.
Targets: warm at most 1.2x the trivial app, cold at most 1.5x.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from tools import streamlit_server as server_process

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL_APP = ROOT / "benchmarks" / "trivial_app.py"
REAL_APP = ROOT / "app.py"
SHARE_LINK = ("sku-matrix?platform=aliexpress&id=1005006789012345&country=US&currency=USD"
              "&language=en")
WARM_TARGET, COLD_TARGET = 1.2, 1.5
CHART_DRAWN = """() => {
  for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    for (const marks of chart.querySelectorAll('svg.marks, canvas')) {
      const box = marks.getBoundingClientRect();
      if (box.width > 0 && box.height > 0
          && (marks.tagName === 'canvas' || marks.querySelector('path, rect, text'))) {
        return true;
      }
    }
  }
  return false;
}"""


def _chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM_EXECUTABLE"), "/usr/lib/chromium/chromium",
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("no Chromium: apt-get install -y chromium")


SERVER_PIDS: dict[str, int] = {}


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(base: str, quiet_share: float = 0.05, window_s: float = 1.0, windows: int = 3,
           timeout_s: float = 90) -> float:
    """Wait until the server at `base` has gone quiet (under `quiet_share` of a core in
    `windows` windows of `window_s` in a row, longer than lib.ui's pause before the demo
    history): what it does after its first visitor (the demo history loading into a
    fresh store, say) is not a warm visit's cost. Returns the seconds waited."""
    pid, start, quiet = SERVER_PIDS[base], time.monotonic(), 0
    while time.monotonic() - start < timeout_s and quiet < windows:
        before = _cpu_s(pid)
        time.sleep(window_s)
        quiet = quiet + 1 if _cpu_s(pid) - before < quiet_share * window_s else 0
    return time.monotonic() - start


@contextlib.contextmanager
def served(app: Path, timeout_s: float = 60):
    """`streamlit run app` in demo mode with a store of its own; yields the base URL and
    ends exactly that process."""
    env = server_process.environment_without_secrets()
    env.pop("EXPLORER_DB_URL", None)
    env["EXPLORER_DEMO"] = "1"
    data_dir = tempfile.mkdtemp(prefix="bench-first-chart-")
    env["EXPLORER_DATA_DIR"] = data_dir
    try:
        # Each app from its own folder: its .streamlit/config.toml (the trivial app has none).
        with server_process.streamlit_server(app, env, cwd=app.parent,
                                             timeout_s=timeout_s) as (base, process):
            SERVER_PIDS[base] = process.pid
            yield base
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def first_chart_s(browser, url: str, timeout_ms: int = 60_000, frames: list | None = None
                  ) -> float:
    """Seconds from page.goto(url) in a fresh context to the first chart drawn.
    `frames`: if given, gets (seconds since goto, direction, bytes) per websocket frame."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        start = time.perf_counter()
        if frames is not None:
            def on_socket(ws):
                ws.on("framereceived", lambda data: frames.append(
                    (time.perf_counter() - start, "in", len(data))))
                ws.on("framesent", lambda data: frames.append(
                    (time.perf_counter() - start, "out", len(data))))
            page.on("websocket", on_socket)
        page.goto(url, wait_until="commit")
        page.wait_for_function(CHART_DRAWN, polling="raf", timeout=timeout_ms)
        return time.perf_counter() - start
    finally:
        context.close()


def _ratio_line(what: str, real: float, trivial: float, target: float) -> str:
    ratio = real / trivial
    mark = "ok" if ratio <= target else "OVER"
    return (f"first_chart  {what}: {real:.2f} s vs {trivial:.2f} s trivial app = "
            f"{ratio:.2f}x (target <= {target}x) {mark}")


def bench_first_chart(warm_runs: int = 7, cold_runs: int = 3) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), headless=True)
        try:
            # Cold: the very first visitor of a fresh server, each app in turn.
            cold = {"trivial": [], "real": []}
            for _ in range(cold_runs):
                for name, app, path in (("trivial", TRIVIAL_APP, ""),
                                        ("real", REAL_APP, SHARE_LINK)):
                    with served(app) as base:
                        cold[name].append(first_chart_s(browser, f"{base}/{path}"))
            # Warm: both servers already served a visitor; fresh contexts, interleaved.
            warm = {"trivial": [], "real": []}
            with served(TRIVIAL_APP) as trivial_base, served(REAL_APP) as real_base:
                urls = {"trivial": f"{trivial_base}/", "real": f"{real_base}/{SHARE_LINK}"}
                for base, url in zip((trivial_base, real_base), urls.values()):
                    first_chart_s(browser, url)
                    settle(base)
                for _ in range(warm_runs):
                    for name in ("trivial", "real"):
                        warm[name].append(first_chart_s(browser, urls[name]))
        finally:
            browser.close()
    med = {kind: {name: statistics.median(times) for name, times in runs.items()}
           for kind, runs in (("warm", warm), ("cold", cold))}
    print(_ratio_line(f"share link -> first chart, warm server (median of {warm_runs})",
                      med["warm"]["real"], med["warm"]["trivial"], WARM_TARGET))
    print(_ratio_line(f"first visitor of a fresh server (median of {cold_runs})",
                      med["cold"]["real"], med["cold"]["trivial"], COLD_TARGET))
    print("first_chart  raw s: " + "; ".join(
        f"{kind} {name} " + ",".join(f"{t:.2f}" for t in times)
        for kind, runs in (("warm", warm), ("cold", cold)) for name, times in runs.items()))


if __name__ == "__main__":
    bench_first_chart()
