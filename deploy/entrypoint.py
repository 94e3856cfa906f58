"""Container entrypoint: settings from secret files, then the command itself.

Secrets reach a container as files under /run/secrets/ (deploy/compose.yaml), never as
values in the image or the compose file. Two rules turn them into the settings the
program reads, then the entrypoint replaces itself with the command (exec), so the
command gets the signals (`docker stop`) directly:

1. NAME_FILE=/run/secrets/x sets NAME to the file's text (trailing newline dropped),
   unless NAME is already set; only paths under /run/secrets/ count, so an unrelated
   variable that happens to end in _FILE is left alone (EXPLORER_SECRETS_DIR names
   another folder, for an engine that mounts secrets elsewhere). An empty file, or one still
   holding the example value of deploy/secrets.example/, stops the start. Example:
   STREAMLIT_SERVER_COOKIE_SECRET_FILE=/run/secrets/cookie_secret.
2. No EXPLORER_DB_URL but EXPLORER_DB_HOST: EXPLORER_DB_URL is built from
   EXPLORER_DB_HOST, EXPLORER_DB_PORT (5432), EXPLORER_DB_NAME (explorer),
   EXPLORER_DB_USER (explorer) and EXPLORER_DB_PASSWORD (from rule 1, usually
   EXPLORER_DB_PASSWORD_FILE=/run/secrets/db_password), each part URL-quoted, and
   EXPLORER_DB_PASSWORD is removed again: only the URL carries it on.
"""
from __future__ import annotations

import os
import sys
from typing import MutableMapping
from urllib.parse import quote

SECRETS_DIR = "/run/secrets/"
# deploy/secrets.example/ values start so: a deployment must not run on a published password.
EXAMPLE_MARK = "example-only-"
EXIT_CONFIG = 78        # EX_CONFIG: the container is set up wrongly, restarting won't help


class SetupError(Exception):
    """A secret or setting the container needs is missing; the message says which."""


def secrets_from_files(environ: MutableMapping[str, str],
                       secrets_dir: str = SECRETS_DIR) -> list[str]:
    """Rule 1, in place; returns the names set (for the start-up line, never values)."""
    loaded = []
    for file_variable in sorted(k for k in environ if k.endswith("_FILE") and len(k) > 5):
        path = environ[file_variable]
        if not path.startswith(secrets_dir):
            continue
        name = file_variable[: -len("_FILE")]
        del environ[file_variable]
        if environ.get(name):
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                value = handle.read().rstrip("\r\n")
        except OSError as exc:
            raise SetupError(
                f"{file_variable} names {path}, which cannot be read ({exc.strerror}); is "
                f"the secret given to this service, and readable by uid {os.getuid()}?"
            ) from exc
        if not value:
            raise SetupError(f"{path} ({file_variable}) is empty.")
        if value.startswith(EXAMPLE_MARK):
            raise SetupError(f"{path} ({file_variable}) still holds the example value of "
                             "deploy/secrets.example/: write a real secret there (README, "
                             "Deployment).")
        environ[name] = value
        loaded.append(name)
    return loaded


def database_url(environ: MutableMapping[str, str]) -> str | None:
    """Rule 2: the SQLAlchemy URL of the team store, or None when nothing asks for one."""
    if (environ.get("EXPLORER_DB_URL") or "").strip():
        return None
    host = (environ.get("EXPLORER_DB_HOST") or "").strip()
    if not host:
        return None
    password = environ.get("EXPLORER_DB_PASSWORD") or ""
    if not password:
        raise SetupError("EXPLORER_DB_HOST is set but there is no database password: give "
                         "the service the db_password secret and "
                         "EXPLORER_DB_PASSWORD_FILE=/run/secrets/db_password.")
    user = environ.get("EXPLORER_DB_USER") or "explorer"
    name = environ.get("EXPLORER_DB_NAME") or "explorer"
    port = environ.get("EXPLORER_DB_PORT") or "5432"
    if not port.isdigit():
        raise SetupError(f"EXPLORER_DB_PORT must be a number, not {port!r}.")
    return (f"postgresql+psycopg://{quote(user, safe='')}:{quote(password, safe='')}"
            f"@{host}:{port}/{quote(name, safe='')}")


def prepare(environ: MutableMapping[str, str], secrets_dir: str = SECRETS_DIR) -> list[str]:
    """Both rules on `environ`; returns the names of the settings it set."""
    loaded = secrets_from_files(environ, secrets_dir)
    url = database_url(environ)
    if url:
        environ["EXPLORER_DB_URL"] = url
        environ.pop("EXPLORER_DB_PASSWORD", None)
        loaded = [n for n in loaded if n != "EXPLORER_DB_PASSWORD"] + ["EXPLORER_DB_URL"]
    return loaded


def main(argv: list[str]) -> int:
    if not argv:
        print("entrypoint: no command given", file=sys.stderr)
        return 64
    secrets_dir = os.environ.get("EXPLORER_SECRETS_DIR") or SECRETS_DIR
    try:
        loaded = prepare(os.environ, secrets_dir.rstrip("/") + "/")
    except SetupError as exc:
        print(f"entrypoint: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if loaded:
        print(f"entrypoint: set {', '.join(loaded)} from secret files", file=sys.stderr)
    os.execvp(argv[0], argv)
    return 0  # not reached: exec replaced this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
