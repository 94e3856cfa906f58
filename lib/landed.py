"""Landed cost: what N units of one variant cost delivered to the buyer's country.

Pure (values in, values out, like lib/signing.py): a Product, its shipping options (a
DataFrame of lib.model.FREIGHT_COLUMNS, from the platform's freight call or from the
user's own figure) and the user's inputs. Every money figure is in one currency
(`Inputs.currency`), converted with the reference rates (lib.rates) unless the user gave
a rate, and every figure says where it came from (`Figure.source`). A figure nobody
sent is None with a reason, never 0.

    goods          = tier unit price at the quantity x quantity   (lib.analysis.quote)
    shipping       = the option's fee for the whole shipment       (0 for a free option)
    import charges = included (the option collects VAT at checkout)
                   | the platform's estimate per unit x quantity
                   | the user's rate x (goods + shipping)
                   | none (the user says so)  | unknown (then left out, and said so)
    fees           = payment fee % x (goods + shipping) + other costs per shipment
    landed total   = goods + shipping + import charges (when known) + fees
    margin         = sell price x quantity x (1 - selling fee %) - landed total
    break-even     = landed per unit / (1 - selling fee %)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from lib import analysis, rates
from lib.model import FREIGHT_COLUMNS, Product, frame

# How the shipping option is chosen.
CHEAPEST, FASTEST, TRACKED = "cheapest", "fastest", "tracked"
RULES = (CHEAPEST, FASTEST, TRACKED)
# Import charges: the platform's estimate, the user's rate, or none.
FROM_PLATFORM, BY_RATE, NO_CHARGES = "platform", "rate", "none"
# The user's own freight (platforms without a shipping call).
PER_UNIT, PER_SHIPMENT, PER_KG = "per unit", "per shipment", "per kg"
USER_OPTION = "your freight"

EXPORT_COLUMNS = ["option", "carrier", "ship_from", "min_days", "max_days", "tracking",
                  "quantity", "unit_price", "goods_total", "shipping", "import_charges",
                  "fees", "landed_total", "landed_per_unit", "currency"]


@dataclass(frozen=True)
class Inputs:
    """The user's side of the calculation; money in `currency`."""
    quantity: int
    currency: str
    import_mode: str = FROM_PLATFORM
    duty_pct: float | None = None          # duty + VAT, % of goods + shipping
    payment_fee_pct: float = 0.0           # % of what is paid: goods + shipping
    other_per_shipment: float = 0.0
    sell_price: float | None = None        # target sell price per unit
    selling_fee_pct: float = 0.0           # % of the sell price (marketplace, payment)
    rates: Mapping[str, float] = field(default_factory=dict)   # the user's: 1 X = ? currency


@dataclass(frozen=True)
class Figure:
    value: float | None
    source: str = ""
    reason: str = ""                       # why value is None


@dataclass(frozen=True)
class Landed:
    """One shipping option's landed cost for `quantity` units."""
    option: str
    carrier: str
    ship_from: str
    min_days: int | None
    max_days: int | None
    tracking: bool | None
    quantity: int
    currency: str
    unit_price: Figure
    goods: Figure
    shipping: Figure
    import_charges: Figure
    fees: Figure
    below_moq: bool = False

    @property
    def total(self) -> float | None:
        """Goods + shipping + fees, plus import charges when known; None when goods,
        shipping or fees are unknown (see `excludes` for what is left out)."""
        parts = (self.goods.value, self.shipping.value, self.fees.value)
        if any(p is None for p in parts):
            return None
        known_import = self.import_charges.value or 0.0
        return rates.round_money(sum(parts) + known_import)

    @property
    def per_unit(self) -> float | None:
        total = self.total
        return None if total is None else total / self.quantity

    @property
    def excludes(self) -> list[str]:
        return ["import charges"] if self.import_charges.value is None else []

    @property
    def reason(self) -> str:
        """Why there is no total (the first unknown part)."""
        for name, figure in (("goods", self.goods), ("shipping", self.shipping),
                             ("fees", self.fees)):
            if figure.value is None:
                return f"{name}: {figure.reason}"
        return ""

    def row(self) -> dict:
        """One row of the export (EXPORT_COLUMNS)."""
        per_unit = self.per_unit
        return {"option": self.option, "carrier": self.carrier, "ship_from": self.ship_from,
                "min_days": self.min_days, "max_days": self.max_days,
                "tracking": self.tracking, "quantity": self.quantity,
                "unit_price": self.unit_price.value, "goods_total": self.goods.value,
                "shipping": self.shipping.value,
                "import_charges": self.import_charges.value, "fees": self.fees.value,
                "landed_total": self.total,
                "landed_per_unit": None if per_unit is None else round(per_unit, 4),
                "currency": self.currency}


