"""What the Overview lists beyond the key numbers: terms of trade, the affiliate's
figures, the rest of the listing's details, the attributes table.

Every field of `Trade` (and each of its notes) lands in one place on the Overview:
a section here, the store and shipping lines, or the minimum order among the key
numbers; so nothing the parser read stays only on the Raw data page. A section with
nothing in it is empty and the Overview leaves it out. Pure: no Streamlit, no raw
field names.
"""
from __future__ import annotations

import pandas as pd

from lib import format as fmt
from lib.analysis import not_sent_reason
from lib.labels import DASH, countries_label, gaps_as_dash, status_label
from lib.text import link, literal
from lib.model import ATTRIBUTE_COLUMNS, Product

Rows = list[tuple[str, str]]

# Notes (display labels the affiliate parser writes) that belong with the commission.
AFFILIATE_NOTES = ("JV commission rate", "App-only price", "Promo code", "Promo code link")
# Notes about the listing itself rather than the terms it is sold on.
LISTING_NOTES = ("Product type", "Price type", "Market", "Discount", "Tax rate",
                 "Last modified", "Displayed on Alibaba.com", "Keywords",
                 "Product page (as sent)", "Redirects to")
_LISTING_PREFIXES = ("Seller's prices",)     # "Seller's prices (CNY)"
# Notes shown inside another row (FOB unit) or as words elsewhere (the affiliate
# product type is the Marketplace row): not listed twice, raw codes not on screen.
_FOLDED_NOTES = ("FOB price unit", "Platform product type")


def _pct(value: float | None) -> str:
    return f"{value:.1f}%" if value is not None else ""     # as the API writes it: 8.0%


def terms_of_trade(product: Product) -> Rows:
    """Order size, price terms, payment, supply, packing, postage, installation (ships
    from and delivery are `shipping_lines`)."""
    t = product.trade
    rows: Rows = []
    # The minimum order is a key number above the tables (analysis.price_numbers).
    if t.fob_min is not None:
        fob = fmt.money_range(t.fob_min, t.fob_max, fmt.currency_label(t.fob_currency))
        unit = t.notes.get("FOB price unit", "")
        rows.append(("FOB price", f"{fob} {unit}".strip()))
    if t.payment_methods:
        rows.append(("Payment methods", ", ".join(t.payment_methods)))
        rows.append(("Trade Assurance", trade_assurance(t.payment_methods)))
    if t.supply_ability:
        rows.append(("Supply ability", t.supply_ability))
    if t.packaging:
        rows.append(("Packaging", t.packaging))
    if t.package_size:
        rows.append(("Package size", t.package_size))
    if t.gross_weight_kg is not None:
        rows.append(("Gross weight", f"{t.gross_weight_kg:g} kg"))
    if t.handling_days is not None:
        rows.append(("Handling time", f"{t.handling_days} days before dispatch"))
    if t.postage:
        rows.append(("Postage", t.postage))
    if t.installation:
        rows.append(("Installation", t.installation))
    rows += [(label, text) for label, text in t.notes.items()
             if text and not _elsewhere(label)]
    return rows


def _listing_note(label: str) -> bool:
    return label in LISTING_NOTES or label.startswith(_LISTING_PREFIXES)


def _elsewhere(label: str) -> bool:
    """A note another section shows (or that is folded into a row)."""
    return label in AFFILIATE_NOTES or label in _FOLDED_NOTES or _listing_note(label)


def store_line(product: Product) -> tuple[str, str]:
    """The store as one Markdown line (payload text literal, lib/text.py) and its
    tooltip: the name, linked when the platform gave its page (an address on the
    marketplace's own site: lib/platforms/urls.py), and the country by name."""
    store = product.store
    name = literal(store.name) if store.name else DASH
    line = f"**Store:** {link(store.name, store.url)}" if store.url and store.name else \
        f"**Store:** {name}"
    country = countries_label(store.country)
    if country:
        line += f" · {literal(country.text)}"
    if not store.name:
        reason = not_sent_reason(product, "store").rstrip(".")
        line += f" (not sent: {literal(reason[:1].lower() + reason[1:])})"
    return line, literal(country.detail) if country else ""


