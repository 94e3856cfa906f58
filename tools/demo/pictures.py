"""The demo pictures: small flat-colour product drawings with Pillow (static/demo/*.png).

Shapes and the canvas are shared with clips.py, which animates the same drawings.
Pillow is imported only when something is drawn.
"""
from __future__ import annotations

import math
from pathlib import Path

from tools.demo.aliexpress import BACKPACK_COLOURS, CASE_COLOURS
from tools.demo.paths import IMAGE_SIZE, STATIC_DEMO as IMAGE_DIR

def tint(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    """Mix with white (amount 0 = unchanged, 1 = white)."""
    return tuple(round(c + (255 - c) * amount) for c in rgb)  # type: ignore[return-value]


def shade(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    """Mix with black (amount 0 = unchanged, 1 = black)."""
    return tuple(round(c * (1 - amount)) for c in rgb)  # type: ignore[return-value]


def _font(size: int):
    from PIL import ImageFont
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the small bitmap font
        return ImageFont.load_default()


class Canvas:
    def __init__(self, background: tuple[int, int, int]):
        from PIL import Image, ImageDraw
        self.image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), background)
        self.draw = ImageDraw.Draw(self.image)
        self.background = background

    @classmethod
    def from_picture(cls, name: str) -> "Canvas":
        """A canvas that starts from a committed demo picture (clips animate over it)."""
        from PIL import Image
        canvas = cls((0, 0, 0))
        with Image.open(IMAGE_DIR / name) as picture:
            canvas.image.paste(picture.convert("RGB"))
        return canvas

    def caption(self, text: str, sub: str | None = None) -> None:
        d = self.draw
        font = _font(26)
        box = d.textbbox((0, 0), text, font=font)
        width = box[2] - box[0]
        top = IMAGE_SIZE - (78 if sub else 60)
        d.rounded_rectangle((24, top, IMAGE_SIZE - 24, IMAGE_SIZE - 16), radius=14,
                            fill=(255, 255, 255), outline=(210, 210, 210))
        d.text(((IMAGE_SIZE - width) / 2, top + 10), text, font=font, fill=(30, 30, 30))
        if sub:
            small = _font(16)
            box = d.textbbox((0, 0), sub, font=small)
            d.text(((IMAGE_SIZE - (box[2] - box[0])) / 2, top + 42), sub, font=small,
                   fill=(90, 90, 90))

    def badge(self, text: str = "DEMO") -> None:
        font = _font(14)
        box = self.draw.textbbox((0, 0), text, font=font)
        w = box[2] - box[0]
        self.draw.rounded_rectangle((IMAGE_SIZE - w - 34, 14, IMAGE_SIZE - 14, 38),
                                    radius=8, fill=(255, 255, 255))
        self.draw.text((IMAGE_SIZE - w - 24, 17), text, font=font, fill=(120, 120, 120))

    def text(self, xy: tuple[float, float], text: str, size: int,
             fill: tuple[int, int, int], anchor: str = "mm") -> None:
        self.draw.text(xy, text, font=_font(size), fill=fill, anchor=anchor)

    def play_button(self, cx: float = IMAGE_SIZE / 2, cy: float = 200) -> None:
        d = self.draw
        d.ellipse((cx - 46, cy - 46, cx + 46, cy + 46), fill=(20, 20, 20),
                  outline=(255, 255, 255), width=4)
        d.polygon([(cx - 16, cy - 26), (cx - 16, cy + 26), (cx + 28, cy)],
                  fill=(255, 255, 255))

    def save(self, name: str) -> Path:
        from PIL import Image
        path = IMAGE_DIR / name
        image = self.image.quantize(colors=48, method=Image.Quantize.MEDIANCUT,
                                    dither=Image.Dither.NONE)
        image.save(path, format="PNG", optimize=True)
        return path


