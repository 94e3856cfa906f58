"""The report of one product: the app's views on paper, with the settings the user saw.

`product_report(product, settings, context)` -> the HTML document as bytes. Every figure
comes from the same functions the views call (lib.analysis, lib.terms, lib.landed,
lib.charts), so the report and the screen cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

import pandas as pd

from lib import analysis, charts, landed, refs, terms
from lib import format as fmt
from lib.labels import countries_label, status_label
from lib.model import Product
from lib.platforms import PLATFORMS
from lib.rates import currency_note
from lib.report.assets import chart_svg, embed_images
from lib.report.document import (ReportContext, document, facts, figures, footer, section,
                                 stamp)
from lib.report.markup import Html, el, join, link, paragraph
from lib.report.tables import count_cell, frame_table, money_cell
from lib.sanitize import without_pictures

HEAD_PICTURE = 400          # px: the header's picture, shown 200 px wide (sharp on print)
THUMBNAIL = 240             # px: gallery thumbnails, shown 120 px wide
MAX_GALLERY = 48            # pictures in the gallery; the rest are counted, not shown
MAX_SKU_ROWS = 300          # variant table rows (the 1,000-SKU product stays readable)


@dataclass(frozen=True)
class LandedSeen:
    """What the Landed cost view showed for this product: the option it chose, the
    user's inputs and the option's name as shown."""
    result: landed.Landed
    inputs: landed.Inputs
    shipping: str = ""


@dataclass(frozen=True)
class ProductSettings:
    """The views' settings the report follows; None = the view's own default."""
    metric: str = "sale_price"                   # SKU matrix (analysis.METRICS)
    rows: str | None = None
    cols: str | None = None
    filters: Mapping[str, list] | None = None    # property -> values kept
    variant: str | None = None                   # order calculator: sku_id
    quantity: int = 100
    chart_variants: tuple[str, ...] | None = None   # price steps: sku_ids
    landed: LandedSeen | None = None

    def resolved(self, product: Product) -> "ProductSettings":
        """Every setting made valid for this product, defaults as the views choose them."""
        props = product.sku_properties
        default_row, default_col = analysis.default_axes(product)
        row = self.rows if self.rows in props else default_row
        col_choices = [p for p in props if p != row]
        col = self.cols if self.cols in col_choices else (
            default_col if default_col in col_choices else (col_choices or [None])[0])
        filters = refs.initial_filters(product, row, col) if row and col else {}
        for prop, values in (self.filters or {}).items():
            values = [values] if isinstance(values, str) else list(values or [])
            if prop in filters:
                known = set(product.skus[prop].dropna())
                filters[prop] = [v for v in values if v in known]
        priced = product.skus.dropna(subset=["sale_price"])
        ids = [str(s) for s in priced["sku_id"]]
        cheapest = dearest = None
        if ids:
            cheapest = str(priced.loc[priced["sale_price"].idxmin(), "sku_id"])
            dearest = str(priced.loc[priced["sale_price"].idxmax(), "sku_id"])
        variant = self.variant if self.variant in ids else (
            refs.requested_sku(product, ids) or cheapest)
        chosen = tuple(s for s in (self.chart_variants or ()) if s in ids)
        if self.chart_variants is None:
            chosen = tuple(dict.fromkeys(s for s in (cheapest, dearest) if s))
        return replace(self, metric=self.metric if self.metric in analysis.METRICS
                       else "sale_price", rows=row, cols=col, filters=filters,
                       variant=variant, quantity=max(1, int(self.quantity or 100)),
                       chart_variants=chosen)


def _value_format(metric: str) -> str:
    return ",.0f" if metric == "stock" else (".1f" if metric == "discount_pct" else ",.2f")


def _note(line: str) -> Html:
    return el("p", line, class_="note")


# --- the sections ------------------------------------------------------------------------
def _header(product: Product, context: ReportContext, picture: Html | None) -> Html:
    platform = PLATFORMS[product.platform].label
    query = product.query
    status = status_label(product.platform, product.status)
    badges = [el("span", "Demo data", class_="badge demo") if product.demo else None,
              el("span", platform, class_="badge"),
              el("span", status.text, class_="badge") if status else None,
              el("span", "Pinned snapshot", class_="badge") if product.pinned else None]
    ship_to = countries_label(query.country) if query is not None else None
    asked = (query.currency if query is not None else "") or ""
    currency = fmt.currency_label(product.currency)
    rows = [
        ("Product id", product.product_id),
        ("Platform", platform),
        ("On the marketplace", link(product.url, product.url) if product.url else "—"),
        ("Ship to", ship_to.text if ship_to else "—"),
        ("Currency", currency + (f" (asked for {asked})" if asked and asked.upper()
                                 != (product.currency or "").upper() else "")),
        ("Fetched", stamp(product.fetched_at)),
    ]
    if product.pinned or context.pinned_link:
        rows.append(("As of", f"{stamp(product.fetched_at)}: the stored snapshot"
                     + (" (this report shows it, not today's answer)" if product.pinned
                        else "")))
    if context.pinned_link:
        rows.append(("Pinned link", link(context.pinned_link, context.pinned_link)))
    if context.share_link:
        rows.append(("Live link", link(context.share_link, context.share_link)))
    note = currency_note(product)
    pic = el("img", src=picture, alt="Main image") if picture else \
        el("div", "No main image" if not product.main_image else "Picture not loaded",
           class_="missing-picture")
    return el("header", el("div", el("div", pic, class_="picture"), el(
        "div", el("div", *badges), el("h1", product.title or f"Product {product.product_id}"),
        facts(rows), el("p", note, class_="warn") if note else None, class_="about"),
        class_="head"))


def _key_figures(product: Product) -> Html:
    price = analysis.price_numbers(product)
    numbers, unsent = analysis.fold_unsent(analysis.key_numbers(product))
    parts = [figures((n.label, n.value, n.help) for n in price + numbers),
             *[el("p", line, class_="muted") for line in unsent]]
    for label, line, _ in terms.shipping_lines(product):
        parts.append(el("p", el("strong", f"{label}:"), Html(" "), line))
    highlights = analysis.highlights(product)
    if highlights:
        parts.append(el("h3", "What stands out"))
        parts.append(el("ul", *[el("li", line) for line in highlights]))
    return join(*parts)


def _sku_section(product: Product, s: ProductSettings) -> Html:
    skus, props, currency = product.skus, product.sku_properties, product.currency
    if skus.empty:
        return section("SKU matrix", _note("This product's answer lists no variants (SKUs), "
                                           "so there is nothing to tabulate."))
    parts: list[object] = []
    platform = PLATFORMS[product.platform].label
    metric_label = analysis.metric_title(s.metric, currency)
    value_format = _value_format(s.metric)
    shown = skus
    if not props:
        parts.append(_note(analysis.single_variant_note(product, platform)))
    elif len(props) == 1:
        parts.append(paragraph(f"{metric_label} by {props[0]}."))
        parts.append(chart_svg(charts.value_bars(skus, prop=props[0], metric=s.metric,
                                                 metric_label=metric_label,
                                                 value_format=value_format)))
    else:
        chosen = {p: v for p, v in (s.filters or {}).items()}
        filters_text = "; ".join(f"{p}: {', '.join(map(str, v)) or 'any'}"
                                 for p, v in chosen.items())
        parts.append(paragraph(f"{metric_label} by {s.rows} (rows) and {s.cols} (columns)"
                               + (f". Filters: {filters_text}" if filters_text else "") + "."))
        shown = analysis.filtered_skus(product, chosen)
        if shown.empty:
            parts.append(el("p", "No variant matches these filters.", class_="warn"))
        else:
            cells = analysis.matrix_cells(
                shown, s.rows, s.cols, s.metric,
                row_order=list(dict.fromkeys(skus[s.rows].dropna())),
                col_order=list(dict.fromkeys(skus[s.cols].dropna())))
            parts.append(chart_svg(charts.sku_heatmap(cells, row=s.rows, col=s.cols,
                                                      metric_label=metric_label,
                                                      value_format=value_format)))
            if any(len(v) != 1 for v in chosen.values()):
                parts.append(el("p", "Cells average several variants.", class_="muted"))
            if (cells["status"] == analysis.STOCK_UNKNOWN).any():
                parts.append(el("p", "“stock not sent”: the platform did not say how many "
                                "of these variants are available, so they are not counted "
                                "as in stock.", class_="muted"))
    parts.append(el("p", el("strong", analysis.summary_line(shown, currency))))
    table = analysis.sku_table(product, shown).drop(columns=["image_url"])
    headers = {**{p: p for p in props}, **analysis.sku_headers(currency)}
    headers.pop("image_url", None)
    formats = {"sale_price": money_cell, "price": money_cell,
               "discount_pct": lambda v: fmt.percent(v, 0), "stock": count_cell}
    formats = {c: f for c, f in formats.items() if str(table[c].dtype) != "object"}
    columns = {c: headers.get(c, c) for c in table.columns}
    parts.append(el("h3", "Variants"))
    parts.append(frame_table(table, columns, formats=formats, limit=MAX_SKU_ROWS))
    country = analysis.country_prices(product)
    if country is not None:
        parts.append(el("h3", "Price by ship-to country"))
        parts.append(frame_table(country.table, caption=country.caption))
    return section("SKU matrix", *parts)


def _tiers_section(product: Product, s: ProductSettings) -> Html:
    skus = product.skus.dropna(subset=["sale_price"])
    currency = product.currency
    if skus.empty:
        return section("Price tiers", _note("This product has no prices in the answer, so "
                                            "there are no tiers to show."))
    platform = PLATFORMS[product.platform].label
    labels = analysis.variant_labels(product, skus)
    has_tiers = not product.tiers.empty
    parts: list[object] = []
    if not has_tiers:
        parts.append(_note(analysis.flat_price_note(product, platform)))
    trade = product.trade
    moq = analysis.moq(product)
    known = []
    if trade.moq:
        known.append(("MOQ", f"{trade.moq:,} {trade.moq_unit}".strip()))
    elif moq and moq > 1:
        known.append(("MOQ", f"{moq:,}"))
    if trade.fob_min is not None:
        fob_currency = trade.fob_currency or currency
        known.append(("FOB", fmt.money_range(trade.fob_min, trade.fob_max, fob_currency)
                      + ("" if fob_currency else f" ({fmt.NO_CURRENCY})")))
    if trade.supply_ability:
        known.append(("Supply ability", trade.supply_ability))
    parts.append(facts(known))
    if has_tiers and s.chart_variants:
        points = analysis.step_points(product, list(s.chart_variants))
        if len(points):
            parts.append(paragraph("Unit price against quantity: "
                                   + "; ".join(labels.get(v, v) for v in s.chart_variants)
                                   + "."))
            log_x = analysis.spans_orders_of_magnitude(points["quantity"])
            parts.append(chart_svg(charts.tier_steps(points, currency=fmt.currency_label(
                currency), log_x=log_x, moq=moq)))
    quote = analysis.quote(product, s.variant, s.quantity) if s.variant else None
    parts.append(el("h3", "Order calculator"))
    if quote:
        parts.append(paragraph(f"{s.quantity:,} units of {labels.get(s.variant, s.variant)}."))
        parts.append(figures([
            ("Tier (units)", analysis.tier_span(quote.tier_min_qty, quote.tier_max_qty),
             quote.source),
            (fmt.with_unit("Unit price", currency), fmt.money(quote.unit_price), ""),
            (fmt.with_unit("Total", currency), fmt.money(quote.total), ""),
            (fmt.with_unit("Saving", currency), fmt.money(quote.saving),
             f"Against {s.quantity:,} × the single-unit price "
             f"{analysis.price_text(quote.single_unit_price, currency)}")]))
        if quote.below_moq:
            parts.append(el("p", f"{s.quantity:,} units is below the first tier "
                                 f"({quote.tier_min_qty:,}); the supplier may not accept "
                                 "the order.", class_="warn"))
    else:
        parts.append(el("p", "No price for this variant.", class_="muted"))
    if has_tiers:
        parts.append(el("h3", "All tiers"))
        parts.append(_tiers_table(product, labels, s.quantity))
    if not product.lead_times.empty:
        parts.append(el("h3", "Lead time by quantity"))
        parts.append(frame_table(analysis.lead_times_table(product)))
    return section("Price tiers", *parts)


def _tiers_table(product: Product, labels: Mapping[str, str], quantity: int) -> Html:
    """Every tier: one row per variant and a column per quantity break when the
    variants share their breaks (the usual case: 45 rows, not 180), else one row per
    tier. The break the order quantity falls in says so in its header."""
    currency = product.currency
    tiers = product.tiers
    ladders = {str(sku): tuple(zip(group["min_qty"], group["max_qty"].fillna(-1)))
               for sku, group in tiers.sort_values("min_qty").groupby("sku_id", sort=False)}
    if len(set(ladders.values())) == 1 and all(isinstance(s, str) and s for s in ladders):
        breaks = next(iter(ladders.values()))
        spans = {}
        for low, high in breaks:
            span = analysis.tier_span(int(low), None if high == -1 else int(high))
            inside = low <= quantity and (high == -1 or quantity <= high)
            spans[int(low)] = f"{span} units" + (f" (your {quantity:,})" if inside else "")
        rows = []
        for sku, group in tiers.groupby("sku_id", sort=False):
            row = {"variant": labels.get(str(sku), str(sku))}
            row.update({spans[int(q)]: p for q, p in zip(group["min_qty"], group["unit_price"])})
            rows.append(row)
        frame = pd.DataFrame(rows, columns=["variant", *spans.values()])
        return join(paragraph(f"Unit price ({fmt.currency_label(currency)}) by order "
                              "quantity."),
                    frame_table(frame, {"variant": "Variant", **{v: v for v in spans.values()}},
                                formats={v: money_cell for v in spans.values()},
                                limit=MAX_SKU_ROWS))
    headers = {**analysis.TIER_HEADERS, "unit_price": fmt.with_unit(
        analysis.TIER_HEADERS["unit_price"], currency)}
    table = analysis.tiers_table(product, labels)
    order = ["variant", "min_qty", "max_qty", "unit_price", "discount", "source", "sku_id"]
    formats = {"min_qty": count_cell}
    if str(table["unit_price"].dtype) != "object":
        formats["unit_price"] = money_cell
    return frame_table(table, {c: headers[c] for c in order}, formats=formats,
                       limit=MAX_SKU_ROWS)


def _landed_section(product: Product, seen: LandedSeen) -> Html:
    result, inputs = seen.result, seen.inputs
    currency = inputs.currency
    margin = landed.margin(result, inputs)
    money = lambda value: fmt.money(value, currency)          # noqa: E731
    parts: list[object] = [paragraph(
        f"{result.quantity:,} units delivered, in {currency}, shipping: "
        f"{seen.shipping or result.carrier or result.option or 'your freight'}"
        f" · tracking {landed.yes_no(result.tracking)}"
        f" · ships from {result.ship_from or 'not sent'}."),
        figures([(fmt.with_unit("Landed per unit", currency), fmt.number(result.per_unit, 2),
                  "Goods + shipping + import charges + fees, divided by the quantity"),
                 (fmt.with_unit("Landed total", currency), fmt.number(result.total, 2),
                  f"For {result.quantity:,} units"),
                 ("Days to deliver", landed.days_text(result), ""),
                 (fmt.with_unit("Break-even sell price", currency),
                  fmt.number(margin.break_even, 2) if margin and margin.break_even else "—",
                  "Per unit, after the selling fees")])]
    if result.excludes:
        parts.append(el("p", "Import charges are not included: "
                        + result.import_charges.reason + ".", class_="warn"))
    if margin and inputs.sell_price is not None:
        parts.append(figures([
            (fmt.with_unit("Profit", currency), fmt.number(margin.profit, 2), ""),
            ("Margin", fmt.percent(margin.margin_pct, 1), "Profit / revenue"),
            ("ROI", fmt.percent(margin.roi_pct, 1), "Profit / landed total")]))
    breakdown = landed.parts_table(result)
    parts.append(chart_svg(charts.landed_bar(breakdown, currency=currency)))
    table = breakdown.assign(per_unit=[money(v) for v in breakdown["per_unit"]],
                             total=[money(v) for v in breakdown["total"]])
    parts.append(frame_table(table, {"part": "Part", "per_unit": "Per unit",
                                     "total": f"For {result.quantity:,}",
                                     "source": "Where it comes from"}))
    return section("Landed cost", *parts)


def _ratings_section(product: Product) -> Html:
    store = product.store
    numbers, unsent = analysis.fold_unsent(analysis.store_numbers(product))
    parts: list[object] = [
        figures(("Product rating" if n.label == "Rating" else n.label, n.value, n.help)
                for n in numbers),
        *[el("p", line, class_="muted") for line in unsent]]
    parts.append(el("h3", "Detailed seller ratings"))
    if store.ratings or store.missing_ratings:
        parts.append(chart_svg(charts.ratings_chart(store.ratings, store.missing_ratings)))
        parts.append(frame_table(pd.DataFrame(
            [{"label": k, "score": f"{v:.1f} / 5"} for k, v in store.ratings.items()]
            + [{"label": k, "score": "— not rated (missing, not zero)"}
               for k in store.missing_ratings]), {"label": "Rating", "score": "Score"}))
    else:
        parts.append(el("p", "Not sent. " + analysis.not_sent_reason(product, "rating"),
                        class_="muted"))
    country = countries_label(store.country)
    parts.append(el("h3", "Store"))
    parts.append(facts([("Name", link(store.name or "Store page", store.url) if store.url
                         else (store.name or "—")),
                        ("Store id", store.store_id or "—"),
                        ("Country", country.text if country else "—")]))
    return section("Store ratings", *parts)


def _gallery_section(product: Product, pictures: Mapping[str, Html | None]) -> Html:
    def tile(url: str, caption: str) -> Html:
        picture = pictures.get(url)
        body = el("img", src=picture, alt=caption or "Product picture") if picture else \
            el("div", "Picture not loaded", class_="missing-picture")
        return el("figure", body, el("figcaption", caption) if caption else None)

    media = product.media
    main = media.by_kind("main")
    variants = media.by_kind("sku")
    parts: list[object] = [paragraph(
        f"{len(main)} main image(s), {len(variants)} variant image(s), "
        f"{len(media.by_kind('detail'))} in the description, {len(media.videos)} video(s)"
        " (videos and description pictures are in the app).")]
    budget = MAX_GALLERY
    if main:
        parts.append(el("h3", "Main images"))
        parts.append(el("div", *[tile(i.url, i.label) for i in main[:budget]],
                        class_="gallery"))
        budget -= len(main[:budget])
    groups: dict[str, list] = {}
    for image in variants:
        prop = image.label.split(":", 1)[0] if ":" in image.label else "Variant"
        groups.setdefault(prop, []).append(image)
    for prop, images in groups.items():
        if budget <= 0:
            break
        parts.append(el("h3", prop))
        parts.append(el("div", *[tile(i.url, i.label.split(":", 1)[-1].strip())
                                 for i in images[:budget]], class_="gallery"))
        budget -= len(images[:budget])
    left = len(main) + len(variants) - MAX_GALLERY
    if left > 0:
        parts.append(el("p", f"{left} more picture(s) in the app's Media gallery.",
                        class_="muted"))
    if not main and not variants:
        parts.append(el("p", "The answer has no product or variant pictures.",
                        class_="muted"))
    return section("Gallery", *parts)


def _details_section(product: Product) -> Html:
    parts: list[object] = []
    for title, rows in (("Terms of trade", terms.terms_of_trade(product)),
                        ("Affiliate", terms.affiliate_terms(product)),
                        ("About the listing", terms.listing_details(product))):
        if rows:
            parts.append(el("h3", title))
            parts.append(frame_table(terms.rows_table(rows)))
    if not product.attributes.empty:
        parts.append(el("h3", "Attributes"))
        parts.append(frame_table(terms.attributes_table(product)))
    if product.description_html:
        parts.append(el("h3", "Seller's description"))
        parts.append(el("p", "Pictures and links of the description are left out of the "
                             "report.", class_="muted"))
        # Already through the allow-list sanitiser; pictures and links dropped on top.
        parts.append(el("div", Html(without_pictures(product.description_html)),
                        class_="description"))
    notes = list(product.warnings) + [f"{PLATFORMS[product.platform].label} does not "
                                      f"provide this: {line}" for line in product.not_provided]
    parts.append(el("h3", "Data notes"))
    parts.append(el("ul", *[el("li", line) for line in notes]) if notes else
                 el("p", "Nothing missing or odd was noticed in this answer.", class_="muted"))
    return section("Details and data notes", *parts)


def image_urls(product: Product) -> list[str]:
    """The pictures a report shows: the main one first, then the gallery's."""
    media = product.media
    urls = [product.main_image] + [i.url for i in media.by_kind("main")] + \
        [i.url for i in media.by_kind("sku")]
    return list(dict.fromkeys(u for u in urls if u))[:MAX_GALLERY + 1]