def shipping_lines(product: Product) -> list[tuple[str, str, str]]:
    """(label, text, tooltip) for the lines above the tables: where it ships from and
    how long delivery takes; country names shown, the codes in the tooltip."""
    t = product.trade
    lines = []
    ships = countries_label(t.ship_from_countries)
    if ships:
        lines.append(("Ships from", ships.text, ships.detail))
    if t.delivery_days is not None:
        to = countries_label(t.ship_to_country)
        lines.append(("Delivery", f"about {t.delivery_days} days"
                      + (f" to {to.text}" if to else ""), to.detail if to else ""))
    return lines


def trade_assurance(payment_methods: list[str]) -> str:
    """Alibaba.com sends Trade Assurance as one of the payment methods, not a flag."""
    if any("trade assurance" in m.lower() for m in payment_methods):
        return "Offered (listed among the payment methods)"
    return "Not listed among the payment methods"


def affiliate_terms(product: Product) -> Rows:
    """Commission, promotion link, promo code, app-only price (affiliate API)."""
    t = product.trade
    rows: Rows = []
    if t.commission_rate_pct is not None:
        rows.append(("Commission rate", _pct(t.commission_rate_pct)))
    if t.hot_commission_rate_pct is not None:
        rows.append(("Hot product commission rate", _pct(t.hot_commission_rate_pct)))
    for label in AFFILIATE_NOTES:
        if t.notes.get(label):
            rows.append((label, t.notes[label]))
    if t.promotion_link:
        rows.append(("Promotion link", t.promotion_link))
    return rows


def listing_details(product: Product) -> Rows:
    """Status, category, other ids and every remaining note the parser kept."""
    rows: Rows = []
    status = status_label(product.platform, product.status)
    if status:
        rows.append(("Status" if product.platform != "aliexpress-affiliate"
                     else "Marketplace", status.text))
    if product.category:
        # Most platforms send the category as an id only; say so rather than pass it off.
        named = any(c.isalpha() for c in product.category)
        rows.append(("Category" if named else "Category id", product.category))
    rows += [(_alt_id_label(name), value) for name, value in product.alt_ids.items()]
    rows += [(label, text) for label, text in product.trade.notes.items()
             if text and _listing_note(label)]
    return rows


def _alt_id_label(name: str) -> str:
    if name == "listing":
        return "Listing number (in the page link)"
    if name == "main":
        return "Main product id"
    country = countries_label(name) if len(name) == 2 else None
    return f"Product id in {country.text}" if country else f"Other id ({name})"


def codes_as_sent(product: Product) -> pd.DataFrame:
    """For the Raw data page: each code the other pages show as words, beside them."""
    rows = []
    status = status_label(product.platform, product.status)
    if status:
        rows.append(("Status", status.sent, status.text))
    t = product.trade
    for field, values in (("Store country", [product.store.country]),
                          ("Ships from", t.ship_from_countries),
                          ("Ship to", [t.ship_to_country])):
        label = countries_label(values)
        if label:
            rows.append((field, ", ".join(v for v in values if v), label.text))
    return pd.DataFrame(rows, columns=["Field", "As sent", "Shown as"])


def rows_table(rows: Rows) -> pd.DataFrame:
    """A section as a two-column table (plain text on screen)."""
    return pd.DataFrame([(label, value or DASH) for label, value in rows],
                        columns=["Item", "Value"])


def attributes_table(product: Product) -> pd.DataFrame:
    """The product attributes with headed columns; gaps are "—"."""
    shown = gaps_as_dash(product.attributes[ATTRIBUTE_COLUMNS])
    return shown.rename(columns={"name": "Attribute", "value": "Value", "unit": "Unit"})
