"""Where the store lives: EXPLORER_DB_URL, else the `[connections.explorer] url` secret
(the st.connection convention), else a SQLite file under EXPLORER_DATA_DIR (default
data/ in the project folder). And how long snapshots are kept (EXPLORER_KEEP_DAYS)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

PROJECT = Path(__file__).resolve().parents[2]
DB_FILE = "explorer.db"


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    configured = (environ.get("EXPLORER_DATA_DIR") or "").strip()
    return Path(configured).expanduser() if configured else PROJECT / "data"


def store_url(environ: Mapping[str, str] = os.environ,
              secrets: Mapping[str, Any] | None = None) -> str:
    configured = (environ.get("EXPLORER_DB_URL") or "").strip()
    if configured:
        return configured
    connection = ((secrets or {}).get("connections") or {}).get("explorer") or {}
    if isinstance(connection, Mapping) and str(connection.get("url") or "").strip():
        return str(connection["url"]).strip()
    return f"sqlite:///{data_dir(environ) / DB_FILE}"


def keep_days(environ: Mapping[str, str] = os.environ,
              secrets: Mapping[str, Any] | None = None) -> float | None:
    """Days of snapshots to keep (older ones are pruned on start); None = keep all.
    A value that is not a positive number is ignored (keeping data is the safe side)."""
    explorer = (secrets or {}).get("explorer") or {}
    raw = environ.get("EXPLORER_KEEP_DAYS") or (explorer.get("keep_days")
                                                if isinstance(explorer, Mapping) else None)
    try:
        days = float(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return days if days and days > 0 else None
