"""What every platform module provides; the client and the query parser use only this."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import httpx
import pandas as pd

from lib.errors import FetchError, InvalidQuery
from lib.model import Product
from lib.platforms.envelopes import find_error


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: float = 0.0      # epoch seconds
    refresh_token: str = ""
    # A gateway that states a lifetime ("expire_time": 7200) rather than a moment: the
    # platform sets this (parse_token has no clock) and the client turns it into
    # expires_at with its own clock, taken when the token was requested.
    expires_in: float | None = None


class Platform:
    key: str = ""
    label: str = ""
    link_hosts: tuple[str, ...] = ()     # hosts whose product links this platform reads
    # Hosts (and their subdomains) a parsed Product may link to or load media from;
    # any other address in a payload is left out (lib/platforms/urls.py).
    web_hosts: tuple[str, ...] = ()
    media_hosts: tuple[str, ...] = ()
    id_hint: str = ""
    api_methods: tuple[str, ...] = ()    # gateway method names this platform calls                    # what a valid id looks like, for messages
    # Client-side rate limit: calls per second this platform tolerates (seeds' limits).
    qps: float = 5.0
    # The gateway answers in the currency asked for (DS and affiliate `target_currency`);
    # the others answer in the seller's or the mall's own currency whatever is asked.
    converts_currency: bool = False
    credential_keys: tuple[str, ...] = ("app_key", "app_secret", "access_token")
    # Fake credentials the demo sandbox accepts for this platform ({} = no demo).
    demo_credentials: dict[str, str] = {}
    # Platforms that sign with a short-lived token obtained from the gateway first
    # (Tuya): the client calls token_request / parse_token and caches the token.
    token_flow: bool = False
    token_error_codes: frozenset[str] = frozenset()   # codes meaning "get a new token"
    # Views this platform cannot feed, shown instead of an empty page.
    not_provided: tuple[str, ...] = ()
    # The platform has a shipping-options call (build_freight_request / parse_freight);
    # for the others the user gives the freight on the Landed cost page.
    quotes_shipping: bool = False

    def validate_id(self, text: str) -> str:
        raise NotImplementedError

    def id_from_url(self, host: str, path: str, query: Mapping[str, str]
                    ) -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    def build_request(self, query: Any, credentials: Mapping[str, str], *,
                      timestamp_ms: int) -> httpx.Request:
        raise NotImplementedError

    def parse(self, data: Any, query: Any = None) -> Product:
        """Decoded JSON -> Product; raises a FetchError subclass for error envelopes."""
        raise NotImplementedError

    def build_freight_request(self, freight: Any, credentials: Mapping[str, str], *,
                              timestamp_ms: int) -> httpx.Request:
        """The signed shipping-options call for a lib.query.FreightQuery."""
        raise InvalidQuery(f"{self.label} has no shipping-options call in this app: enter "
                           "your own freight figure on the Landed cost page.")

    def parse_freight(self, data: Any) -> "pd.DataFrame":
        """Decoded shipping-options answer -> DataFrame of lib.model.FREIGHT_COLUMNS;
        raises a FetchError subclass for error answers."""
        raise InvalidQuery(f"{self.label} has no shipping-options call in this app.")

    def error_in(self, data: Any) -> FetchError | None:
        """The error a decoded answer states (any platform's envelope shapes, this
        platform's codes), or None; the client reads HTTP error answers with it."""
        return find_error(data)

    def apply_settings(self, product: Product, credentials: Mapping[str, str]) -> Product:
        """What the settings say about an answer the API leaves out (the Tuya mall's
        currency); called by the client after parse. Default: nothing."""
        return product

    # The demo gateway (lib/sandbox) asks the platform how to read its own wire format.
    def sandbox_product_id(self, params: Mapping[str, str]) -> str:
        """The product id a request asks for, from its sent parameters."""
        raise NotImplementedError

    def sandbox_not_found(self, request_id: str, product_id: str,
                          params: Mapping[str, str] | None = None) -> dict:
        """The body the real gateway sends for an unknown product (`params`: the call's
        sent parameters, for a platform whose methods answer in different wrappers)."""
        raise NotImplementedError

    def sandbox_answer(self, fixture: dict, params: Mapping[str, str]) -> dict:
        """The fixture as the gateway would send it for these parameters."""
        return fixture

    def token_request(self, credentials: Mapping[str, str], *, timestamp_ms: int,
                      refresh_token: str = "") -> httpx.Request:
        raise NotImplementedError

    def parse_token(self, data: Any) -> "Token":
        """Decoded token answer -> Token; raises a FetchError for error envelopes."""
        raise NotImplementedError

    def owns_host(self, host: str) -> bool:
        return any(host == h or host.endswith("." + h) for h in self.link_hosts)
