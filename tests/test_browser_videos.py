"""The demo videos really play in Chromium (issue 9, point 12).

Before, the demo pointed its players at a host unreachable offline: black, endless
spinner. Now each demo video is a bundled H.264 clip; here the backpack's gallery is
opened by its share URL and each <video> must load, and its currentTime must advance
after play() (muted, as autoplay policies require without a user gesture).
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_util import screenshot, wait_for_app_run

BACKPACK_ID = "1005006789012345"
GALLERY = f"/media?platform=aliexpress&id={BACKPACK_ID}&country=US&currency=USD&language=en"

PLAY_FOR_A_SECOND = """async (video) => {
    video.muted = true;
    await video.play();
    const start = video.currentTime;
    await new Promise(resolve => setTimeout(resolve, 1200));
    return {start, now: video.currentTime, duration: video.duration,
            width: video.videoWidth, error: video.error && video.error.code};
}"""


@pytest.fixture
def gallery(streamlit_server, page_at):
    page = page_at(1280, 900)
    page.goto(streamlit_server + "/")            # the first visit by the root, as elsewhere
    wait_for_app_run(page)
    page.goto(streamlit_server + GALLERY)
    wait_for_app_run(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Videos", exact=True)).to_be_visible(timeout=30_000)
    return page


def test_backpack_demo_videos_play(gallery, streamlit_server):
    videos = gallery.locator('[data-testid="stMain"] video')
    expect(videos).to_have_count(2)
    for index in range(2):
        video = videos.nth(index)
        video.scroll_into_view_if_needed()
        state = video.evaluate(PLAY_FOR_A_SECOND)
        assert state["error"] is None, state
        assert state["width"] == 480 and state["duration"] == pytest.approx(4, abs=0.1), state
        assert state["now"] - state["start"] > 0.5, state       # it plays, not spins
    # The link beside each player opens the same clip from the static folder.
    links = gallery.get_by_role("link", name="Open the video")
    expect(links).to_have_count(2)
    href = links.first.get_attribute("href")
    assert href == "app/static/demo/backpack_video_1.mp4"
    answer = gallery.request.get(f"{streamlit_server}/{href}")
    assert answer.ok and answer.headers["content-type"] == "video/mp4"
    assert len(answer.body()) > 5_000
    screenshot(gallery, "media-videos")
