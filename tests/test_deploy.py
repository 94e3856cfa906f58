"""The deployment files (deploy/, .dockerignore): what they promise, checked statically;
the entrypoint and the health check run for real; and the container check, which builds
the image and runs its health check when a container engine answers, else is skipped
with the reason (pytest -rs shows it)."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import tomllib
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SERVICES = {"proxy", "app1", "app2", "worker", "db", "gateway"}
APP_COMMAND = ["python", "-m", "streamlit", "run", "app.py", "--server.port", "8501",
               "--server.address", "0.0.0.0", "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]
CREDENTIALS_TARGET = "/app/.streamlit/secrets.toml"
# name:1.2 or name:1.2.3-variant, optionally @sha256:digest; never :latest or no tag.
PINNED = re.compile(r"^[a-z0-9./_-]+:\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?$")


def _script(name: str):
    """A deploy/ script as a module (deploy/ is not a package: the image runs it by path)."""
    spec = importlib.util.spec_from_file_location(f"deploy_{name}", DEPLOY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: comments dropped, continuation lines joined."""
    logical, current = [], ""
    for line in text.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue                        # comments go, inside continued ones too
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    pairs = []
    for entry in logical:
        instruction, _, arguments = entry.strip().partition(" ")
        pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def _exec_form(arguments: str) -> list[str]:
    return json.loads(arguments)


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return dockerfile_instructions((DEPLOY / "Dockerfile").read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def _secret_names(service: dict) -> list[str]:
    return [s if isinstance(s, str) else s["source"] for s in service.get("secrets") or []]


def _command(value) -> list[str]:
    return value if isinstance(value, list) else str(value).split()


# ---------------------------------------------------------------- the Dockerfile

def test_dockerfile_base_is_pinned_to_the_tested_python(dockerfile):
    bases = [args.split()[0] for name, args in dockerfile if name == "FROM"]
    assert bases, "no FROM"
    for base in bases:
        assert PINNED.match(base), f"base image not pinned to a version tag: {base}"
        assert not base.endswith(":latest")
    major, minor = sys.version_info[:2]
    assert bases[-1].startswith(f"python:{major}.{minor}."), \
        f"the image's Python ({bases[-1]}) is not the one the tests run on ({major}.{minor})"


def test_dockerfile_runs_as_a_non_root_user(dockerfile):
    users = [args for name, args in dockerfile if name == "USER"]
    assert users, "no USER: the processes would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    created = " ".join(args for name, args in dockerfile if name == "RUN")
    assert re.search(rf"useradd\b.*\b{re.escape(users[-1])}\b", created), \
        f"user {users[-1]!r} is not created in the image"
    # Nothing after the switch runs as root again.
    last_user = max(i for i, (name, _) in enumerate(dockerfile) if name == "USER")
    assert not [a for n, a in dockerfile[last_user:] if n == "RUN"]


def test_dockerfile_health_check_and_default_command(dockerfile):
    checks = [args for name, args in dockerfile if name == "HEALTHCHECK"]
    assert len(checks) == 1
    options, _, command = checks[0].partition("CMD")
    assert "--interval=" in options and "--timeout=" in options
    health = _exec_form(command)
    assert health[0] == "python"           # the slim image has no curl or wget
    assert health[-1] == "http://127.0.0.1:8501/_stcore/health"
    assert (ROOT / health[1].removeprefix("/app/")).is_file()
    assert [args for name, args in dockerfile if name == "EXPOSE"] == ["8501"]
    commands = [args for name, args in dockerfile if name == "CMD"]
    assert _exec_form(commands[-1]) == APP_COMMAND
    entrypoint = _exec_form([a for n, a in dockerfile if n == "ENTRYPOINT"][-1])
    assert (ROOT / entrypoint[-1].removeprefix("/app/")).is_file()


def test_dockerfile_environment_and_runtime_requirements_only(dockerfile):
    env = " ".join(args for name, args in dockerfile if name == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PYTHONUNBUFFERED=1" in env
    runs = " ".join(args for name, args in dockerfile if name == "RUN")
    assert "pip install -r requirements.txt" in runs
    assert "requirements-dev" not in runs
    copies = [args for name, args in dockerfile if name == "COPY"]
    assert "requirements.txt ./" in copies and ". ." in copies


# ------------------------------------------------------------ no secret in the files

SECRET_NAME = re.compile(r"(?i)[\w.-]*(passw(or)?d|secret|token|api_?key|private_?key)[\w.-]*")
ASSIGNED = re.compile(r"(?i)\b([\w.-]+)[ \t]*[=:][ \t]*[\"']?([^\s\"',\]]+)")
# A value that names where a secret comes from, not the secret itself.
REFERENCE = re.compile(r"^(/run/secrets/|\$\{|\./secrets/|\{\$)")


def secret_looking(text: str) -> list[str]:
    """Assignments of a literal value to a secret-sounding name, and long random-looking
    tokens (32+ letters and digits mixed), anywhere in `text`."""
    hits = [f"{name}={value}" for name, value in ASSIGNED.findall(text)
            if SECRET_NAME.fullmatch(name) and not REFERENCE.match(value)
            and len(value) >= 6]
    hits += [token for token in re.findall(r"[A-Za-z0-9+/_-]{32,}", text)
             if re.search(r"\d", token) and re.search(r"[A-Za-z]", token)
             and not token.startswith("sha256")]
    return hits


def test_secret_scan_finds_what_it_is_for():
    assert secret_looking("ENV DB_PASSWORD=hunter2hunter2")
    assert secret_looking("  POSTGRES_PASSWORD: s3cr3t-value")
    assert secret_looking("token = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg'")
    assert not secret_looking("POSTGRES_PASSWORD_FILE: /run/secrets/db_password")
    assert not secret_looking("EXPLORER_DEMO: ${EXPLORER_DEMO:-}")


@pytest.mark.parametrize("name", ["deploy/Dockerfile", "deploy/compose.yaml",
                                  "deploy/Caddyfile", "deploy/demo.env",
                                  ".dockerignore"])
def test_no_secret_literal_in_deployment_files(name):
    assert secret_looking((ROOT / name).read_text()) == []


# ------------------------------------------------------------------ the compose file

def test_compose_has_the_services(compose):
    assert set(compose["services"]) == SERVICES


def test_every_image_is_pinned_or_built_here(compose):
    for name, service in compose["services"].items():
        if "build" in service:
            assert service["build"]["dockerfile"] == "deploy/Dockerfile", name
            assert (DEPLOY / service["build"]["context"] / "deploy" / "Dockerfile").is_file()
            assert not str(service.get("image", "")).endswith(":latest"), name
        else:
            assert PINNED.match(service["image"]), f"{name}: image not pinned: {service['image']}"


def test_proxy_is_the_one_published_port_with_sticky_sessions(compose):
    published = {name: s["ports"] for name, s in compose["services"].items() if s.get("ports")}
    assert list(published) == ["proxy"]
    (mapping,) = published["proxy"]
    assert str(mapping).endswith(":80")
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    for app in ("app1", "app2"):
        assert proxy["depends_on"][app]["condition"] == "service_healthy"


def test_caddyfile_balances_both_apps_with_a_cookie():
    text = re.sub(r"#.*", "", (DEPLOY / "Caddyfile").read_text())
    upstreams = re.search(r"reverse_proxy\s+([^{]+)\{", text).group(1).split()
    port = APP_COMMAND[APP_COMMAND.index("--server.port") + 1]
    assert upstreams == [f"app1:{port}", f"app2:{port}"]
    assert re.search(r"^\s*lb_policy\s+cookie\b", text, re.M)
    assert re.search(r"^\s*health_uri\s+/_stcore/health\s*$", text, re.M)
    assert text.count("{") == text.count("}")


@pytest.mark.parametrize("name", ["app1", "app2"])
def test_apps_use_the_shared_database_and_the_queue(compose, name):
    app = compose["services"][name]
    env = _environment(app)
    assert env["EXPLORER_JOBS"] == "queue"
    assert env["EXPLORER_DB_HOST"] == "db"
    assert env["EXPLORER_DB_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert "command" not in app                   # the image's CMD: the app
    assert "/_stcore/health" in " ".join(app["healthcheck"]["test"])
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    targets = [s.get("target") for s in app["secrets"] if isinstance(s, dict)]
    assert CREDENTIALS_TARGET in targets


def test_workers(compose):
    worker = compose["services"]["worker"]
    assert _command(worker["command"]) == ["python", "-m", "lib.jobs.worker"]
    assert worker["deploy"]["replicas"] == 2
    check = worker["healthcheck"]["test"]
    assert check[0] == "CMD" and check[-4:] == ["python", "-m", "lib.jobs.worker", "--check"]
    # The check goes through the entrypoint, which builds EXPLORER_DB_URL again.
    assert "/app/deploy/entrypoint.py" in check
    assert _environment(worker)["EXPLORER_JOBS"] == "queue"
    assert worker["depends_on"]["db"]["condition"] == "service_healthy"


def test_database_keeps_its_data_and_reads_its_password_from_a_file(compose):
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:")
    assert _environment(db)["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert "db_password" in _secret_names(db)
    volume, _, path = db["volumes"][0].partition(":")
    assert volume in compose["volumes"] and path == "/var/lib/postgresql/data"
    assert "pg_isready" in db["healthcheck"]["test"]


def test_gateway_only_in_demo_mode(compose):
    gateway = compose["services"]["gateway"]
    assert gateway["profiles"] == ["demo"]
    command = _command(gateway["command"])
    assert command[:3] == ["python", "-m", "lib.sandbox.server"]
    assert command[command.index("--host") + 1] == "0.0.0.0"    # reachable by the others
    port = command[command.index("--port") + 1]
    assert f"127.0.0.1:{port}/_sandbox/health" in " ".join(gateway["healthcheck"]["test"])
    demo = dict(line.split("=", 1) for line in (DEPLOY / "demo.env").read_text().splitlines()
                if line and not line.startswith("#"))
    assert demo["COMPOSE_PROFILES"] == "demo"
    assert demo["EXPLORER_DEMO_GATEWAY"] == f"http://gateway:{port}"
    for name in ("app1", "app2", "worker"):
        service = compose["services"][name]
        # Interpolated: empty (in-process sandbox) unless demo.env sets it.
        assert _environment(service)["EXPLORER_DEMO_GATEWAY"] == "${EXPLORER_DEMO_GATEWAY:-}"
        assert service["depends_on"]["gateway"] == {"condition": "service_healthy",
                                                    "required": False}


def test_no_service_has_a_literal_secret(compose):
    for name, service in compose["services"].items():
        for key, value in _environment(service).items():
            if key.endswith("_FILE"):
                assert value.startswith("/run/secrets/"), f"{name}: {key}={value}"
                assert value.removeprefix("/run/secrets/") in _secret_names(service), \
                    f"{name}: {key} names a secret the service is not given"
            else:
                assert not SECRET_NAME.fullmatch(key), f"{name}: {key} has a literal value"


def test_secrets_are_files_outside_the_repository_and_the_image(compose):
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/secrets/db_password"],
                             cwd=ROOT)
    assert ignored.returncode == 0, "deploy/secrets/ is not git-ignored"
    for name, secret in compose["secrets"].items():
        assert set(secret) == {"file"}, f"secret {name} is not a file"
        assert secret["file"].startswith("./secrets/")
        example = DEPLOY / "secrets.example" / secret["file"].removeprefix("./secrets/")
        assert example.is_file(), f"no example for the secret {name}"
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    for pattern in (".streamlit/secrets.toml", "deploy/secrets/", ".venv/", "data/",
                    "artifacts/", ".git/", ".pytest_cache/", "**/__pycache__/"):
        assert pattern in ignore, f".dockerignore does not leave out {pattern}"


def test_example_secrets_are_fake_and_refused():
    entrypoint = _script("entrypoint")
    for name in ("db_password", "cookie_secret"):
        value = (DEPLOY / "secrets.example" / name).read_text().strip()
        assert value.startswith(entrypoint.EXAMPLE_MARK)
    credentials = tomllib.loads((DEPLOY / "secrets.example" / "secrets.toml").read_text())
    assert credentials == {}        # comments only: demo mode until filled in


def test_the_modules_the_services_run_exist(compose):
    modules = {"streamlit"} | {
        c[c.index("-m") + 1] for s in compose["services"].values()
        if "-m" in (c := _command(s.get("command", [])))}
    assert modules >= {"lib.jobs.worker", "lib.sandbox.server"}
    for module in sorted(modules):
        assert importlib.util.find_spec(module), f"no module {module} in the project"


# ------------------------------------------------------------------ the entrypoint

def _secret(tmp_path: Path, name: str, value: str) -> str:
    (tmp_path / name).write_text(value)
    return str(tmp_path / name)


def test_entrypoint_builds_the_database_url_from_the_password_file(tmp_path):
    entrypoint = _script("entrypoint")
    password = "p@ss:w/rd%?#é"           # every character a URL would misread
    env = {"EXPLORER_DB_HOST": "db", "EXPLORER_DB_PASSWORD_FILE":
           _secret(tmp_path, "db_password", password + "\n"), "HOME": "/home/explorer"}
    assert entrypoint.prepare(env, f"{tmp_path}/") == ["EXPLORER_DB_URL"]
    url = sa.make_url(env["EXPLORER_DB_URL"])
    assert (url.drivername, url.host, url.port, url.database, url.username) == \
        ("postgresql+psycopg", "db", 5432, "explorer", "explorer")
    assert url.password == password
    assert "EXPLORER_DB_PASSWORD" not in env and "EXPLORER_DB_PASSWORD_FILE" not in env


def test_entrypoint_secret_files_rule(tmp_path):
    entrypoint = _script("entrypoint")
    env = {"STREAMLIT_SERVER_COOKIE_SECRET_FILE": _secret(tmp_path, "cookie", "k" * 40),
           "ALREADY_SET_FILE": _secret(tmp_path, "other", "from-file"),
           "ALREADY_SET": "kept",
           "REPORT_FILE": "/tmp/report.csv"}            # not a secret: left alone
    assert entrypoint.prepare(env, f"{tmp_path}/") == ["STREAMLIT_SERVER_COOKIE_SECRET"]
    assert env == {"STREAMLIT_SERVER_COOKIE_SECRET": "k" * 40, "ALREADY_SET": "kept",
                   "REPORT_FILE": "/tmp/report.csv"}
    # A URL given outright wins; nothing is built.
    env = {"EXPLORER_DB_URL": "sqlite:///x.db", "EXPLORER_DB_HOST": "db"}
    assert entrypoint.prepare(env, f"{tmp_path}/") == []
    assert env["EXPLORER_DB_URL"] == "sqlite:///x.db"


@pytest.mark.parametrize("case, needle", [
    ("example", "example value"), ("empty", "is empty"), ("missing", "cannot be read"),
    ("no password", "no database password")])
def test_entrypoint_refuses_a_bad_setup(tmp_path, case, needle):
    entrypoint = _script("entrypoint")
    example = (DEPLOY / "secrets.example" / "db_password").read_text()
    files = {"example": lambda: _secret(tmp_path, "db_password", example),
             "empty": lambda: _secret(tmp_path, "db_password", "\n"),
             "missing": lambda: f"{tmp_path}/nothing-here"}
    env = {"EXPLORER_DB_HOST": "db"}
    if case in files:
        env["EXPLORER_DB_PASSWORD_FILE"] = files[case]()
    with pytest.raises(entrypoint.SetupError, match=needle):
        entrypoint.prepare(env, f"{tmp_path}/")


def test_entrypoint_execs_the_command_with_the_settings():
    script = str(DEPLOY / "entrypoint.py")
    env = {**os.environ, "EXPLORER_DB_URL": "sqlite:///given.db"}
    env.pop("EXPLORER_DB_HOST", None)
    done = subprocess.run(
        [sys.executable, script, sys.executable, "-c",
         "import os, sys; print(os.environ['EXPLORER_DB_URL'], os.getpid()); sys.exit(3)"],
        env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 3                       # the command's own exit code
    assert done.stdout.split()[0] == "sqlite:///given.db"
    broken = subprocess.run([sys.executable, script, "true"], capture_output=True, text=True,
                            env={**env, "EXPLORER_DB_URL": "", "EXPLORER_DB_HOST": "db"},
                            timeout=30)
    assert broken.returncode == 78 and "no database password" in broken.stderr


def test_worker_health_check_through_the_entrypoint_on_postgresql(compose, pg_url, tmp_path):
    """The worker's compose health check, run as compose runs it: the entrypoint builds
    EXPLORER_DB_URL from the host settings and the password file, the worker's --check
    reaches the database (queue tables missing: unhealthy), then healthy once they exist."""
    from lib.jobs.queue import ensure_schema, make_app
    from lib.store import open_store

    given = sa.make_url(pg_url)
    check = compose["services"]["worker"]["healthcheck"]["test"][1:]
    check = [sys.executable if part == "python" else part for part in check]
    check[1] = str(DEPLOY / "entrypoint.py")
    env = {**os.environ, **_environment(compose["services"]["worker"]),
           "EXPLORER_DB_HOST": given.host, "EXPLORER_DB_PORT": str(given.port),
           "EXPLORER_DB_NAME": given.database, "EXPLORER_DB_USER": given.username,
           "EXPLORER_SECRETS_DIR": str(tmp_path),
           "EXPLORER_DB_PASSWORD_FILE": _secret(tmp_path, "db_password", "p@ss:w/rd%?#é\n")}
    env.pop("EXPLORER_DB_URL", None)

    def run():
        return subprocess.run(check, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)

    before = run()
    assert before.returncode == 1, before.stdout + before.stderr
    assert "task queue's tables do not exist yet" in before.stdout
    store = open_store(pg_url)
    try:
        ensure_schema(store.engine, make_app(pg_url))
    finally:
        store.close()
    after = run()
    assert after.returncode == 0 and "healthy" in after.stdout, after.stdout + after.stderr
    assert "p@ss" not in after.stdout + after.stderr      # the password is never printed


# ---------------------------------------------------------------- the health check

class _Health(BaseHTTPRequestHandler):
    def do_GET(self):
        status = 200 if self.path == "/_stcore/health" else 503
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"starting")

    def log_message(self, *args):
        pass


@pytest.fixture()
def health_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_health_check_answers_for_the_server(health_server):
    script = str(DEPLOY / "healthcheck.py")

    def run(url):
        return subprocess.run([sys.executable, script, url, "2"], capture_output=True,
                              text=True, timeout=30)

    ok = run(f"{health_server}/_stcore/health")
    assert ok.returncode == 0 and "HTTP 200" in ok.stdout
    starting = run(f"{health_server}/other")
    assert starting.returncode == 1 and "HTTP 503" in starting.stdout
    closed = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    port = closed.server_address[1]
    closed.server_close()                              # nothing listens there now
    down = run(f"http://127.0.0.1:{port}/_stcore/health")
    assert down.returncode == 1 and "no answer" in down.stdout


# ------------------------------------------- the image's content, without an engine

def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not [p for p in patterns if p.startswith("!")], "exceptions are not modelled here"
    return patterns


def ignored(relative: str, is_dir: bool, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule for the patterns used here: relative to the context
    root, `**/` = any depth, a trailing `/` = a folder (and so everything in it)."""
    import fnmatch

    for pattern in patterns:
        folder_only = pattern.endswith("/")
        pattern = pattern.rstrip("/")
        candidates = {pattern, pattern.removeprefix("**/")} if pattern.startswith("**/") \
            else {pattern}
        for candidate in candidates:
            anywhere = candidate != pattern
            names = [relative] + ([relative.rsplit("/", 1)[-1]] if anywhere else [])
            if any(fnmatch.fnmatchcase(n, candidate) for n in names) \
                    and (is_dir or not folder_only):
                return True
    return False


def copy_build_context(target: Path) -> list[str]:
    """What `COPY . .` puts into the image: the project less .dockerignore's patterns."""
    patterns, copied = dockerignore_patterns(), []
    for folder, dirs, files in os.walk(ROOT):
        base = Path(folder).relative_to(ROOT).as_posix()
        prefix = "" if base == "." else base + "/"
        dirs[:] = [d for d in dirs if not ignored(prefix + d, True, patterns)]
        for name in files:
            if not ignored(prefix + name, False, patterns):
                (target / prefix).mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / prefix / name, target / prefix / name)
                copied.append(prefix + name)
    return copied


def test_dockerignore_rules_as_modelled():
    patterns = dockerignore_patterns()
    assert ignored(".streamlit/secrets.toml", False, patterns)
    assert ignored("deploy/secrets", True, patterns)
    assert ignored("lib/store/__pycache__", True, patterns)
    assert ignored("lib/x.pyc", False, patterns)
    assert not ignored(".streamlit/config.toml", False, patterns)
    assert not ignored("lib/sandbox/fixtures", True, patterns)
    assert not ignored("deploy/secrets.example", True, patterns)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_until_healthy(command: list[str], cwd: Path, env: dict, url: str) -> str:
    """Start `command`, wait for deploy/healthcheck.py to pass on `url`, stop it; returns
    the health check's output (fails with the server's log when it never passes)."""
    log = cwd / f"server-{uuid.uuid4().hex[:6]}.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=cwd, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and server.poll() is None:
            check = subprocess.run([sys.executable, str(cwd / "deploy" / "healthcheck.py"),
                                    url, "2"], capture_output=True, text=True, timeout=30)
            if check.returncode == 0:
                return check.stdout
            time.sleep(0.5)
        pytest.fail(f"{url} never healthy (exit {server.poll()}):\n{log.read_text()[-3000:]}")
    finally:
        if server.poll() is None:
            os.killpg(server.pid, 15)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
                server.wait()


RENDER_OVERVIEW = """
import sys
sys.path.insert(0, ".")
from streamlit.testing.v1 import AppTest
from lib.client import fetch_product
from lib.sandbox import DEMO_PRODUCTS
query = DEMO_PRODUCTS[0]
title = fetch_product(query).title
at = AppTest.from_file("app.py", default_timeout=120)
at.query_params["platform"] = query.platform
at.query_params["id"] = query.product_id
at.run()
assert not at.exception, [e.value for e in at.exception]
shown = " ".join([m.value for m in at.markdown] + [h.value for h in at.title]
                 + [h.value for h in at.header] + [h.value for h in at.subheader])
from lib.text import literal
assert title and (title in shown or literal(title) in shown), (title, shown[:500])
print("title shown:", title)
"""


def test_image_content_runs_the_app_and_the_gateway(tmp_path, compose, dockerfile):
    """The project as the image gets it (.dockerignore applied), started with the image's
    entrypoint and command and the gateway's compose command: both pass their health
    checks. What a build would add is the base image and requirements.txt."""
    app_dir = tmp_path / "app"
    copied = copy_build_context(app_dir)
    assert "app.py" in copied and "deploy/entrypoint.py" in copied
    assert not [f for f in copied if f.startswith(("tests/", ".venv/", "data/", ".git/"))
                or f == ".streamlit/secrets.toml" or f.startswith("deploy/secrets/")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPLORER_")}
    env.update({"EXPLORER_DEMO": "1", "EXPLORER_DATA_DIR": str(tmp_path / "data"),
                "PYTHONDONTWRITEBYTECODE": "1", "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"})
    env.pop("PYTHONPATH", None)

    def local(command: list[str], port: int) -> list[str]:
        command = [sys.executable if part == "python" else part for part in command]
        for flag, value in (("--server.port", str(port)), ("--port", str(port)),
                            ("--server.address", "127.0.0.1"), ("--host", "127.0.0.1")):
            if flag in command:
                command[command.index(flag) + 1] = value
        return command

    entrypoint = [sys.executable, str(app_dir / "deploy" / "entrypoint.py")]
    app_port = _free_port()
    cmd = _exec_form([a for n, a in dockerfile if n == "CMD"][-1])
    said = _serve_until_healthy(entrypoint + local(cmd, app_port), app_dir, env,
                                f"http://127.0.0.1:{app_port}/_stcore/health")
    assert "HTTP 200" in said
    # The app's script itself, from the copy: the Overview of a demo product renders.
    rendered = subprocess.run([sys.executable, "-c", RENDER_OVERVIEW], cwd=app_dir, env=env,
                              capture_output=True, text=True, timeout=180)
    assert rendered.returncode == 0 and "title shown" in rendered.stdout, \
        rendered.stdout[-2000:] + rendered.stderr[-3000:]
    gateway_port = _free_port()
    gateway = local(_command(compose["services"]["gateway"]["command"]), gateway_port)
    gateway = [part.replace("${EXPLORER_GATEWAY_LATENCY_MS:-50}", "50")
                   .replace("${EXPLORER_GATEWAY_QPS:-10}", "10") for part in gateway]
    said = _serve_until_healthy(entrypoint + gateway, app_dir, env,
                                f"http://127.0.0.1:{gateway_port}/_sandbox/health")
    assert "HTTP 200" in said


# ------------------------------------------------------------ the container check

def container_engine() -> tuple[str | None, str]:
    """The first of docker, podman whose `info` succeeds within 10 s, or (None, why not)."""
    reasons = []
    for name in ("docker", "podman"):
        path = shutil.which(name)
        if not path:
            reasons.append(f"{name}: not installed")
            continue
        try:
            done = subprocess.run([path, "info"], capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            reasons.append(f"{name} info: no answer within 10 s")
            continue
        if done.returncode == 0:
            return path, ""
        said = (done.stderr or done.stdout).strip().splitlines()
        reasons.append(f"{name} info: {said[-1] if said else f'exit {done.returncode}'}")
    return None, "; ".join(reasons)


def _health_command(engine: str, image: str) -> list[str]:
    """The HEALTHCHECK command stored in the built image (docker and podman layouts)."""
    inspected = json.loads(subprocess.run([engine, "image", "inspect", image],
                                          capture_output=True, text=True, check=True).stdout)[0]
    check = (inspected.get("Config") or {}).get("Healthcheck") or inspected.get("HealthCheck")
    assert check and check.get("Test"), "the built image has no health check"
    test = check["Test"]
    assert test[0] in {"CMD", "CMD-SHELL"}
    return test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]


def test_container_image_builds_and_is_healthy():
    engine, why_not = container_engine()
    if not engine:
        pytest.skip(f"container check skipped: no container engine ({why_not})")
    image = f"product-explorer:test-{uuid.uuid4().hex[:8]}"
    container = image.replace(":", "-")
    build = [engine, "build", "-f", "deploy/Dockerfile", "-t", image, "."]
    if os.path.basename(engine) == "podman":
        build[2:2] = ["--format", "docker"]           # OCI images drop HEALTHCHECK
    try:
        subprocess.run(build, cwd=ROOT, check=True, timeout=1800)
        health = _health_command(engine, image)
        subprocess.run([engine, "run", "-d", "--name", container, "-e", "EXPLORER_DEMO=1",
                        image], check=True, capture_output=True, timeout=60)
        uid = subprocess.run([engine, "exec", container, "id", "-u"], capture_output=True,
                             text=True, timeout=30).stdout.strip()
        assert uid and uid != "0", "the container runs as root"
        deadline, last = time.monotonic() + 180, None
        while time.monotonic() < deadline:
            last = subprocess.run([engine, "exec", container, *health], capture_output=True,
                                  text=True, timeout=30)
            if last.returncode == 0:
                break
            time.sleep(2)
        logs = subprocess.run([engine, "logs", container], capture_output=True, text=True)
        assert last is not None and last.returncode == 0, \
            f"health check never passed: {last.stdout}{last.stderr}\n{logs.stdout}{logs.stderr}"
    finally:
        subprocess.run([engine, "rm", "-f", container], capture_output=True)
        subprocess.run([engine, "rmi", "-f", image], capture_output=True)
