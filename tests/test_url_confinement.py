"""A Product only carries addresses on its marketplace's own sites and media servers."""
import json

import pytest

from lib.platforms import PLATFORMS, decode_payload, parse_payload
from lib.sandbox.gateway import FIXTURES
from lib.text import host_allowed
from paths import REAL

CAPTURES = {"ds": "aliexpress", "affiliate": "aliexpress-affiliate", "icbu": "alibaba",
            "legacy": "aliexpress-seller"}


def ds_payload(**base):
    fixture = json.loads((FIXTURES / "aliexpress" / "1005006789012345.json").read_text())
    result = fixture["aliexpress_ds_product_get_response"]["result"]
    result["ae_item_base_info_dto"].update(base)
    return fixture, result


def test_foreign_images_links_and_description_addresses_are_left_out_with_a_note():
    fixture, result = ds_payload(detail='<p>Hi <a href="https://evil.example/login">sign in</a>'
                                        '<img src="https://evil.example/pixel.png">'
                                        '<img src="https://ae01.alicdn.com/ok.jpg"></p>')
    result["ae_multimedia_info_dto"]["image_urls"] = (
        "https://evil.example/a.jpg;https://ae01.alicdn.com/kept.jpg")
    product = parse_payload("aliexpress", fixture)
    urls = [image.url for image in product.media.images]
    assert "https://ae01.alicdn.com/kept.jpg" in urls
    assert not any("evil.example" in url for url in urls)
    assert "evil.example" not in product.description_html
    assert '<img src="https://ae01.alicdn.com/ok.jpg">' in product.description_html
    assert "sign in" in product.description_html           # the words stay, not the link
    notes = [w for w in product.warnings if "evil.example" in w]
    assert notes == ["An address in the answer points outside the marketplace's media "
                     "servers and was left out: evil.example (image or video)"]


def test_foreign_product_link_alone_is_noted():
    fixture = json.loads((FIXTURES / "alibaba" / "AAGb7Yt2Qw9Lm4Xc_Rk8Zp1D.json").read_text())
    text = json.dumps(fixture).replace("https://www.alibaba.com/product-detail/",
                                       "https://www.alibaba.com.evil.example/product-detail/")
    product = parse_payload("alibaba", text)
    assert product.url == ""
    assert any("alibaba.com.evil.example (link)" in w for w in product.warnings)


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_demo_products_keep_every_address(platform):
    for path in (FIXTURES / platform).glob("*.json"):
        if path.name == "catalogue.json":
            continue
        data = decode_payload(path.read_bytes())
        spec = PLATFORMS[platform]
        assert parse_payload(platform, data).media == spec.parse(data).media
        assert parse_payload(platform, data).url == spec.parse(data).url


@pytest.mark.parametrize("path", sorted(p for folder in CAPTURES for p in (REAL / folder).glob("*.json")),
                         ids=lambda p: p.name[:40])
def test_real_captures_keep_every_address(path):
    """The hosts lists are wide enough for what the real gateways send."""
    platform = CAPTURES[path.parent.name]
    data = decode_payload(path.read_bytes())
    spec = PLATFORMS[platform]
    try:
        unconfined = spec.parse(data)
    except Exception:
        pytest.skip("an error answer")
    product = parse_payload(platform, data)
    assert [i.url for i in product.media.images] == [i.url for i in unconfined.media.images]
    assert [v.url for v in product.media.videos] == [v.url for v in unconfined.media.videos]
    assert product.store.url == unconfined.store.url
    assert not [w for w in product.warnings if "left out" in w]


def test_host_allowed_needs_the_host_itself_or_a_subdomain():
    hosts = ("alicdn.com",)
    assert host_allowed("https://ae01.alicdn.com/x.jpg", hosts)
    assert host_allowed("http://alicdn.com/x.jpg", hosts)
    assert not host_allowed("https://alicdn.com.evil.example/x.jpg", hosts)
    assert not host_allowed("https://evilalicdn.com/x.jpg", hosts)
    assert not host_allowed("https://user@evil.example/?alicdn.com", hosts)
    assert not host_allowed("javascript://alicdn.com/%0aalert(1)", hosts)
