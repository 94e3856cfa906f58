"""One rule for every platform's listed videos: playable or poster-only, decided here.

A video is playable when its address is an http(s) URL or a bundled /app/static/ file
(lib.coerce.safe_url). The documentation copies send `media_url: "media url"` beside a
real poster and id, and the legacy seller API sends no address at all: such a video is
kept, poster and id, marked not playable, so the gallery shows it instead of dropping it.
With neither an address nor a poster nor an id there is nothing to show.
"""
from __future__ import annotations

from typing import Any

from lib.coerce import safe_url, to_text
from lib.model import Video

NO_ADDRESS_WARNING = "A video was listed without a playable web address."
MAX_SHOWN_TEXT = 60         # what the platform sent instead of an address, shortened


def listed_video(address: Any, poster: Any = "", *, label: Any = "",
                 media_id: Any = "", no_address_note: str = "") -> Video | None:
    """The Video for one listed entry, or None when it carries nothing to show.

    `no_address_note` explains a platform that never sends an address (seller API);
    otherwise the note quotes what was sent in its place."""
    url = safe_url(address)
    poster_url = safe_url(poster)
    label_text, id_text = to_text(label), to_text(media_id)
    if url:
        return Video(url, poster_url, label_text, media_id=id_text)
    if not poster_url and not id_text:
        return None
    sent = to_text(address)
    if no_address_note and not sent:
        note = no_address_note
    elif sent:
        shown = sent if len(sent) <= MAX_SHOWN_TEXT else sent[:MAX_SHOWN_TEXT] + "…"
        note = f"The platform sent “{shown}” instead of a video address."
    else:
        note = "The platform sent no video address."
    return Video("", poster_url, label_text, media_id=id_text, playable=False, note=note)
