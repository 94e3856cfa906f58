"""Videos (issue 9, point 12): demo clips that really play, poster-only videos kept.

The parser decides `playable` (an http(s) URL or a bundled /app/static/ file); the
documentation copies' `media_url: "media url"` and the legacy seller API's id-and-poster
entries keep their poster, marked not playable. The builder writes the demo clips that
every demo fixture's video points at; the gallery shows poster, player and link.
"""
from __future__ import annotations

import copy
import json
import shutil

import pytest

from lib.client import fetch_product
from lib.platforms import parse_payload
from lib.platforms.video import NO_ADDRESS_WARNING, listed_video
from lib.sandbox import DEMO_PRODUCTS
from lib.sandbox.gateway import FIXTURES
from paths import REAL
from test_views_apptest import open_page, texts
from tools.demo import clips
from tools.demo.paths import STATIC_DEMO, URL_PREFIX

SOPHIA = "mercadodasophia-design__mercadodasophia-api__"
DOC_COPY = REAL / "ds" / f"{SOPHIA}DOC-COPY_product-info-wholesale.json"
FLAT = REAL / "ds" / f"{SOPHIA}feeds-complete_flat_1005009413075952.json"
SELLER_COPIES = sorted((REAL / "legacy").glob("*DOC-COPY.json"))
AFFILIATE = REAL / "affiliate" / "Joyron1__matzati__productdetail_get_ILS.json"
DOC_POSTER = ("https://img.alicdn.com/imgextra/i4/6000000004252/"
              "O1CN01R1TCD21hHSjEOLpKT_!!6000000004252-0-tbvideo.jpg")


# --- the parser decides -----------------------------------------------------------------------
def test_doc_copy_placeholder_keeps_its_poster_and_is_not_playable():
    raw = json.loads(DOC_COPY.read_text(encoding="utf-8"))
    assert raw["result"]["ae_multimedia_info_dto"]["ae_video_dtos"][0]["media_url"] == "media url"
    product = parse_payload("aliexpress", DOC_COPY.read_bytes())
    (video,) = product.media.videos
    assert (video.url, video.poster, video.media_id, video.playable) == (
        "", DOC_POSTER, "296195919792", False)
    assert video.label == "MAIN_IMAGE_VIDEO"
    assert video.note == "The platform sent “media url” instead of a video address."
    assert NO_ADDRESS_WARNING in product.warnings


def test_real_capture_with_an_address_is_playable():
    (video,) = parse_payload("aliexpress", FLAT.read_bytes()).media.videos
    assert video.playable and video.note == ""
    assert video.url == "https://video.aliexpress-media.com/play/5000261204359.mp4"
    assert (video.media_id, video.label) == ("5000261204359", "video")


@pytest.mark.parametrize("path", SELLER_COPIES, ids=lambda p: p.name[:60])
def test_seller_api_videos_are_poster_only(path):
    assert len(SELLER_COPIES) == 2
    product = parse_payload("aliexpress-seller", path.read_bytes())
    (video,) = product.media.videos
    assert video.poster == ("http://img01.taobaocdn.com/bao/uploaded/"
                            "TB1rNdGIVXXXXbTXFXXXXXXXXXX.jpg")
    assert (video.url, video.media_id, video.playable) == ("", "12345678", False)
    assert video.note == "This API sends only the video's id and poster, not a playable address."


def test_affiliate_capture_with_empty_video_url_has_no_video_and_no_warning():
    product = parse_payload("aliexpress-affiliate", AFFILIATE.read_bytes())
    assert product.media.videos == []
    assert NO_ADDRESS_WARNING not in product.warnings


def test_tuya_placeholder_video_keeps_the_cover_image():
    data = json.loads((FIXTURES / "tuya" / "CMsmartplug01.json").read_text(encoding="utf-8"))
    placeholder = copy.deepcopy(data)
    placeholder["result"]["video"] = "media url"
    (video,) = parse_payload("tuya", placeholder).media.videos
    assert (video.url, video.playable) == ("", False)
    assert video.poster == "/app/static/demo/tuya_plug_video_poster.png"
    (video,) = parse_payload("tuya", data).media.videos
    assert (video.url, video.playable) == ("/app/static/demo/tuya_plug_video.mp4", True)


@pytest.mark.parametrize("address, poster, expected", [
    ("https://v.example/a.mp4", "", ("https://v.example/a.mp4", True)),
    ("//v.example/a.mp4", "", ("https://v.example/a.mp4", True)),
    ("/app/static/demo/case_video_1.mp4", "", ("/app/static/demo/case_video_1.mp4", True)),
    ("/app/static/../secrets.toml", "https://p.example/p.jpg", ("", False)),
    ("javascript:alert(1)", "https://p.example/p.jpg", ("", False)),
    ("media url", "https://p.example/p.jpg", ("", False)),
])
def test_playable_means_http_or_bundled(address, poster, expected):
    video = listed_video(address, poster)
    assert (video.url, video.playable) == expected