def body(product: Product, settings: ProductSettings, context: ReportContext,
         pictures: Mapping[str, Html | None] | None = None) -> list[Html]:
    """The report's sections (also one product's part of a longer report)."""
    s = settings.resolved(product)
    pictures = pictures if pictures is not None else embed_images(
        image_urls(product), context.images, THUMBNAIL)
    head = embed_images([product.main_image], context.images, HEAD_PICTURE) \
        if product.main_image else {}
    parts = [_header(product, context, head.get(product.main_image)), _key_figures(product),
             _sku_section(product, s), _tiers_section(product, s)]
    if s.landed is not None and s.landed.result.total is not None:
        parts.append(_landed_section(product, s.landed))
    parts += [_ratings_section(product), _gallery_section(product, pictures),
              _details_section(product)]
    return parts


def product_report(product: Product, settings: ProductSettings | None = None,
                   context: ReportContext | None = None) -> bytes:
    """One self-contained HTML document: no script, and nothing it loads from outside."""
    settings = settings or ProductSettings()
    context = context or ReportContext()
    platform = PLATFORMS[product.platform].label
    title = f"{product.title or product.product_id} · {platform} · report"
    return document(title, body(product, settings, context),
                    footer(context.generated_at, f"{platform} data fetched "
                           f"{stamp(product.fetched_at)}", product.demo))
