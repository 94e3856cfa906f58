"""Addresses a Product may carry: only to the marketplace's own sites and media servers.

A payload is seller-controlled text, and a URL in it is one click (or, for an image, no
click at all: a tracking pixel) away from a stranger's server. After parsing, every
address in the Product is checked once against the platform's hosts: links (product
page, store, promotion link, links in the description) must go to `web_hosts`; images,
posters and videos must come from `media_hosts` or be bundled demo files. Anything
else is left out, with a note saying which host it pointed to; the Raw data page still
shows the answer as sent. Views therefore never need to check an address themselves.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable
from urllib.parse import urlsplit

from lib.model import Product
from lib.sanitize import sanitize_html
from lib.text import host_allowed

LOCAL = "/app/static/"        # bundled demo files, served by the app itself


def confine_urls(product: Product, web_hosts: tuple[str, ...],
                 media_hosts: tuple[str, ...]) -> Product:
    """The product with every address off the platform's hosts removed (and noted)."""
    dropped: dict[str, str] = {}        # host -> "link" / "image or video"

    judged: dict[tuple[str, str], bool] = {}    # a SKU table repeats a few pictures

    def check(url: str, hosts: tuple[str, ...], kind: str, local_ok: bool) -> str:
        if not url or (local_ok and url.startswith(LOCAL)):
            return url
        allowed = judged.get((kind, url))
        if allowed is None:
            allowed = judged[(kind, url)] = host_allowed(url, hosts)
        if allowed:
            return url
        dropped.setdefault(_host(url), kind)
        return ""

    def web(url: str) -> str:
        return check(url, web_hosts, "link", local_ok=False)

    def media(url: str) -> str:
        return check(url, media_hosts, "image or video", local_ok=True)

    url, store_url = web(product.url), web(product.store.url)
    promotion_link = web(product.trade.promotion_link)
    images = [replace(image, url=media(image.url)) for image in product.media.images]
    videos = [_video(video, media) for video in product.media.videos]
    skus = product.skus
    sku_images = skus["image_url"].tolist() if "image_url" in skus and len(skus) else None
    if sku_images is not None:      # each distinct picture once, in the table's order
        checked = {u: media(u) for u in dict.fromkeys(u for u in sku_images if isinstance(u, str))}
    description = product.description_html
    if description:
        description = sanitize_html(description, url_filter=lambda attribute, url: (
            web(url) if attribute == "href" else media(url)))
    if not dropped:
        return product
    if sku_images is not None:
        skus = skus.copy()
        skus["image_url"] = [checked[u] if isinstance(u, str) else u for u in sku_images]
    notes = [f"An address in the answer points outside {kind_hosts(kind)} and was left "
             f"out: {host} ({kind})" for host, kind in dropped.items()]
    return replace(
        product, url=url, description_html=description, skus=skus,
        store=replace(product.store, url=store_url),
        trade=replace(product.trade, promotion_link=promotion_link),
        media=replace(product.media, images=[i for i in images if i.url], videos=videos),
        warnings=product.warnings + notes)


def kind_hosts(kind: str) -> str:
    return "the marketplace's site" if kind == "link" else "the marketplace's media servers"


def _video(video, media: Callable[[str], str]):
    url, poster = media(video.url), media(video.poster)
    if video.url and not url:
        return replace(video, url="", poster=poster, playable=False,
                       note="The video address points outside the marketplace's media "
                            "servers, so it is not played.")
    return replace(video, url=url, poster=poster)


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url[:60]
    except ValueError:
        return url[:60]
