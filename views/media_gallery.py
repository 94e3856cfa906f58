"""Media gallery: main images, SKU images by variant value, detail images, videos."""
import streamlit as st

from lib import ui
from lib.text import literal

product = ui.current_product()
ui.page_intro(product, "Media gallery")
media = product.media
# "videos" counts the playable ones; poster-only videos (no address sent) are named apart.
playable = [video for video in media.videos if video.playable]
poster_only = len(media.videos) - len(playable)
counts = {"Main": len(media.by_kind("main")), "SKU": len(media.by_kind("sku")),
          "Detail": len(media.by_kind("detail")), "Video": len(playable)}
NOUNS = {"Main": "main image", "SKU": "variant image", "Detail": "description image",
         "Video": "video"}
line = " · ".join(f"**{n}** {NOUNS[kind]}{'s' if n != 1 else ''}" for kind, n in counts.items())
if poster_only:
    line += f" (+ **{poster_only}** listed without a playable address)"
st.markdown(line)

available = [kind for kind, n in counts.items() if n or (kind == "Video" and poster_only)]
if not available:
    st.info("This product's answer has no images or videos.", icon=":material/info:")
    st.stop()
shown = st.pills("Show", available, default=available, selection_mode="multi",
                 key=f"gallery-kinds-{product.platform}-{product.product_id}") or []


def grid(images, per_row: int = 4, captions=None) -> None:
    captions = [literal(c) if c else None for c in
                (captions or [image.label for image in images])]
    for start in range(0, len(images), per_row):
        columns = st.columns(per_row)
        for column, image, caption in zip(columns, images[start:start + per_row],
                                          captions[start:start + per_row]):
            column.image(ui.image_source(image.url), caption=caption, width="stretch")


if "Main" in shown and counts["Main"]:
    st.subheader("Main images", anchor=False)
    grid(media.by_kind("main"))
if "SKU" in shown and counts["SKU"]:
    st.subheader("Variant images", anchor=False)
    groups: dict[str, list] = {}
    for image in media.by_kind("sku"):
        prop = image.label.split(":", 1)[0] if ":" in image.label else "Variant"
        groups.setdefault(prop, []).append(image)
    for prop, images in groups.items():
        st.markdown(f"**{literal(prop)}**")
        grid(images, per_row=6,
             captions=[image.label.split(":", 1)[-1].strip() for image in images])
if "Detail" in shown and counts["Detail"]:
    st.subheader("Images in the description", anchor=False)
    grid(media.by_kind("detail"))


def video_card(video) -> None:
    """Poster, player and a link, always: st.video cannot tell us when a live address
    fails to load, and then the poster and the link still serve. A poster-only video
    (the platform sent no playable address) keeps its poster and says so."""
    left, right = st.columns([1, 2])
    if video.poster:
        left.image(ui.image_source(video.poster), caption="Poster", width="stretch")
    else:
        left.caption("No poster sent")
    facts = [f"video id {literal(video.media_id)}"] if video.media_id else []
    if not video.playable:
        right.markdown(":gray-badge[:material/videocam_off: No playable video]")
        right.caption(literal(video.note))
        if facts:
            right.caption(" · ".join(facts))
        return
    source = ui.image_source(video.url)
    if isinstance(source, str) and not source.startswith(("http://", "https://")):
        right.caption("This bundled clip is missing from static/: run `make demo`.")
    else:
        right.video(source, width=480)    # the clips' own size; live ones scale
    right.link_button("Open the video", ui.browser_url(video.url),
                      icon=":material/open_in_new:")
    right.caption(" · ".join(facts + [literal(video.url)]))


if "Video" in shown and media.videos:
    st.subheader("Videos", anchor=False)
    for video in media.videos:
        video_card(video)

from lib.export import media_table  # noqa: E402

ui.download_csv(media_table(product), "media", product)
