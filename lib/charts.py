"""Pure Altair chart builders: DataFrame in, chart out (unit-tested on their spec).

Every encoding reads an internal column name (row, col, value, label, ...) and carries
the display name as its title: Vega-Lite reads a dot in a field name as nesting and a
bracket as indexing, so a property called "Capacity (U.S. gal.)" used as a field would
draw nothing ("undefined"). `safe_field` escapes a name for the rare case a builder
must use one as given.
"""
from __future__ import annotations

import re

import altair as alt
import pandas as pd

from lib.analysis import AVAILABLE, MISSING, SOLD_OUT, STOCK_UNKNOWN

RATING_DOMAIN = (0, 5)
NOT_SENT = "value not sent"          # a variant exists but the metric was not sent
STATUS_COLOURS = {SOLD_OUT: "#9aa0a6", MISSING: "#ffffff", STOCK_UNKNOWN: "#e9ecef",
                  NOT_SENT: "#f1f3f5"}
BAR_COLOURS = {AVAILABLE: "#e8590c", SOLD_OUT: STATUS_COLOURS[SOLD_OUT],
               STOCK_UNKNOWN: "#f4b183"}


def safe_field(name: str) -> str:
    """A column name as a Vega-Lite field string: dots, brackets and backslashes
    escaped so the name is read whole."""
    return re.sub(r"([\\.\[\]])", r"\\\1", str(name))


def _shade(status: str, value: object) -> str:
    """Which layer draws a heatmap cell: 'value' (on the colour scale), else the legend
    entry it is drawn with. A cell whose stock was not sent still shows its price."""
    if status == MISSING or status == SOLD_OUT:
        return status
    if pd.isna(value):
        return STOCK_UNKNOWN if status == STOCK_UNKNOWN else NOT_SENT
    return "value"


def _cell_label(status: str, value: object, value_format: str) -> str:
    if status == MISSING:
        return "—"
    text = "" if pd.isna(value) else format(value, value_format)
    if status == SOLD_OUT:
        return f"{text}\nsold out".strip()
    if status == STOCK_UNKNOWN:
        return f"{text}\nstock not sent" if text else "not sent"
    return text or "—"


def sku_heatmap(cells: pd.DataFrame, *, row: str, col: str, metric_label: str,
                value_format: str = ",.2f") -> alt.Chart:
    """Heatmap of a metric by two variant properties, the value written in each cell.

    Out-of-stock cells are grey with "sold out" written in, combinations that do not
    exist are white with "—": neither is drawn as a zero on the colour scale. A cell
    whose stock was not sent keeps its price colour and says "stock not sent". The
    legend lists only the kinds of cell the chart has."""
    data = cells.copy()
    data["shade"] = [_shade(s, v) for s, v in zip(data["status"], data["value"])]
    data["label"] = [_cell_label(s, v, value_format)
                     for s, v in zip(data["status"], data["value"])]
    rows = list(dict.fromkeys(data["row"]))
    cols = list(dict.fromkeys(data["col"]))
    present = [k for k in STATUS_COLOURS if (data["shade"] == k).any()]
    # Short labels (sizes) stay level; long ones (phone models) are slanted to fit.
    angle = 0 if max((len(str(c)) for c in cols), default=0) <= 8 else -40
    x = alt.X("col:N", title=col, sort=cols, axis=alt.Axis(labelAngle=angle, labelLimit=160,
                                                        labelOverlap=False))
    y = alt.Y("row:N", title=row, sort=rows, axis=alt.Axis(labelLimit=160))
    tooltip = [alt.Tooltip("row:N", title=row), alt.Tooltip("col:N", title=col),
               alt.Tooltip("value:Q", title=metric_label, format=value_format),
               alt.Tooltip("skus:Q", title="SKUs"), alt.Tooltip("in_stock:Q", title="in stock"),
               alt.Tooltip("stock_known:Q", title="stock known for"),
               alt.Tooltip("status:N", title="status")]
    # Dark cells (the top of the scale) get white text so the value stays readable.
    values = data.loc[data["shade"] == "value", "value"].dropna()
    threshold = values.min() + 0.6 * (values.max() - values.min()) if len(values) else 0
    data["ink"] = [("#ffffff" if shade == "value" and len(values) > 1 and v > threshold
                    else "#1f2329" if shade == "value" else "#3c4043")
                   for v, shade in zip(data["value"], data["shade"])]
    base = alt.Chart(data)
    layers = [base.transform_filter(alt.datum.shade == "value").mark_rect(
        stroke="white", strokeWidth=1).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("value:Q", title=metric_label,
                        scale=alt.Scale(scheme="yellowgreenblue", zero=False),
                        legend=alt.Legend(orient="right")))]
    if present:      # no legend entry for a kind of cell the chart does not have
        layers.append(base.transform_filter(alt.datum.shade != "value").mark_rect(
            stroke="#d0d4d9", strokeWidth=1, strokeDash=[3, 2]).encode(
            x=x, y=y, tooltip=tooltip,
            color=alt.Color("shade:N", title="", legend=alt.Legend(orient="bottom"),
                            scale=alt.Scale(domain=present,
                                            range=[STATUS_COLOURS[k] for k in present]))))
    layers.append(base.mark_text(fontSize=11, lineBreak="\n").encode(
        x=x, y=y, text="label:N", color=alt.Color("ink:N", scale=None)))
    # A fixed step per row keeps cells readable however many rows there are.
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        height=alt.Step(38), width="container")