def backpack_shape(c: Canvas, cx: float, cy: float, s: float,
                   rgb: tuple[int, int, int], view: str = "front") -> None:
    d = c.draw
    dark, light = shade(rgb, 0.35), tint(rgb, 0.25)
    if rgb[0] + rgb[1] + rgb[2] < 180:  # very dark bodies: lighten the details instead
        dark, light = tint(rgb, 0.22), tint(rgb, 0.12)
    strap = shade(rgb, 0.5) if sum(rgb) > 180 else (15, 15, 18)
    half_w = (55 if view == "side" else 92) * s
    top, bottom = cy - 125 * s, cy + 130 * s
    # carry handle
    d.rounded_rectangle((cx - 28 * s, top - 34 * s, cx + 28 * s, top + 20 * s),
                        radius=int(22 * s), outline=strap, width=max(2, int(9 * s)))
    if view == "back":
        body = (cx - half_w, top, cx + half_w, bottom)
        d.rounded_rectangle(body, radius=int(42 * s), fill=rgb)
        d.rounded_rectangle((cx - 62 * s, top + 30 * s, cx + 62 * s, bottom - 40 * s),
                            radius=int(24 * s), fill=light)  # padded back panel
        for x in (cx - 38 * s, cx + 38 * s):
            d.rounded_rectangle((x - 15 * s, top + 8 * s, x + 15 * s, bottom - 18 * s),
                                radius=int(14 * s), fill=strap)
            for k in range(4):
                y = top + (45 + 42 * k) * s
                d.line((x - 10 * s, y, x + 10 * s, y), fill=dark, width=max(1, int(3 * s)))
        d.rounded_rectangle((cx - 60 * s, cy + 40 * s, cx + 60 * s, cy + 58 * s),
                            radius=int(8 * s), fill=strap)  # sternum/hip strap
        return
    if view == "side":
        d.rounded_rectangle((cx - half_w, top, cx + half_w, bottom), radius=int(30 * s),
                            fill=rgb)
        d.rounded_rectangle((cx + half_w - 12 * s, top + 20 * s, cx + half_w + 20 * s,
                             bottom - 30 * s), radius=int(16 * s), fill=strap)
        d.rounded_rectangle((cx - half_w - 14 * s, cy + 10 * s, cx - half_w + 26 * s,
                             bottom - 20 * s), radius=int(16 * s), fill=dark)  # side pocket
        for y in (cy - 60 * s, cy - 10 * s):
            d.rectangle((cx - half_w, y, cx + half_w, y + 8 * s), fill=strap)
        return
    # front view
    d.rounded_rectangle((cx - half_w, top, cx + half_w, bottom), radius=int(42 * s), fill=rgb)
    d.rounded_rectangle((cx - half_w + 4 * s, top, cx + half_w - 4 * s, top + 78 * s),
                        radius=int(40 * s), fill=dark)  # lid
    d.line((cx - 55 * s, top + 60 * s, cx + 55 * s, top + 60 * s), fill=light,
           width=max(1, int(3 * s)))
    d.rounded_rectangle((cx - 62 * s, cy + 5 * s, cx + 62 * s, bottom - 18 * s),
                        radius=int(26 * s), fill=dark)  # front pocket
    d.line((cx - 46 * s, cy + 30 * s, cx + 46 * s, cy + 30 * s), fill=light,
           width=max(1, int(3 * s)))  # zipper
    d.rectangle((cx + 34 * s, cy + 30 * s, cx + 42 * s, cy + 48 * s), fill=light)
    for x in (cx - half_w + 14 * s, cx + half_w - 22 * s):  # compression straps
        d.rectangle((x, top + 85 * s, x + 8 * s, bottom - 30 * s), fill=strap)
        d.rectangle((x - 3 * s, cy - 20 * s, x + 11 * s, cy - 6 * s), fill=light)
    # shoulder straps peeking out on both sides
    d.rounded_rectangle((cx - half_w - 14 * s, top + 26 * s, cx - half_w + 6 * s,
                         cy + 70 * s), radius=int(10 * s), fill=strap)
    d.rounded_rectangle((cx + half_w - 6 * s, top + 26 * s, cx + half_w + 14 * s,
                         cy + 70 * s), radius=int(10 * s), fill=strap)


