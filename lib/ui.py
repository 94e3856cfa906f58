"""Streamlit pieces shared by the pages: the product picker, loading, header, errors.

The only module in lib/ that imports Streamlit. The product being looked at lives in
the URL (st.query_params), so any page can be shared as a link; it is mirrored in
session state so that it survives page switches, which drop the query string.
"""
from __future__ import annotations

import gc

# What is alive before this module's imports (Streamlit's runtime) stays alive: out of
# the collector's scans (see _freeze_long_lived; the same at the end of this module).
gc.freeze()

import os
import re
import threading
import time
from datetime import timezone
from pathlib import Path
from typing import Any

import streamlit as st

from lib import deployment
from lib import format as fmt
from lib.credentials import Credentials, load_credentials
from lib.client import fetch_freight_many, fetch_product
from lib.errors import FetchError, InvalidQuery
from lib.failures import FAILURE_TTL_S, RecentAnswers, RecentFailures
from lib.labels import status_label
from lib.model import Product
from lib.platforms import PLATFORMS
from lib import shortlinks
from lib.query import (LINK_DROPPED, SHAREABLE_EXTRAS, FreightQuery, ProductQuery,
                       parse_product_ref, query_from_params)
from lib.sandbox import DEMO_PRODUCTS, demo_query_for, demo_title
from lib.text import link, literal

ROOT = Path(__file__).resolve().parents[1]
QUERY_KEYS = ("platform", "id", "country", "currency", "language")
COUNTRIES = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "BR", "MX", "CA", "AU", "IL",
             "KR", "JP", "SA", "AE", "TR", "UA", "RU", "CN"]
CURRENCIES = ["USD", "EUR", "GBP", "BRL", "MXN", "CAD", "AUD", "ILS", "PLN", "KRW", "JPY",
              "TRY", "RUB", "CNY"]
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "pt", "pt_BR", "ru", "he", "ko",
             "ja", "tr", "ar", "zh"]
STATE_QUERY = "explorer_query"
STATE_REFRESH = "explorer_refresh"


# --- credentials and mode ------------------------------------------------------------
def _secrets() -> dict[str, Any]:
    try:
        return {key: dict(value) if hasattr(value, "items") else value
                for key, value in st.secrets.items()}
    except Exception:  # no secrets.toml: demo mode
        return {}


def credentials_for(platform: str) -> Credentials | None:
    """Live credentials for a platform, or None (demo mode). EXPLORER_DEMO=1 forces demo."""
    if deployment.demo_forced():
        return None
    return load_credentials(platform, PLATFORMS[platform].credential_keys, _secrets())


def is_demo(platform: str) -> bool:
    return credentials_for(platform) is None


# --- the current query ---------------------------------------------------------------
def _query_from_url() -> ProductQuery | None:
    """The product the URL asks for; None when it asks for none; InvalidQuery when it
    asks for one that cannot be read, or when Streamlit dropped the whole link (said
    on every run of the session until a product is asked for)."""
    if DROPPED_PARAM in st.query_params:
        del st.query_params[DROPPED_PARAM]       # ours, not the link's: off the address bar
        st.session_state[STATE_DROPPED] = True
    query = query_from_params(st.query_params)
    if query is not None:
        st.session_state.pop(STATE_DROPPED, None)
    elif st.session_state.get(STATE_DROPPED):
        raise InvalidQuery(LINK_DROPPED)
    return query


# Past 1,000 parameters or 512 kB Streamlit 1.67 ignores a link's query string whole
# (streamlit.runtime.state.query_params.sanitize_query_string), and the page cannot
# tell that from a visit without a link: on the server the raw string is gone before
# the script runs. So Streamlit's check is wrapped to leave one marker parameter
# instead of nothing. Streamlit internals: on another version nothing is wrapped and a
# dropped link looks like a first visit (tests/test_link_bounds.py notices). The wrap
# happens when this module is first imported, i.e. in the first session's first run,
# whose request was already judged: only a launcher that imports lib.ui before the
# server starts covers that one request too.
DROPPED_PARAM = "explorer_link_dropped"
STATE_DROPPED = "explorer_dropped_link"


def _mark_dropped_links() -> None:
    try:
        from streamlit.runtime import app_session
        from streamlit.runtime.state import query_params
    except ImportError:
        return
    original = query_params.sanitize_query_string
    if getattr(original, "marks_dropped_links", False):
        return

    def sanitize(query_string: str) -> str:
        kept = original(query_string)
        return kept if kept or not query_string else f"{DROPPED_PARAM}=1"
    sanitize.marks_dropped_links = True          # type: ignore[attr-defined]
    for module in (query_params, app_session):   # AppTest / the server
        if getattr(module, "sanitize_query_string", None) is original:
            module.sanitize_query_string = sanitize


_mark_dropped_links()


def set_query(query: ProductQuery) -> None:
    """Make `query` the product on screen, in the URL and in session state.

    Only the product's own parameters are written (and a stale sku_id of the previous
    product removed): the view's settings in the URL are never touched."""
    st.session_state[STATE_QUERY] = query
    wanted = query.to_params()
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    for key in SHAREABLE_EXTRAS:
        if key not in wanted and key in st.query_params:
            del st.query_params[key]


def current_query() -> ProductQuery | None:
    """The query in the URL; else the one kept in session state (page switches drop the
    URL's query string, so it is written back); else the first demo product. A link
    that asks for a product that cannot be read (or that Streamlit dropped for its
    size) gets a message and no product, never the demo product in its place."""
    try:
        query = _query_from_url()
    except InvalidQuery as exc:
        # A broken shared link: say so rather than silently showing another product.
        st.error(literal(exc.user_message) if exc.user_message == LINK_DROPPED else
                 literal(f"The product in this link could not be read: {exc.user_message}"))
        st.session_state.pop(STATE_QUERY, None)
        return None
    if query is None:
        query = st.session_state.get(STATE_QUERY)
    if query is None and DEMO_PRODUCTS and is_demo(DEMO_PRODUCTS[0].platform):
        query = DEMO_PRODUCTS[0]
    if query is not None:
        set_query(query)
    return query


def share_params(query: ProductQuery) -> str:
    """The query string of a share link: the product's parameters first, then every
    other parameter of the page as it is now (the compare list, the view's settings
    bound with bind="query-params", ...), so the link reopens exactly this view."""
    from urllib.parse import urlencode

    product = query.to_params()
    pairs: list[tuple[str, str]] = list(product.items())
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    current.update(_bound_widget_params())
    for key, values in current.items():
        if key in product or key in QUERY_KEYS or key in SHAREABLE_EXTRAS or key == PIN_PARAM:
            continue
        pairs.extend((key, value) for value in ([values] if isinstance(values, str)
                                                else values))
    return urlencode(pairs)


