"""One `streamlit run` of an app on a loopback port, for the tests and the benchmarks:
started, waited for (its health answer) and ended (SIGTERM, then SIGKILL) however the
caller's block ends. The caller builds the environment (demo mode, a store of its own).
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 40
# Never a developer's secrets in a server the tests or benchmarks start.
SECRET_SUFFIXES = ("_APP_SECRET", "_ACCESS_TOKEN", "_CLIENT_SECRET")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment_without_secrets() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.endswith(SECRET_SUFFIXES)}


@contextlib.contextmanager
def streamlit_server(app_file: Path, env: dict[str, str], *, port: int | None = None,
                     cwd: Path = ROOT, log_path: Path | None = None,
                     timeout_s: float = START_TIMEOUT_S, extra_args: tuple[str, ...] = ()
                     ) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yields (base URL, process) once /_stcore/health answers "ok". `cwd`: the folder
    whose .streamlit/config.toml applies. `log_path`: the server's output (appended).
    `extra_args`: more `streamlit run` options (e.g. --runner.postScriptGC=true)."""
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(app_file),
               "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false",
               *extra_args]
    log = open(log_path, "a") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    base_url = f"http://127.0.0.1:{port}"
    output = (lambda: log_path.read_text()) if log_path else (lambda: "")
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited:\n{output()}")
            try:
                if httpx.get(f"{base_url}/_stcore/health", timeout=1).text.strip() == "ok":
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"no health answer:\n{output()}")
            time.sleep(0.05)
        yield base_url, process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        if log_path:
            log.close()