def value_bars(frame: pd.DataFrame, *, prop: str, metric: str, metric_label: str,
               value_format: str = ",.2f") -> alt.Chart:
    """One variant property: a bar per value, coloured by stock (out of stock grey,
    stock not sent pale: never drawn as in stock). Internal column names (`label`,
    `value`) with the property's name as the title, so any name draws."""
    from lib.analysis import stock_status

    data = pd.DataFrame({
        "label": frame[prop].map(lambda v: "—" if pd.isna(v) else str(v)).tolist(),
        "value": pd.to_numeric(frame[metric], errors="coerce").tolist(),
        "stock": pd.to_numeric(frame["stock"], errors="coerce").tolist(),
        "status": [stock_status(s) for s in frame["stock"]]})
    data["text"] = [("—" if pd.isna(v) else format(v, value_format)) for v in data["value"]]
    order = list(dict.fromkeys(data["label"]))
    present = [k for k in BAR_COLOURS if (data["status"] == k).any()]
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("value:Q", title=metric_label),
        y=alt.Y("label:N", title=prop, sort=order),
        color=alt.Color("status:N", title="", scale=alt.Scale(
            domain=present, range=[BAR_COLOURS[k] for k in present])),
        tooltip=[alt.Tooltip("label:N", title=prop),
                 alt.Tooltip("value:Q", title=metric_label, format=value_format),
                 alt.Tooltip("stock:Q", title="Stock"), alt.Tooltip("status:N", title="status")])
    labels = bars.mark_text(align="left", dx=4).encode(
        text=alt.Text("text:N"), color=alt.value("#1f2329"))
    return (bars + labels).properties(height=alt.Step(30), width="container")


