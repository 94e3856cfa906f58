"""Where the demo builder writes, and how the app addresses what it writes."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "lib" / "sandbox" / "fixtures"
STATIC_DEMO = ROOT / "static" / "demo"
# Streamlit static serving (.streamlit/config.toml enableStaticServing) serves
# static/<file> at /app/static/<file>; fixtures reference pictures and clips so.
URL_PREFIX = "/app/static/demo/"
IMAGE_SIZE = 480


def static_url(filename: str | None) -> str | None:
    return None if filename is None else URL_PREFIX + filename
