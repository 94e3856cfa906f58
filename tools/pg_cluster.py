"""A throwaway PostgreSQL cluster for tests, benchmarks and `make team` (no pytest here).

    with running_cluster() as cluster:
        url = cluster.create_database("t_1")    # postgresql+psycopg://postgres@127.0.0.1:P/t_1

The cluster lives in a fresh temporary folder, listens on 127.0.0.1 on a free port with
trust authentication, keeps its unix socket inside that folder, and trades durability for
speed (fsync, full_page_writes and synchronous_commit off). initdb refuses to run as root,
so as root every server command runs as the `postgres` system user. Every subprocess call
has a timeout: starting or stopping never hangs.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import psycopg

DEBIAN_ROOT = Path("/usr/lib/postgresql")
SYSTEM_USER = "postgres"
START_TIMEOUT_S = 60          # initdb + first start on a busy 2-core machine
COMMAND_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20
SOCKET_PATH_MAX = 90          # unix socket paths are limited to ~107 bytes
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "shared_buffers": "'32MB'",
    "max_connections": "100",
    "logging_collector": "off",
}


# Started beside each cluster: it waits for its stdin pipe to close, which happens when the
# process that started the cluster ends however it ends (SIGTERM or SIGKILL included, when
# atexit never runs), then stops the server and deletes its folder. A cluster stopped
# normally is already gone by then, and the watchdog just exits.
_WATCHDOG = """
import shutil, subprocess, sys
from pathlib import Path
home, command = Path(sys.argv[1]), sys.argv[2:]
sys.stdin.buffer.read()
if (home / "data" / "postmaster.pid").exists():
    try:
        subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30, cwd=home)
    except Exception:
        pass
shutil.rmtree(home, ignore_errors=True)
"""


class ClusterError(RuntimeError):
    """The cluster could not be set up, started or reached (message has the server log)."""


def _version(bin_dir: Path) -> tuple[int, ...]:
    digits = re.findall(r"\d+", bin_dir.parent.name)
    return tuple(int(d) for d in digits) or (0,)


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb, pg_ctl and postgres;
    else the folder of an `initdb` on PATH (non-Debian machines); None when not installed."""
    needed = ("initdb", "pg_ctl", "postgres")
    candidates = sorted((p.parent for p in DEBIAN_ROOT.glob("*/bin/initdb")), key=_version,
                        reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)
    for bin_dir in candidates:
        if all(os.access(bin_dir / name, os.X_OK) for name in needed):
            return bin_dir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user() -> list[str]:
    """The command prefix that runs a server program as a user initdb accepts."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    try:
        import pwd
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise ClusterError(f"running as root, and there is no '{SYSTEM_USER}' user to run "
                           "PostgreSQL as (apt-get install postgresql creates it)") from None
    return [runuser, "-u", SYSTEM_USER, "--"]


def _make_home(base_dir: Path | None, prefix: list[str]) -> Path:
    """A fresh folder the server user owns and can reach. As root, a folder under a
    root-only parent (pytest's tmp dirs are 0700) is useless: then the system temp dir."""
    for parent in ([base_dir] if base_dir else []) + [Path(tempfile.gettempdir())]:
        parent.mkdir(parents=True, exist_ok=True)
        home = Path(tempfile.mkdtemp(prefix="pg-", dir=parent))
        if len(str(home / ".s.PGSQL.65535")) > SOCKET_PATH_MAX:
            shutil.rmtree(home, ignore_errors=True)
            continue
        if not prefix:
            return home
        shutil.chown(home, user=SYSTEM_USER, group=None)
        probe = subprocess.run(prefix + ["test", "-w", str(home)], cwd="/",
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=COMMAND_TIMEOUT_S)
        if probe.returncode == 0:
            return home
        shutil.rmtree(home, ignore_errors=True)
    raise ClusterError("found no folder the PostgreSQL server user can write to")


@dataclass
class Cluster:
    home: Path                    # everything lives here; deleted by stop()
    bin_dir: Path
    port: int
    prefix: list[str] = field(default_factory=list)   # runuser prefix when root
    stopped: bool = False
    watchdog: subprocess.Popen | None = None

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{SYSTEM_USER}@127.0.0.1:{self.port}/{dbname}"

    def server_log(self, last_chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-last_chars:]
        except OSError:
            return "(no server log)"

    def connect(self, dbname: str = "postgres", timeout_s: int = 5) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=SYSTEM_USER,
                               dbname=dbname, connect_timeout=timeout_s, autocommit=True)

    def create_database(self, name: str) -> str:
        """A new, empty database (copied from template0); returns its SQLAlchemy URL."""
        if not _DB_NAME.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        with self.connect() as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 '
                               "ENCODING 'UTF8'")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drops it even while a forgotten connection pool still holds it open."""
        if not _DB_NAME.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        with self.connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _pg_ctl(self, *args: str, timeout_s: float) -> subprocess.CompletedProcess:
        command = self.prefix + [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir),
                                 *args]
        # Output to a file, never a pipe: the server inherits pg_ctl's descriptors and
        # would hold a pipe open (and the read would wait) for as long as it runs.
        with open(self.home / "pg_ctl.out", "ab") as out:
            result = subprocess.run(command, cwd=self.home, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, timeout=timeout_s)
        return result

    def _wait_ready(self, deadline: float) -> None:
        last_error = ""
        while time.monotonic() < deadline:
            try:
                with self.connect(timeout_s=2) as connection:
                    connection.execute("SELECT 1")
                return
            except psycopg.Error as error:
                last_error = str(error).strip()
            time.sleep(0.1)
        raise ClusterError(f"PostgreSQL did not accept connections on port {self.port} "
                           f"within {START_TIMEOUT_S} s ({last_error}). Server log:\n"
                           f"{self.server_log()}")

    def _server_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Fast shutdown, then immediate, then SIGKILL; then the folder goes. Idempotent."""
        if self.stopped:
            return
        self.stopped = True
        for mode in ("fast", "immediate"):
            try:
                if self._pg_ctl("stop", "-m", mode, "-w", "-t", str(STOP_TIMEOUT_S),
                                timeout_s=STOP_TIMEOUT_S + 5).returncode == 0:
                    break
            except subprocess.TimeoutExpired:
                continue
        else:
            pid = self._server_pid()
            if pid:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.home, ignore_errors=True)
        if self.watchdog is not None:
            self.watchdog.stdin.close()          # nothing left to do: it exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.watchdog.wait(timeout=10)

    def _start_watchdog(self) -> None:
        stop = self.prefix + [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "stop",
                              "-m", "immediate", "-w", "-t", "20"]
        self.watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(self.home),
                                          *stop], stdin=subprocess.PIPE, cwd="/",
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)


