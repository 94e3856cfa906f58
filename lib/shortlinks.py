"""Short links from the marketplace apps' share buttons, followed to the product they name.

`s.click.aliexpress.com/e/_…`, `a.aliexpress.com/_…`, `ali.click/…` and Alibaba.com's
`alibaba.com/x/…` carry no product id: only the marketplace's redirect says which product
they open. This module follows that redirect, carefully, because the link is text a
stranger may have sent:

- only to the marketplace's own hosts (MARKETPLACE_HOSTS), on the standard ports, over
  http(s); a redirect anywhere else is refused before it is requested;
- at most MAX_HOPS requests and MAX_SECONDS in all per link;
- nothing but a bare GET: no cookies (none kept, none sent), no credentials, no referrer,
  no proxy or netrc settings from the environment; bodies are never read;
- it stops at the first address that reads as a product link (also one carried inside a
  redirect parameter, like star.aliexpress.com/share/share.htm?redirectUrl=…), so the
  product page itself is not even requested.

Like lib/client.py it takes an httpx transport: the real network by default, the sandbox's
short-link service in demo mode (lib/sandbox/shortlinks.py), httpx.MockTransport in tests.
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl

import httpx

from lib.aio import run_sync
from lib.errors import InvalidQuery
from lib.query import ProductQuery, clean_input, looks_like_url, parse_product_ref

MAX_HOPS = 5                 # requests per short link
MAX_SECONDS = 5.0            # per short link, all hops together
MAX_SHORT_LINKS = 50         # per pasted list (Compare / Batch); the rest are refused
CONCURRENCY = 8              # short links of one list resolved at the same time

# Hosts (and their subdomains) that only shorten links: a link on them is followed.
SHORT_LINK_HOSTS = ("s.click.aliexpress.com", "click.aliexpress.com", "a.aliexpress.com",
                    "a.aliexpress.ru", "s.click.aliexpress.ru", "ali.click")
# Paths that are short links on a marketplace's main host (Alibaba.com's share button).
SHORT_LINK_PATHS = {"alibaba.com": ("/x/",)}
# Where a redirect may lead. Anything else is someone else's site and is never requested.
MARKETPLACE_HOSTS = ("aliexpress.com", "aliexpress.us", "aliexpress.ru", "ali.click",
                     "alibaba.com")
# Query parameters through which share pages pass the product link on.
_CARRIER_PARAMS = ("redirectUrl", "redirect_url", "redirect", "dl_target_url", "url",
                   "targetUrl", "target_url", "link")
_REDIRECTS = {301, 302, 303, 307, 308}
_HEADERS = {"User-Agent": "product-explorer short-link reader",
            "Accept": "text/html,*/*;q=0.5"}

# Which transport resolves short links when a caller passes none: a zero-argument
# callable, or None for the real network. lib/ui.py points it at the sandbox's service
# in demo mode (the mode is the app's, decided from its credentials).
DEFAULT_TRANSPORT_FACTORY: Callable[[], Any] | None = None

_OPEN_IT = ("Open the link in your browser and paste the product link from the address "
            "bar instead.")


def _on(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _as_url(text: str) -> httpx.URL | None:
    """A pasted link as an absolute URL, or None when it is not an http(s) link."""
    if text.lower().startswith("//"):
        text = "https:" + text
    elif "://" not in text:
        text = "https://" + text
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        return None
    return url if url.scheme in {"http", "https"} and url.host else None


def _is_short(url: httpx.URL) -> bool:
    host = url.host.lower().rstrip(".")
    if _on(host, SHORT_LINK_HOSTS):
        return url.path.strip("/") != ""
    return any(_on(host, (domain,)) and url.path.startswith(paths)
               for domain, paths in SHORT_LINK_PATHS.items())


def short_link(text: Any) -> str | None:
    """The short link in `text` (cleaned, with a scheme), or None if it is not one."""
    try:
        cleaned = clean_input(text)
    except InvalidQuery:
        return None
    if not looks_like_url(cleaned) or "\\" in cleaned:
        return None
    url = _as_url(cleaned.rstrip(".,;:!?"))
    return str(url) if url is not None and _is_short(url) else None


def is_short_link(text: Any) -> bool:
    return short_link(text) is not None


def _allowed(url: httpx.URL) -> bool:
    """A marketplace address on a standard port: the only kind of address requested."""
    return (url.scheme in {"http", "https"} and url.port in {None, 80, 443}
            and not url.userinfo and _on(url.host.lower().rstrip("."), MARKETPLACE_HOSTS))


def _product_in(url: httpx.URL, platform: str | None, defaults: dict) -> ProductQuery | None:
    """The product an address names: itself, or a link carried in one of its parameters."""
    candidates = [str(url)]
    for name, value in parse_qsl(url.query.decode("ascii", "replace")):
        if name in _CARRIER_PARAMS and value.lower().startswith(("http://", "https://")):
            carried = _as_url(value)
            if carried is not None and _allowed(carried):
                candidates.append(str(carried))
    for candidate in candidates:
        if _is_short(httpx.URL(candidate)):
            continue
        try:
            return parse_product_ref(candidate, platform, **dict(defaults))
        except InvalidQuery:
            continue
    return None


def _refused(message: str, detail: str) -> InvalidQuery:
    return InvalidQuery(message, detail=detail)


def _site(url: httpx.URL) -> str:
    host = url.host.lower()
    return f"another site ({host})" if len(host) <= 60 and host.replace(".", "").replace(
        "-", "").isalnum() else "another site"


async def _follow(link: str, platform: str | None, defaults: dict,
                  http: httpx.AsyncClient, max_hops: int) -> ProductQuery:
    url = httpx.URL(link)
    seen = {str(url)}
    for hop in range(max_hops):
        request = httpx.Request("GET", url, headers=_HEADERS)
        try:
            response = await http.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException:
            raise _refused("The short-link service took too long to answer. Try again in "
                           "a moment. " + _OPEN_IT, f"timeout at hop {hop + 1}") from None
        except httpx.HTTPError as exc:
            raise _refused("The short link could not be opened: the link service did not "
                           "answer. Check the connection and try again. " + _OPEN_IT,
                           f"{type(exc).__name__} at hop {hop + 1}") from None
        await response.aclose()                   # the body is never needed
        status = response.status_code
        if status in _REDIRECTS:
            location = response.headers.get("location", "").strip()
            if not location:
                raise _refused("The short link did not say where it leads. " + _OPEN_IT,
                               f"HTTP {status} without Location")
            try:
                url = url.join(location)
            except (httpx.InvalidURL, ValueError):
                raise _refused("The short link leads to a malformed address. " + _OPEN_IT,
                               f"bad Location at hop {hop + 1}") from None
            if not _allowed(url):
                raise _refused(f"This short link leads away from the marketplace, to "
                               f"{_site(url)}, so it was not followed. Only links that "
                               "stay on AliExpress or Alibaba.com are opened.",
                               f"redirect to {url.scheme}://{url.host} refused")
            found = _product_in(url, platform, defaults)
            if found is not None:
                return found
            if str(url) in seen:
                raise _refused("This short link goes round in circles and never reaches "
                               "a product. " + _OPEN_IT, f"redirect loop at hop {hop + 1}")
            seen.add(str(url))
            continue
        if status in {404, 410}:
            raise _refused("This short link does not exist or has expired. Ask for a new "
                           "link, or paste the product link from the product page.",
                           f"HTTP {status}")
        if status >= 400:
            raise _refused("The short-link service could not open this link right now. "
                           "Try again later. " + _OPEN_IT, f"HTTP {status}")
        found = _product_in(url, platform, defaults)
        if found is not None:
            return found
        raise _refused("This short link opens a marketplace page that is not a product "
                       "(a store, a search or a promotion page). Paste a link to a "
                       "product page, or the product's ID.", f"landed on {url.host}{url.path}")
    raise _refused("This short link passes through too many addresses before reaching a "
                   "product, so it was not followed to the end. " + _OPEN_IT,
                   f"more than {max_hops} hops")


async def _resolve_all(links: list[str], platform: str | None, defaults: dict,
                       transport: Any, max_hops: int, max_seconds: float,
                       concurrency: int) -> list[ProductQuery | InvalidQuery]:
    gate = asyncio.Semaphore(max(1, concurrency))
    # trust_env=False: no proxy, netrc or certificate settings from the environment.
    async with httpx.AsyncClient(transport=transport, trust_env=False,
                                 timeout=httpx.Timeout(max_seconds)) as http:

        async def one(link: str) -> ProductQuery | InvalidQuery:
            async with gate:
                try:
                    async with asyncio.timeout(max_seconds):
                        return await _follow(link, platform, defaults, http, max_hops)
                except TimeoutError:
                    return _refused("The short-link service took too long to answer. Try "
                                    "again in a moment. " + _OPEN_IT,
                                    f"over {max_seconds:g} s in all")
                except InvalidQuery as exc:
                    return exc
                finally:
                    http.cookies.clear()          # nothing learnt is ever sent back

        return list(await asyncio.gather(*(one(link) for link in links)))


def default_transport() -> Any:
    """The transport used when a caller passes none (None = the real network)."""
    return DEFAULT_TRANSPORT_FACTORY() if DEFAULT_TRANSPORT_FACTORY is not None else None


def resolve_many(links: Iterable[str], platform: str | None = None, *, transport: Any = None,
                 max_hops: int = MAX_HOPS, max_seconds: float = MAX_SECONDS,
                 concurrency: int = CONCURRENCY, **defaults: Any
                 ) -> list[ProductQuery | InvalidQuery]:
    """Short links -> the product each opens, or the InvalidQuery saying why not; in input
    order, CONCURRENCY at a time, each within max_hops requests and max_seconds."""
    wanted = list(links)
    if not wanted:
        return []
    normalised = [short_link(link) for link in wanted]
    transport = transport if transport is not None else default_transport()
    todo = [link for link in normalised if link is not None]
    done = iter(run_sync(_resolve_all(todo, platform, defaults, transport, max_hops,
                                  max_seconds, concurrency)) if todo else [])
    return [next(done) if link is not None else
            InvalidQuery("That is not a short link.") for link in normalised]


def resolve_short_link(text: str, platform: str | None = None, *, transport: Any = None,
                       **options: Any) -> ProductQuery:
    """One short link -> the ProductQuery of the product it opens (raises InvalidQuery)."""
    (result,) = resolve_many([text], platform, transport=transport, **options)
    if isinstance(result, InvalidQuery):
        raise result
    return result


def resolve_product_ref(text: Any, platform: str | None = None, *, transport: Any = None,
                        **defaults: Any) -> ProductQuery:
    """parse_product_ref that also opens short links (the network is used only for them)."""
    if is_short_link(text):
        return resolve_short_link(text, platform, transport=transport, **defaults)
    return parse_product_ref(text, platform, **defaults)