def tier_steps(points: pd.DataFrame, *, currency: str, log_x: bool,
               moq: int | None = None, series_title: str = "Variant") -> alt.Chart:
    """Unit price against order quantity as steps, one line per series; MOQ marked."""
    scale = alt.Scale(type="log") if log_x else alt.Scale(zero=False)
    lines = alt.Chart(points).mark_line(interpolate="step-after", point=True, strokeWidth=2
                                        ).encode(
        x=alt.X("quantity:Q", title="Order quantity (units)" + (" — log scale" if log_x else ""),
                scale=scale, axis=alt.Axis(format=",d", tickMinStep=1)),   # whole units
        y=alt.Y("unit_price:Q", title=f"Unit price ({currency})", scale=alt.Scale(zero=False),
                axis=alt.Axis(format=",.2f")),                               # money
        color=alt.Color("series:N", title=series_title,
                        legend=alt.Legend(orient="right", labelLimit=180)),
        tooltip=[alt.Tooltip("series:N", title=series_title), "quantity:Q",
                 alt.Tooltip("unit_price:Q", title=f"Unit price ({currency})", format=",.2f")])
    layers = [lines]
    if moq and moq > 1:
        marker = pd.DataFrame([{"quantity": moq, "label": f"MOQ {moq}"}])
        rule = alt.Chart(marker).mark_rule(strokeDash=[4, 4], color="#c92a2a").encode(
            x="quantity:Q")
        label = alt.Chart(marker).mark_text(align="left", dx=4, dy=-6, color="#c92a2a",
                                            baseline="top").encode(
            x="quantity:Q", y=alt.value(0), text="label:N")
        layers += [rule, label]
    # The legend sits on the right so the plot keeps its height whatever the number of
    # variants; long labels are cut (the tooltip has them whole).
    return alt.layer(*layers).properties(height=300, width="container")


def ratings_chart(ratings: dict[str, float], missing: list[str] | None = None) -> alt.Chart:
    """Store DSR scores on a fixed 0-5 scale; missing ones listed as 'not rated'."""
    rows = [{"label": k, "score": float(v), "text": f"{v:.1f}"} for k, v in ratings.items()]
    rows += [{"label": k, "score": None, "text": "not rated"} for k in (missing or [])]
    data = pd.DataFrame(rows, columns=["label", "score", "text"])
    order = list(data["label"])
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=200))
    bars = alt.Chart(data).mark_bar(color="#e8590c", cornerRadiusEnd=3).encode(
        x=alt.X("score:Q", title="Score (0–5)", scale=alt.Scale(domain=list(RATING_DOMAIN)),
                axis=alt.Axis(values=[0, 1, 2, 3, 4, 5])),
        y=y, tooltip=["label:N", alt.Tooltip("score:Q", format=".1f")])
    text = alt.Chart(data).mark_text(align="left", dx=4).encode(
        x=alt.X("score:Q", scale=alt.Scale(domain=list(RATING_DOMAIN))),
        y=y, text="text:N",
        color=alt.condition("datum.text == 'not rated'", alt.value("#868e96"),
                            alt.value("#1f2329")))
    text = text.transform_calculate(score="datum.score == null ? 0 : datum.score")
    return (bars + text).properties(height=alt.Step(40), width="container")


def ratings_by_product(ratings: pd.DataFrame) -> alt.Chart:
    """DSR scores by product: grouped bars on the fixed 0-5 scale."""
    order = list(dict.fromkeys(ratings["rating"]))
    return alt.Chart(ratings).mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("score:Q", title="Score (0–5)", scale=alt.Scale(domain=list(RATING_DOMAIN)),
                axis=alt.Axis(values=[0, 1, 2, 3, 4, 5])),
        y=alt.Y("rating:N", title=None, sort=order),
        yOffset=alt.YOffset("product:N"),
        # One product per legend line, uncut: the names are what tells the bars apart.
        color=alt.Color("product:N", title="Product", legend=alt.Legend(
            orient="bottom", columns=1, labelLimit=600)),
        tooltip=["product:N", "rating:N", alt.Tooltip("score:Q", format=".1f")],
    ).properties(height=alt.Step(14), width="container")


