"""The demo clips: a few seconds of drawn frames per listed demo video (static/demo/*.mp4).

Each clip is the product drawing of its poster with something that moves, plus a
progress bar, encoded as H.264 in MP4 (yuv420p, +faststart): every browser plays it,
Debian's Chromium included. PyAV (requirements-dev.txt) brings its own FFmpeg and
libx264, so nobody needs a system ffmpeg, and single-threaded x264 with bitexact muxing
gives the same bytes on every run with the same PyAV wheel (another libx264 version
may encode differently: the clips are committed, so CI never encodes).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

from tools.demo.aliexpress import BACKPACK_COLOURS, CASE_COLOURS
from tools.demo.paths import IMAGE_SIZE, STATIC_DEMO
from tools.demo.pictures import Canvas, backpack_shape, case_shape, mountains

FPS = 12
SECONDS = 4
FRAMES = FPS * SECONDS
MAX_CLIP_BYTES = 300_000        # a demo clip stays small (tests hold the builder to it)
ACCENT = (232, 89, 12)          # the app's primary colour (.streamlit/config.toml)


def _progress(c: Canvas, t: float) -> None:
    """A bar along the bottom edge: motion in every clip, and a visible playhead."""
    c.draw.rectangle((24, IMAGE_SIZE - 10, IMAGE_SIZE - 24, IMAGE_SIZE - 5), fill=(225, 225, 225))
    c.draw.rectangle((24, IMAGE_SIZE - 10, 24 + (IMAGE_SIZE - 48) * t, IMAGE_SIZE - 5),
                     fill=ACCENT)


def _ease_out_bounce(t: float) -> float:
    """0..1 -> 0..1, a falling object hitting the floor and bouncing twice."""
    if t < 0.5:
        return (t / 0.5) ** 2
    if t < 0.8:
        u = (t - 0.65) / 0.15
        return 1 - 0.18 * (1 - u * u)
    u = (t - 0.9) / 0.1
    return 1 - 0.05 * (1 - u * u)


def backpack_on_the_trail(t: float) -> Canvas:
    colours = {name: rgb for name, _vid, _label, _img, rgb in BACKPACK_COLOURS}
    c = Canvas((178, 214, 236))
    mountains(c)
    x = 70 + 340 * t
    bob = 6 * abs(math.sin(t * math.pi * 8))      # four strides a second
    backpack_shape(c, x, 240 - bob, 0.7, colours["Red"], "front")
    c.caption("On the trail", "demo clip")
    return c


TRAIL_ITEMS = [("tent", (70, 120, 90)), ("jacket", (40, 92, 170)),
               ("stove", (120, 124, 130)), ("food", (214, 150, 60))]


def backpack_what_fits(t: float) -> Canvas:
    colours = {name: rgb for name, _vid, _label, _img, rgb in BACKPACK_COLOURS}
    c = Canvas((240, 232, 216))
    share = 1 / len(TRAIL_ITEMS)
    for index, (name, rgb) in enumerate(TRAIL_ITEMS):
        local = (t - index * share) / share        # this item's own 0..1 fall
        if local < 0:
            continue
        if local < 1:                              # falling into the open lid
            y = -40 + 170 * (local ** 2)
            c.draw.rounded_rectangle((130, y, 210, y + 44), radius=10, fill=rgb)
            c.text((170, y + 22), name, 16, (255, 255, 255))
        c.text((390, 110 + 34 * index), f"+ {name}", 20, (60, 60, 60))
    backpack_shape(c, 170, 220, 0.9, colours["Black"], "front")    # items drop behind it
    litres = round(40 * min(1.0, t / (1 - share / 2)))
    c.draw.rectangle((300, 270, 480 - 24, 300), outline=(90, 90, 90), width=2)
    c.draw.rectangle((302, 272, 302 + (480 - 24 - 304) * litres / 40, 298), fill=ACCENT)
    c.text((378, 322), f"{litres} of 40 L", 20, (40, 40, 40))
    c.caption("What fits in 40L", "demo clip")
    return c


def case_drop_test(t: float) -> Canvas:
    colours = {name: rgb for name, _vid, _label, _img, rgb in CASE_COLOURS}
    c = Canvas((40, 44, 58))
    floor = 372
    c.draw.rectangle((0, floor, IMAGE_SIZE, IMAGE_SIZE), fill=(70, 74, 88))
    fall = _ease_out_bounce(min(1.0, t / 0.75))
    cy = -60 + (floor - 0.9 * 165 - 2 + 60) * fall
    case_shape(c, 240, cy, 0.9, colours["Green"])
    c.text((395, 60), "1.5 m drop", 22, (230, 230, 230))
    if t >= 0.8:
        c.text((395, 300), "No damage", 24, (140, 220, 150))
    c.caption("Drop test", "demo clip")
    return c


def _rings(c: Canvas, cx: float, cy: float, t: float, rgb: tuple[int, int, int],
           start: float = 20, spread: float = 110, count: int = 3) -> None:
    """Rings growing out of a point: a signal, a sound."""
    for k in range(count):
        phase = (t * 2 + k / count) % 1.0
        r = start + spread * phase
        c.draw.arc((cx - r, cy - r, cx + r, cy + r), 200, 340, fill=rgb, width=4)


def tuya_plug_setup(t: float) -> Canvas:
    c = Canvas.from_picture("tuya_plug_main_1.png")
    on = int(t * 8) % 2 == 0                       # the LED blinks while pairing
    if t < 0.75:
        c.draw.ellipse((228, 110, 252, 134), fill=(46, 170, 110) if on else (200, 205, 200))
        _rings(c, 240, 92, t, (46, 170, 110))
    step = "1 Plug in" if t < 0.25 else "2 Pair in the app" if t < 0.75 else "3 Ready"
    c.caption(step, "Set-up in 2 minutes · demo clip")
    return c


def earbuds_sound(t: float) -> Canvas:
    c = Canvas.from_picture("affiliate_earbuds_main_1.png")
    _rings(c, 180, 112, t, (70, 110, 200), start=40, spread=70)
    _rings(c, 300, 112, t + 0.25, (70, 110, 200), start=40, spread=70)
    c.caption("Wireless earbuds", "clear sound · demo clip")
    return c


# file -> scene; every demo fixture's video address names one of these files.
CLIPS: dict[str, Callable[[float], Canvas]] = {
    "backpack_video_1.mp4": backpack_on_the_trail,
    "backpack_video_2.mp4": backpack_what_fits,
    "case_video_1.mp4": case_drop_test,
    "tuya_plug_video.mp4": tuya_plug_setup,
    "affiliate_earbuds_video.mp4": earbuds_sound,
}


def frames(scene: Callable[[float], Canvas]):
    for index in range(FRAMES):
        t = index / FRAMES
        canvas = scene(t)
        _progress(canvas, (index + 1) / FRAMES)
        yield canvas.image


def yuv420(image) -> "numpy.ndarray":
    """RGB picture -> planar BT.601 limited-range 4:2:0, in integers. Done here rather
    than by swscale, whose SIMD paths gave different bytes from run to run."""
    import numpy as np
    rgb = np.asarray(image, dtype=np.int32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16
    h, w = y.shape
    quad = rgb.reshape(h // 2, 2, w // 2, 2, 3).sum(axis=(1, 3))     # 2x2 sums
    r, g, b = quad[..., 0], quad[..., 1], quad[..., 2]
    u = ((-38 * r - 74 * g + 112 * b + 512) >> 10) + 128
    v = ((112 * r - 94 * g - 18 * b + 512) >> 10) + 128
    planes = [y.ravel(), u.ravel(), v.ravel()]
    return np.concatenate(planes).astype(np.uint8).reshape(h * 3 // 2, w)


def encode(images, path: Path) -> Path:
    try:
        import av
    except ImportError as exc:      # the builder is a dev tool: say how to get it
        raise SystemExit("The demo clips need PyAV: pip install -r requirements-dev.txt") from exc
    with av.open(str(path), "w", format="mp4",
                 options={"fflags": "+bitexact", "movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width = stream.height = IMAGE_SIZE
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "26", "preset": "slow", "tune": "animation",
                          "threads": "1",
                          # say BT.601, the matrix yuv420() uses, so players show true colours
                          "x264-params": "threads=1:colorprim=smpte170m:transfer=smpte170m"
                                         ":colormatrix=smpte170m"}
        stream.codec_context.thread_count = 1
        for image in images:
            frame = av.VideoFrame.from_ndarray(yuv420(image), format="yuv420p")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def write_clips() -> list[Path]:
    STATIC_DEMO.mkdir(parents=True, exist_ok=True)
    return [encode(frames(scene), STATIC_DEMO / name) for name, scene in CLIPS.items()]