def _init(cluster: Cluster) -> None:
    command = cluster.prefix + [str(cluster.bin_dir / "initdb"), "-D", str(cluster.data_dir),
                                "-U", SYSTEM_USER, "--auth=trust", "--encoding=UTF8",
                                "--no-locale", "--no-sync"]
    try:
        result = subprocess.run(command, cwd=cluster.home, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ClusterError(f"initdb did not finish within {COMMAND_TIMEOUT_S} s") from None
    if result.returncode != 0:
        raise ClusterError(f"initdb failed ({result.returncode}):\n{result.stderr[-4000:]}")
    lines = [f"{key} = {value}" for key, value in SETTINGS.items()]
    lines += [f"port = {cluster.port}", f"unix_socket_directories = '{cluster.home}'"]
    with open(cluster.data_dir / "postgresql.conf", "a") as conf:
        conf.write("\n# throwaway test cluster (tools/pg_cluster.py)\n" + "\n".join(lines) + "\n")


def _set_port(cluster: Cluster, port: int) -> None:
    cluster.port = port
    with open(cluster.data_dir / "postgresql.conf", "a") as conf:
        conf.write(f"port = {port}\n")      # the last setting of a name wins


def start_cluster(base_dir: Path | None = None) -> Cluster:
    """initdb + start in a new folder under base_dir (or the system temp dir); returns the
    running cluster once it accepts connections. Raises ClusterError with the server log."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise ClusterError("PostgreSQL is not installed (apt-get install postgresql)")
    prefix = _as_server_user()
    cluster = Cluster(home=_make_home(base_dir, prefix), bin_dir=bin_dir, port=_free_port(),
                      prefix=prefix)
    try:
        cluster._start_watchdog()
        _init(cluster)
        for attempt in range(3):     # a free port can be taken between probe and bind
            deadline = time.monotonic() + START_TIMEOUT_S
            try:
                started = cluster._pg_ctl("start", "-w", "-t", str(START_TIMEOUT_S),
                                          "-l", str(cluster.log_path),
                                          timeout_s=START_TIMEOUT_S + 5).returncode == 0
            except subprocess.TimeoutExpired:
                started = False
            if started:
                cluster._wait_ready(deadline)
                atexit.register(cluster.stop)     # also when the caller forgets
                return cluster
            if "could not bind" not in cluster.server_log() or attempt == 2:
                raise ClusterError(f"pg_ctl start failed. Server log:\n{cluster.server_log()}")
            _set_port(cluster, _free_port())
    except BaseException:
        cluster.stop()
        raise
    raise ClusterError("unreachable")


@contextlib.contextmanager
def running_cluster(base_dir: Path | None = None) -> Iterator[Cluster]:
    cluster = start_cluster(base_dir)
    try:
        yield cluster
    finally:
        cluster.stop()