def compare_price_steps(points: pd.DataFrame, *, currency: str, axis: str = "linear",
                        series_title: str = "Product (cheapest variant)",
                        value_title: str = "Unit price") -> alt.Chart:
    """Compare: unit price against quantity, one step line per product, all in ONE
    currency. axis: "linear", "log" (one dear product does not flatten the rest) or
    "independent" (a panel per product, each with its own price scale). The legend goes
    below the plot, uncut, however many products there are."""
    price_title = f"{value_title} ({currency})"
    y_scale = alt.Scale(type="log") if axis == "log" else alt.Scale(zero=False)
    count = points["series"].nunique() if len(points) else 0
    base = alt.Chart(points).mark_line(interpolate="step-after", point=True, strokeWidth=2)
    encoding = dict(
        x=alt.X("quantity:Q", title="Order quantity (units) — log scale",
                scale=alt.Scale(type="log"), axis=alt.Axis(format=",d", tickMinStep=1)),
        y=alt.Y("unit_price:Q", title=f"{value_title} ({currency}{', log' if axis == 'log' else ''})",
                scale=y_scale, axis=alt.Axis(format=",.2f")),
        tooltip=[alt.Tooltip("series:N", title=series_title), "quantity:Q",
                 alt.Tooltip("unit_price:Q", title=price_title, format=",.2f")])
    if axis == "independent":
        return base.encode(**encoding, color=alt.Color("series:N", legend=None)).properties(
            height=160, width=300).facet(
            facet=alt.Facet("series:N", title=None, header=alt.Header(labelLimit=300)),
            columns=2).resolve_scale(y="independent")
    # One label per line (two columns of long product names run off the right edge).
    legend = alt.Legend(orient="bottom", direction="vertical", columns=1, labelLimit=0,
                        title=series_title)
    # Streamlit fits the whole chart, legend included, into the height: grow it with the
    # legend's lines so the plot keeps about 300 px.
    colours = alt.Scale(scheme="tableau20") if count > 10 else alt.Undefined  # no repeats
    return base.encode(**encoding, color=alt.Color("series:N", legend=legend, scale=colours)
                       ).properties(height=320 + 30 * count + 60, width="container")


# --- history (issue 11): observed points only, as steps ----------------------------------
# Each point is one snapshot; a line holds its value until the next snapshot
# ("step-after") and breaks where a snapshot did not send the value (NA -> null): never
# drawn as 0, never interpolated between fetches. Times are UTC on the axis.
HISTORY_BREAKS = "break-paths-filter-domains"
HISTORY_SHAPES = {"fetched": "circle", "demo (generated)": "diamond"}


def _history_x() -> alt.X:
    return alt.X("time:T", title=None, scale=alt.Scale(type="utc"),
                 axis=alt.Axis(format="%-d %b", labelOverlap=True, tickCount=6))