def test_nothing_to_show_is_no_video():
    assert listed_video("media url") is None                 # no poster, no id
    assert listed_video("", "javascript:x") is None
    assert listed_video("", "", media_id="7").note == "The platform sent no video address."
    long = listed_video("x" * 200, "https://p.example/p.jpg")
    assert long.note == f"The platform sent “{'x' * 60}…” instead of a video address."


# --- every demo video is a bundled clip the builder writes ------------------------------------
def test_every_demo_video_plays_a_bundled_clip():
    found = {}
    for query in DEMO_PRODUCTS:
        for video in fetch_product(query).media.videos:
            found.setdefault(f"{query.platform}:{query.product_id}", []).append(video)
    assert {key: len(videos) for key, videos in found.items()} == {
        "aliexpress:1005006789012345": 2, "aliexpress:1005004321098765": 1,
        "aliexpress-affiliate:1005007246813579": 1, "tuya:CMsmartplug01": 1}
    names = []
    for videos in found.values():
        for video in videos:
            assert video.playable and video.url.startswith(URL_PREFIX), video
            name = video.url[len(URL_PREFIX):]
            assert (STATIC_DEMO / name).is_file()
            assert video.poster and (STATIC_DEMO / video.poster.rsplit("/", 1)[1]).is_file()
            names.append(name)
    assert sorted(names) == sorted(clips.CLIPS)


@pytest.mark.parametrize("name", sorted(clips.CLIPS))
def test_clip_is_small_h264_and_moves(name):
    av = pytest.importorskip("av")
    path = STATIC_DEMO / name
    assert 5_000 < path.stat().st_size < clips.MAX_CLIP_BYTES
    with av.open(str(path)) as container:
        (stream,) = container.streams.video
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (480, 480)
        assert float(stream.duration * stream.time_base) == clips.SECONDS
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    assert len(frames) == clips.FRAMES == 48
    changed = (abs(frames[0].astype(int) - frames[-1].astype(int)) > 40).mean()
    assert changed > 0.005, "the first and last frames should differ: something moves"


def test_builder_encodes_the_committed_bytes(tmp_path):
    """Deterministic: the same scene encodes to the committed clip (same PyAV wheel)."""
    pytest.importorskip("av")
    name = "case_video_1.mp4"
    written = clips.encode(clips.frames(clips.CLIPS[name]), tmp_path / name)
    assert written.read_bytes() == (STATIC_DEMO / name).read_bytes()


def test_builder_has_one_step_per_output_and_refuses_unknown_steps():
    from tools import build_demo
    assert list(build_demo.STEPS) == ["fixtures", "catalogue", "pictures", "clips", "history"]
    with pytest.raises(SystemExit, match="Unknown step"):
        build_demo.main(["movies"])


# --- the gallery ----------------------------------------------------------------------------
def test_gallery_plays_the_backpack_clips_with_poster_and_link():
    at = open_page("media_gallery", "1005006789012345")
    assert "**2** videos" in texts(at)
    assert [v.proto.url[:12] for v in at.get("video")] == ["/mock/media/"] * 2
    assert [b.proto.url for b in at.get("link_button") if b.proto.label == "Open the video"] \
        == ["app/static/demo/backpack_video_1.mp4", "app/static/demo/backpack_video_2.mp4"]
    assert [i.captions[0] for i in at.image].count("Poster") == 2
    assert "No playable video" not in texts(at)


@pytest.fixture
def serve(tmp_path, monkeypatch):
    """The demo gateway serving one real capture as-is; gives its product id."""
    import lib.sandbox.gateway as gateway

    folder = tmp_path / "aliexpress"
    folder.mkdir()
    monkeypatch.setattr(gateway, "FIXTURES", tmp_path)

    def served(capture) -> str:
        data = json.loads(capture.read_text(encoding="utf-8"))
        result = data.get("result") or data
        product_id = str(result["product_id_converter_result"]["main_product_id"])
        shutil.copyfile(capture, folder / f"{product_id}.json")
        return product_id
    return served


def test_gallery_keeps_the_placeholder_poster_marked_no_playable_video(serve):
    at = open_page("media_gallery", serve(DOC_COPY))
    shown = texts(at)
    assert "**0** videos (+ **1** listed without a playable address)" in shown
    assert "No playable video" in shown
    assert "The platform sent “media url” instead of a video address." in shown
    assert "video id 296195919792" in shown
    assert not at.get("video")                                # no broken player
    assert not [b for b in at.get("link_button") if b.proto.label == "Open the video"]
    posters = [i for i in at.image if i.captions[0] == "Poster"]
    assert len(posters) == 1 and posters[0].value[0] == DOC_POSTER


def test_gallery_live_video_has_poster_player_and_link(serve):
    """st.video cannot report a failed load: the poster and the link are always there."""
    at = open_page("media_gallery", serve(FLAT))
    url = "https://video.aliexpress-media.com/play/5000261204359.mp4"
    assert [v.proto.url for v in at.get("video")] == [url]
    assert [b.proto.url for b in at.get("link_button")
            if b.proto.label == "Open the video"] == [url]
    posters = [i.value[0] for i in at.image if i.captions[0] == "Poster"]
    assert posters == ["https://ae01.alicdn.com/kf/S69c452b6df8a4d26a3086bd7ac5526ebg.jpg"]
