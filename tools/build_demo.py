"""Build the offline demo: fixtures, catalogue, pictures and clips.

Run from the project root::

    python -m tools.build_demo              (or: make demo)   every step
    python -m tools.build_demo clips        only the named steps

The steps, one module each under tools/demo/:

* ``fixtures``: the three AliExpress DS products as complete gateway answers
  (lib/sandbox/fixtures/aliexpress/<product_id>.json; tools/demo/aliexpress.py);
* ``catalogue``: their entry in lib/sandbox/fixtures/aliexpress/catalogue.json (the
  runtime reads every platform's demo catalogue from data);
* ``pictures``: static/demo/*.png, flat-colour product drawings (Pillow; pictures.py);
* ``clips``: static/demo/*.mp4, a few seconds of animated drawings for every demo video,
  the AliExpress ones and the hand-written Tuya and affiliate fixtures' (PyAV; clips.py).
* ``history``: lib/sandbox/demo_history.json.gz, 90 daily price, stock and rating points per
  demo product, worked back from what the sandbox serves now (history.py; run it after
  ``fixtures`` whenever a demo fixture changes). The store loads them on first start.

The fixtures reference pictures and clips as /app/static/demo/<file> (Streamlit static
serving). Everything is deterministic: no clock, no unseeded randomness, so a second run
writes the same bytes (the clips: with the same PyAV wheel).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from tools.demo.aliexpress import (DEMO_CATALOGUE, FIXTURE_DIR, build_fixtures,  # noqa: F401
                                   write_catalogue, write_fixtures)
from tools.demo.paths import ROOT, STATIC_DEMO as IMAGE_DIR  # noqa: F401


def _pictures() -> list[Path]:
    from tools.demo.pictures import draw_images
    return draw_images()


def _clips() -> list[Path]:
    from tools.demo.clips import write_clips
    return write_clips()


def _history() -> Path:
    from tools.demo.history import write_history
    return write_history()


STEPS: dict[str, Callable[[], list[Path] | Path]] = {
    "fixtures": write_fixtures,
    "catalogue": write_catalogue,
    "pictures": _pictures,
    "clips": _clips,
    "history": _history,
}


def _report(step: str, written: list[Path]) -> None:
    total = sum(path.stat().st_size for path in written)
    folders = sorted({str(path.parent.relative_to(ROOT)) for path in written})
    print(f"{step}: {len(written)} file(s), {total / 1024:.0f} KiB in {', '.join(folders)}")


def main(argv: list[str] | None = None) -> None:
    names = list(argv if argv is not None else sys.argv[1:]) or list(STEPS)
    unknown = [name for name in names if name not in STEPS]
    if unknown:
        raise SystemExit(f"Unknown step(s) {', '.join(unknown)}; steps: {', '.join(STEPS)}")
    for name in names:
        written = STEPS[name]()
        _report(name, written if isinstance(written, list) else [written])


if __name__ == "__main__":
    main()