def history_steps(points: pd.DataFrame, *, value_title: str, value_format: str = ",.2f",
                  series_title: str = "Variant", domain: tuple[float, float] | None = None,
                  zero: bool = False, mixed: bool = False, height: int = 240) -> alt.Chart:
    """Values over time as step lines through the observed points, one line per series
    (a "measure" column with two values draws the second one dashed), and a point at each
    observation. points: time, series, value, seen, when (the time as text).
    `mixed`: some points are demo and some fetched; their shapes tell them apart.
    `zero`: the axis starts at 0 (counts such as stock); else it fits the values."""
    count = points["series"].nunique() if len(points) else 0
    measures = list(dict.fromkeys(points["measure"])) if "measure" in points else []
    y_scale = alt.Scale(domain=list(domain)) if domain else alt.Scale(zero=zero)
    y = alt.Y("value:Q", title=value_title, scale=y_scale, axis=alt.Axis(format=value_format))
    # Short names (one property's values) fit side by side, long ones one per line.
    longest = max((len(str(s)) for s in points["series"].unique()), default=0) if count else 0
    columns = 1 if longest > 22 or count < 2 else min(count, 2 if longest > 12 else 3)
    legend = (alt.Legend(orient="bottom", direction="vertical", columns=columns, labelLimit=0,
                         title=series_title, titleLimit=0) if count > 1 else None)
    colours = alt.Scale(scheme="tableau20") if count > 10 else alt.Undefined
    color = alt.Color("series:N", title=series_title, legend=legend, scale=colours,
                      sort=list(dict.fromkeys(points["series"])) if count else alt.Undefined)
    tooltip = [alt.Tooltip("when:N", title="Snapshot"),
               alt.Tooltip("series:N", title=series_title),
               alt.Tooltip("value:Q", title=value_title, format=value_format),
               alt.Tooltip("seen:N", title="Point")]
    extra: dict = {}
    if len(measures) > 1:
        extra["strokeDash"] = alt.StrokeDash("measure:N", title="", sort=measures,
                                             legend=alt.Legend(orient="top"))
        tooltip.insert(2, alt.Tooltip("measure:N", title="Price"))
    base = alt.Chart(points)
    line = base.mark_line(interpolate="step-after", invalid=HISTORY_BREAKS, strokeWidth=2
                          ).encode(x=_history_x(), y=y, color=color, tooltip=tooltip,
                                   detail="measure:N" if measures else alt.Undefined, **extra)
    shape = (alt.Shape("seen:N", title="Point", legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=list(HISTORY_SHAPES),
                                       range=list(HISTORY_SHAPES.values())))
             if mixed else alt.value("circle"))
    dots = base.transform_filter("isValid(datum.value)").mark_point(
        filled=True, size=36, opacity=1).encode(x=_history_x(), y=y, color=color,
                                                 shape=shape, tooltip=tooltip)
    rows = -(-count // columns) if legend is not None else 0
    return alt.layer(line, dots).properties(height=height + 20 * rows, width="container")


def price_band_steps(band: pd.DataFrame, *, value_title: str, low_title: str = "Lowest",
                     high_title: str = "Highest", mixed: bool = False,
                     height: int = 240) -> alt.Chart:
    """The product's lowest to highest sale price per snapshot as a step band, its edges
    as step lines with a point per observation. band: time, low, high, skus, seen, when."""
    tooltip = [alt.Tooltip("when:N", title="Snapshot"),
               alt.Tooltip("low:Q", title=low_title, format=",.2f"),
               alt.Tooltip("high:Q", title=high_title, format=",.2f"),
               alt.Tooltip("skus:Q", title="SKUs"), alt.Tooltip("seen:N", title="Point")]
    base = alt.Chart(band)
    y = alt.Y("low:Q", title=value_title, scale=alt.Scale(zero=False),
              axis=alt.Axis(format=",.2f"))
    area = base.mark_area(interpolate="step-after", invalid=HISTORY_BREAKS, opacity=0.25,
                          color="#e8590c").encode(x=_history_x(), y=y, y2="high:Q",
                                                  tooltip=tooltip)
    shape = (alt.Shape("seen:N", title="Point", legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=list(HISTORY_SHAPES),
                                       range=list(HISTORY_SHAPES.values())))
             if mixed else alt.value("circle"))
    layers = [area]
    for edge in ("low", "high"):
        edge_y = alt.Y(f"{edge}:Q", title=value_title)
        layers.append(base.mark_line(interpolate="step-after", invalid=HISTORY_BREAKS,
                                     color="#e8590c", strokeWidth=1.5).encode(
            x=_history_x(), y=edge_y, tooltip=tooltip))
        layers.append(base.transform_filter(f"isValid(datum.{edge})").mark_point(
            filled=True, size=30, color="#e8590c", opacity=1).encode(
            x=_history_x(), y=edge_y, shape=shape, tooltip=tooltip))
    return alt.layer(*layers).properties(height=height, width="container")


# --- landed cost (issue 14) --------------------------------------------------------------
LANDED_PARTS = ["Goods", "Shipping", "Import charges", "Fees"]
LANDED_COLOURS = ["#1c7ed6", "#f59f00", "#c2255c", "#868e96"]


