"""What a report embeds: charts drawn to SVG, pictures shrunk to the size they are shown.

Charts are the app's own Altair builders (lib/charts.py), drawn by vl-convert (Vega's
own renderer, no browser and no network) to SVG text put inline: it scales with the
page, prints sharp, and its labels are text (Vega escapes them). Pictures come from a
loader the caller passes (URL -> bytes or None; the module itself opens nothing) and are
re-encoded by Pillow as small JPEG or PNG data URIs, so a report never asks a server
for anything and stays a few hundred kilobytes.
"""
from __future__ import annotations

import base64
import io
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable

from lib.report.markup import Html

ImageLoader = Callable[[str], "bytes | None"]
CHART_WIDTH = 660           # px of the chart's plot area on a wide page; it scales down
CHART_FONT = "DejaVu Sans"
MAX_LABEL = 120             # characters of any one text in a chart
MAX_IMAGE_BYTES = 15_000_000
MAX_IMAGE_PIXELS = 40_000_000   # a decompression bomb is refused, not decoded
_PROLOG = re.compile(r"^\s*<\?xml[^>]*>\s*")


def _fixed_width(spec: Any, width: int) -> Any:
    """The spec with every "container" width (the app's charts fill their column) made
    a number: there is no container when Vega draws off screen."""
    if isinstance(spec, dict):
        return {key: (width if key == "width" and value == "container"
                      else _fixed_width(value, width)) for key, value in spec.items()}
    if isinstance(spec, list):
        return [_fixed_width(value, width) for value in spec]
    return spec


def _short_strings(spec: Any) -> Any:
    """Every long string in the spec (data, sort orders, titles) cut the same way: a
    5,000-character variant name would cost Vega seconds to measure and draw nothing
    readable; the report's tables keep the whole text."""
    if isinstance(spec, dict):
        return {key: _short_strings(value) for key, value in spec.items()}
    if isinstance(spec, list):
        return [_short_strings(value) for value in spec]
    if isinstance(spec, str) and len(spec) > MAX_LABEL:
        return spec[:MAX_LABEL - 1] + "…"
    return spec


def chart_svg(chart: Any, width: int = CHART_WIDTH) -> Html:
    """An Altair chart as inline SVG markup (scaled by CSS, the aspect kept)."""
    import vl_convert

    spec = _short_strings(_fixed_width(chart.to_dict(), width))
    # Measured and drawn in the report's own font, so no label runs past the picture.
    spec.setdefault("config", {})["font"] = CHART_FONT
    # Vega marks the root <svg class="marks">; the report's CSS scales it to the page.
    svg = _PROLOG.sub("", vl_convert.vegalite_to_svg(spec))
    hint = '<p class="scroll-hint">Wide chart: swipe sideways to see all of it.</p>'
    return Html(f'<div class="chart-box">{hint}{svg}</div>')


def _encode(data: bytes, box: int) -> str | None:
    """The picture fitted in a `box`-pixel square, as a data URI; None when it is not a
    picture Pillow can read (or is too large to be one)."""
    from PIL import Image

    if not data or len(data) > MAX_IMAGE_BYTES:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as picture:
                if picture.width * picture.height > MAX_IMAGE_PIXELS:
                    return None
                picture.draft("RGB", (box, box))          # JPEG: decode at a smaller size
                picture = picture.convert("RGBA")
                picture.thumbnail((box, box))
                out = io.BytesIO()
                if picture.getextrema()[3][0] < 255:      # transparency: keep it (PNG)
                    picture.save(out, "PNG", optimize=True)
                    kind = "png"
                else:
                    picture.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
                    kind = "jpeg"
    except Exception:                                     # not a picture, or broken
        return None
    return f"data:image/{kind};base64,{base64.b64encode(out.getvalue()).decode()}"


def embed_images(urls: Iterable[str], loader: ImageLoader | None, box: int
                 ) -> dict[str, Html | None]:
    """URL -> its data URI (None when it could not be loaded), loading in parallel
    (a live product's pictures are on the marketplace's servers)."""
    wanted = list(dict.fromkeys(u for u in urls if u))
    if loader is None or not wanted:
        return {url: None for url in wanted}

    def one(url: str) -> Html | None:
        try:
            encoded = _encode(loader(url) or b"", box)
        except Exception:                                 # the loader's own failure
            return None
        return Html(encoded) if encoded else None

    with ThreadPoolExecutor(max_workers=min(8, len(wanted))) as pool:
        return dict(zip(wanted, pool.map(one, wanted)))
