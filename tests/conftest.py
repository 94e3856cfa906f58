"""Shared fixtures: the app's root, and a real `streamlit run` server with Chromium."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tools import streamlit_server as server_process

pytest_plugins = ["pg_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
APP_FILE = ROOT / "app.py"
SERVER_START_TIMEOUT_S = 40

# No test writes into the project's data/ folder: the embedded store of every AppTest run
# and every test server lives in one throwaway folder per test session (tests that need a
# store of their own point EXPLORER_DB_URL elsewhere).
os.environ.setdefault("EXPLORER_DATA_DIR", tempfile.mkdtemp(prefix="explorer-test-data-"))
# The bundled demo history (about 1,000 snapshots) loads into a new store in the
# background; the tests that read it turn it on for their own store.
os.environ.setdefault("EXPLORER_DEMO_HISTORY", "0")


@pytest.fixture(autouse=True)
def _demo_mode(monkeypatch):
    """Tests never pick up a developer's real credentials from the environment."""
    for key in list(os.environ):
        if key.endswith(("_APP_KEY", "_APP_SECRET", "_ACCESS_TOKEN", "_CLIENT_ID",
                         "_CLIENT_SECRET")):
            monkeypatch.delenv(key, raising=False)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_EXECUTABLE"), "/usr/lib/chromium/chromium",
                      "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright; skipped on a machine without it (fails in CI)."""
    executable = chromium_path()
    if executable is None:
        message = "no Chromium on this machine: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page_at(browser):
    """A new page with the given viewport width (default 1280x900)."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@contextlib.contextmanager
def running_app(log_path: Path | None = None, app_file: Path | None = None, *,
                port: int | None = None, data_dir: str | Path | None = None,
                env_extra: dict[str, str] | None = None):
    """A real `streamlit run` of the app in demo mode on a free port (or `port`); yields
    its URL and ends exactly that process (SIGTERM, then SIGKILL) however the test ends.
    `data_dir`: the store's folder (a restarted server given the same one finds its jobs)."""
    env = server_process.environment_without_secrets()
    env["EXPLORER_DEMO"] = "1"
    # Each server keeps its own store: snapshots of one test server (a hostile fixture
    # set, say) never show up as "what changed" on another's pages.
    if "EXPLORER_DB_URL" not in env:
        env["EXPLORER_DATA_DIR"] = str(data_dir or
                                       tempfile.mkdtemp(prefix="explorer-server-data-"))
    env.update(env_extra or {})
    with server_process.streamlit_server(app_file or APP_FILE, env, port=port,
                                         log_path=log_path,
                                         timeout_s=SERVER_START_TIMEOUT_S) as (base_url, _):
        yield base_url


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("streamlit") / "server.log") as base_url:
        yield base_url


# Modules that take long: the seconds their tests took in a parallel run of make test
# (pytest --durations, 2026-12-01, 2-core machine). The long ones start first, so that
# no worker is left alone with one of them at the end.
LONG_MODULES = {"test_browser_hostile.py": 213, "test_browser_views.py": 191,
                "test_browser_jobs.py": 136, "test_report.py": 129, "test_team.py": 84,
                "test_browser_report.py": 82, "test_browser.py": 40,
                "test_pacing_shared.py": 33, "test_history_page.py": 31}


def _uses_browser(item) -> bool:
    return "browser" in item.fixturenames or "streamlit_server" in item.fixturenames


@pytest.hookimpl(tryfirst=True)      # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread while its session lives, which other tests' asyncio.run() must not meet (in
    parallel, each worker runs its tests in this order too: pytest-xdist hands them out
    in it, with --dist loadgroup --no-loadscope-reorder). Within each part the long
    modules first. A module whose tests share a costly module fixture (a server, a
    report built once) is one group, run by one worker, so that fixture is built once."""
    items.sort(key=lambda item: (_uses_browser(item),
                                 -LONG_MODULES.get(item.path.name, 0)))
    for item in items:
        if any(_module_scoped(item, name) for name in item.fixturenames):
            item.add_marker(pytest.mark.xdist_group(item.path.name))


def _module_scoped(item, name: str) -> bool:
    definitions = item._fixtureinfo.name2fixturedefs.get(name) or ()
    return any(d.scope == "module" for d in definitions)


@pytest.fixture
def store_at(tmp_path, monkeypatch):
    """A fresh SQLite store of this test's own for the app (EXPLORER_DB_URL), with its
    own job runner; the opened stores are forgotten before and after."""
    from lib import ui

    monkeypatch.setenv("EXPLORER_DB_URL", f"sqlite:///{tmp_path / 'store.db'}")
    ui.reset_store()
    yield tmp_path / "store.db"
    ui.reset_store()


@pytest.fixture
def fixtures(tmp_path, monkeypatch):
    """A copy of the demo fixtures the sandbox serves (EXPLORER_DEMO_FIXTURES); tests
    edit it between fetches."""
    from lib.sandbox.gateway import FIXTURES

    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, copy)
    monkeypatch.setenv("EXPLORER_DEMO_FIXTURES", str(copy))
    return copy
