"""The fast parse (issue 15) keeps the old results exactly: decode_payload's fallbacks to
json.loads, and the tables of a big and of an odd AliExpress answer, frozen from the
implementation before it (row-wise build, json.loads only). No timing here: the speed
is printed by `python -m benchmarks parse`."""
from __future__ import annotations

import copy
import gc
import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest

from benchmarks.synthetic import RESPONSE_KEY, ds_payload
from lib.errors import BadResponse
from lib.model import SKU_KEY_COLUMNS, SKU_VALUE_COLUMNS, TIER_COLUMNS, frame, frame_from_columns
from lib.platforms import decode_payload, parse_payload


# -- decode_payload: msgspec first, json.loads for everything it refuses ----------------
@pytest.mark.parametrize("body, expected", [
    (b'{"x": "caf\xff"}', {"x": "caf\ufffd"}),                 # invalid UTF-8: replaced
    (b'\xef\xbb\xbf {"a": 1}\n', {"a": 1}),                   # BOM
    ("\ufeff[1, 2]", [1, 2]),
    ('\u00a0{"a": 2}\u2028', {"a": 2}),                        # whitespace beyond JSON's
    (str(2 ** 70).encode(), 2 ** 70),                          # exact, not a float
    (b'[-1180591620717411303424, 18446744073709551616]', [-(2 ** 70), 2 ** 64]),
    (b'{"a": 1e400, "b": -1e400}', {"a": math.inf, "b": -math.inf}),
    (b'"\\ud800"', "\ud800"),                                  # a lone surrogate escape
    (b'{"a": 1, "a": 2}', {"a": 2}),
    (bytearray(b'{"b": [true, null]}'), {"b": [True, None]}),
    (b'-0', 0),
])
def test_decode_matches_json_loads(body, expected):
    assert decode_payload(body) == expected
    assert type(decode_payload(body)) is type(expected)


def test_decode_nan_and_infinity_as_json_loads():
    value = decode_payload(b'{"p": NaN, "q": Infinity, "r": -Infinity}')
    assert math.isnan(value["p"]) and value["q"] == math.inf and value["r"] == -math.inf


def test_decode_keeps_big_ids_exact_inside_a_payload():
    body = json.dumps({"id": 12345678901234567890123, "f": 0.1}).encode()
    assert decode_payload(body) == {"id": 12345678901234567890123, "f": 0.1}


@pytest.mark.parametrize("body, kind", [
    (b"<html><body>Bad gateway</body></html>", "an HTML page"),
    (b"not json at all", "text that is not JSON"),
    (b'{"a": 1,}', "text that is not JSON"),
    (b'{"a": 1}  trailing', "text that is not JSON"),
])
def test_decode_errors_keep_the_json_loads_message(body, kind):
    text = body.decode()
    try:
        json.loads(text)
    except ValueError as exc:
        expected = f"the answer is {kind}: {exc}"
    with pytest.raises(BadResponse) as caught:
        decode_payload(body)
    assert caught.value.detail == expected
    assert caught.value.raw == text


@pytest.mark.parametrize("body", [b"", b"  \n ", "", "\ufeff"])
def test_decode_empty_answer(body):
    with pytest.raises(BadResponse) as caught:
        decode_payload(body)
    assert caught.value.detail == "empty body"


def test_decode_passes_objects_through():
    payload = {"a": [1]}
    assert decode_payload(payload) is payload


# -- the garbage collector is paused during a parse, and always switched back on ---------
def test_parse_restores_the_collector():
    assert gc.isenabled()
    parse_payload("aliexpress", json.dumps(ds_payload(3)).encode())
    assert gc.isenabled()
    with pytest.raises(BadResponse):
        parse_payload("aliexpress", b"<html>busy</html>")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_payload("aliexpress", json.dumps(ds_payload(3)).encode())
        assert not gc.isenabled()             # it was off: left off
    finally:
        gc.enable()


