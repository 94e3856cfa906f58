"""A job worker of a team deployment: `python -m lib.jobs.worker`.

Runs the parts of batch fetches and list refreshes from the task queue (lib/jobs/queue.py)
on the store's PostgreSQL (EXPLORER_DB_URL), with the live credentials of
.streamlit/secrets.toml or the environment (else the demo gateway, EXPLORER_DEMO_GATEWAY
when set), paced by the one schedule every process shares. Stop it with SIGTERM or
Ctrl+C: the parts in hand finish their items in flight, the rest waits in the queue.

    --concurrency N   parts worked at once (default 2; each fetches JOB_CONCURRENCY
                      products at a time, all within the platform's rate limit)
    --check           exit 0 when the database and the queue's tables are reachable
                      (a container health check), 1 with the reason otherwise
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from lib import deployment
from lib.jobs.board import JobBoard, process_owner
from lib.jobs.queue import (HEARTBEAT_S, QUEUE, STALLED_S, WorkerContext, ensure_schema,
                            make_app, recover_stalled, schema_ready, set_worker_context)
from lib.jobs.runner import JOB_CONCURRENCY, client_fetch

log = logging.getLogger("lib.jobs.worker")


def _credentials_for(secrets):
    from lib.credentials import load_credentials
    from lib.platforms import PLATFORMS

    def credentials_for(platform: str):
        if deployment.demo_forced() or platform not in PLATFORMS:
            return None
        return load_credentials(platform, PLATFORMS[platform].credential_keys, secrets)
    return credentials_for


def _tick(store, board):
    def tick(now) -> list[str]:
        from lib.watchlists import scheduled_refreshes
        return scheduled_refreshes(store, board, now)
    return tick


def check(url: str) -> int:
    """The health check: the database answers and the queue's tables exist."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
        with engine.connect() as connection:
            ready = schema_ready(connection)
        engine.dispose()
    except Exception as exc:             # the reason, never the URL (it holds a password)
        print(f"not healthy: the database cannot be reached ({type(exc).__name__})")
        return 1
    if not ready:
        print("not healthy: the task queue's tables do not exist yet")
        return 1
    print("healthy")
    return 0


async def _run(app, concurrency: int) -> None:
    recovering = asyncio.create_task(recover_stalled(app), name="recover-stalled")
    try:
        await app.run_worker_async(queues=[QUEUE], concurrency=concurrency,
                                   update_heartbeat_interval=HEARTBEAT_S,
                                   stalled_worker_timeout=STALLED_S,
                                   install_signal_handlers=True)
    finally:
        recovering.cancel()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.jobs.worker",
                                     description="Run the explorer's job worker.")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("EXPLORER_LOG_LEVEL", "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)     # a line per call is noise
    from lib.store import open_store, store_url
    from lib.log import install_secret_mask

    install_secret_mask()
    # A paced call must go out right after its slot is granted: hand the GIL over more
    # often than every 5 ms, so parsing and saving on other threads delay it less.
    sys.setswitchinterval(0.001)
    url = store_url()
    if not deployment.on_postgresql(url):
        print("The worker needs the store on PostgreSQL: set EXPLORER_DB_URL="
              "postgresql+psycopg://user:password@host:5432/database", file=sys.stderr)
        return 2
    if args.check:
        return check(url)
    # What the first part would import on its way (holding the GIL while another
    # thread's paced call waits to go out): import it now.
    import lib.batch  # noqa: F401
    import lib.client  # noqa: F401
    import lib.watchlists  # noqa: F401
    store = open_store(url)
    owner = process_owner("worker")
    try:
        deployment.configure_process(store, url, caller=owner)
    except deployment.SettingError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    board = JobBoard(store)
    fetch = client_fetch(_credentials_for(deployment.read_secrets()),
                         concurrency=JOB_CONCURRENCY)
    # SIGTERM / Ctrl+C: procrastinate stops taking parts and lets the ones in hand
    # finish (a part is PART_SIZE items: seconds); a second one stops at once.
    set_worker_context(WorkerContext(board=board, fetch=fetch, tick=_tick(store, board)))
    app = make_app(url)
    ensure_schema(store.engine, app)
    log.info("worker %s: parts of jobs from queue %r, %d at a time", owner, QUEUE,
             args.concurrency)

    async def run() -> None:
        async with app.open_async():
            await _run(app, max(1, args.concurrency))
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    finally:
        set_worker_context(None)
        store.close()
    log.info("worker %s stopped", owner)
    return 0


if __name__ == "__main__":
    sys.exit(main())