def mountains(c: Canvas) -> None:
    d = c.draw
    d.rectangle((0, 0, IMAGE_SIZE, 300), fill=(178, 214, 236))
    d.ellipse((360, 40, 420, 100), fill=(255, 226, 140))
    d.polygon([(-20, 320), (120, 120), (250, 320)], fill=(126, 140, 158))
    d.polygon([(92, 160), (120, 120), (148, 160), (132, 152), (120, 162), (106, 152)],
              fill=(245, 245, 245))
    d.polygon([(150, 320), (330, 90), (500, 320)], fill=(104, 118, 138))
    d.polygon([(296, 134), (330, 90), (364, 134), (344, 124), (330, 138), (314, 124)],
              fill=(245, 245, 245))
    d.rectangle((0, 300, IMAGE_SIZE, IMAGE_SIZE), fill=(122, 158, 96))


def bottle_shape(c: Canvas, cx: float, cy: float, s: float,
                 body: tuple[int, int, int], cap: tuple[int, int, int]) -> None:
    d = c.draw
    top, bottom = cy - 150 * s, cy + 150 * s
    d.rounded_rectangle((cx - 30 * s, top, cx + 30 * s, top + 38 * s), radius=int(10 * s),
                        fill=cap)
    d.rounded_rectangle((cx - 18 * s, top - 14 * s, cx + 18 * s, top + 4 * s),
                        radius=int(8 * s), outline=cap, width=max(2, int(6 * s)))  # loop
    d.rectangle((cx - 34 * s, top + 34 * s, cx + 34 * s, top + 50 * s), fill=shade(body, 0.2))
    d.polygon([(cx - 34 * s, top + 50 * s), (cx + 34 * s, top + 50 * s),
               (cx + 56 * s, top + 92 * s), (cx - 56 * s, top + 92 * s)], fill=body)
    d.rounded_rectangle((cx - 56 * s, top + 88 * s, cx + 56 * s, bottom), radius=int(22 * s),
                        fill=body)
    d.rectangle((cx - 56 * s, cy + 20 * s, cx + 56 * s, cy + 44 * s), fill=shade(body, 0.15))
    d.rounded_rectangle((cx - 40 * s, top + 100 * s, cx - 28 * s, bottom - 30 * s),
                        radius=int(6 * s), fill=tint(body, 0.45))  # highlight


def case_shape(c: Canvas, cx: float, cy: float, s: float, rgb: tuple[int, int, int],
               clear: bool = False) -> None:
    d = c.draw
    w, h = 82 * s, 165 * s
    outline = (150, 165, 180) if clear else shade(rgb, 0.3)
    d.rounded_rectangle((cx - w, cy - h, cx + w, cy + h), radius=int(30 * s), fill=rgb,
                        outline=outline, width=max(2, int(5 * s)))
    if clear:  # a hint of the phone behind the clear case
        d.rounded_rectangle((cx - w + 12 * s, cy - h + 12 * s, cx + w - 12 * s,
                             cy + h - 12 * s), radius=int(24 * s), outline=(200, 210, 220),
                            width=max(1, int(2 * s)))
    bump = (cx - w + 14 * s, cy - h + 14 * s, cx - w + 92 * s, cy - h + 92 * s)
    d.rounded_rectangle(bump, radius=int(18 * s), fill=shade(rgb, 0.18), outline=outline,
                        width=max(1, int(3 * s)))
    hole = (24, 24, 28)
    for ox, oy in ((34, 34), (72, 34), (34, 72)):
        x, y = cx - w + ox * s, cy - h + oy * s
        d.ellipse((x - 15 * s, y - 15 * s, x + 15 * s, y + 15 * s), fill=hole)
        d.ellipse((x - 6 * s, y - 6 * s, x + 2 * s, y + 2 * s), fill=(70, 70, 84))
    d.ellipse((cx - w + 66 * s, cy - h + 66 * s, cx - w + 78 * s, cy - h + 78 * s),
              fill=(240, 236, 200))  # flash
    for y0, y1 in ((-95, -55), (-40, 0)):  # side buttons
        d.rounded_rectangle((cx + w - 2 * s, cy + y0 * s, cx + w + 7 * s, cy + y1 * s),
                            radius=int(3 * s), fill=outline)
    logo = tint(rgb, 0.2) if sum(rgb) < 400 else shade(rgb, 0.12)
    d.ellipse((cx - 20 * s, cy - 10 * s, cx + 20 * s, cy + 30 * s), fill=logo)


