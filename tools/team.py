"""The team deployment's topology without containers: `make team` (python -m tools.team).

Starts, on this machine, what deploy/compose.yaml starts in containers:
  - a throwaway PostgreSQL cluster from the system's packages (tools/pg_cluster.py): the
    shared store, the task queue and the shared pacing schedule;
  - the shared demo gateway (python -m lib.sandbox.server), which judges the rate limit
    across every caller;
  - two app servers on two ports (no proxy: each port is one replica, as a sticky session
    would pin a browser to it);
  - two job workers (python -m lib.jobs.worker);
then waits (Ctrl+C) and stops them all again, the cluster and its folder included.

tests/test_team.py drives the same `Team` from Python (kill a worker, count the gateway).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx

from tools import pg_cluster

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    name: str
    command: list[str]
    log_path: Path
    health_url: str = ""
    process: subprocess.Popen | None = None
    niceness: int = 0          # < 0: ahead of the others for the CPU (needs root)

    def start(self, env: dict[str, str]) -> "Service":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True, preexec_fn=self._priority)
        log.close()
        return self

    def _priority(self) -> None:
        if self.niceness and os.geteuid() == 0:
            os.nice(self.niceness)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self, last_chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-last_chars:]
        except OSError:
            return ""

    def wait_healthy(self, deadline: float) -> None:
        while True:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.log()}")
            if not self.health_url:
                return
            try:
                if httpx.get(self.health_url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} gave no health answer:\n{self.log()}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to tidy up (a crash, the OOM killer)."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self) -> None:
        if not self.alive():
            return
        try:
            os.killpg(self.pid, signal.SIGTERM)
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except ProcessLookupError:
            pass


@dataclass
class Team:
    folder: Path
    db_url: str
    gateway: Service
    apps: list[Service]
    workers: list[Service]
    env: dict[str, str]
    _next_worker: int = field(default=0)

    @property
    def app_urls(self) -> list[str]:
        return [a.health_url.rsplit("/_stcore", 1)[0] for a in self.apps]

    @property
    def gateway_url(self) -> str:
        return self.gateway.health_url.rsplit("/_sandbox", 1)[0]

    def gateway_stats(self, log: bool = False) -> dict:
        url = f"{self.gateway_url}/_sandbox/stats" + ("?log=1" if log else "")
        return httpx.get(url, timeout=10).json()

    def add_worker(self) -> Service:
        self._next_worker += 1
        # A call a worker was granted must leave at once (late, it bunches with the next
        # one at the gateway): on one small machine the workers get the CPU before the
        # app servers' page runs, as they would on machines of their own.
        worker = Service(f"worker-{self._next_worker}",
                         [sys.executable, "-m", "lib.jobs.worker"],
                         self.folder / f"worker-{self._next_worker}.log", niceness=-5)
        self.workers.append(worker.start(self.env))
        return worker


def _environment(db_url: str, gateway_url: str, extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_APP_SECRET", "_ACCESS_TOKEN", "_CLIENT_SECRET"))}
    env.update({"EXPLORER_DB_URL": db_url, "EXPLORER_JOBS": "queue",
                "EXPLORER_DEMO_GATEWAY": gateway_url, "EXPLORER_DEMO": "1",
                "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def _prepare_database(db_url: str) -> None:
    """Migrations and the queue's tables once, before four processes start together."""
    from lib.jobs.queue import ensure_schema, make_app
    from lib.store import open_store

    store = open_store(db_url)
    try:
        ensure_schema(store.engine, make_app(db_url))
    finally:
        store.close()


@contextlib.contextmanager
def running_team(folder: Path | None = None, *, app_ports: tuple[int, int] | None = None,
                 gateway_port: int | None = None, qps: float = 10, latency_ms: float = 50,
                 fixtures: Path | None = None, workers: int = 2,
                 env_extra: dict[str, str] | None = None) -> Iterator[Team]:
    """The whole topology; everything stops when the block ends, however it ends."""
    folder = Path(folder or tempfile.mkdtemp(prefix="explorer-team-"))
    folder.mkdir(parents=True, exist_ok=True)
    services: list[Service] = []
    with pg_cluster.running_cluster(folder) as cluster:
        db_url = cluster.create_database("explorer")
        _prepare_database(db_url)
        gateway_port = gateway_port or free_port()
        gateway_command = [sys.executable, "-m", "lib.sandbox.server", "--host", "127.0.0.1",
                           "--port", str(gateway_port), "--latency-ms", f"{latency_ms:g}",
                           "--qps", f"{qps:g}"]
        if fixtures is not None:
            gateway_command += ["--fixtures", str(fixtures)]
        # The demo gateway stands in for the marketplace's own servers, which our app
        # servers and workers never slow down: on one small machine it gets the CPU
        # first, so the arrival times it judges the limit by are the calls' own.
        gateway = Service("gateway", gateway_command, folder / "gateway.log",
                          f"http://127.0.0.1:{gateway_port}/_sandbox/health", niceness=-10)
        env = _environment(db_url, f"http://127.0.0.1:{gateway_port}", env_extra)
        apps = []
        for n, port in enumerate(app_ports or (free_port(), free_port()), start=1):
            apps.append(Service(
                f"app-{n}", [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                             "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"],
                folder / f"app-{n}.log", f"http://127.0.0.1:{port}/_stcore/health"))
        team = Team(folder, db_url, gateway, apps, [], env)
        try:
            services.append(gateway.start(env))
            gateway.wait_healthy(time.monotonic() + START_TIMEOUT_S)
            for app in apps:
                services.append(app.start(env))
            for _ in range(workers):
                services.append(team.add_worker())
            deadline = time.monotonic() + START_TIMEOUT_S
            for service in apps + team.workers:
                service.wait_healthy(deadline)
            yield team
        finally:
            for service in reversed(services + [w for w in team.workers
                                                if w not in services]):
                service.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make team", description=__doc__.split("\n")[0])
    parser.add_argument("--ports", default="8601,8602", help="the two app servers' ports")
    parser.add_argument("--gateway-port", type=int, default=8650)
    parser.add_argument("--qps", type=float, default=10, help="the gateway's limit per second")
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args(argv)
    ports = tuple(int(p) for p in args.ports.split(","))
    if pg_cluster.find_bin_dir() is None:
        print("PostgreSQL is not installed: apt-get install postgresql (its binaries "
              "only; no server needs to run)", file=sys.stderr)
        return 2
    print("Starting PostgreSQL, the demo gateway, two app servers and two workers …")
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        with running_team(app_ports=ports, gateway_port=args.gateway_port, qps=args.qps,
                          latency_ms=args.latency_ms) as team:
            print(f"  app servers: {', '.join(team.app_urls)}")
            print(f"  demo gateway: {team.gateway_url} (limit {args.qps:g}/s; counts at "
                  f"{team.gateway_url}/_sandbox/stats)")
            print(f"  workers: {', '.join(str(w.pid) for w in team.workers)}")
            print(f"  logs: {team.folder}")
            print("Ready. Ctrl+C stops everything.")
            while not stop["now"]:
                for service in [team.gateway, *team.apps, *team.workers]:
                    if not service.alive():
                        print(f"{service.name} stopped unexpectedly:\n{service.log()}")
                        return 1
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping …")
    print("All stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
