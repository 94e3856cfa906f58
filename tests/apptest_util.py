"""Helpers for driving the app with Streamlit's AppTest (no server, no browser)."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from pathlib import Path

APP_FILE = Path(__file__).resolve().parents[1] / "app.py"


def run_app(page: str | None = None, **params: str) -> AppTest:
    """The app run once with URL query parameters, optionally switched to a page."""
    at = AppTest.from_file(str(APP_FILE), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def open_view(page: str, platform: str, product_id: str, **params: str) -> AppTest:
    """The app opened from a share URL of `page` (a file in views/): the product plus
    the view's own settings; fails on an exception on the page."""
    at = AppTest.from_file(str(APP_FILE), default_timeout=60)
    for key, value in {"platform": platform, "id": product_id, "country": "US",
                       "currency": "USD", "language": "en", **params}.items():
        at.query_params[key] = value
    at.run()      # st.navigation registers the views' URL paths on the first run
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def charts(at: AppTest) -> list[dict]:
    """Vega-Lite specs of the Altair charts on the page."""
    return [json.loads(el.proto.spec) for el in at.get("arrow_vega_lite_chart")
            + at.get("vega_lite_chart")]


def texts(at: AppTest) -> str:
    """All markdown/caption/subheader text on the page, joined (for `in` checks)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [h.value for h in at.subheader] + [h.value for h in at.header]
    parts += [h.value for h in at.title]
    return "\n".join(parts)


def share_links(at: AppTest) -> tuple[str, str | None]:
    """The sidebar's share links: (live, pinned or None when the snapshot is not saved)."""
    links = [c.value for c in at.sidebar.code]
    live = [link for link in links if "snapshot=" not in link]
    pinned = [link for link in links if "snapshot=" in link]
    assert len(live) == 1 and len(pinned) <= 1, links
    return live[0], (pinned[0] if pinned else None)


def finish_jobs(at: AppTest, timeout: float = 90) -> AppTest:
    """Wait until every job in the store has finished (they run on the process's job
    runner, off the script run), then run the page again to show them."""
    from lib import ui

    board, runner = ui.job_board(), ui.job_runner()
    for job_id in board.unfinished():
        job = runner.wait(job_id, timeout)
        assert job is not None and job.finished, f"job {job_id} did not finish: {job}"
    return at.run()


def frame_with(at: AppTest, column: str):
    """The first table on the page that has `column` (the Batch page's results have
    "Link", its failures "Problem", its recent jobs "Job")."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column among "
                         f"{[list(f.value.columns)[:3] for f in at.dataframe]}")