@dataclass(frozen=True)
class Margin:
    revenue: float
    selling_fees: float
    profit: float
    margin_pct: float | None               # profit / revenue
    roi_pct: float | None                  # profit / landed total
    break_even: float | None               # sell price per unit that makes profit 0


# --- money in one currency ----------------------------------------------------------------
def convert(amount: float | None, currency: str, inputs: Inputs) -> tuple[float | None, str]:
    """(amount in inputs.currency, how it was converted: "" when it did not need to be);
    None with the reason when there is no rate."""
    if amount is None:
        return None, ""
    source, base = (currency or "").strip().upper(), inputs.currency.strip().upper()
    if not source:
        return None, "currency not stated"
    if source == base:
        return float(amount), ""
    given = {k.upper(): v for k, v in inputs.rates.items() if v}
    if source in given:
        rate, said = float(given[source]), f"{source} → {base} at {given[source]:.6g} (your rate)"
    else:
        rate = rates.reference_rate(source, base)
        if rate is None:
            return None, f"no exchange rate for {source}"
        said = f"{source} → {base} at {rate:.6g} ({rates.source_text()})"
    return float(amount) * rate, said


def _joined(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# --- the parts ----------------------------------------------------------------------------
def goods(product: Product, sku_id: str, inputs: Inputs, platform_label: str
          ) -> tuple[Figure, Figure, bool]:
    """(unit price, goods total, below MOQ) at the quantity, from the SKU's tiers."""
    quote = analysis.quote(product, sku_id, inputs.quantity)
    if quote is None:
        unknown = Figure(None, reason="the platform sent no price for this variant")
        return unknown, unknown, False
    row = product.skus[product.skus["sku_id"].astype(str) == str(sku_id)]
    currency = (row["currency"].iloc[0] if len(row) and row["currency"].iloc[0]
                else product.currency) or ""
    unit, how = convert(quote.unit_price, currency, inputs)
    if unit is None:
        unknown = Figure(None, reason=how)
        return unknown, unknown, quote.below_moq
    tier = analysis.tier_span(quote.tier_min_qty, quote.tier_max_qty)
    source = _joined(f"{platform_label}: {quote.source or 'price'} for {tier} units", how)
    unit = round(unit, 4)
    return (Figure(unit, source), Figure(rates.round_money(unit * inputs.quantity), source),
            quote.below_moq)


def shipping(option: Mapping, inputs: Inputs, source: str) -> Figure:
    """The option's fee for the shipment, in the inputs' currency."""
    if option.get("free_shipping") is True:
        return Figure(0.0, _joined(source, "free shipping"))
    fee = option.get("fee")
    if fee is None or pd.isna(fee):
        return Figure(None, reason="the shipping fee was not sent")
    value, how = convert(float(fee), str(option.get("currency") or ""), inputs)
    if value is None:
        return Figure(None, reason=how)
    carrier = str(option.get("carrier") or "")
    named = f"{source} ({carrier})" if carrier and option.get("option") != USER_OPTION \
        else source
    return Figure(rates.round_money(value), _joined(named, how))


def import_charges(product: Product, sku_id: str, option: Mapping, goods_total: Figure,
                   ship: Figure, inputs: Inputs, platform_label: str) -> Figure:
    if option.get("vat_included") is True:
        return Figure(0.0, "included: this shipping option collects the VAT at checkout")
    if inputs.import_mode == NO_CHARGES:
        return Figure(0.0, "none (your choice)")
    if inputs.import_mode == BY_RATE:
        if inputs.duty_pct is None:
            return Figure(None, reason="no duty/VAT rate set")
        if goods_total.value is None or ship.value is None:
            return Figure(None, reason="goods or shipping unknown")
        base = goods_total.value + ship.value
        return Figure(rates.round_money(base * inputs.duty_pct / 100),
                      f"your rate: {inputs.duty_pct:g} % of goods + shipping")
    per_unit = product.trade.import_charges.get(str(sku_id))
    if per_unit is None:
        return Figure(None, reason=f"{platform_label} sent no import-charge estimate for "
                                   "this variant and country")
    value, how = convert(per_unit * inputs.quantity,
                         product.trade.import_charges_currency or product.currency, inputs)
    if value is None:
        return Figure(None, reason=how)
    return Figure(rates.round_money(value),
                  _joined(f"{platform_label}: estimated import charges per unit", how))


def fees(goods_total: Figure, ship: Figure, inputs: Inputs) -> Figure:
    if not inputs.payment_fee_pct and not inputs.other_per_shipment:
        return Figure(0.0, "none entered")
    if inputs.payment_fee_pct and (goods_total.value is None or ship.value is None):
        return Figure(None, reason="goods or shipping unknown")
    payment = ((goods_total.value or 0.0) + (ship.value or 0.0)) * inputs.payment_fee_pct / 100
    parts = []
    if inputs.payment_fee_pct:
        parts.append(f"payment fee {inputs.payment_fee_pct:g} % of goods + shipping")
    if inputs.other_per_shipment:
        parts.append(f"other costs {inputs.other_per_shipment:g} per shipment")
    return Figure(rates.round_money(payment + inputs.other_per_shipment),
                  "your inputs: " + ", ".join(parts))


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _flag(value) -> bool | None:
    return value if isinstance(value, bool) else None


def landed(product: Product, sku_id: str, option: Mapping, inputs: Inputs, *,
           platform_label: str, shipping_source: str) -> Landed:
    """The landed cost of `inputs.quantity` units of one SKU with one shipping option."""
    unit, goods_total, below_moq = goods(product, sku_id, inputs, platform_label)
    ship = shipping(option, inputs, shipping_source)
    charges = import_charges(product, sku_id, option, goods_total, ship, inputs,
                             platform_label)
    return Landed(option=str(option.get("option") or ""),
                  carrier=str(option.get("carrier") or ""),
                  ship_from=str(option.get("ship_from") or ""),
                  min_days=_int(option.get("min_days")), max_days=_int(option.get("max_days")),
                  tracking=_flag(option.get("tracking")), quantity=inputs.quantity,
                  currency=inputs.currency.upper(), unit_price=unit, goods=goods_total,
                  shipping=ship, import_charges=charges,
                  fees=fees(goods_total, ship, inputs), below_moq=below_moq)


def landed_all(product: Product, sku_id: str, options: pd.DataFrame, inputs: Inputs, *,
               platform_label: str, shipping_source: str) -> list[Landed]:
    """One Landed per shipping option, in the options' order."""
    return [landed(product, sku_id, row, inputs, platform_label=platform_label,
                   shipping_source=shipping_source)
            for row in _records(options)]


def _records(options: pd.DataFrame) -> list[dict]:
    """Rows as dicts with None for missing values (pandas NA is not None)."""
    return [{k: (None if v is None or (not isinstance(v, (bool, str)) and pd.isna(v)) else v)
             for k, v in row.items()} for row in options.to_dict("records")]


def export_table(results: list[Landed]) -> pd.DataFrame:
    return pd.DataFrame([r.row() for r in results], columns=EXPORT_COLUMNS)


# --- choosing an option -------------------------------------------------------------------
def _cost_key(result: Landed) -> tuple:
    return (result.total, result.max_days if result.max_days is not None else math.inf)


def cheapest(results: list[Landed]) -> Landed | None:
    priced = [r for r in results if r.total is not None]
    return min(priced, key=_cost_key) if priced else None


def fastest(results: list[Landed]) -> Landed | None:
    timed = [r for r in results if r.max_days is not None]
    if not timed:
        return None
    return min(timed, key=lambda r: (r.max_days, r.min_days if r.min_days is not None
                                     else r.max_days,
                                     r.total if r.total is not None else math.inf))


def choose(results: list[Landed], rule: str) -> Landed | None:
    """The option a rule picks: cheapest, fastest, tracked (the cheapest tracked), or an
    option code (that option). None when nothing qualifies."""
    if rule == CHEAPEST:
        return cheapest(results)
    if rule == FASTEST:
        return fastest(results)
    if rule == TRACKED:
        return cheapest([r for r in results if r.tracking is True])
    return next((r for r in results if r.option == rule), None)


def no_choice_reason(results: list[Landed], rule: str) -> str:
    if not results:
        return "no shipping option"
    if rule == TRACKED:
        return "no tracked option"
    if rule == FASTEST:
        return "no option states its delivery days"
    if rule not in RULES:
        return "that shipping option is not offered for this quantity"
    return next((r.reason for r in results if r.reason), "no option has a known cost")


# --- the user's own freight -----------------------------------------------------------------
def user_freight(amount: float | None, basis: str, quantity: int, weight_kg: float | None,
                 currency: str) -> tuple[pd.DataFrame, str]:
    """The user's freight figure as a one-option table (FREIGHT_COLUMNS), and the
    source text; fee missing (with the reason as the source) when it cannot be worked out."""
    fee, source = None, ""
    if amount is None:
        source = "no freight figure entered"
    elif basis == PER_UNIT:
        fee, source = amount * quantity, f"your freight: {amount:g} {currency} per unit"
    elif basis == PER_SHIPMENT:
        fee, source = amount, f"your freight: {amount:g} {currency} per shipment"
    elif weight_kg is None:
        source = "the product sends no weight, so a per-kg freight cannot be worked out"
    else:
        fee = amount * weight_kg * quantity
        source = (f"your freight: {amount:g} {currency} per kg × {weight_kg:g} kg "
                  f"(the product's package weight) × {quantity:,}")
    row = {"option": USER_OPTION, "carrier": "your figure", "fee": fee,
           "currency": currency}
    return frame([row], FREIGHT_COLUMNS), source


# --- margin ---------------------------------------------------------------------------------
def margin(result: Landed, inputs: Inputs) -> Margin | None:
    """Margin, ROI and break-even at the target sell price (None without one or a total)."""
    total = result.total
    if total is None:
        return None
    keep = 1 - inputs.selling_fee_pct / 100
    break_even = (total / result.quantity / keep) if keep > 0 else None
    if inputs.sell_price is None:
        return Margin(0.0, 0.0, 0.0, None, None, _money(break_even))
    revenue = inputs.sell_price * result.quantity
    selling = revenue * inputs.selling_fee_pct / 100
    profit = revenue - selling - total
    return Margin(revenue=rates.round_money(revenue), selling_fees=rates.round_money(selling),
                  profit=rates.round_money(profit),
                  margin_pct=profit / revenue * 100 if revenue else None,
                  roi_pct=profit / total * 100 if total else None,
                  break_even=_money(break_even))


def _money(value: float | None) -> float | None:
    return None if value is None else rates.round_money(value)


# --- landed cost against quantity -----------------------------------------------------------
def curve_quantities(product: Product, sku_id: str, quantity: int) -> list[int]:
    """Where the landed cost per unit is worked out for the steps: each tier break, the
    chosen quantity, and twice the last break (so the last step shows)."""
    ladder = analysis.sku_tiers(product, sku_id)
    breaks = [int(q) for q in ladder["min_qty"].dropna()] if not ladder.empty else [1]
    last = max(breaks + [quantity])
    end = max(last * 2, 10) if len(breaks) > 1 or last > 1 else 10
    return sorted(set(breaks) | {int(quantity), end})


CURVE_COLUMNS = ["quantity", "landed_per_unit", "goods", "shipping", "import_charges",
                 "fees", "option", "carrier"]


def curve(points: list[tuple[int, Landed | None]]) -> pd.DataFrame:
    """Per-unit parts at each quantity (the chosen option's), for the steps chart."""
    rows = []
    for quantity, result in points:
        if result is None or result.per_unit is None:
            continue
        per = 1 / quantity
        rows.append({"quantity": quantity, "landed_per_unit": round(result.per_unit, 4),
                     "goods": result.goods.value * per, "shipping": result.shipping.value * per,
                     "import_charges": (result.import_charges.value or 0.0) * per,
                     "fees": result.fees.value * per, "option": result.option,
                     "carrier": result.carrier})
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def cheapest_quantity(points: pd.DataFrame) -> int | None:
    if points.empty:
        return None
    return int(points.loc[points["landed_per_unit"].idxmin(), "quantity"])


PARTS = {"goods": "Goods", "shipping": "Shipping", "import_charges": "Import charges",
         "fees": "Fees"}


def parts_table(result: Landed) -> pd.DataFrame:
    """The breakdown per unit and in total, with each part's source (for the bar and
    the table); unknown parts keep None and say why."""
    rows = []
    for key, label in PARTS.items():
        figure: Figure = getattr(result, "goods" if key == "goods" else key)
        value = figure.value
        rows.append({"part": label, "total": value,
                     "per_unit": None if value is None else value / result.quantity,
                     "source": figure.source if value is not None else f"unknown: {figure.reason}"})
    return pd.DataFrame(rows, columns=["part", "total", "per_unit", "source"])


# --- what the page shows --------------------------------------------------------------------
def yes_no(value: bool | None) -> str:
    return "not sent" if value is None else ("yes" if value else "no")


def days_text(result: Landed) -> str:
    low, high = result.min_days, result.max_days
    if low is None and high is None:
        return "not sent"
    if low is None or high is None or low == high:
        return f"{low if high is None else high}"
    return f"{low}–{high}"


def options_table(results: list[Landed], options: pd.DataFrame) -> pd.DataFrame:
    """One row per shipping option as text (gaps say why), cheapest and fastest marked."""
    from lib.format import money

    best, quick = cheapest(results), fastest(results)
    records = _records(options)
    rows = []
    for result, option in zip(results, records):
        marks = [m for m, r in (("cheapest", best), ("fastest", quick)) if r is result]
        guaranteed = option.get("guaranteed_days")
        rows.append({
            "Best": " · ".join(marks),
            "Carrier": result.carrier or "not sent",
            "Option code": result.option or "not sent",
            "Shipping": (money(result.shipping.value) if result.shipping.value is not None
                         else f"— {result.shipping.reason}"),
            "Free": yes_no(option.get("free_shipping")),
            "Days": days_text(result),
            "Guaranteed days": "not sent" if guaranteed is None else str(int(guaranteed)),
            "Tracking": yes_no(result.tracking),
            "Ships from": result.ship_from or "not sent",
            "VAT included": yes_no(option.get("vat_included")),
            "Landed total": (money(result.total) if result.total is not None
                             else f"— {result.reason}"),
            "Per unit": money(result.per_unit) if result.per_unit is not None else "—",
        })
    return pd.DataFrame(rows)