# -- frame_from_columns: the fast array builders give pandas' own arrays ----------------
@pytest.mark.parametrize("values, dtype", [
    ([1, None, 3, -(2 ** 63), 2 ** 63 - 1], "Int64"),
    ([1, 2, 3], "Int64"),
    ([None, None], "Int64"),
    ([1.5, None, float("nan"), math.inf, -0.0, 5e-324], "Float64"),
    ([2.0, 3.25], "Float64"),
])
def test_numeric_columns_equal_pd_array(values, dtype):
    column = "stock" if dtype == "Int64" else "price"
    built = frame_from_columns({column: values}, [column])[column].array
    expected = pd.array(values, dtype=dtype)
    assert built.dtype == expected.dtype
    assert built.isna().tolist() == expected.isna().tolist()
    assert [repr(v) for v in built.tolist()] == [repr(v) for v in expected.tolist()]


def test_numbers_beyond_int64_are_dropped_as_before():
    table = frame_from_columns({"stock": [2 ** 64, 5, None], "price": [2 ** 70, 1.5, "x"]},
                               ["stock", "price"])
    assert table["stock"].tolist() == [pd.NA, 5, pd.NA]
    assert table["price"].tolist()[1:] == [1.5, pd.NA]
    assert str(table["stock"].dtype) == "Int64" and str(table["price"].dtype) == "Float64"


def test_text_columns_as_pandas_infers_them():
    table = frame([{"a": "x", "b": None, "c": 1, "d": ""}, {"a": None, "b": None, "c": "y",
                                                             "d": ""}], ["a", "b", "c", "d"])
    reference = pd.DataFrame({"a": np.array(["x", None], dtype=object),
                              "b": np.array([None, None], dtype=object),
                              "c": np.array([1, "y"], dtype=object),
                              "d": np.array(["", ""], dtype=object)})
    assert table.dtypes.tolist() == reference.dtypes.tolist()
    assert str(table["a"].dtype) == "str" and table["b"].dtype == object
    assert table["a"].isna().tolist() == [False, True]
    assert table["c"].tolist() == [1, "y"]


def test_empty_tables_keep_their_contract():
    from lib.model import Product

    one, two = Product("aliexpress", "1"), Product("aliexpress", "2")
    assert one.skus is not two.skus                 # each product its own (copied) table
    assert list(one.skus.columns) == SKU_KEY_COLUMNS + SKU_VALUE_COLUMNS
    assert [str(t) for t in one.tiers.dtypes] == ["object", "Int64", "Int64", "Float64",
                                                  "Float64", "object", "object"]
    one.skus.loc[0, "sku_id"] = "x"
    assert two.skus.empty


# -- the tables of whole answers, frozen from the implementation before issue 15 --------
def _canonical(table: pd.DataFrame) -> list:
    out = []
    for i, name in enumerate(table.columns):
        values = []
        for value in table.iloc[:, i].tolist():
            if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                values.append(None)
            else:
                values.append(repr(value))
        out.append([name, str(table.dtypes.iloc[i]), values])
    return out


