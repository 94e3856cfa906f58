"""Streamlit pieces shared by the pages: the product picker, loading, header, errors.

The only module in lib/ that imports Streamlit. The product being looked at lives in
the URL (st.query_params), so any page can be shared as a link; it is mirrored in
session state so that it survives page switches, which drop the query string.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import streamlit as st

from lib import format as fmt
from lib.credentials import Credentials, load_credentials
from lib.client import fetch_product
from lib.errors import FetchError, InvalidQuery
from lib.model import Product
from lib.platforms import PLATFORMS
from lib.query import ProductQuery, parse_product_ref
from lib.sandbox import DEMO_PRODUCTS, demo_title

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
    if os.environ.get("EXPLORER_DEMO", "").lower() in {"1", "true", "yes"}:
        return None
    return load_credentials(platform, PLATFORMS[platform].credential_keys, _secrets())


def is_demo(platform: str) -> bool:
    return credentials_for(platform) is None


# --- the current query ---------------------------------------------------------------
def _query_from_url() -> ProductQuery | None:
    params = st.query_params
    if not params.get("id"):
        return None
    return parse_product_ref(params.get("id", ""), params.get("platform") or None,
                             country=params.get("country", "US"),
                             currency=params.get("currency", "USD"),
                             language=params.get("language", "en"))


def set_query(query: ProductQuery) -> None:
    """Make `query` the product on screen, in the URL and in session state."""
    st.session_state[STATE_QUERY] = query
    for key, value in query.to_params().items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def current_query() -> ProductQuery | None:
    """The query in the URL; else the one kept in session state (page switches drop the
    URL's query string, so it is written back); else the first demo product."""
    try:
        query = _query_from_url()
    except InvalidQuery as exc:
        # A broken shared link: say so rather than silently showing another product.
        st.error(f"The product in this link could not be read: {exc.user_message}")
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
    from urllib.parse import urlencode

    return urlencode(query.to_params())


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
    with sidebar.form("picker", border=False):
        platform = st.selectbox("Platform", platform_keys,
                                index=platform_keys.index(current_platform),
                                format_func=lambda key: PLATFORMS[key].label)
        ref = st.text_input("Product ID or link", value=query.product_id if query else "",
                            placeholder="1005006789012345 or https://www.aliexpress.com/item/…",
                            help=PLATFORMS[current_platform].id_hint)
        country_now = query.country if query else "US"
        currency_now = query.currency if query else "USD"
        language_now = query.language if query else "en"
        col1, col2 = st.columns(2)
        country = col1.selectbox("Ship to", _options(COUNTRIES, country_now),
                                 index=_options(COUNTRIES, country_now).index(country_now),
                                 accept_new_options=True)
        currency = col2.selectbox("Currency", _options(CURRENCIES, currency_now),
                                  index=_options(CURRENCIES, currency_now).index(currency_now),
                                  accept_new_options=True)
        language = st.selectbox("Language", _options(LANGUAGES, language_now),
                                  index=_options(LANGUAGES, language_now).index(language_now),
                                  accept_new_options=True)
        submitted = st.form_submit_button("Show product", type="primary", width="stretch")
    if submitted:
        try:
            new_query = parse_product_ref(ref, platform, country=country or "US",
                                          currency=currency or "USD",
                                          language=language or "en")
        except InvalidQuery as exc:
            sidebar.error(exc.user_message)
        else:
            if new_query != query:
                set_query(new_query)
                st.rerun()
    if query is not None:
        share_box(query)
    _demo_examples(sidebar, query)
    _mode_note(sidebar, query)
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
    if container.button(demo_title(demo), key=f"demo-{demo.key}", width="stretch",
                        disabled=is_current, help=f"{PLATFORMS[demo.platform].label}, "
                                                  f"product {demo.product_id}"):
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
def _fetch_cached(query: ProductQuery, live: bool, refresh: int) -> Product:
    credentials = credentials_for(query.platform) if live else None
    if live and credentials is None:
        raise InvalidQuery("The credentials for this platform are incomplete.")
    return fetch_product(query, credentials=credentials)


def load_product(query: ProductQuery) -> Product | None:
    """The product for `query` (cached per query), or None after showing the error."""
    refresh = st.session_state.get(STATE_REFRESH, {}).get(query.key, 0)
    try:
        with st.spinner(f"Loading {query.key} …"):
            return _fetch_cached(query, not is_demo(query.platform), refresh)
    except FetchError as exc:
        error_box(exc)
        return None


def refresh_button(query: ProductQuery) -> None:
    """Fetch again on the next run instead of using the cached product."""
    if st.button("Refresh", icon=":material/refresh:", help="Fetch this product again now"):
        counters = st.session_state.setdefault(STATE_REFRESH, {})
        counters[query.key] = counters.get(query.key, 0) + 1
        st.rerun()


def current_product() -> Product:
    """For pages: draw the sidebar picker, then return the product on screen, or stop
    the page with a message. (The picker is drawn by each page, not by app.py, so the
    page owns all of its widgets; AppTest loses app.py's widgets on reruns.)"""
    query = product_picker()
    if query is None:
        st.info("Pick a platform and enter a product ID or link in the sidebar.")
        st.stop()
    product = load_product(query)
    if product is None:
        st.stop()
    return product


def error_box(error: FetchError) -> None:
    st.error(error.user_message, icon=":material/error:")
    if error.detail or error.raw:
        with st.expander("Technical detail"):
            st.code(f"{error.kind}: {error.detail}", language=None)
            if error.raw:
                st.caption("The answer as received (secrets removed, cut at 2,000 "
                           "characters):")
                st.code(str(error.raw)[:2000], language=None, wrap_lines=True)


# --- display helpers -------------------------------------------------------------------------
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
        if product.status:
            badges.append(f":blue-badge[{product.status}]")
        st.markdown(" ".join(badges))
        st.subheader(product.title or f"Product {product.product_id}", anchor=False)
        link = f"[Open on the marketplace]({product.url})" if product.url else ""
        st.caption(f"ID {product.product_id} · fetched {fmt.fetched(product.fetched_at)}"
                   + (f" · {link}" if link else ""))


def warnings_box(product: Product) -> None:
    if product.warnings:
        with st.expander(f"{len(product.warnings)} note(s) about this product's data"):
            for warning in product.warnings:
                st.markdown(f"- {warning}")



def page_intro(product: Product, title: str) -> None:
    """A compact heading for the detail pages: page title, product title, badges."""
    st.title(title, anchor=False)
    demo = " · :orange-badge[:material/science: Demo data]" if product.demo else ""
    st.caption(f"{product.title or product.product_id} · "
               f"{PLATFORMS[product.platform].label}{demo}")


def not_provided_note(product: Product, view: str) -> bool:
    """Say plainly when this platform cannot feed a view; True if something was said."""
    relevant = [line for line in product.not_provided if view.lower() in line.lower()]
    for line in relevant:
        st.info(f"{PLATFORMS[product.platform].label} does not provide this: {line}",
                icon=":material/info:")
    return bool(relevant)


def download_csv(frame, name: str, product: Product, label: str | None = None) -> None:
    from lib.export import csv_bytes, file_stem

    st.download_button(label or f"Download {name} (CSV)", csv_bytes(frame),
                       file_name=f"{file_stem(product)}-{name}.csv", mime="text/csv",
                       icon=":material/download:", key=f"csv-{name}")


def share_link(query: ProductQuery) -> str:
    """The address that reopens this product on this page, for a colleague."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(st.context.url or "")
        base = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else ""
    except Exception:
        base = ""
    return f"{base}?{share_params(query)}"


def share_box(query: ProductQuery) -> None:
    with st.sidebar.expander("Share this view", icon=":material/share:"):
        st.caption("Anyone with the app can open this product on this page:")
        st.code(share_link(query), language=None, wrap_lines=True)


def current_locale() -> dict[str, str]:
    """Country, currency and language of the product on screen (the compare list and
    the batch fetch use the same)."""
    query = st.session_state.get(STATE_QUERY)
    if query is None:
        return {"country": "US", "currency": "USD", "language": "en"}
    return {"country": query.country, "currency": query.currency, "language": query.language}


STATE_COMPARE = "explorer_compare"


def compare_keys() -> list[str]:
    """The compare list: from the URL (?p=platform:id&p=...), else session state."""
    keys = [k for k in st.query_params.get_all("p") if k]
    if not keys:
        keys = st.session_state.get(STATE_COMPARE, [])
        if keys:
            st.query_params["p"] = keys
    return keys


def set_compare_keys(keys: list[str]) -> None:
    unique = list(dict.fromkeys(keys))
    st.session_state[STATE_COMPARE] = unique
    if unique:
        st.query_params["p"] = unique
    elif "p" in st.query_params:
        del st.query_params["p"]


def load_products(queries: list[ProductQuery]) -> list[Product | FetchError]:
    """Each product from the per-query cache (fetched on first use)."""
    results: list[Product | FetchError] = []
    refresh = st.session_state.get(STATE_REFRESH, {})
    with st.spinner(f"Loading {len(queries)} product(s) …"):
        for query in queries:
            try:
                results.append(_fetch_cached(query, not is_demo(query.platform),
                                             refresh.get(query.key, 0)))
            except FetchError as exc:
                results.append(exc)
    return results