def _case_rotated(c: Canvas, angle: float, rgb: tuple[int, int, int]) -> None:
    """Draw a case on its own layer and paste it rotated (no new colours: NEAREST)."""
    from PIL import Image
    layer = Canvas(c.background)
    case_shape(layer, 240, 215, 1.0, rgb)
    mask = Image.new("L", layer.image.size, 0)
    from PIL import ImageDraw
    ImageDraw.Draw(mask).rounded_rectangle((240 - 96, 215 - 176, 240 + 96, 215 + 176),
                                           radius=30, fill=255)
    rotated = layer.image.rotate(angle, resample=Image.Resampling.NEAREST,
                                 center=(240, 215), fillcolor=c.background)
    rotated_mask = mask.rotate(angle, resample=Image.Resampling.NEAREST, center=(240, 215))
    c.image.paste(rotated, (0, 0), rotated_mask)


def draw_images() -> list[Path]:
    IMAGE_DIR.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    colours = {name: rgb for name, _vid, _label, _img, rgb in BACKPACK_COLOURS}

    # backpack main gallery: front, back, side, sizes, outdoors, colour line-up
    c = Canvas((238, 228, 208))
    backpack_shape(c, 240, 200, 1.0, colours["Black"], "front")
    c.badge(); c.caption("TRAIL 40L", "front view")
    written.append(c.save("backpack_main_1.png"))
    c = Canvas((214, 228, 244))
    backpack_shape(c, 240, 200, 1.0, colours["Blue"], "back")
    c.badge(); c.caption("Padded back panel", "breathable shoulder straps")
    written.append(c.save("backpack_main_2.png"))
    c = Canvas((246, 222, 218))
    backpack_shape(c, 240, 200, 1.0, colours["Red"], "side")
    c.badge(); c.caption("Side view", "side pocket and compression straps")
    written.append(c.save("backpack_main_3.png"))
    c = Canvas((236, 236, 236))
    for x, scale, size in ((72, 0.55, "20L"), (210, 0.72, "30L"), (380, 0.86, "40L")):
        backpack_shape(c, x, 335 - 130 * scale, scale, colours["Gray"], "front")
        c.text((x, 372), size, 24, (40, 40, 40))
    c.badge(); c.caption("Three sizes")
    written.append(c.save("backpack_main_4.png"))
    c = Canvas((178, 214, 236))
    mountains(c)
    backpack_shape(c, 240, 235, 0.82, colours["Green"], "front")
    c.badge(); c.caption("Made for the trail")
    written.append(c.save("backpack_main_5.png"))
    c = Canvas((250, 246, 238))
    for i, (name, _vid, _label, _img, rgb) in enumerate(BACKPACK_COLOURS):
        x = 58 + i * 91
        backpack_shape(c, x, 200, 0.4, rgb, "front")
        c.text((x, 275), name, 16, (60, 60, 60))
    c.badge(); c.caption("5 colours")
    written.append(c.save("backpack_main_6.png"))
    for name, _vid, label, image, rgb in BACKPACK_COLOURS:
        if image is None:
            continue
        c = Canvas(tint(rgb, 0.72))
        backpack_shape(c, 240, 200, 1.0, rgb, "front")
        c.badge(); c.caption(label or name, "Trail 40L")
        written.append(c.save(image))
    c = Canvas((178, 214, 236))
    mountains(c)
    backpack_shape(c, 150, 240, 0.7, colours["Red"], "front")
    c.play_button(320, 190)
    c.caption("Video: on the trail")
    written.append(c.save("backpack_video_1_poster.png"))
    c = Canvas((240, 232, 216))
    backpack_shape(c, 170, 200, 0.9, colours["Black"], "back")
    c.play_button(350, 200)
    c.caption("Video: what fits in 40L")
    written.append(c.save("backpack_video_2_poster.png"))

    # bottle
    steel, black = (184, 188, 194), (40, 42, 46)
    c = Canvas((196, 230, 226))
    bottle_shape(c, 240, 205, 1.0, steel, black)
    c.badge(); c.caption("Steel bottle 750 ml")
    written.append(c.save("bottle_main_1.png"))
    c = Canvas((240, 230, 210))
    bottle_shape(c, 175, 210, 0.9, (38, 58, 100), (230, 230, 230))
    bottle_shape(c, 305, 210, 0.9, (240, 240, 240), black)
    c.badge(); c.caption("750 ml", "leak-proof lid with carry loop")
    written.append(c.save("bottle_main_2.png"))
    c = Canvas((232, 240, 248))
    bottle_shape(c, 240, 205, 0.95, steel, black)
    d = c.draw
    d.ellipse((62, 120, 122, 180), fill=(120, 180, 230))
    for k in range(6):
        a = k * math.pi / 3
        d.line((92, 150, 92 + 42 * math.cos(a), 150 + 42 * math.sin(a)),
               fill=(60, 120, 200), width=4)
    c.text((92, 215), "24 h cold", 20, (40, 90, 160))
    d.ellipse((360, 122, 416, 178), fill=(250, 190, 70))
    for k in range(8):
        a = k * math.pi / 4
        d.line((388 + 34 * math.cos(a), 150 + 34 * math.sin(a),
                388 + 46 * math.cos(a), 150 + 46 * math.sin(a)), fill=(230, 140, 40), width=4)
    c.text((388, 215), "12 h hot", 20, (180, 90, 20))
    c.badge(); c.caption("Double-wall vacuum")
    written.append(c.save("bottle_main_3.png"))
    c = Canvas((245, 245, 245))
    bottle_shape(c, 220, 210, 1.0, steel, black)
    d = c.draw
    d.line((330, 46, 330, 360), fill=(90, 90, 90), width=3)
    d.line((320, 46, 340, 46), fill=(90, 90, 90), width=3)
    d.line((320, 360, 340, 360), fill=(90, 90, 90), width=3)
    c.text((385, 203), "26.5 cm", 22, (50, 50, 50))
    d.line((164, 378, 276, 378), fill=(90, 90, 90), width=3)
    c.text((220, 396), "7.3 cm", 20, (50, 50, 50))
    c.badge()
    written.append(c.save("bottle_main_4.png"))

    # phone case
    case_rgb = {name: rgb for name, _vid, _label, _img, rgb in CASE_COLOURS}
    c = Canvas((226, 226, 232))
    case_shape(c, 240, 205, 1.0, case_rgb["Black"])
    c.badge(); c.caption("Matte shockproof case")
    written.append(c.save("case_main_1.png"))
    c = Canvas((214, 234, 244))
    _case_rotated(c, 14, case_rgb["Blue"])
    c.badge(); c.caption("Slim, soft-touch finish")
    written.append(c.save("case_main_2.png"))
    c = Canvas((250, 246, 240))
    for i, (name, _vid, label, _img, rgb) in enumerate(CASE_COLOURS):
        x = 48 + i * 77
        case_shape(c, x, 190, 0.4, rgb, clear=(name == "Transparent"))
        c.text((x, 276), label.split()[0], 15, (60, 60, 60))
        c.text((x, 294), label.split()[1], 15, (60, 60, 60))
    c.badge(); c.caption("6 colours")
    written.append(c.save("case_main_3.png"))
    c = Canvas((60, 62, 74))
    case_shape(c, 330, 330, 2.4, case_rgb["Red"])
    c.badge(); c.caption("Precise camera cut-outs")
    written.append(c.save("case_main_4.png"))
    c = Canvas((244, 226, 232))
    case_shape(c, 240, 205, 1.0, case_rgb["Pink"])
    d = c.draw
    for x, y in ((158, 40), (322, 40), (158, 370), (322, 370)):
        d.arc((x - 30, y - 30, x + 30, y + 30), 0, 360, fill=(200, 60, 90), width=4)
    c.badge(); c.caption("Shockproof corners")
    written.append(c.save("case_main_5.png"))
    for name, _vid, label, image, rgb in CASE_COLOURS:
        clear = name == "Transparent"
        c = Canvas((236, 236, 240) if clear else tint(rgb, 0.7))
        case_shape(c, 240, 205, 1.0, rgb, clear=clear)
        c.badge(); c.caption(label, f"system colour: {name}")
        written.append(c.save(image))
    c = Canvas((40, 44, 58))
    case_shape(c, 150, 205, 0.9, case_rgb["Green"])
    c.play_button(330, 200)
    c.caption("Video: drop test")
    written.append(c.save("case_video_1_poster.png"))
    return written