def _digest(product) -> str:
    data = {"skus": _canonical(product.skus), "tiers": _canonical(product.tiers),
            "warnings": product.warnings, "properties": product.sku_properties,
            "images": [(i.url, i.kind, i.label) for i in product.media.images],
            "origins": product.trade.ship_from_countries}
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def odd_payload() -> dict:
    """A 60-SKU answer with every path of the SKU and tier reading taken: custom labels,
    missing and quoted prices, stock from ipm_sku_stock, bulk prices, ladders starting
    above one unit, tiers with numbers, booleans or lists instead of text, a repeated
    ladder, off-host pictures, a property named like a value column."""
    payload = ds_payload(60)
    (skus,) = payload[RESPONSE_KEY]["result"]["ae_item_sku_info_dtos"].values()
    for n, sku in enumerate(skus):
        tiers = sku["wholesale_price_tiers"]["wholesale_price_tier"]
        props = sku["ae_sku_property_dtos"]["ae_sku_property_d_t_o"]
        kind = n % 12
        if kind == 1:
            sku["sku_attr"] = sku["sku_attr"].replace(";5:", "#Deep red;5:", 1)
        elif kind == 2:
            sku.pop("sku_price")
            sku["offer_sale_price"] = '"7.10"'
        elif kind == 3:
            sku.pop("sku_price"), sku.pop("offer_sale_price")
            sku.pop("sku_available_stock")
            sku["ipm_sku_stock"] = "1,200"
        elif kind == 4:
            sku["wholesale_price_tiers"] = None          # bulk price instead
        elif kind == 5:
            for tier in tiers:
                tier["min_quantity"] = str(int(tier["min_quantity"]) + 4)   # from 5 up
        elif kind == 6:
            tiers[0]["min_quantity"] = 1                 # a number, not text
            tiers[1]["min_quantity"] = True              # equal to 1 as a key, not a qty
        elif kind == 7:
            tiers[2]["wholesale_price"] = ["22.41"]      # unhashable
            tiers.append("not a tier")
        elif kind == 8:
            props[1]["sku_image"] = "https://evil.example/pixel.png"
            props[0]["sku_image"] = f"//ae01.alicdn.com/kf/{n}.jpg"
        elif kind == 9:
            props.append({"sku_property_id": 77, "sku_property_name": "price",
                          "property_value_id": n, "sku_property_value": f"P{n % 3}"})
        elif kind == 10:
            sku["sku_available_stock"] = "57"
            sku["currency_code"] = " usd "
            sku["barcode"], sku["ean_code"] = 4006381333931, "  4006381333931 "
        elif kind == 11:
            sku["sku_bulk_order"], sku["offer_bulk_sale_price"] = "5", "1.00"
            sku["wholesale_price_tiers"] = {"wholesale_price_tier": []}
    skus.insert(5, "not a sku")
    return payload


# Frozen with the implementation at commit 68a8870 (before issue 15's parse work).
FROZEN = {
    "ds1000": "03a0c52ec842c881",
    "odd": "ef92895d7c19117b",
}


def test_big_answer_tables_unchanged():
    product = parse_payload("aliexpress", json.dumps(ds_payload(1000)).encode())
    skus, tiers = product.skus, product.tiers
    assert list(skus.columns) == ["sku_id", "sku_attr", "Color", "Size", "Ships From", "price",
                                  "sale_price", "discount_pct", "currency", "stock",
                                  "image_url", "barcode", "ean", "Color (system value)"]
    assert [str(t) for t in skus.dtypes] == ["str"] * 5 + ["Float64"] * 3 + [
        "str", "Int64", "str", "str", "str", "str"]
    assert list(tiers.columns) == TIER_COLUMNS and len(tiers) == 4000
    assert [str(t) for t in tiers.dtypes] == ["str", "Int64", "Int64", "Float64", "Float64",
                                              "str", "str"]
    first = skus.iloc[0]
    assert (first["sku_id"], first["Color"], first["Color (system value)"], first["price"],
            first["sale_price"], first["discount_pct"], first["stock"]) == (
        "12000000000000000", "Shade 1", "Colour 1", 14.0, 10.0, 28.6, 0)
    assert tiers.iloc[:4][["min_qty", "max_qty"]].astype(object).values.tolist() == [
        [1, 9], [10, 49], [50, 199], [200, pd.NA]]
    assert _digest(product) == FROZEN["ds1000"]


def test_odd_answer_tables_unchanged():
    payload = odd_payload()
    for form in (json.dumps(payload).encode(), copy.deepcopy(payload)):
        product = parse_payload("aliexpress", form)
        assert _digest(product) == FROZEN["odd"]
    tiers = product.tiers
    single = tiers[tiers["source"] == "single unit"]
    assert len(single) == 15        # kinds 4 and 11 (bulk prices from 10 and 5), 5 (from 5)
    bulk = tiers[tiers["source"] == "bulk price"]
    assert set(bulk["min_qty"]) == {5, 10}
    assert "price (variant)" in product.skus.columns
    assert any("evil.example" in w for w in product.warnings)
