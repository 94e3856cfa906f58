"""The report of a comparison: the Compare page's table with its best cells and the
reasons for empty ones, both charts, and one short section per product."""
from __future__ import annotations

from typing import Any, Mapping

from lib import analysis, charts, compare, rates
from lib import format as fmt
from lib.compare_view import LANDED, CompareSettings, arrange
from lib.labels import DASH
from lib.model import Product
from lib.platforms import PLATFORMS
from lib.report.assets import chart_svg, embed_images
from lib.report.document import (ReportContext, document, facts, figures, footer, section,
                                 stamp)
from lib.report.markup import Html, el, link, paragraph
from lib.report.product import THUMBNAIL
from lib.report.tables import frame_table

__all__ = ["CompareSettings", "comparison_report"]


def _product_card(product: Product, picture: Html | None) -> Html:
    platform = PLATFORMS[product.platform].label
    numbers = analysis.price_numbers(product)
    store = analysis.fold_unsent(analysis.store_numbers(product))[0]
    highlights = analysis.highlights(product)[:4]
    pic = el("img", src=picture, alt="Main image") if picture else \
        el("div", "No main image" if not product.main_image else "Picture not loaded",
           class_="missing-picture")
    return el("div", el("div", el("div", pic, class_="picture"), el(
        "div",
        el("div", el("span", "Demo data", class_="badge demo") if product.demo else None,
           el("span", platform, class_="badge")),
        el("h3", product.title or f"Product {product.product_id}"),
        facts([("Product id", product.product_id),
               ("On the marketplace", link(product.url, product.url) if product.url else "—"),
               ("Fetched", stamp(product.fetched_at))]),
        figures((n.label, n.value, "") for n in numbers + store if n.value != DASH),
        el("ul", *[el("li", line) for line in highlights]) if highlights else None,
        class_="about"), class_="head"), class_="product-card")


def comparison_report(products: list[Product], settings: CompareSettings | None = None,
                      quotes_at: Mapping[str, Mapping[int, Any]] | None = None,
                      context: ReportContext | None = None) -> bytes:
    """One self-contained HTML document of the comparison as the page shows it with
    `settings` (`quotes_at`: the shipping quotes the page loaded, product key ->
    quantity -> options or FetchError)."""
    settings = settings or CompareSettings()
    context = context or ReportContext()
    view = arrange(products, settings, quotes_at)
    table = view.table
    shown = table.text().drop(index=["Image"])
    best = table.best()
    base = table.base or ""
    notes = ["Ordered by landed cost per unit, cheapest first." if view.by_landed_cost
             else "",
             "“best”: the best value in the row (prices, landed cost, MOQ, days, stock, "
             "ratings only).", "“—” says why a figure is missing."]
    if base and any(p.currency and p.currency != base for p in view.products):
        notes.append(compare.rate_note(table))
    unstated = [compare.product_label(p) for p in view.products if not p.currency]
    if unstated:
        notes.append("Not ranked: the currency of " + ", ".join(unstated) + " is not stated.")
    duty = (f"{settings.duty:g} % of goods + shipping" if settings.duty is not None
            else "left out")
    settings_line = (f"Prices in {base or 'each product’s own currency'}. Landed cost: each "
                     f"product's cheapest variant at {settings.quantity:,} units, shipped to "
                     f"{settings.country or 'the sidebar’s country'} with its cheapest quoted "
                     f"option; import charges {duty}.")
    used = {c: r for c, r in table.rates.items() if c != base and r}
    rate_rows = [(f"1 {c}", f"{r:.6g} {base}") for c, r in sorted(used.items())
                 if any((p.currency or "").upper() == c for p in view.products)]

    pictures = embed_images([p.main_image for p in view.products], context.images, THUMBNAIL)
    parts: list[object] = [
        el("header", el("div", *([el("span", "Demo data", class_="badge demo")]
                                 if any(p.demo for p in view.products) else [])),
           el("h1", f"Comparison of {len(view.products)} products"),
           paragraph(settings_line),
           facts(rate_rows + ([("Rates from", rates.source_text())] if rate_rows else []))),
        el("h2", "Side by side"),
        frame_table(shown, index="Figure", best=best, caption=" ".join(n for n in notes if n),
                    class_="side-by-side"),
    ]
    chart_parts: list[object] = []
    landed_mode = settings.chart == LANDED
    chart_parts.append(el("h3", "Landed cost per unit against quantity" if landed_mode
                          else "Unit price against quantity"))
    if view.curves.empty:
        chart_parts.append(el("p", "No landed cost to draw: no product has a shipping quote."
                              if landed_mode else "No prices to draw in one currency.",
                              class_="muted"))
    else:
        axis = compare.PRICE_AXES[view.axis_choice]
        chart_parts.append(paragraph(f"Price axis: {view.axis_choice.lower()}, in "
                                     f"{fmt.currency_label(base)}."))
        chart_parts.append(chart_svg(charts.compare_price_steps(
            view.curves, currency=base, axis=axis,
            value_title="Landed cost per unit" if landed_mode else "Unit price")))
    if view.left_out:
        chart_parts.append(el("p", "Not drawn: " + "; ".join(view.left_out) + ".",
                              class_="muted"))
    ratings = compare.ratings_long(view.products)
    chart_parts.append(el("h3", "Store ratings"))
    if ratings.empty:
        chart_parts.append(el("p", "No product's answer carries detailed store ratings.",
                              class_="muted"))
    else:
        chart_parts.append(chart_svg(charts.ratings_by_product(ratings)))
    parts.append(section("Charts", *chart_parts))
    parts.append(section("The products", *[_product_card(p, pictures.get(p.main_image))
                                          for p in view.products]))
    sources = ", ".join(dict.fromkeys(PLATFORMS[p.platform].label for p in view.products))
    title = f"Comparison of {len(view.products)} products · report"
    return document(title, parts, footer(context.generated_at, f"{sources} data",
                                         any(p.demo for p in view.products)))
