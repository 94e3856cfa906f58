"""One exception family for everything that can go wrong between a query and a Product.

Every error carries `user_message`: plain language a non-developer understands, with
no secrets in it, saying what went wrong. `hint` says what to do about it (register the
app, check the tracking id, add the server's IP to the whitelist...). When the gateway
answered with an error of its own, `gateway_message` is its own words and `code` its
code, shown beside the plain message so a user can quote them to support. `detail`
holds the technical cause (codes and messages together) for the Raw data page and
logs; it is scrubbed of secrets by whoever raises it.

    FetchError
    ├── InvalidQuery            the request cannot be made, or the gateway refused a value
    ├── ProductNotFound
    ├── NotAvailableInCountry
    ├── AuthError               credentials, token, permission, registration, IP whitelist
    ├── RateLimited             (retryable)
    ├── UpstreamError           the gateway's own failure (retryable when transient)
    ├── BadResponse             an answer that cannot be read at all
    └── NetworkError            (retryable)
"""
from __future__ import annotations


class FetchError(Exception):
    default_message = "Something went wrong while loading the product."
    # Whether trying again later may succeed (timeouts, rate limits, 5xx, truncation).
    default_retryable = False
    # What to do, when the message alone does not say it.
    default_hint = ""

    def __init__(self, user_message: str | None = None, *, detail: str = "",
                 code: str | None = None, raw: str | None = None,
                 retry_after: float | None = None, retryable: bool | None = None,
                 hint: str | None = None, gateway_message: str = "") -> None:
        self.user_message = user_message or self.default_message
        self.hint = self.default_hint if hint is None else hint
        self.gateway_message = gateway_message
        self.retryable = self.default_retryable if retryable is None else retryable
        self.detail = detail
        self.code = code
        self.raw = raw
        self.retry_after = retry_after
        self.attempts = 0          # how many times the client sent the call (0: not sent)
        super().__init__(self.user_message if not detail else f"{self.user_message} ({detail})")

    @property
    def kind(self) -> str:
        return type(self).__name__


class InvalidQuery(FetchError):
    default_message = "That does not look like a product ID or product link."


class ProductNotFound(FetchError):
    default_message = ("No product with this ID was found. It may have been removed by "
                       "the seller, or the ID may be mistyped.")


class NotAvailableInCountry(FetchError):
    default_message = ("This product cannot be sold to the selected ship-to country. "
                       "Try another country.")


class AuthError(FetchError):
    default_message = ("The marketplace refused the credentials: the access token may have "
                       "expired or the app key/secret may be wrong.")


class RateLimited(FetchError):
    default_retryable = True
    default_message = ("The marketplace is limiting how often we may ask. Please wait a "
                       "moment and try again.")


class UpstreamError(FetchError):
    default_message = "The marketplace answered with an error. Please try again later."


class BadResponse(FetchError):
    default_message = ("The marketplace sent an answer we could not read. Please try again; "
                       "if it keeps happening, the API may have changed.")


class NetworkError(FetchError):
    default_retryable = True
    default_message = ("Could not reach the marketplace: check the internet connection and "
                       "try again.")