def landed_bar(parts: pd.DataFrame, *, currency: str) -> alt.Chart:
    """The landed cost per unit as one bar stacked by part (lib.landed.parts_table);
    an unknown part is left out of the bar (the table beside it says why)."""
    data = parts.dropna(subset=["per_unit"]).copy()
    data = data[data["per_unit"] > 0]
    data["order"] = data["part"].map({p: i for i, p in enumerate(LANDED_PARTS)})
    data["label"] = "Per unit"
    title = f"Landed cost per unit ({currency})"
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("per_unit:Q", title=title, stack="zero", axis=alt.Axis(format=",.2f")),
        y=alt.Y("label:N", title=None, axis=None),
        color=alt.Color("part:N", title="Part", scale=alt.Scale(domain=LANDED_PARTS,
                                                                  range=LANDED_COLOURS),
                        legend=alt.Legend(orient="top", direction="horizontal",
                                          labelLimit=160)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("part:N", title="Part"),
                 alt.Tooltip("per_unit:Q", title=f"Per unit ({currency})", format=",.2f"),
                 alt.Tooltip("total:Q", title=f"Total ({currency})", format=",.2f")])
    # Streamlit fits legend and axis into the height: 170 px leaves the bar about 60.
    return bars.properties(height=170, width="container")


def landed_steps(points: pd.DataFrame, *, currency: str, quantity: int | None = None,
                 log_x: bool = False) -> alt.Chart:
    """Landed cost per unit against the order quantity, as steps through the quantities
    it was worked out at (tier breaks, the shipping quotes there); the chosen quantity
    and the cheapest point marked."""
    scale = alt.Scale(type="log") if log_x else alt.Scale(zero=False)
    title = f"Landed cost per unit ({currency})"
    base = alt.Chart(points).encode(
        x=alt.X("quantity:Q", title="Order quantity (units)" + (" — log scale" if log_x else ""),
                scale=scale, axis=alt.Axis(format=",d", tickMinStep=1)),
        y=alt.Y("landed_per_unit:Q", title=title, scale=alt.Scale(zero=False),
                axis=alt.Axis(format=",.2f")),
        tooltip=[alt.Tooltip("quantity:Q", title="Quantity", format=",d"),
                 alt.Tooltip("landed_per_unit:Q", title=title, format=",.2f"),
                 alt.Tooltip("goods:Q", title="Goods per unit", format=",.2f"),
                 alt.Tooltip("shipping:Q", title="Shipping per unit", format=",.2f"),
                 alt.Tooltip("carrier:N", title="Shipping")])
    layers = [base.mark_line(interpolate="step-after", point=True, strokeWidth=2,
                             color="#1c7ed6")]
    if len(points):
        best = points.loc[[points["landed_per_unit"].idxmin()]].assign(
            label="cheapest per unit")
        layers.append(alt.Chart(best).mark_point(size=160, shape="diamond", filled=True,
                                                 color="#2f9e44").encode(
            x="quantity:Q", y="landed_per_unit:Q"))
        layers.append(alt.Chart(best).mark_text(align="left", dx=8, dy=-8,
                                                color="#2f9e44").encode(
            x="quantity:Q", y="landed_per_unit:Q", text="label:N"))
    if quantity:
        marker = pd.DataFrame([{"quantity": quantity, "label": f"your quantity {quantity:,}"}])
        layers.append(alt.Chart(marker).mark_rule(strokeDash=[4, 4], color="#495057"
                                                  ).encode(x="quantity:Q"))
        layers.append(alt.Chart(marker).mark_text(align="left", dx=4, dy=4, baseline="top",
                                                  color="#495057").encode(
            x="quantity:Q", y=alt.value(0), text="label:N"))
    return alt.layer(*layers).properties(height=300, width="container")


# Altair's schema classes live as long as the process: out of the garbage collector's
# full scans (lib.ui freezes its own imports the same way; issue 15).
import gc  # noqa: E402

gc.freeze()