def _bound_widget_params() -> dict[str, str | list[str]]:
    """The URL values of the widgets bound with bind="query-params", as they are now.

    The share box is drawn in the sidebar, before the view's widgets, and st.query_params
    only learns a changed value from the browser's address bar (not at all under
    AppTest): so the widgets' current values are read from session state, written the
    way Streamlit writes them to the URL (a default value is left out, as Streamlit
    does). Uses Streamlit 1.67 internals; without them only st.query_params is used
    (tests/test_share_links.py notices when they change)."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
        from streamlit.runtime.state.query_params import _coerce_value_for_query_url

        state = get_script_run_ctx().session_state._state
        bindings = list(state.query_params._bindings_by_param.values())
    except Exception:
        return {}
    found: dict[str, str | list[str]] = {}
    for binding in bindings:
        try:
            metadata = state.get_widget_metadata(binding.widget_id)
            value = state[binding.widget_id]
            if metadata is None or value == metadata.deserializer(None):
                found[binding.param_key] = []           # the default: not in the link
                continue
            found[binding.param_key] = _coerce_value_for_query_url(
                metadata.serializer(value), binding.value_type)
        except Exception:
            continue
    return found


def short_link_transport() -> Any:
    """Who opens short links: the sandbox's short-link service when no platform that
    reads product links is live (demo mode), else None: the real network."""
    from lib.sandbox import ShortLinkTransport

    linked = [key for key, platform in PLATFORMS.items() if platform.link_hosts]
    return ShortLinkTransport() if all(is_demo(key) for key in linked) else None


# lib.compare.parse_refs (Compare, Batch) opens short links with the same choice.
shortlinks.DEFAULT_TRANSPORT_FACTORY = short_link_transport


# --- sidebar -----------------------------------------------------------------------------
def _options(values: list[str], current: str) -> list[str]:
    return values if current in values else [current] + values


def product_picker() -> ProductQuery | None:
    """The sidebar: platform, id or link, locale, demo examples. Returns the query."""
    query = current_query()
    sidebar = st.sidebar
    sidebar.markdown("### Product")
    platform_keys = list(PLATFORMS)
    current_platform = query.platform if query else platform_keys[0]
    # Streamlit keeps a widget's own value over a new `index`/`value`: keys derived from
    # the loaded query give fresh widgets whenever another product is loaded, so the
    # boxes show what was loaded (a pasted Alibaba link switches the Platform box to
    # Alibaba, and the next bare id is read as an Alibaba id).
    loaded = _picker_suffix(query)
    with sidebar.form("picker", border=False):
        platform = st.selectbox("Platform", platform_keys,
                                index=platform_keys.index(current_platform),
                                format_func=lambda key: PLATFORMS[key].label,
                                key=f"picker-platform-{loaded}")
        ref = st.text_input("Product ID or link", value=query.product_id if query else "",
                            placeholder="1005006789012345 or https://www.aliexpress.com/item/…",
                            help=PLATFORMS[current_platform].id_hint
                            + (". Short links from the apps' share buttons work too."
                               if PLATFORMS[current_platform].link_hosts else ""),
                            key=f"picker-ref-{loaded}")
        country_now = query.country if query else "US"
        currency_now = query.currency if query else "USD"
        language_now = query.language if query else "en"
        col1, col2 = st.columns(2)
        country = col1.selectbox("Ship to", _options(COUNTRIES, country_now),
                                 index=_options(COUNTRIES, country_now).index(country_now),
                                 accept_new_options=True, key=f"picker-country-{loaded}")
        currency = col2.selectbox("Currency", _options(CURRENCIES, currency_now),
                                  index=_options(CURRENCIES, currency_now).index(currency_now),
                                  accept_new_options=True, key=f"picker-currency-{loaded}")
        language = st.selectbox("Language", _options(LANGUAGES, language_now),
                                  index=_options(LANGUAGES, language_now).index(language_now),
                                  accept_new_options=True, key=f"picker-language-{loaded}")
        submitted = st.form_submit_button("Show product", type="primary", width="stretch")
    if submitted:
        try:
            new_query = _read_ref(ref, platform, country=country or "US",
                                  currency=currency or "USD", language=language or "en")
        except InvalidQuery as exc:
            sidebar.error(literal(exc.user_message))     # may quote the pasted text
        else:
            if new_query != query:
                set_query(new_query)
                st.rerun()
    if query is not None:
        share_box(query)
        add_to_list_box(query)
    _demo_examples(sidebar, query)
    _mode_note(sidebar, query)
    return query


def _picker_suffix(query: ProductQuery | None) -> str:
    """A widget-key suffix that changes whenever another product (or locale) is loaded."""
    import hashlib

    if query is None:
        return "none"
    return hashlib.sha1(repr(sorted(query.to_params().items())).encode()).hexdigest()[:12]


def _read_ref(ref: str, platform: str, **locale: str) -> ProductQuery:
    """What the picker's text means: an id (read with the selected platform), a link,
    or a short link (opened first). In demo mode a link opens the demo product of that
    id on its own platform (AliExpress's three APIs share one link form)."""
    from lib.query import looks_like_url

    if shortlinks.is_short_link(ref):
        with st.spinner("Opening the short link …"):
            query = shortlinks.resolve_short_link(ref, platform,
                                                  transport=short_link_transport(), **locale)
    else:
        query = parse_product_ref(ref, platform, **locale)
    if is_demo(query.platform) and isinstance(ref, str) and looks_like_url(ref.strip()):
        query = demo_query_for(query)
    return query


def _demo_examples(sidebar, query: ProductQuery | None) -> None:
    """One-click demo products: the current platform's as buttons, the others folded
    away per platform so the sidebar stays short."""
    demo_products = [q for q in DEMO_PRODUCTS if is_demo(q.platform)]
    if not demo_products:
        return
    current = query.platform if query else demo_products[0].platform
    sidebar.markdown("### Demo products")
    for demo in [d for d in demo_products if d.platform == current]:
        _demo_button(sidebar, demo, query)
    others = [d for d in demo_products if d.platform != current]
    if others:
        with sidebar.expander("Other platforms' demo products"):
            for demo in others:
                _demo_button(st, demo, query)


def _demo_button(container, demo: ProductQuery, query: ProductQuery | None) -> None:
    is_current = query is not None and query.key == demo.key
    if container.button(literal(demo_title(demo), 80), key=f"demo-{demo.key}", width="stretch",
                        disabled=is_current, help=f"{PLATFORMS[demo.platform].label}, "
                                                  f"product {literal(demo.product_id)}"):
        base = query or demo
        set_query(ProductQuery(demo.platform, demo.product_id, base.country, base.currency,
                               base.language))
        st.rerun()


def _mode_note(sidebar, query: ProductQuery | None) -> None:
    platform = query.platform if query else next(iter(PLATFORMS))
    if is_demo(platform):
        sidebar.info("**Demo mode**: bundled example products, no network and no API "
                     "credentials needed. Add credentials to `.streamlit/secrets.toml` "
                     "to fetch live data.", icon=":material/science:")
    else:
        sidebar.success(f"**Live**: {PLATFORMS[platform].label} with your credentials.",
                        icon=":material/cloud_done:")


# --- loading -------------------------------------------------------------------------------
@st.cache_data(ttl=1800, max_entries=128, show_spinner=False)
def _fetch_cached(query: ProductQuery, live: bool, refresh: str) -> Product:
    """One fetch, cached per query, mode and refresh token ("" until Refresh is pressed;
    then a new random token per press and session, so a press always fetches)."""
    credentials = credentials_for(query.platform) if live else None
    if live and credentials is None:
        raise InvalidQuery("The credentials for this platform are incomplete.")
    store()                         # opened first: it sets the process's pacing and gateway
    product = fetch_product(query, credentials=credentials)
    record_snapshot(product)        # once per real fetch: cached runs reuse its id
    return product


# st.cache_data keeps no exceptions: failures are kept here for a minute, so that reruns
# (every widget change) do not call the gateway again for the same failure.
RECENT_FAILURES = RecentFailures(ttl_s=FAILURE_TTL_S)


def _fetch(query: ProductQuery, live: bool, refresh: str) -> Product | FetchError:
    """The product, or the failure (returned, not raised): a failure less than
    FAILURE_TTL_S old for the same query, mode and refresh token is given again
    without a gateway call."""
    key = (query, live, refresh)
    remembered = RECENT_FAILURES.get(key)
    if remembered is not None:
        return remembered.error
    try:
        return _fetch_cached(query, live, refresh)
    except FetchError as exc:
        RECENT_FAILURES.remember(key, exc)
        return exc


def _refresh_token(query: ProductQuery) -> str:
    return st.session_state.get(STATE_REFRESH, {}).get(query.key, "")


def load_product(query: ProductQuery) -> Product | None:
    """The product for `query` (cached per query), or None after showing the error and
    a button to try again."""
    live = not is_demo(query.platform)
    with st.spinner(f"Loading {literal(query.key)} …"):
        result = _fetch(query, live, _refresh_token(query))
    if not isinstance(result, FetchError):
        return result
    error_box(result)
    remembered = RECENT_FAILURES.get((query, live, _refresh_token(query)))
    if remembered is not None and remembered.age_s >= 1:
        st.caption(f"This is the answer of {remembered.age_s:.0f} s ago: for "
                   f"{FAILURE_TTL_S:.0f} s the same failure is shown without asking the "
                   "marketplace again. “Try again” asks now.")
    refresh_button(query, "Try again")
    return None


def refresh_button(queries: ProductQuery | list[ProductQuery], label: str = "Refresh") -> None:
    """Fetch again on the next run instead of using the cached product (or failure).
    Each press gives this session a new random refresh token per product: a cache
    entry of another session's Refresh is never reused."""
    import uuid

    queries = [queries] if isinstance(queries, ProductQuery) else list(queries)
    if not queries:
        return
    if st.button(label, icon=":material/refresh:", key=f"refresh-{queries[0].key}",
                 help="Fetch this product again now" if len(queries) == 1 else
                 f"Fetch these {len(queries)} products again now"):
        tokens = st.session_state.setdefault(STATE_REFRESH, {})
        for query in queries:
            tokens[query.key] = uuid.uuid4().hex
        st.rerun()


def current_product() -> Product:
    """For pages: draw the sidebar picker, then return the product on screen, or stop
    the page with a message. (The picker is drawn by each page, not by app.py, so the
    page owns all of its widgets; AppTest loses app.py's widgets on reruns.)"""
    query = product_picker()
    if query is None:
        st.info("Pick a platform and enter a product ID or link in the sidebar.")
        st.stop()
    product = pinned_product(query) or load_product(query)
    if product is None:
        st.stop()
    _this_run()["product"] = product
    return product


def error_box(error: FetchError) -> None:
    """What went wrong in plain words, what to do, and the gateway's own words and code
    (quotable to support). Every text is shown as text: Markdown in a gateway's message
    (or in a pasted value quoted back) is escaped, never rendered."""
    st.error(literal(error.user_message), icon=":material/error:")
    hint = getattr(error, "hint", "")
    if hint and hint not in error.user_message:
        st.caption(literal(f"What to do: {hint}"))
    said = getattr(error, "gateway_message", "")
    if said:
        code = f" (code {error.code})" if error.code else ""
        st.caption(literal(f"The marketplace said: “{said}”{code}"))
    if error.detail or error.raw:
        with st.expander("Technical detail"):
            st.code(f"{error.kind}: {error.detail}", language=None)
            if error.raw:
                st.caption("The answer as received (secrets removed, cut at 2,000 "
                           "characters):")
                st.code(str(error.raw)[:2000], language=None, wrap_lines=True)


# --- display helpers -------------------------------------------------------------------------
def chart(builder: str, *args: Any, width: str | int = "stretch", **kwargs: Any) -> None:
    """Draw `lib.charts.<builder>(*args, **kwargs)`, as st.altair_chart would, with its
    Vega-Lite spec cached per arguments: building a layered Altair chart and Streamlit's
    conversion of it (a JSON-schema validation of the whole spec) cost 100-200 ms of the
    page before its chart, on every visit of a shared link (issue 15). The spec is the
    one st.altair_chart sends (Streamlit's own converter); without that Streamlit
    internal, the chart is drawn with st.altair_chart uncached."""
    spec = _chart_spec(builder, args, tuple(sorted(kwargs.items())))
    if spec is None:
        from lib import charts

        st.altair_chart(getattr(charts, builder)(*args, **kwargs), width=width)
    else:
        st.vega_lite_chart(spec=spec, width=width)


@st.cache_data(max_entries=256, show_spinner=False)
def _chart_spec(builder: str, args: tuple, kwargs: tuple) -> dict | None:
    try:
        from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec
    except ImportError:
        return None
    from lib import charts

    return _convert_altair_to_vega_lite_spec(getattr(charts, builder)(*args, **dict(kwargs)))


def image_source(url: str) -> str | Path:
    """What st.image needs: a local path for bundled demo files, else the URL."""
    if url.startswith("/app/static/"):
        local = ROOT / "static" / url[len("/app/static/"):]
        if local.resolve().is_relative_to((ROOT / "static").resolve()) and local.is_file():
            return local
    return url


def browser_url(url: str) -> str:
    """A URL the browser can load: static files relative to the app, others as they are."""
    return url[1:] if url.startswith("/app/static/") else url


def header_card(product: Product) -> None:
    left, right = st.columns([1, 3], gap="medium")
    with left:
        if product.main_image:
            st.image(image_source(product.main_image), width="stretch")
        else:
            st.caption("No main image")
    with right:
        badges = []
        if product.demo:
            badges.append(":orange-badge[:material/science: Demo data]")
        badges.append(f":gray-badge[{PLATFORMS[product.platform].label}]")
        status = status_label(product.platform, product.status)
        if status:
            # Words on the badge; the code as sent only in the tooltip (and Raw data).
            badges.append(f":blue-badge[{literal(status.text)}]")
        st.markdown(" ".join(badges), help=literal(status.detail) if status else None)
        st.subheader(literal(product.title or f"Product {product.product_id}"), anchor=False)
        # product.url is on the marketplace's own site (lib/platforms/urls.py)
        page = link("Open on the marketplace", product.url) if product.url else ""
        st.caption(f"ID {literal(product.product_id)} · fetched "
                   f"{fmt.fetched(product.fetched_at)}" + (f" · {page}" if page else ""))
        currency_note(product)
        snapshot_slot()


# The seller's HTML (already through the allow-list sanitiser, lib/sanitize.py) in a
# bounded box: pictures no wider than the column, long words and <pre> wrapped, wide
# tables scrolled, and the whole box at most this tall, scrolling inside.
_DESCRIPTION_CSS = """<style>
.seller-description { max-height: 40rem; overflow: auto; overflow-wrap: anywhere;
  word-break: break-word; padding-right: .5rem; }
.seller-description img { max-width: 100%; height: auto; }
.seller-description pre, .seller-description code { white-space: pre-wrap;
  overflow-wrap: anywhere; }
.seller-description table { display: block; max-width: 100%; overflow-x: auto; }
</style>"""


def seller_description(safe_html: str) -> None:
    st.html(f'{_DESCRIPTION_CSS}<div class="seller-description">{safe_html}</div>')


def warnings_box(product: Product) -> None:
    if product.warnings:
        with st.expander(f"{len(product.warnings)} note(s) about this product's data"):
            for warning in product.warnings:
                st.markdown(f"- {literal(warning)}")   # may quote the payload



def page_intro(product: Product, title: str) -> None:
    """A compact heading for the detail pages: page title, product title, badges."""
    st.title(title, anchor=False)
    demo = " · :orange-badge[:material/science: Demo data]" if product.demo else ""
    st.caption(f"{literal(product.title or product.product_id)} · "
               f"{PLATFORMS[product.platform].label}{demo}")
    currency_note(product)
    snapshot_slot()


def currency_note(product: Product) -> None:
    """Say so when the prices are not in the currency asked for (lib.rates decides)."""
    from lib.rates import currency_note as note_text

    text = note_text(product)
    if text:
        st.caption(f":material/currency_exchange: {literal(text)}")


def not_provided_note(product: Product, view: str) -> bool:
    """Say plainly when this platform cannot feed a view; True if something was said."""
    relevant = [line for line in product.not_provided if view.lower() in line.lower()]
    for line in relevant:
        st.info(f"{PLATFORMS[product.platform].label} does not provide this: {line}",
                icon=":material/info:")
    return bool(relevant)


def download_csv(frame, name: str, product: Product, label: str | None = None) -> None:
    """The table as CSV and as Excel, side by side, with human headers and prices
    labelled in the product's currency."""
    from lib.export import file_stem, readable

    download_table(readable(frame, product.currency), name, file_stem(product), label)


def download_table(frame, name: str, stem: str, label: str | None = None) -> None:
    """Two buttons in a row: the same table as CSV and as an .xlsx workbook. `frame`
    already has the headers people should see. Keys are unique per file name."""
    from lib.export import XLSX_MIME, csv_bytes, excel_bytes, sheet_title

    title = name.replace("-", " ").replace("_", " ")
    title = "SKUs" if title == "skus" else title
    file_name = f"{stem}-{name}" if stem else name
    with st.container(horizontal=True, gap="small"):
        st.download_button(f"{label or 'Download ' + title} (CSV)", csv_bytes(frame),
                           file_name=f"{file_name}.csv", mime="text/csv",
                           icon=":material/download:", key=f"csv-{file_name}")
        # A callable: the workbook is built only when someone clicks.
        st.download_button("Excel", lambda: excel_bytes({sheet_title(title): frame}),
                           file_name=f"{file_name}.xlsx", mime=XLSX_MIME,
                           icon=":material/table_view:", key=f"xlsx-{file_name}",
                           help=f"The same table as an Excel workbook ({file_name}.xlsx)")


def share_link(query: ProductQuery, snapshot_id: str = "") -> str:
    """The address that reopens this product on this page, for a colleague: live, or
    pinned to one snapshot (what was seen then)."""
    from urllib.parse import urlencode, urlsplit

    try:
        parts = urlsplit(st.context.url or "")
        base = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else ""
    except Exception:
        base = ""
    pin = f"&{urlencode({PIN_PARAM: snapshot_id})}" if snapshot_id else ""
    return f"{base}?{share_params(query)}{pin}"


def share_box(query: ProductQuery) -> None:
    with st.sidebar.expander("Share this view", icon=":material/share:"):
        st.caption("**Live**: anyone with the app opens this product on this page, with "
                   "this page's settings, as the marketplace answers when they open it:")
        st.code(share_link(query), language=None, wrap_lines=True)
        # Filled in after the page (after_page): the snapshot id is known by then.
        _this_run()["pin_slot"] = st.empty()


def current_locale() -> dict[str, str]:
    """Country, currency and language of the product on screen (the compare list and
    the batch fetch use the same)."""
    query = st.session_state.get(STATE_QUERY)
    if query is None:
        return {"country": "US", "currency": "USD", "language": "en"}
    return {"country": query.country, "currency": query.currency, "language": query.language}


STATE_COMPARE = "explorer_compare"
STATE_COMPARE_NOTICES = "explorer_compare_notices"


def compare_keys() -> list[str]:
    """The compare list as entered: from the URL (?p=platform:id&p=...), else session
    state."""
    keys = [k for k in st.query_params.get_all("p") if k]
    if not keys:
        keys = st.session_state.get(STATE_COMPARE, [])
        if keys:
            st.query_params["p"] = keys
    return keys


def compare_list(**locale: str) -> tuple[list[ProductQuery], list[str]]:
    """The products to compare (at most refs.MAX_COMPARED) and the messages about what
    was left out or skipped when the list last changed.

    A list that is too long or holds junk (unreadable ids, unknown platforms, repeats)
    is written back clean: the URL then stays far below Streamlit's 1,000 parameters
    (past them it drops the whole link) and a shared link holds what is on screen. Its
    messages stay on screen as long as the list does not change."""
    from lib import refs

    listing = refs.read_compare_list(" ".join(compare_keys()), **locale)
    if not listing.clean:
        set_compare_keys(listing.keys, listing.notices())
    shown_for, notices = st.session_state.get(STATE_COMPARE_NOTICES, ([], []))
    return listing.queries, (notices if shown_for == listing.keys else [])


def set_compare_keys(keys: list[str], notices: list[str] | tuple[str, ...] = ()) -> None:
    """Make `keys` the compare list (in session state and the URL); `notices`: what to
    say about this change (what was not added or skipped), until the list changes."""
    unique = list(dict.fromkeys(keys))
    st.session_state[STATE_COMPARE] = unique
    st.session_state[STATE_COMPARE_NOTICES] = (unique, [n for n in notices if n])
    if unique:
        st.query_params["p"] = unique
    elif "p" in st.query_params:
        del st.query_params["p"]


def load_products(queries: list[ProductQuery]) -> list[Product | FetchError]:
    """Each product from the per-query cache (fetched on first use); a recent failure
    is given again without a new call (see _fetch)."""
    with st.spinner(f"Loading {len(queries)} product(s) …"):
        return [_fetch(query, not is_demo(query.platform), _refresh_token(query))
                for query in queries]


# --- shipping quotes (Landed cost, Compare) ----------------------------------------------
# A quote is kept FREIGHT_TTL_S per request, mode and refresh token (like a product in
# _fetch_cached), a failure FAILURE_TTL_S; the misses of one page run go out as one
# paced batch (the platform's schedule is shared with product fetches).
FREIGHT_TTL_S = 1800.0
FREIGHT_ANSWERS = RecentAnswers(ttl_s=FREIGHT_TTL_S, max_entries=1024)


def load_freight(requests: list[FreightQuery]) -> list[Any]:
    """Shipping options (a DataFrame of lib.model.FREIGHT_COLUMNS) or the FetchError,
    per request, in order. The frames are shared: callers do not change them."""
    keys = [(r, not is_demo(r.platform), _refresh_token(r.query)) for r in requests]
    found: dict[tuple, Any] = {}
    for key in keys:
        hit = FREIGHT_ANSWERS.get(key) or RECENT_FAILURES.get(("freight", *key))
        if hit is not None:
            found[key] = hit.value
    missing = list(dict.fromkeys(k for k in keys if k not in found))
    credentials = {r.platform: credentials_for(r.platform) for r, live, _ in missing if live}
    if missing:
        store()                     # opened first: it sets the process's pacing and gateway
        # Demo platforms are left out of the mapping: the sandbox serves them.
        with st.spinner("Asking for shipping quotes …"):
            answers = fetch_freight_many([k[0] for k in missing],
                                         credentials=credentials or None)
        for key, answer in zip(missing, answers):
            if isinstance(answer, FetchError):
                RECENT_FAILURES.remember(("freight", *key), answer)
            else:
                FREIGHT_ANSWERS.remember(key, answer)
            found[key] = answer
    return [found[key] for key in keys]


# --- view settings bound to the URL (SKU matrix, Price tiers) ---------------------------
def bound_settings(scope: str, product: Product, defaults: dict[str, Any],
                   aliases: dict[str, dict[str, Any]] | None = None) -> None:
    """Prepare the widgets of a view whose settings are bound to query params
    (bind="query-params", keyed without the product id so a shared link reads well).

    A bound widget keeps its value when another product comes on screen, and a value
    not among the new options would leave it empty: so when the product changes, each
    setting is put back to the new product's default. On the first run the URL's value
    is left for the widget to read (an invalid one Streamlit drops for the default).
    `aliases` maps a key to {value in a hand-written link: option}, e.g. metric=stock
    for the option shown as "Stock"."""
    marker = f"explorer_settings_{scope}"
    shown = f"{product.platform}:{product.product_id}"
    if st.session_state.get(marker, shown) != shown:
        for key, value in defaults.items():
            st.session_state[key] = value
    elif marker not in st.session_state:
        for key, mapping in (aliases or {}).items():
            raw = st.query_params.get(key)
            if key not in st.session_state and raw in mapping:
                st.session_state[key] = mapping[raw]
    st.session_state[marker] = shown


def keep_choice(key: str, previous: Any) -> None:
    """on_change for a single-choice control: clicking the selected option again must
    not leave nothing selected. Pass the value shown when the control was drawn
    (st.session_state.get(key, default)); it stays selected."""
    if st.session_state.get(key) is None:
        st.session_state[key] = previous


# --- jobs (lib/jobs): batch fetches and list refreshes off the script run ----------------
# One runner per store and process, shared by every session: a job goes on whatever the
# browser does, and every tab on this server sees the same job in the store.
JOB_POLL_S = 1.5
JOB_PARAM = "job"
_JOB_ID = re.compile(r"[A-Za-z0-9]{6,32}")
_RUNNERS: dict[int, Any] = {}
_RUNNERS_LOCK = threading.Lock()


def job_board():
    """The job board of the store, or None without a store (store_problem() says why)."""
    from lib.jobs import JobBoard

    opened = store()
    return None if opened is None else JobBoard(opened)


def _job_fetch(queries, on_result, stop) -> None:
    """The runner's fetch: lib.batch.fetch in the background with each platform's live
    credentials (read when the job runs: secrets are the process's, never in the job)."""
    from lib import batch
    from lib.jobs.runner import JOB_CONCURRENCY

    live = {p: c for p in {q.platform for q in queries}
            if (c := credentials_for(p)) is not None}
    batch.fetch(queries, credentials=live or None, on_result=on_result, stop=stop,
                background=True, concurrency=JOB_CONCURRENCY)


def _scheduled(opened, board):
    def tick(now) -> list[str]:
        try:
            from lib import watchlists
        except ImportError:
            return []
        due = getattr(watchlists, "scheduled_refreshes", None)
        return due(opened, board, now) if due else []
    return tick


def job_runner():
    """The process's runner for the current store (started on first use; it resumes the
    jobs a previous server process left unfinished). None without a store."""
    from lib.jobs import InProcessRunner, JobBoard

    opened = store()
    if opened is None:
        return None
    with _RUNNERS_LOCK:
        runner = _RUNNERS.get(id(opened))
        if runner is None:
            board = JobBoard(opened)
            if deployment.jobs_mode() == deployment.QUEUE:
                # A team deployment: workers (lib/jobs/worker.py) run the jobs and the
                # schedule; this server only puts jobs on the queue.
                from lib.jobs.queue import QueueRunner
                runner = QueueRunner(board, _store_url())
            else:
                runner = InProcessRunner(board, _job_fetch, tick=_scheduled(opened, board))
            _RUNNERS[id(opened)] = runner.start()
    return runner


def _stop_runners() -> None:
    with _RUNNERS_LOCK:
        runners = list(_RUNNERS.values())
        _RUNNERS.clear()
    for runner in runners:
        runner.stop(timeout=10)


def _who() -> str:
    """Who asked, when the app knows (st.login configured); else "" (not known)."""
    try:
        if st.user.is_logged_in:
            return str(st.user.get("email") or st.user.get("name") or "")
    except Exception:
        pass
    return ""


def start_job(kind: str, queries: list[ProductQuery], *, title: str,
              list_id: int | None = None, settings: dict | None = None):
    """Create a job in the store and hand it to the runner; the Job, or None after a
    plain error on screen (no store, or the job could not be saved)."""
    from lib.store import StoreError

    board, runner = job_board(), job_runner()
    if board is None or runner is None:
        st.error(literal(f"The job cannot start without the history database: "
                         f"{store_problem()}"), icon=":material/error:")
        return None
    try:
        job = board.create(kind, queries, title=title, created_by=_who(), list_id=list_id,
                           settings=settings)
    except StoreError as exc:
        st.error(literal(exc.user_message), icon=":material/error:")
        return None
    runner.submit(job.id)
    return job


def job_param() -> str:
    """The job in the URL (?job=<id>), when it is a well-formed id."""
    value = (st.query_params.get(JOB_PARAM) or "").strip()
    return value if _JOB_ID.fullmatch(value) else ""


def job_line(job) -> str:
    """'120 of 300 done · 3 failed · running' (plain text, no Markdown)."""
    parts = [f"{job.done + job.failed:,} of {job.total:,} done"]
    if job.failed:
        parts.append(f"{job.failed:,} failed")
    if job.skipped:
        parts.append(f"{job.skipped:,} not fetched (cancelled)")
    parts.append(job.state_text)
    return " · ".join(parts)


def job_progress(job_id: str, key: str) -> None:
    """The job's progress, polled from the store while it runs (a fragment rerunning
    itself every JOB_POLL_S), with Cancel; when it ends, the whole page runs once more
    to show the results."""
    board = job_board()
    job = board.get(job_id) if board is not None else None
    if job is None:
        st.warning("This job is not in the history database (it may have been removed).",
                   icon=":material/help:")
        return
    if job.finished:
        _draw_job_progress(board, job, key)
        return

    @st.fragment(run_every=JOB_POLL_S)
    def poll() -> None:
        now = board.get(job_id)
        if now is None or now.finished:
            st.rerun(scope="app")
        _draw_job_progress(board, now, key)

    poll()


def _draw_job_progress(board, job, key: str) -> None:
    total = max(job.total, 1)
    share = (job.done + job.failed + job.skipped) / total
    st.progress(min(1.0, share), text=job_line(job))
    if job.finished:
        return
    if job.status == "queued" and not job.cancel_requested:
        st.caption("Waiting for the job runner (another job may be running first).")
    if not job.cancel_requested and st.button("Cancel", key=f"{key}-cancel",
                                              icon=":material/cancel:",
                                              help="Products being fetched finish; the "
                                                   "rest are not fetched."):
        board.cancel(job.id)
        st.rerun(scope="app")


def job_tables(job):
    """(results, failures) of a job so far: the Batch page's two tables, from the
    rows kept with each item (no product is loaded again)."""
    from lib import batch
    from lib.compare import RefProblem
    from lib.jobs import FAILED, ITEM_DONE

    board = job_board()
    items = board.items(job.id) if board is not None else []
    rows = [i.summary for i in items if i.state == ITEM_DONE and i.summary]
    failed = [batch.failure_row(i.query, i.error) for i in items
              if i.state == FAILED and i.error is not None]
    rejected = [RefProblem(str(p.get("text", "")), str(p.get("message", "")))
                for p in job.settings.get("rejected", []) if isinstance(p, dict)]
    return batch.rows_table(rows), batch.failure_rows_table(failed, rejected)


# --- snapshots (lib/store) ---------------------------------------------------------------
# One Store per database URL and process (its writer thread is shared by every session).
# A store that cannot be opened is tried again after STORE_RETRY_S, not on every rerun
# (an unreachable server would cost its connect timeout each time).
STORE_RETRY_S = 60
_STORES: dict[str, tuple[Any, str, float]] = {}
_STORES_LOCK = threading.Lock()
PIN_PARAM = "snapshot"
STATE_PINNED = "explorer_pinned"
STATE_PIN_NOTICE = "explorer_pin_notice"
STATE_RUN = "explorer_this_run"
SAVE_WAIT_S = 3.0
_PIN_ID = re.compile(r"[A-Za-z0-9_-]{6,32}")


_PROCESS_CALLER = f"app@{os.getpid()}"


def _store_url() -> str:
    from lib.store import store_url
    return store_url(os.environ, _secrets())


def store():
    """The snapshot store, or None when it cannot be opened (store_problem() says why)."""
    return _store_entry()[0]


def store_problem() -> str:
    """Why there is no store, in plain words ("" when there is one)."""
    return _store_entry()[1]


def reset_store() -> None:
    """Forget the opened stores (tests point EXPLORER_DB_URL elsewhere)."""
    _stop_runners()
    with _STORES_LOCK:
        for opened, _problem, _at in _STORES.values():
            if opened is not None:
                opened.close()
                _HISTORY_LOADS.pop(id(opened), None)
        _STORES.clear()
    _load_snapshot.clear()
    _fetch_cached.clear()          # its products carry ids of the stores just closed
    RECENT_FAILURES.clear()


def _store_entry() -> tuple[Any, str]:
    import time

    from lib.store import StoreError, keep_days, open_store

    url = _store_url()
    with _STORES_LOCK:
        found = _STORES.get(url)
        if found and (found[0] is not None or time.monotonic() - found[2] < STORE_RETRY_S):
            return found[0], found[1]
        try:
            opened, problem = open_store(url), ""
        except StoreError as exc:
            opened, problem = None, exc.user_message
        try:
            # Team deployment settings (shared pacing, demo gateway): before any fetch.
            deployment.configure_process(opened, url, caller=_PROCESS_CALLER)
        except deployment.SettingError as exc:
            if opened is not None:
                opened.close()
            opened, problem = None, str(exc)
        _STORES[url] = (opened, problem, time.monotonic())
    if opened is not None:
        _after_open(opened, keep_days(os.environ, _secrets()))
    return opened, problem


def _after_open(opened, days: float | None) -> None:
    """On the writer thread, before any snapshot: prune to the retention setting, then
    load the bundled demo history once (demo mode only).

    Opened during a page run (the first visitor of a fresh server), the demo history
    starts only once that page is drawn (after_page), HISTORY_START_DELAY_S later: its
    seconds of CPU would otherwise share the process with that first page and with the
    browser's download of the chart code (issue 15), and that visitor's own snapshot
    would wait behind it. history_loading() says "loading" from the start all the same."""
    if days:
        opened.submit_task(lambda: opened.prune(days))
    wanted = os.environ.get("EXPLORER_DEMO_HISTORY", "1").strip().lower() not in {"0", "no",
                                                                                "false"}
    if wanted and any(is_demo(key) for key in PLATFORMS):
        loaded = threading.Event()
        _HISTORY_LOADS[id(opened)] = loaded
        started = threading.Lock()

        def start(delay_s: float = 0.0) -> None:
            if not started.acquire(blocking=False):
                return                                  # already started
            if _HISTORY_LOADS.get(id(opened)) is not loaded:
                loaded.set()                            # this store was closed meanwhile
                return

            def load() -> None:
                try:
                    if delay_s:
                        time.sleep(delay_s)
                    _load_demo_history(opened)
                finally:
                    loaded.set()
            opened.submit_task(load)      # queued now: Store.wait_idle() waits for it

        if _in_script_run():
            with _DEFERRED_LOCK:
                _DEFERRED_STARTS.append(start)
            # However the page ends, the history never waits longer than this.
            _timer(HISTORY_START_LATEST_S, start)
        else:
            start()
    job_runner()          # jobs a previous server process left unfinished go on now


# Per store: set once its demo history is in (a new store loads it in the background).
_HISTORY_LOADS: dict[int, Any] = {}
HISTORY_LOAD_WAIT_S = 1.0
# A demo history deferred by a page run starts this long after that page is drawn (in a
# browser), and at the latest this long after the store was opened.
HISTORY_START_DELAY_S = 1.5
HISTORY_START_LATEST_S = 20.0
_DEFERRED_STARTS: list = []
_DEFERRED_LOCK = threading.Lock()


def _in_script_run() -> bool:
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    except ImportError:
        return False
    return get_script_run_ctx(suppress_warning=True) is not None


def _timer(delay_s: float, action) -> None:
    timer = threading.Timer(delay_s, action)
    timer.daemon = True
    timer.start()


def _start_deferred_work() -> None:
    """After a page is drawn: queue the demo history loads its run deferred; they begin
    HISTORY_START_DELAY_S later when a browser is still fetching the page's code (a
    visit with request headers), at once otherwise (AppTest)."""
    with _DEFERRED_LOCK:
        starts = _DEFERRED_STARTS[:]
        _DEFERRED_STARTS.clear()
    if not starts:
        return
    try:
        browser = bool(st.context.headers.get("User-Agent"))
    except Exception:
        browser = False
    for start in starts:
        start(HISTORY_START_DELAY_S if browser else 0.0)


_FROZEN = threading.Event()


def _freeze_long_lived() -> None:
    """Once per process, after its first page: move every object alive now (the modules
    and caches the first run imported) out of the garbage collector's way. Streamlit
    runs a full collection after every script run (runner.postScriptGC), and the first
    run's imports trigger several more; over the whole heap of pandas, Altair,
    SQLAlchemy ... each held the process 0.1-0.6 s, before the chart and right when the
    browser fetches the chart's code. Frozen, a collection scans only what later runs
    create (and still frees their cycles). No collection first: it would cost the same
    0.1-0.6 s at that moment, for the little garbage of one run."""
    if _FROZEN.is_set():
        return
    _FROZEN.set()
    gc.freeze()


def history_loading(opened) -> bool:
    """True while the demo history is still being loaded into `opened` (first start):
    until then "first time seen" would be false."""
    loaded = _HISTORY_LOADS.get(id(opened))
    return loaded is not None and not loaded.wait(HISTORY_LOAD_WAIT_S)


def _load_demo_history(opened) -> None:
    from datetime import datetime

    try:
        from lib.store.demo_history import DEMO_HISTORY_VERSION, demo_history_products
    except ImportError:
        return
    now = datetime.now(timezone.utc)
    opened.load_once("demo_history", str(DEMO_HISTORY_VERSION),
                     lambda: demo_history_products(now), source="demo-history")
    try:                               # the demo list, with refreshes from that history
        from lib import watchlists
        from lib.jobs import JobBoard
    except ImportError:
        return
    ensure = getattr(watchlists, "ensure_demo_list", None)
    if ensure is not None:
        ensure(opened, JobBoard(opened), now)


def record_snapshot(product: Product) -> None:
    """Queue the snapshot of a fresh fetch (off this thread); its id goes on the product.
    Without a store the product is shown all the same (after_page says it was not saved)."""
    opened = store()
    if opened is not None and not product.pinned:
        product.snapshot_id = opened.submit(product)


def record_snapshots(results: list) -> None:
    """The same for a batch: every product among the results."""
    for result in results:
        if isinstance(result, Product):
            record_snapshot(result)


def _this_run() -> dict:
    """What this script run hands to after_page (placeholders, the product drawn);
    after_page empties it at the end of every run, however the run ends."""
    return st.session_state.setdefault(STATE_RUN, {})


def snapshot_slot() -> None:
    """Where the page says whether this product was saved to the history."""
    _this_run()["status_slot"] = st.empty()


@st.cache_data(max_entries=64, show_spinner=False)
def _load_snapshot(snapshot_id: str, url: str) -> Product | None:
    """A stored snapshot (immutable: cached without a time limit)."""
    opened = store()
    return None if opened is None else opened.load(snapshot_id)


def pinned_id() -> str:
    """The snapshot the URL (or, after a page switch, this session) pins, or ""."""
    wanted = st.query_params.get(PIN_PARAM)
    if wanted is None:
        wanted = st.session_state.get(STATE_PINNED, "")
        if wanted:
            st.query_params[PIN_PARAM] = wanted        # page switches drop the URL
    return wanted if _PIN_ID.fullmatch(wanted or "") else ("!" if wanted else "")


def unpin() -> None:
    st.session_state.pop(STATE_PINNED, None)
    if PIN_PARAM in st.query_params:
        del st.query_params[PIN_PARAM]


def pinned_product(query: ProductQuery) -> Product | None:
    """The stored product a pinned link asks for, labelled "as of", with a button to the
    live product; None (the live product is shown) when nothing is pinned, or after
    saying why the pinned snapshot cannot be shown (said on every run until another
    product is picked: a rerun must not make the reason disappear)."""
    wanted = pinned_id()
    if not wanted:
        notice = st.session_state.get(STATE_PIN_NOTICE)
        if notice and notice[0] == query.key:
            st.warning(notice[1], icon=":material/push_pin:")
        else:
            st.session_state.pop(STATE_PIN_NOTICE, None)
        return None

    def cannot(message: str) -> None:
        unpin()
        st.session_state[STATE_PIN_NOTICE] = (query.key, message)
        st.warning(message, icon=":material/push_pin:")

    if wanted == "!":
        cannot("This link is pinned to a snapshot, but its snapshot id cannot be read: "
               "showing the live product.")
        return None
    opened = store()
    if opened is None:
        cannot(literal(f"This link is pinned to a snapshot, but the history database is "
                       f"unavailable ({store_problem()}): showing the live product."))
        return None
    opened.wait(wanted, SAVE_WAIT_S)              # a snapshot this process is still writing
    product = _load_snapshot(wanted, opened.url_text)
    if product is None:
        _load_snapshot.clear()                    # maybe written since: look again next time
        cannot("This link is pinned to a snapshot this app's history does not have (it "
               "was deleted by the retention setting, or the link comes from another "
               "installation): showing the live product.")
        return None
    same = product.query is not None and product.query.to_params() | {"sku_id": ""} == \
        query.to_params() | {"sku_id": ""}
    if not same:                                  # another product was picked since
        unpin()
        return None
    st.session_state[STATE_PINNED] = wanted
    st.session_state.pop(STATE_PIN_NOTICE, None)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.info(f"**Pinned view, as of {fmt.fetched(product.fetched_at)}**: what was seen "
                "then, not what the marketplace says now.", icon=":material/push_pin:",
                width="stretch")
        if st.button("Load the live product", icon=":material/sync:", key="unpin"):
            unpin()
            st.rerun()
    return product


def after_page(ending: BaseException | None = None) -> None:
    """Called by app.py after every page is drawn: say whether the product on screen was
    saved to the history (the write ran meanwhile, off the script thread) and offer the
    pinned link in the share box. `ending`: the exception ending the run, if any; a
    rerun or an error leaves the placeholders alone."""
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    _start_deferred_work()
    run = st.session_state.pop(STATE_RUN, None) or {}
    product = run.get("product")
    if product is None or (ending is not None and not isinstance(ending, StopException)):
        _freeze_long_lived()
        return
    try:
        _after_page(run, product)
    finally:
        _freeze_long_lived()


def _after_page(run: dict, product: Product) -> None:
    status, pin = run.get("status_slot"), run.get("pin_slot")
    opened = store()
    if product.pinned:
        outcome: Any = "saved"
    elif opened is None:
        outcome = None
    elif not product.snapshot_id:
        outcome = "unsaved"
    else:
        outcome = opened.wait(product.snapshot_id, SAVE_WAIT_S)
    if outcome == "saved":
        if status is not None and not product.pinned:
            status.caption(":material/history: Saved to the history: see the History page "
                           "for this product's earlier snapshots.")
        if pin is not None:
            with pin.container():
                st.caption(f"**Pinned**: opens exactly what is on screen now, as of "
                           f"{fmt.fetched(product.fetched_at)}, even after the prices change:")
                st.code(share_link(product.query, product.snapshot_id), language=None,
                        wrap_lines=True)
        return
    if outcome == "pending":                      # slow disk, or the demo history loading
        if status is not None:
            status.caption(":material/hourglass_top: Saving this fetch to the history …")
        if pin is not None:
            pin.caption("The pinned link appears here once this fetch is saved (on the "
                        "next click).")
        return
    if opened is None:
        reason = store_problem()
    elif outcome == "unsaved":
        reason = "it was fetched before the history database was available"
    elif outcome == "unknown":
        reason = "the history database has no record of this fetch"
    else:
        reason = getattr(outcome, "user_message", str(outcome))
    if status is not None:
        status.warning(literal(f"Not saved to the history: {reason}. The product is shown "
                               "all the same."), icon=":material/cloud_off:")
    if pin is not None:
        pin.caption(literal(f"No pinned link: this fetch is not in the history ({reason})."))


def previous_snapshot(product: Product):
    """The snapshot of the same query before this product was fetched (None when there is
    none, or no store), with the changes since: (Facts | None, list[Change])."""
    from lib.store import StoreError, diff, facts_from_product

    opened = store()
    if opened is None or product.query is None:
        return None, []
    try:
        before = opened.previous(product.query, product.fetched_at, exclude=product.snapshot_id)
    except StoreError:
        return None, []
    except Exception:          # a database gone away mid-session: no comparison, no crash
        return None, []
    if before is None:
        return None, []
    return before, diff(before, facts_from_product(product))


def what_changed(product: Product) -> None:
    """The Overview's "what changed since the previous snapshot" (or "first time seen")."""
    opened = store()
    if opened is None:
        return                  # the header already says the history is unavailable
    if history_loading(opened):
        st.caption(":material/hourglass_top: The demo history is being loaded (first start "
                   "of this store, a few seconds): what changed since the previous snapshot "
                   "shows on the next click.")
        return
    before, changes = previous_snapshot(product)
    if before is None:
        st.caption(":material/fiber_new: **First time seen**: the history has no earlier "
                   "snapshot of this product (with this ship-to, currency and language).")
        return
    when = fmt.fetched(before.fetched_at)
    demo = " (demo history)" if before.demo and not product.demo else ""
    if not changes:
        st.caption(f":material/check: No change since the previous snapshot, {when}{demo}: "
                   "prices, stock, variants, ratings and title as then.")
        return
    with st.expander(f"What changed since {when}{demo}: {len(changes)} change(s)",
                     expanded=True, icon=":material/compare_arrows:"):
        shown = changes[:30]
        st.markdown("\n".join(f"- {literal(change.text)}" for change in shown))
        if len(changes) > len(shown):
            st.caption(f"… and {len(changes) - len(shown)} more: the History page lists "
                       "every change.")


def price_change_mark(product: Product) -> str:
    """For Compare: a short plain note when a price changed since the product's previous
    snapshot ("▼ price down on 2 variants since …"), else ""."""
    before, changes = previous_snapshot(product)
    moves = [c for c in changes if c.kind in ("price_down", "price_up")]
    if before is None or not moves:
        return ""
    down = sum(c.kind == "price_down" for c in moves)
    up = len(moves) - down
    since = before.fetched_at.astimezone(timezone.utc).strftime(
        "%d %b %H:%M UTC")
    parts = ([f"▼ down on {down}"] if down else []) + ([f"▲ up on {up}"] if up else [])
    return f"Price changed since {since}: {', '.join(parts)} variant(s)"


# --- watchlists (lists page, add to list) ---
# A list is picked by index in the popover's selectbox (None = a new list), so a list
# called anything at all, even "New list", cannot be mistaken for the choice to make one.
LISTS_PAGE = "views/lists.py"
LIST_PARAM = "list"


def list_book():
    """The stored watchlists (lib.watchlists.ListBook), or None without a store."""
    from lib.watchlists import ListBook

    opened = store()
    return None if opened is None else ListBook(opened)


def add_to_list_box(query: ProductQuery) -> None:
    """The sidebar's "Add to a list", under the product on screen."""
    _list_popover(st.sidebar, [query], "sidebar-list", "Add to a list", "Add",
                  "Keep this product (with this ship-to, currency and language) in a named "
                  "list: the Lists page refreshes it and shows what changed.", "stretch")


def save_to_list(queries: list[ProductQuery], key: str, label: str = "Save as a list") -> None:
    """The same popover for many products (Compare, Batch fetch): into a new list, or
    added to an existing one."""
    _list_popover(st, list(queries), key, label, "Save",
                  "Keep these products in a named list: the Lists page refreshes them "
                  "and shows what changed.")


def _list_popover(container, queries: list[ProductQuery], key: str, label: str,
                  action: str, help_text: str, width: str = "content") -> None:
    from lib.store import StoreError
    from lib.watchlists import MAX_NAME, ListError

    notice_key = f"{key}-notice"
    signature = tuple(q.key for q in queries)
    with container.popover(label, icon=":material/playlist_add:", width=width,
                           help=help_text):
        book = list_book()
        if book is None:
            st.caption(literal(f"Lists need the history database, which is unavailable: "
                               f"{store_problem()}"))
            return
        if not queries:
            st.caption("No products to put in a list yet.")
            return
        try:
            names = book.names()
        except Exception as exc:            # a database gone away: say so, keep the page
            st.caption(literal(f"The lists cannot be read now: "
                               f"{getattr(exc, 'user_message', 'the database failed')}"))
            return
        # A typed name makes a new list; else the products go into the list picked.
        with st.form(f"{key}-form", border=False, clear_on_submit=True):
            last = st.session_state.get(f"{key}-last")      # the list used last
            choice = st.selectbox("Into the list", names, key=f"{key}-choice",
                                  index=names.index(last) if last in names else 0) \
                if names else None
            new_name = st.text_input("…or a new list named" if names else "New list's name",
                                     max_chars=MAX_NAME, key=f"{key}-name",
                                     placeholder="e.g. Backpacks to watch")
            submitted = st.form_submit_button(action, type="primary", key=f"{key}-submit")
        if submitted:
            try:
                name, message = book.put(queries, new_name=new_name, into=choice)
                st.session_state[notice_key] = (signature, "success", message, name)
                st.session_state[f"{key}-last"] = name
            except (ListError, StoreError) as exc:
                st.session_state[notice_key] = (signature, "error", exc.user_message, "")
        notice = st.session_state.get(notice_key)
        if notice and notice[0] == signature:
            _, kind, message, name = notice
            (st.success if kind == "success" else st.error)(literal(message))
            if name:
                st.page_link(LISTS_PAGE, label="Open it on the Lists page",
                             icon=":material/checklist:", query_params={LIST_PARAM: name})


def list_to_compare(**locale: str) -> None:
    """Compare opened with ?list=<name>: the list's products become the compare list. The
    parameter is then dropped: the address holds the products (p=), as after any other
    change of the list, so editing the comparison is not undone by the next run."""
    name = st.query_params.get(LIST_PARAM)
    if name is None:
        return
    del st.query_params[LIST_PARAM]
    book = list_book()
    found = book.get(name) if book is not None else None
    if found is None:
        why = (f"the history database is unavailable ({store_problem()})" if book is None
               else "it may have been deleted or renamed")
        st.warning(literal(f"There is no list called “{name}” to compare: {why}."),
                   icon=":material/checklist:")
        return
    set_compare_keys([q.key for q in found.queries])
    n = len(found.queries)
    other = {(q.country, q.currency, q.language) for q in found.queries} - \
        {(locale.get("country"), locale.get("currency"), locale.get("language"))}
    note = (" They are compared with the sidebar's ship-to, currency and language."
            if other else "")
    st.info(literal(f"The products of the list “{found.name}” ({n}).{note}"),
            icon=":material/checklist:")


# --- reports (lib/report): the views' settings remembered, the download buttons -------------
STATE_REPORT = "explorer_report_settings"
REPORT_IMAGE_TIMEOUT_S = 6.0
REPORT_IMAGE_MAX_BYTES = 8_000_000


def remember_view(scope: str, product: Product, **settings: Any) -> None:
    """What a view showed for this product (its settings), for the report: a widget's
    state is gone once another page is open, so each view records it here."""
    memory = st.session_state.setdefault(STATE_REPORT, {})
    memory.setdefault(f"{product.platform}:{product.product_id}", {})[scope] = settings


def report_settings(product: Product):
    """The report's settings: what the SKU matrix, Price tiers and Landed cost views
    last showed for this product in this session, the views' defaults for the rest."""
    from lib.report import ProductSettings

    seen = st.session_state.get(STATE_REPORT, {}).get(
        f"{product.platform}:{product.product_id}", {})
    merged: dict[str, Any] = {}
    for scope in ("sku-matrix", "price-tiers", "landed-cost"):
        merged.update(seen.get(scope, {}))
    return ProductSettings(**merged)


def report_image(url: str) -> bytes | None:
    """A picture's bytes for a report: a bundled demo file from static/, or a live
    product's picture from the marketplace (bounded in time and size); None otherwise."""
    import httpx

    source = image_source(url)
    if isinstance(source, Path):
        return source.read_bytes()
    if not isinstance(source, str) or not source.startswith(("https://", "http://")):
        return None
    try:
        # No redirects: the address was checked to be on the platform's media hosts.
        with httpx.stream("GET", source, timeout=REPORT_IMAGE_TIMEOUT_S) as answer:
            if answer.status_code != 200:
                return None
            data = b""
            for chunk in answer.iter_bytes():
                data += chunk
                if len(data) > REPORT_IMAGE_MAX_BYTES:
                    return None
            return data
    except httpx.HTTPError:
        return None


def _report_buttons(stem: str, report_html, key: str) -> None:
    """"Download report": the HTML file and the PDF (A4 or Letter), each built only
    when its button is clicked."""
    from lib.report import to_pdf
    from lib.report.pdf import PdfUnavailable, pdf_available

    def report_pdf(paper: str):
        return lambda: to_pdf(report_html(), paper)

    with st.popover("Download report", icon=":material/description:"):
        st.caption("One file that opens anywhere, offline, with the settings on screen "
                   "(metric, filters, quantity, currency and rates). The PDF is the same "
                   "report laid out for print.")
        st.download_button("HTML file", report_html, file_name=f"{stem}-report.html",
                           mime="text/html", icon=":material/html:", key=f"{key}-html",
                           on_click="ignore")
        if pdf_available():
            for paper in ("A4", "Letter"):
                st.download_button(f"PDF ({paper})", report_pdf(paper),
                                   file_name=f"{stem}-report-{paper.lower()}.pdf",
                                   mime="application/pdf", icon=":material/picture_as_pdf:",
                                   key=f"{key}-pdf-{paper}", on_click="ignore")
        else:
            st.caption(PdfUnavailable.user_message)


def product_report_buttons(product: Product) -> None:
    """The Overview's report of the product on screen."""
    from lib.export import file_stem
    from lib.report import ReportContext, product_report

    settings = report_settings(product)
    live_link = share_link(product.query) if product.query is not None else ""
    opened = store()
    snapshot_id = product.snapshot_id
    pinned_base = share_link(product.query, snapshot_id) if snapshot_id and product.query \
        else ""

    def build() -> bytes:
        # Run when the button is clicked: the snapshot has been saved by then (or not).
        saved = bool(pinned_base) and (product.pinned or (
            opened is not None and opened.wait(snapshot_id, 1.0) == "saved"))
        context = ReportContext(share_link=live_link, images=report_image,
                                pinned_link=pinned_base if saved else "")
        return product_report(product, settings, context)

    _report_buttons(file_stem(product), build, key="report-product")


def comparison_report_buttons(products: list[Product], settings, quotes_at) -> None:
    """Compare's report: the table, both charts and a section per product."""
    from lib.report import ReportContext, comparison_report

    def build() -> bytes:
        return comparison_report(products, settings, quotes_at,
                                 ReportContext(images=report_image))

    _report_buttons("comparison", build, key="report-compare")


gc.freeze()          # this module's imports: long-lived (see the top of the module)
