"""Media gallery: main images, SKU images by variant value, detail images, videos."""
import streamlit as st

from lib import ui

product = ui.current_product()
ui.page_intro(product, "Media gallery")
media = product.media
counts = {"Main": len(media.by_kind("main")), "SKU": len(media.by_kind("sku")),
          "Detail": len(media.by_kind("detail")), "Video": len(media.videos)}
NOUNS = {"Main": "main image", "SKU": "variant image", "Detail": "description image",
         "Video": "video"}
st.markdown(" · ".join(f"**{n}** {NOUNS[kind]}{'s' if n != 1 else ''}"
                       for kind, n in counts.items()))

available = [kind for kind, n in counts.items() if n]
if not available:
    st.info("This product's answer has no images or videos.", icon=":material/info:")
    st.stop()
shown = st.pills("Show", available, default=available, selection_mode="multi",
                 key=f"gallery-kinds-{product.platform}-{product.product_id}") or []


def grid(images, per_row: int = 4, captions=None) -> None:
    captions = captions or [image.label or None for image in images]
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
        st.markdown(f"**{prop}**")
        grid(images, per_row=6,
             captions=[image.label.split(":", 1)[-1].strip() for image in images])
if "Detail" in shown and counts["Detail"]:
    st.subheader("Images in the description", anchor=False)
    grid(media.by_kind("detail"))
if "Video" in shown and counts["Video"]:
    st.subheader("Videos", anchor=False)
    for video in media.videos:
        left, right = st.columns([1, 2])
        if video.poster:
            left.image(ui.image_source(video.poster), caption="Poster", width="stretch")
        right.video(video.url)
        right.caption(video.url)

from lib.export import media_table  # noqa: E402

ui.download_csv(media_table(product), "media", product)
