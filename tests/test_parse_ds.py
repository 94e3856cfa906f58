"""aliexpress.ds.product.get captures (shared/real-responses/ds) through parse_payload."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd
import pytest

from lib.errors import BadResponse
from lib.model import ATTRIBUTE_COLUMNS, SKU_KEY_COLUMNS, SKU_VALUE_COLUMNS, TIER_COLUMNS
from lib.platforms import parse_payload
from lib.query import ProductQuery
from paths import REAL

DS = REAL / "ds"
ADNAN = "Adnan-Zulfiqar__ds-platform__product.json"
KHALIL = "khalilayoub23__autosparefinder__test_aliexpress_product_get_REAL.json"
DOC = "mercadodasophia-design__mercadodasophia-api__DOC-COPY_product-info-wholesale.json"
DEBUG = "mercadodasophia-design__mercadodasophia-api__debug-return-api_1005009076092229.json"
FLAT = "mercadodasophia-design__mercadodasophia-api__feeds-complete_flat_1005009413075952.json"
BRL = "umpordez__ae-api__client_test_getProduct_BRL.json"


@dataclass(frozen=True)
class Expect:
    product_id: str
    sku_count: int
    properties: tuple[str, ...]
    currency: str
    main_images: int
    # one SKU: sku_id -> (price, sale_price, stock, currency, {property: label})
    sku_id: str
    price: float
    sale_price: float
    stock: int
    sku_currency: str
    labels: dict
    ratings: dict
    product_rating: float
    review_count: int
    sales_text: str
    sales_count: int
    alt_us: str
    ship_to: str


EXPECT = {
    ADNAN: Expect("1005006575315437", 12, ("Color", "Material"), "USD", 6,
                  "12000037711871337", 3.30, 3.30, 2994, "USD",
                  {"Color": "tyjt white", "Material": "Realme GT Neo5"},
                  {"Item as described": 4.6, "Communication": 4.7, "Shipping speed": 4.7},
                  4.9, 40, "112", 112, "3256806389000685", "US"),
    BRL: Expect("1005006057059635", 1, ("Color",), "BRL", 6,
                "12000035530517031", 71.02, 54.69, 492, "BRL", {"Color": "400ml"},
                {"Item as described": 4.0, "Communication": 4.1, "Shipping speed": 4.3},
                1.0, 1, "7", 7, "3256805870744883", "BR"),
    KHALIL: Expect("1005010669652047", 1, (), "USD", 6,
                   "12000053138885208", 29.05, 14.24, 9, "USD", {},
                   {"Item as described": 4.7, "Communication": 4.7, "Shipping speed": 4.8},
                   4.9, 10, "35", 35, "3256810483337295", "IL"),
    DEBUG: Expect("1005009076092229", 30, ("cor", "Tamanho"), "BRL", 6,
                  "12000047828279239", 34.47, 17.24, 0, "BRL",
                  {"cor": "12", "Tamanho": "No dolls no shoes"},
                  {"Item as described": 4.6, "Communication": 4.7, "Shipping speed": 4.7},
                  4.8, 689, "5000+", 5000, "3256808889777477", "BR"),
    FLAT: Expect("1005009413075952", 90, ("cor", "Compatível-Modelos Telefônicos"), "BRL", 6,
                 "12000049021888237", 57.86, 38.19, 665, "BRL",
                 {"cor": "Preto", "Compatível-Modelos Telefônicos": "Para iPhone 15 Pro Max"},
                 {"Item as described": 4.6, "Communication": 4.6, "Shipping speed": 4.6},
                 4.3, 6, "24", 24, "3256809226761200", "BR"),
    DOC: Expect("32982857990", 1, ("Lenses Color",), "USD", 6,
                "12000027158136202", 3.94, 3.94, 57, "USD", {"Lenses Color": "Black Green"},
                {"Item as described": 4.7, "Communication": 4.7, "Shipping speed": 4.7},
                4.8, 1004, "1000+", 1000, "2251832796543238", "CA"),
}


def raw_bytes(name: str) -> bytes:
    return (DS / name).read_bytes()


def parse(name: str, form: str = "bytes", query=None):
    data = raw_bytes(name)
    payload = {"bytes": data, "str": data.decode("utf-8"), "dict": json.loads(data)}[form]
    return parse_payload("aliexpress", payload, query)


def result_of(name: str) -> dict:
    """The `result` object of a capture, found independently of the parser."""
    data = json.loads(raw_bytes(name))
    data = data.get("aliexpress_ds_product_get_response", data)
    return data.get("result", data)


def test_every_ds_file_has_expectations():
    assert sorted(p.name for p in DS.iterdir()) == sorted(EXPECT)


@pytest.fixture(scope="module")
def products():
    return {name: parse(name) for name in EXPECT}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_identity_counts_and_properties(products, name):
    product, expect = products[name], EXPECT[name]
    assert product.platform == "aliexpress"
    assert product.product_id == expect.product_id
    assert product.url == f"https://www.aliexpress.com/item/{expect.product_id}.html"
    assert len(product.skus) == expect.sku_count == product.variant_count
    assert product.sku_properties == list(expect.properties)
    assert product.currency == expect.currency
    assert product.title
    assert product.skus["sku_id"].is_unique
    # The column contract: keys, then property columns, then the value columns.
    columns = list(product.skus.columns)
    n = len(SKU_KEY_COLUMNS) + len(expect.properties) + len(SKU_VALUE_COLUMNS)
    assert columns[:n] == SKU_KEY_COLUMNS + list(expect.properties) + SKU_VALUE_COLUMNS
    assert all(c.endswith(" (system value)") for c in columns[n:])
    assert list(product.tiers.columns) == TIER_COLUMNS
    assert list(product.attributes.columns) == ATTRIBUTE_COLUMNS


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_sku_count_matches_the_file(products, name):
    skus = result_of(name)["ae_item_sku_info_dtos"]
    raw = skus["ae_item_sku_info_d_t_o"] if isinstance(skus, dict) else skus
    assert len(products[name].skus) == len(raw)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_one_sku_in_detail(products, name):
    expect = EXPECT[name]
    skus = products[name].skus
    row = skus[skus["sku_id"] == expect.sku_id]
    assert len(row) == 1
    row = row.iloc[0]
    assert row["price"] == pytest.approx(expect.price)
    assert row["sale_price"] == pytest.approx(expect.sale_price)
    assert row["stock"] == expect.stock
    assert row["currency"] == expect.sku_currency
    for column, label in expect.labels.items():
        assert row[column] == label
    assert str(skus["price"].dtype) == "Float64" and str(skus["stock"].dtype) == "Int64"


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_sku_id_is_the_real_sku_id_not_the_id_field(products, name):
    skus = products[name].skus
    raw = result_of(name)["ae_item_sku_info_dtos"]
    raw = raw["ae_item_sku_info_d_t_o"] if isinstance(raw, dict) else raw
    assert list(skus["sku_id"]) == [str(s["sku_id"]) for s in raw]
    assert all(re.fullmatch(r"\d{17}", s) for s in skus["sku_id"])
    # The `id` field equals sku_attr (a variant key), never an id; the BRL capture has
    # only `id`, which then fills sku_attr.
    assert list(skus["sku_attr"]) == [s.get("sku_attr", s["id"]) for s in raw]
    assert all(s["id"] == s.get("sku_attr", s["id"]) for s in raw)
    assert not set(skus["sku_id"]) & {s["id"] for s in raw}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_store_ratings_and_sales(products, name):
    store, expect = products[name].store, EXPECT[name]
    assert store.ratings == pytest.approx(expect.ratings)
    assert all(0 <= v <= 5 for v in store.ratings.values())
    assert store.missing_ratings == []
    assert store.product_rating == pytest.approx(expect.product_rating)
    assert store.review_count == expect.review_count
    assert store.sales_text == expect.sales_text
    assert store.sales_count == expect.sales_count
    assert store.country == "CN"
    assert store.url == f"https://www.aliexpress.com/store/{store.store_id}"
    assert store.store_id == str(result_of(name)["ae_store_info"]["store_id"])


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_main_images_come_from_the_semicolon_string(products, name):
    raw = result_of(name)["ae_multimedia_info_dto"]["image_urls"]
    urls = [u for u in raw.split(";") if u]
    main = products[name].media.by_kind("main")
    assert len(main) == len(urls) == EXPECT[name].main_images
    assert [i.url for i in main] == urls
    assert products[name].main_image == urls[0]


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_alt_ids_and_logistics(products, name):
    product, expect = products[name], EXPECT[name]
    assert product.alt_ids["US"] == expect.alt_us
    assert product.trade.ship_to_country == expect.ship_to


@pytest.mark.parametrize("name", sorted(EXPECT))
@pytest.mark.parametrize("form", ["str", "dict"])
def test_dict_str_and_bytes_parse_alike(products, name, form):
    a, b = products[name], parse(name, form)
    pd.testing.assert_frame_equal(a.skus, b.skus)
    pd.testing.assert_frame_equal(a.tiers, b.tiers)
    pd.testing.assert_frame_equal(a.attributes, b.attributes)
    assert (a.product_id, a.title, a.currency, a.sku_properties, a.alt_ids) == \
        (b.product_id, b.title, b.currency, b.sku_properties, b.alt_ids)
    assert a.store == b.store and a.media == b.media and a.trade == b.trade
    assert a.description_html == b.description_html
    assert a.warnings == b.warnings
    assert a.raw == b.raw == json.loads(raw_bytes(name))


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_description_is_sanitised(products, name):
    html = products[name].description_html
    lowered = html.lower()
    for banned in ("<script", "javascript:", "onerror", "onclick", "<style", "<iframe",
                   "slate-data-type", "class="):
        assert banned not in lowered


# --- Adnan: two dimensions, custom labels, US sub-id -----------------------------------
def test_adnan_custom_labels_preferred_and_system_values_kept(products):
    skus = products[ADNAN].skus
    row = skus[skus["sku_id"] == "12000037711871337"].iloc[0]
    assert row["Color"] == "tyjt white"
    assert row["Color (system value)"] == "Beige"
    assert row["Material (system value)"] == "CANVAS"
    assert sorted(skus["Color"].unique()) == ["tyjt black", "tyjt brown", "tyjt red",
                                              "tyjt white"]
    assert sorted(skus["Material"].unique()) == ["Realme GT Neo5", "Realme GT Neo5se",
                                                 "Realme GT3"]
    assert "Beige" not in set(skus["Color"])


def test_adnan_prices_and_images(products):
    product = products[ADNAN]
    assert product.price_range() == pytest.approx((3.14, 3.47))
    assert product.out_of_stock_count == 0
    sku_images = product.media.by_kind("sku")
    assert [i.label for i in sku_images] == ["Color: tyjt white", "Color: tyjt red",
                                             "Color: tyjt brown", "Color: tyjt black"]
    white = product.skus[product.skus["Color"] == "tyjt white"]["image_url"].unique()
    assert list(white) == ["https://ae01.alicdn.com/kf/Scbb2378dbd974ff79915cfd3cba5bf8ax.jpg"]
    # Detail images come from the sanitised description HTML.
    detail = product.media.by_kind("detail")
    assert len(detail) == 6
    assert detail[0].url == "https://ae01.alicdn.com/kf/S668020a3e5fa4a7d94244a4dc9674c730.jpeg"


def test_adnan_ids_from_json_string_and_warning(products):
    product = products[ADNAN]
    assert product.alt_ids == {"US": "3256806389000685"}
    # The base info carries the US id that sub_product_id already maps: normal, no warning.
    assert product.warnings == []


def test_adnan_requested_id_wins(products):
    query = ProductQuery("aliexpress", "1005006575315437")
    product = parse(ADNAN, query=query)
    assert product.product_id == "1005006575315437"
    assert product.query is query


def test_adnan_attributes_keep_repeats_and_negative_ids(products):
    attributes = products[ADNAN].attributes
    assert len(attributes) == 10
    features = attributes[attributes["name"] == "Features"]["value"].tolist()
    assert features == ["Anti-Scratch", "Anti-Fingerprint"]
    assert attributes.iloc[-2:][["name", "value"]].values.tolist() == [
        ["Choice", "yes"], ["semi_Choice", "yes"]]


def test_adnan_trade(products):
    trade = products[ADNAN].trade
    assert trade.package_size == "18 × 10 × 2 cm"
    assert trade.gross_weight_kg == pytest.approx(0.04)
    assert trade.delivery_days == 3
    assert trade.ship_from_countries == ["CN"]
    assert trade.notes == {"Prices include tax": "no"}


# --- the flat 90-SKU file --------------------------------------------------------------
def test_flat_video_with_poster(products):
    videos = products[FLAT].media.videos
    assert len(videos) == 1
    assert videos[0].url == "https://video.aliexpress-media.com/play/5000261204359.mp4"
    assert videos[0].poster == \
        "https://ae01.alicdn.com/kf/S69c452b6df8a4d26a3086bd7ac5526ebg.jpg"


def test_flat_without_custom_labels_uses_system_values(products):
    skus = products[FLAT].skus
    assert not [c for c in skus.columns if c.endswith("(system value)")]
    assert sorted(skus["cor"].unique()) == ["Azul", "CINZA", "Dourado", "Preto", "ROXO"]
    assert skus["Compatível-Modelos Telefônicos"].nunique() == 18
    assert len(skus.drop_duplicates(["cor", "Compatível-Modelos Telefônicos"])) == 90
    assert products[FLAT].price_range() == pytest.approx((38.19, 38.19))
    assert products[FLAT].price_range("price") == pytest.approx((57.86, 57.86))
    assert set(skus["discount_pct"]) == {34.0}


def test_flat_bulk_price_equal_to_sale_price_gives_no_tier(products):
    # Every SKU has sku_bulk_order 3 but offer_bulk_sale_price == offer_sale_price.
    assert products[FLAT].tiers.empty
    assert products[FLAT].warnings == []


def test_flat_attributes(products):
    attributes = products[FLAT].attributes
    assert len(attributes) == 30
    assert attributes["name"].tolist().count("Características") == 7


# --- debug-return (pt-BR, 30 SKUs, out of stock) ------------------------------------------
def test_debug_return_labels_stock_and_system_values(products):
    product = products[DEBUG]
    skus = product.skus
    assert product.sku_properties == ["cor", "Tamanho"]
    assert skus["cor"].nunique() == 30
    row = skus[skus["sku_id"] == "12000047828279239"].iloc[0]
    assert (row["cor (system value)"], row["Tamanho (system value)"]) == ("ROXO", "M")
    assert product.out_of_stock_count == 3
    assert sorted(skus[skus["stock"] == 0]["sku_id"]) == [
        "12000047828279239", "12000047828279242", "12000047828279250"]
    assert product.price_range() == pytest.approx((13.89, 20.99))
    assert set(skus["discount_pct"]) == {49.9, 50.0}


# --- umpordez (inner body, BRL with CNY base) --------------------------------------------
def test_brl_inner_body(products):
    product = products[BRL]
    row = product.skus.iloc[0]
    assert row["Color"] == "400ml" and row["Color (system value)"] == "Light Grey"
    assert row["discount_pct"] == pytest.approx(23.0)
    assert product.currency == "BRL"        # the SKUs' currency, not the base CNY
    assert product.title.startswith("Portátil USB Mini Espremedor Elétrico")
    assert "Especificação" in product.description_html       # &ccedil; decoded
    assert product.trade.notes == {}         # no price_include_tax in this capture
    assert product.warnings == []


# --- khalil (single no-variant SKU) -------------------------------------------------------
def test_single_sku_without_properties(products):
    product = products[KHALIL]
    row = product.skus.iloc[0]
    assert row["sku_attr"] == ""
    assert row["discount_pct"] == pytest.approx(51.0)
    assert product.sku_properties == []
    assert product.media.by_kind("sku") == []
    assert product.description_html == "<p>Air Filter</p><p>SH01-13-3A0A</p>"
    assert product.trade.ship_to_country == "IL"
    assert product.warnings == []


# --- the DOC-COPY (wholesale example) ----------------------------------------------------
def test_doc_copy_wholesale_tier_from_doubly_quoted_price(products):
    tiers = products[DOC].tiers
    assert len(tiers) == 1
    tier = tiers.iloc[0]
    assert (tier["sku_id"], tier["min_qty"], tier["unit_price"], tier["currency"],
            tier["source"]) == ("12000027158136202", 1, 5.78, "USD", "wholesale tier")
    assert pd.isna(tier["max_qty"])
    assert result_of(DOC)["ae_item_sku_info_dtos"][0]["wholesale_price_tiers"][0][
        "wholesale_price"] == '"5.78"'


def test_doc_copy_strings_for_everything(products):
    product = products[DOC]
    row = product.skus.iloc[0]
    assert row["stock"] == 57                     # "57" (sku_available_stock)
    assert row["barcode"] == "320325455"
    assert row["ean"] == "eanCode"
    assert row["Lenses Color (system value)"] == "green"
    assert product.trade.notes == {"Prices include tax": "yes"}     # "true"
    assert product.store.sales_text == "1000+" and product.store.sales_count == 1000


def test_doc_copy_sub_product_id_as_object(products):
    raw = result_of(DOC)["product_id_converter_result"]["sub_product_id"]
    assert raw == {"US": 2251832796543238}         # an object, not a JSON string
    assert products[DOC].alt_ids == {"US": "2251832796543238"}


def test_doc_copy_attribute_unit(products):
    attributes = products[DOC].attributes
    assert attributes.to_dict("records") == [
        {"name": "Brand Name", "value": "FUQIAN (1–10)", "unit": "piece"}]


def test_doc_copy_attribute_keeps_its_range(products):
    row = products[DOC].attributes.iloc[0]
    assert re.search(r"1\s*[–-]\s*10", f"{row['value']} {row['unit']}")


def test_attribute_range_value_and_unit():
    payload = {"result": {
        "ae_item_base_info_dto": {"subject": "X", "product_id": 1005001234567890},
        "ae_item_properties": [
            {"attr_name": "Capacity", "attr_value_start": "500", "attr_value_end": "750",
             "attr_value_unit": "ml"},
            {"attr_name": "Weight", "attr_value_start": "0.4", "attr_value_unit": "kg"},
            {"attr_name": "Depth", "attr_value_end": "12", "attr_value_unit": "cm"}]}}
    attributes = parse_payload("aliexpress", payload).attributes
    assert attributes.to_dict("records") == [
        {"name": "Capacity", "value": "500–750", "unit": "ml"},
        {"name": "Weight", "value": "0.4", "unit": "kg"},
        {"name": "Depth", "value": "12", "unit": "cm"}]


def test_doc_copy_video_without_url_is_a_warning(products):
    product = products[DOC]
    assert result_of(DOC)["ae_multimedia_info_dto"]["ae_video_dtos"][0]["media_url"] == \
        "media url"
    # Kept with its poster, not playable (issue 9, point 12; tests/test_videos.py).
    assert [(v.url, v.playable) for v in product.media.videos] == [("", False)]
    assert "A video was listed without a playable web address." in product.warnings
    assert any("4000903675543" in w for w in product.warnings)    # regional id differs


# --- synthetic odd payloads ------------------------------------------------------------
def base(**result):
    result.setdefault("ae_item_base_info_dto", {"subject": "Thing",
                                                "product_id": 1005001234567890})
    return {"aliexpress_ds_product_get_response": {"rsp_code": 200, "result": result}}


def test_missing_everything_but_the_base():
    product = parse_payload("aliexpress", base())
    assert product.product_id == "1005001234567890"
    assert product.skus.empty and product.sku_properties == []
    assert product.store.ratings == {} and product.media.images == []
    assert product.warnings == ["The answer lists no SKUs, so there are no prices or stock.",
                                "The product has no main images."]


def test_sku_without_price():
    product = parse_payload("aliexpress", base(ae_item_sku_info_dtos={
        "ae_item_sku_info_d_t_o": [{"sku_id": "12000000000000001", "sku_available_stock": 3}]}))
    row = product.skus.iloc[0]
    assert pd.isna(row["price"]) and pd.isna(row["sale_price"])
    assert row["stock"] == 3
    assert "SKU 12000000000000001 has no price." in product.warnings
    assert product.price_range() is None


def test_prices_as_numbers_and_ids_as_ints():
    product = parse_payload("aliexpress", base(ae_item_sku_info_dtos=[
        {"sku_id": 12000000000000001, "sku_price": 10, "offer_sale_price": 7.5,
         "sku_available_stock": "4", "currency_code": "EUR"}]))
    row = product.skus.iloc[0]
    assert (row["sku_id"], row["price"], row["sale_price"], row["stock"]) == \
        ("12000000000000001", 10.0, 7.5, 4)
    assert row["discount_pct"] == 25.0 and product.currency == "EUR"


def test_only_sale_price_fills_price():
    product = parse_payload("aliexpress", base(ae_item_sku_info_dtos=[
        {"sku_id": "1", "offer_sale_price": "4.20", "sku_available_stock": 1}]))
    assert product.skus.iloc[0][["price", "sale_price"]].tolist() == [4.2, 4.2]


def test_bare_object_instead_of_list():
    product = parse_payload("aliexpress", base(ae_item_sku_info_dtos={
        "ae_item_sku_info_d_t_o": {
            "sku_id": "7", "sku_price": "2.00", "sku_available_stock": 1,
            "ae_sku_property_dtos": {"ae_sku_property_d_t_o": {
                "sku_property_name": "Color", "sku_property_id": 14,
                "property_value_id": 1, "sku_property_value": "Red"}}}}))
    assert product.sku_properties == ["Color"]
    assert product.skus[["sku_id", "Color", "price"]].values.tolist() == [["7", "Red", 2.0]]


def test_result_as_a_one_element_list():
    product = parse_payload("aliexpress", {"result": [
        {"ae_item_base_info_dto": {"subject": "Listed", "product_id": "1005001234567890"}}]})
    assert (product.title, product.product_id) == ("Listed", "1005001234567890")


def test_ipm_stock_used_when_available_stock_missing():
    product = parse_payload("aliexpress", base(ae_item_sku_info_dtos=[
        {"sku_id": "1", "sku_price": "1", "ipm_sku_stock": "5426"}]))
    assert product.skus.iloc[0]["stock"] == 5426


def test_missing_stock_is_a_warning():
    product = parse_payload("aliexpress", base(ae_item_sku_info_dtos=[
        {"sku_id": "1", "sku_price": "1"}]))
    assert pd.isna(product.skus.iloc[0]["stock"])
    assert "Some SKUs have no stock figure." in product.warnings


def test_bulk_price_becomes_a_tier():
    product = parse_payload("aliexpress", base(ae_item_sku_info_dtos=[
        {"sku_id": "1", "sku_price": "4.00", "offer_sale_price": "3.94",
         "sku_bulk_order": "10", "offer_bulk_sale_price": "3.74", "currency_code": "USD"}]))
    tiers = product.tiers
    assert tiers[["min_qty", "unit_price", "source"]].values.tolist() == [
        [1, 3.94, "single unit"], [10, 3.74, "bulk price"]]
    assert tiers.iloc[0]["max_qty"] == 9 and pd.isna(tiers.iloc[1]["max_qty"])
    assert tiers.iloc[1]["discount"] == pytest.approx(5.1)


def test_has_whole_sale_without_tiers_is_a_warning():
    product = parse_payload("aliexpress", base(has_whole_sale="true", ae_item_sku_info_dtos=[
        {"sku_id": "1", "sku_price": "2", "sku_available_stock": 1}]))
    assert product.tiers.empty
    assert ("The product is marked as having wholesale prices, but no price tiers were "
            "sent.") in product.warnings


def test_garbage_types_do_not_crash():
    product = parse_payload("aliexpress", {"result": {
        "ae_item_base_info_dto": ["not", "an", "object"], "ae_item_sku_info_dtos": "oops",
        "ae_store_info": 5, "ae_multimedia_info_dto": [1, 2], "ae_item_properties": 7,
        "package_info_dto": "x", "logistics_info_dto": None,
        "product_id_converter_result": "zz"}})
    assert product.product_id == "" and product.title == ""
    assert product.skus.empty and product.attributes.empty
    assert product.warnings == [
        "The answer carries no product id.",
        "The answer lists no SKUs, so there are no prices or stock.",
        "The product has no main images.", "The product has no title."]


def test_garbage_inside_lists_and_bad_urls():
    product = parse_payload("aliexpress", {"result": {
        "ae_item_base_info_dto": {"subject": {"a": 1}, "sales_count": [1],
                                  "avg_evaluation_rating": "9.9"},
        "ae_item_sku_info_dtos": [None, 5, "x", {"sku_price": "abc"}],
        "ae_store_info": {"item_as_described_rating": "7", "communication_rating": "",
                          "shipping_speed_rating": "4.5"},
        "ae_multimedia_info_dto": {
            "image_urls": "javascript:alert(1);https://a.alicdn.com/x.jpg;//b.alicdn.com/y.jpg",
            "ae_video_dtos": {"ae_video_d_t_o": {"media_url": "data:video/mp4,xx"}}}}})
    assert len(product.skus) == 1
    assert product.skus.iloc[0]["sku_id"] == "#1"
    assert "SKU #1 has no price." in product.warnings
    assert product.store.ratings == {"Shipping speed": 4.5}
    assert product.store.missing_ratings == ["Item as described", "Communication"]
    assert product.store.product_rating is None          # 9.9 is not a 0..5 score
    assert [i.url for i in product.media.images] == ["https://a.alicdn.com/x.jpg",
                                                     "https://b.alicdn.com/y.jpg"]
    assert product.media.videos == []
    assert "A video was listed without a playable web address." in product.warnings
    assert "Store ratings missing: Item as described, Communication." in product.warnings


def test_script_in_description_is_removed():
    product = parse_payload("aliexpress", base(ae_item_base_info_dto={
        "subject": "X", "product_id": "1005001234567890",
        "detail": '<div onclick="steal()">Hi<script>alert(1)</script>'
                  '<img src="javascript:alert(1)"><img src="https://a.alicdn.com/i.jpg" '
                  'onerror="alert(1)"><a href="javascript:x">l</a>'
                  '<iframe src="https://e.example"></iframe><style>p{}</style></div>'}))
    html = product.description_html
    assert "Hi" in html and '<img src="https://a.alicdn.com/i.jpg">' in html
    for banned in ("script", "alert", "onclick", "onerror", "javascript", "iframe", "style"):
        assert banned not in html
    assert [i.url for i in product.media.by_kind("detail")] == ["https://a.alicdn.com/i.jpg"]


def test_real_description_with_injected_script_is_sanitised():
    data = json.loads(raw_bytes(ADNAN))
    base_info = data["aliexpress_ds_product_get_response"]["result"]["ae_item_base_info_dto"]
    base_info["detail"] = "<script>document.location='https://evil.example'</script>" \
        + base_info["detail"]
    product = parse_payload("aliexpress", data)
    assert "<script" not in product.description_html
    assert "evil.example" not in product.description_html
    assert len(product.media.by_kind("detail")) == 6


def test_mobile_detail_used_when_detail_missing():
    product = parse_payload("aliexpress", base(ae_item_base_info_dto={
        "subject": "X", "product_id": "1005001234567890",
        "mobile_detail": json.dumps({"moduleList": [
            {"type": "text", "data": {"content": "<b>hi</b>"}},
            {"type": "image", "data": {"url": "javascript:x"}},
            {"type": "image", "data": {"url": "https://a.alicdn.com/i.jpg"}}]})}))
    assert product.description_html == \
        '<p>&lt;b&gt;hi&lt;/b&gt;</p><img src="https://a.alicdn.com/i.jpg">'


@pytest.mark.parametrize("payload", [[], None, 42, "\"text\"", {}, {"foo": 1},
                                     {"result": {"foo": 1}},
                                     {"aliexpress_ds_product_get_response": "x"}])
def test_no_product_data_is_bad_response(payload):
    with pytest.raises(BadResponse) as info:
        parse_payload("aliexpress", payload)
    assert info.value.user_message.startswith("The marketplace sent an answer we could not read")
    assert info.value.raw == (json.dumps(payload) if not isinstance(payload, str)
                              else json.loads(payload))


def test_unknown_platform_key():
    with pytest.raises(KeyError):
        parse_payload("ebay", {})
