"""Synthetic AliExpress payloads of any size, built from a bundled demo fixture."""
from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path

from lib.sandbox.gateway import load_fixture

TEMPLATE_ID = "1005006789012345"
RESPONSE_KEY = "aliexpress_ds_product_get_response"


def ds_payload(sku_count: int, product_id: str = "1005009999999999") -> dict:
    """A wrapped aliexpress.ds.product.get answer with `sku_count` SKUs over three
    variant dimensions (colour x size x ships-from), shaped like the real gateway's."""
    payload = copy.deepcopy(load_fixture("aliexpress", TEMPLATE_ID))
    result = payload[RESPONSE_KEY]["result"]
    wrapper = result["ae_item_sku_info_dtos"]
    (list_key, template_skus), = wrapper.items()
    template = template_skus[0]
    sizes, origins = 10, 5
    colours = -(-sku_count // (sizes * origins))
    skus = []
    for n, (c, s, o) in enumerate(itertools.product(range(colours), range(sizes), range(origins))):
        if n >= sku_count:
            break
        sku = copy.deepcopy(template)
        props = [{"sku_property_id": 14, "sku_property_name": "Color",
                  "property_value_id": 1000 + c, "sku_property_value": f"Colour {c + 1}",
                  "property_value_definition_name": f"Shade {c + 1}"},
                 {"sku_property_id": 5, "sku_property_name": "Size",
                  "property_value_id": 2000 + s, "sku_property_value": f"{(s + 1) * 5}L"},
                 {"sku_property_id": 200007763, "sku_property_name": "Ships From",
                  "property_value_id": 3000 + o, "sku_property_value": f"Warehouse {o + 1}"}]
        attr = ";".join(f"{p['sku_property_id']}:{p['property_value_id']}" for p in props)
        price = 10 + c * 0.5 + s * 1.25 + o * 0.75
        sku.update({"sku_id": str(12000000000000000 + n), "sku_attr": attr, "id": attr,
                    "sku_price": f"{price * 1.4:.2f}", "offer_sale_price": f"{price:.2f}",
                    "offer_bulk_sale_price": f"{price * 0.95:.2f}",
                    "sku_available_stock": (n * 37) % 500,
                    "ae_sku_property_dtos": {"ae_sku_property_d_t_o": props}})
        skus.append(sku)
    result["ae_item_sku_info_dtos"] = {list_key: skus}
    result["ae_item_base_info_dto"]["product_id"] = int(product_id)
    return payload


def write_fixture_dir(folder: Path, payloads: dict[str, dict]) -> Path:
    """A fixture folder the sandbox can serve (point lib.sandbox.gateway.FIXTURES at it)."""
    target = folder / "aliexpress"
    target.mkdir(parents=True, exist_ok=True)
    for product_id, payload in payloads.items():
        (target / f"{product_id}.json").write_text(json.dumps(payload), encoding="utf-8")
    return folder
