"""Pure Altair chart builders: DataFrame in, chart out (unit-tested on their spec)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from lib.analysis import AVAILABLE, MISSING, SOLD_OUT

RATING_DOMAIN = (0, 5)
STATUS_COLOURS = {SOLD_OUT: "#9aa0a6", MISSING: "#ffffff"}


def sku_heatmap(cells: pd.DataFrame, *, row: str, col: str, metric_label: str,
                value_format: str = ",.2f") -> alt.Chart:
    """Heatmap of a metric by two variant properties, the value written in each cell.

    Out-of-stock cells are grey with "sold out" written in, combinations that do not
    exist are white with "—": neither is drawn as a zero on the colour scale."""
    data = cells.copy()
    data["label"] = data["value"].map(lambda v: "" if pd.isna(v) else format(v, value_format))
    data.loc[data["status"] == SOLD_OUT, "label"] = data.loc[
        data["status"] == SOLD_OUT, "label"].map(lambda t: f"{t}\nsold out".strip())
    data.loc[data["status"] == MISSING, "label"] = "—"
    rows = list(dict.fromkeys(data["row"]))
    cols = list(dict.fromkeys(data["col"]))
    present = [k for k in STATUS_COLOURS if (data["status"] == k).any()]
    # Short labels (sizes) stay level; long ones (phone models) are slanted to fit.
    angle = 0 if max((len(str(c)) for c in cols), default=0) <= 8 else -40
    x = alt.X("col:N", title=col, sort=cols, axis=alt.Axis(labelAngle=angle, labelLimit=160,
                                                        labelOverlap=False))
    y = alt.Y("row:N", title=row, sort=rows, axis=alt.Axis(labelLimit=160))
    tooltip = [alt.Tooltip("row:N", title=row), alt.Tooltip("col:N", title=col),
               alt.Tooltip("value:Q", title=metric_label, format=value_format),
               alt.Tooltip("skus:Q", title="SKUs"), alt.Tooltip("in_stock:Q", title="in stock"),
               alt.Tooltip("status:N", title="status")]
    # Dark cells (the top of the scale) get white text so the value stays readable.
    values = data.loc[data["status"] == AVAILABLE, "value"].dropna()
    threshold = values.min() + 0.6 * (values.max() - values.min()) if len(values) else 0
    data["ink"] = [("#ffffff" if status == AVAILABLE and pd.notna(v) and len(values) > 1
                    and v > threshold else "#1f2329" if status == AVAILABLE else "#3c4043")
                   for v, status in zip(data["value"], data["status"])]
    base = alt.Chart(data)
    valued = base.transform_filter(alt.datum.status == AVAILABLE).mark_rect(
        stroke="white", strokeWidth=1).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("value:Q", title=metric_label,
                        scale=alt.Scale(scheme="yellowgreenblue", zero=False),
                        legend=alt.Legend(orient="right")))
    others = base.transform_filter(alt.datum.status != AVAILABLE).mark_rect(
        stroke="#d0d4d9", strokeWidth=1, strokeDash=[3, 2]).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("status:N", title="", legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=present or list(STATUS_COLOURS),
                                        range=[STATUS_COLOURS[k] for k in
                                               (present or list(STATUS_COLOURS))])))
    text = base.mark_text(fontSize=11, lineBreak="\n").encode(
        x=x, y=y, text="label:N", color=alt.Color("ink:N", scale=None))
    # A fixed step per row keeps cells readable however many rows there are.
    return alt.layer(valued, others, text).resolve_scale(color="independent").properties(
        height=alt.Step(38), width="container")


def value_bars(frame: pd.DataFrame, *, prop: str, metric: str, metric_label: str) -> alt.Chart:
    """One variant property: a bar per value (out-of-stock values greyed)."""
    data = frame[[prop, metric, "stock"]].copy()
    data["status"] = data["stock"].fillna(1).map(lambda s: SOLD_OUT if s <= 0 else AVAILABLE)
    order = list(dict.fromkeys(data[prop]))
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{metric}:Q", title=metric_label),
        y=alt.Y(f"{prop}:N", title=prop, sort=order),
        color=alt.Color("status:N", title="", scale=alt.Scale(
            domain=[AVAILABLE, SOLD_OUT], range=["#e8590c", STATUS_COLOURS[SOLD_OUT]])),
        tooltip=[f"{prop}:N", alt.Tooltip(f"{metric}:Q", format=",.2f"), "stock:Q"])
    labels = bars.mark_text(align="left", dx=4).encode(
        text=alt.Text(f"{metric}:Q", format=",.2f"), color=alt.value("#1f2329"))
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
        x=alt.X("score:Q", title="Score (0–5)", scale=alt.Scale(domain=list(RATING_DOMAIN))),
        y=alt.Y("rating:N", title=None, sort=order),
        yOffset=alt.YOffset("product:N"),
        color=alt.Color("product:N", title="Product", legend=alt.Legend(orient="bottom",
                                                                         columns=1)),
        tooltip=["product:N", "rating:N", alt.Tooltip("score:Q", format=".1f")],
    ).properties(height=alt.Step(14), width="container")
