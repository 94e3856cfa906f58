"""How this process runs: alone (the embedded defaults) or as one of a team deployment's
app replicas and workers. Read from the environment, the same in every process:

    EXPLORER_JOBS=in-process|queue    who runs jobs: threads of the app server (default),
                                      or procrastinate workers (lib/jobs/worker.py)
    EXPLORER_PACING=shared|process    one rate limit for every process on the store's
                                      database (default when the store is PostgreSQL),
                                      or each process its own (default on SQLite)
    EXPLORER_DEMO_GATEWAY=http://h:p  demo calls go to the shared demo gateway server
                                      (python -m lib.sandbox.server), not in-process

`configure_process(store)` applies them once per process (the app and the worker call
it); a bad value raises SettingError with a message fit for whoever deploys. No
Streamlit in here.
"""
from __future__ import annotations

import logging
import os
import threading
import tomllib
from pathlib import Path
from typing import Any, Mapping

import sqlalchemy as sa

IN_PROCESS, QUEUE = "in-process", "queue"
SHARED, PROCESS = "shared", "process"
_TRUE = {"1", "true", "yes"}
PROJECT = Path(__file__).resolve().parents[1]


class SettingError(ValueError):
    """A deployment setting that cannot be used; the message says which and why."""


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...],
            default: str) -> str:
    value = (environ.get(name) or "").strip().lower() or default
    if value not in allowed:
        raise SettingError(f"{name}={value!r} is not a choice: use one of "
                           + ", ".join(allowed) + ".")
    return value


def jobs_mode(environ: Mapping[str, str] = os.environ) -> str:
    return _choice(environ, "EXPLORER_JOBS", (IN_PROCESS, QUEUE), IN_PROCESS)


def on_postgresql(store_url: str) -> bool:
    try:
        return sa.make_url(store_url).get_backend_name() == "postgresql"
    except sa.exc.ArgumentError:
        return False


def pacing_mode(store_url: str, environ: Mapping[str, str] = os.environ) -> str:
    default = SHARED if on_postgresql(store_url) else PROCESS
    mode = _choice(environ, "EXPLORER_PACING", (SHARED, PROCESS), default)
    if mode == SHARED and not on_postgresql(store_url):
        raise SettingError("EXPLORER_PACING=shared needs the store on PostgreSQL "
                           "(EXPLORER_DB_URL=postgresql+psycopg://...).")
    return mode


def demo_forced(environ: Mapping[str, str] = os.environ) -> bool:
    return (environ.get("EXPLORER_DEMO") or "").strip().lower() in _TRUE


def read_secrets(environ: Mapping[str, str] = os.environ,
                 places: tuple[Path, ...] | None = None) -> dict[str, Any]:
    """The secrets a worker reads where Streamlit would: .streamlit/secrets.toml in the
    project, then in the home folder (the first that exists). {} when none, or when the
    file cannot be read (then the worker runs its platforms in demo mode and says so)."""
    places = places or (PROJECT / ".streamlit" / "secrets.toml",
                        Path.home() / ".streamlit" / "secrets.toml")
    for place in places:
        if place.is_file():
            try:
                return tomllib.loads(place.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                import logging
                logging.getLogger(__name__).warning(
                    "the secrets file %s cannot be read (%s): live credentials are "
                    "not used", place, type(exc).__name__)
                return {}
    return {}


log = logging.getLogger(__name__)
_CONFIGURED: dict[str, Any] = {}
_LOCK = threading.Lock()


def configure_process(store: Any | None, store_url: str,
                      environ: Mapping[str, str] = os.environ, caller: str = "") -> None:
    """Point this process's client at the shared demo gateway and its pacing at the
    shared database schedule, as the settings say. Done once per store; cheap after."""
    from lib import client, ratelimit
    from lib.sandbox.remote import gateway_transport_from_env, warm_up

    key = f"{id(store)}|{store_url}"
    with _LOCK:
        if _CONFIGURED.get("key") == key:
            return
        jobs_mode(environ)                       # a bad value is said now, not later
        # One transport per batch (its connections belong to that batch's event loop);
        # a bad address is said now, not at the first fetch.
        settings = dict(environ)
        gateway = gateway_transport_from_env(settings, caller=caller)
        if gateway is None:
            client.DEMO_TRANSPORT_FACTORY = None
        else:
            if not warm_up(gateway):
                log.warning("the demo gateway at %s does not answer (yet)", gateway.base_url)
            client.DEMO_TRANSPORT_FACTORY = (
                lambda: gateway_transport_from_env(settings, caller=caller))
        shared = store is not None and pacing_mode(store_url, environ) == SHARED
        ratelimit.use_shared_pacing(store.engine if shared else None)
        _CONFIGURED["key"] = key


__all__ = ["IN_PROCESS", "PROCESS", "QUEUE", "SHARED", "SettingError", "configure_process",
           "demo_forced", "jobs_mode", "on_postgresql", "pacing_mode", "read_secrets"]
