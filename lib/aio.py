"""Running the async pipelines (fetches, short links) from the sync code that calls them."""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable


def run_sync(coro: Awaitable[Any]) -> Any:
    """Run a coroutine from sync code, also when an event loop is already running (a
    Streamlit script thread may have one): then on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
