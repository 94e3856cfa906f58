"""Recognising gateway error answers: one rule for every platform.

An answer that carries an error code and a message is an error, wherever the gateway
put it, and becomes the FetchError its code names, with the gateway's own words
(`gateway_message`) and what to do (`hint`). BadResponse is left for answers that truly
cannot be read. The shapes seen in real captures and the documents:

- new IOP gateway: {"error_response": {"type", "code": "ApiCallLimit", "msg", ...}}
- legacy TOP router: {"error_response": {"code": 11, "msg", "sub_code", "sub_msg"}}
- business codes inside a normal wrapper, under any `*_response` key or none:
  {"aliexpress_ds_product_get_response": {"rsp_code": 401, "rsp_msg": "This publisher
  is not registered"}}, {"…_response": {"resp_result": {"resp_code": 402, "resp_msg":
  "TrackingId input parameter error"}}}, {"…_response": {"result": {"success": false,
  "code": 501, "msg": …}}}, legacy {"result": {"is_success": false, "error_code", …}}
- Tuya: {"success": false, "code": 1010, "msg": "token invalid", "t", "tid"}

Codes may be strings or numbers; messages sit under msg, rsp_msg, resp_msg, sub_msg,
error_message... An explicit success flag that is true wins (the legacy API sends an
error_code beside is_success true: the parser warns about it instead).

What a code means is a table of Rules, checked in order (the specific before the
general); a platform with codes of its own (Tuya) puts its rules in front of these.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from lib.coerce import to_bool, to_text
from lib.errors import (AuthError, BadResponse, FetchError, InvalidQuery,
                        NotAvailableInCountry, ProductNotFound, RateLimited, UpstreamError)

_BAN_SECONDS = re.compile(r"ban will last (?:for )?(\d+(?:\.\d+)?)", re.IGNORECASE)

# Where gateways put the parts of an error answer (first present wins).
_CODE_KEYS = ("rsp_code", "resp_code", "error_code", "err_code", "code", "msg_code")
_MESSAGE_KEYS = ("rsp_msg", "resp_msg", "msg", "error_message", "error_msg", "err_msg",
                 "message", "msg_info")
_FLAG_KEYS = ("success", "is_success", "biz_success")
# Keys an error answer carries besides its code and message (nothing else in the node:
# a bare code is an error too).
_META_KEYS = {"request_id", "_trace_id_", "type", "t", "tid", "sub_code", "sub_msg",
              *_CODE_KEYS, *_MESSAGE_KEYS, *_FLAG_KEYS}
_SUCCESS_CODES = {"", "0", "200", "success", "ok", "true", "null", "none"}


@dataclass(frozen=True)
class Rule:
    """What one kind of gateway error means, and what the user can do about it.

    Matches when the answer's code or sub-code is in `codes`, or when one of `words`
    appears in its message or codes (lower-case), if `with_codes` is empty or one of
    them is present too. `prefix`: a word counts only inside a code with this prefix.
    A RateLimited rule's texts may say {wait}; the wait comes from the message."""
    kind: type[FetchError]
    message: str
    hint: str
    codes: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()
    with_codes: frozenset[str] = frozenset()
    prefix: str = ""
    retryable: bool | None = None

    def matches(self, codes: set[str], text: str) -> bool:
        if self.codes & codes:
            return True
        if not self.words or (self.with_codes and not self.with_codes & codes):
            return False
        if self.prefix:
            return any(c.startswith(self.prefix) and any(w in c for w in self.words)
                       for c in codes)
        return any(word in text for word in self.words)


def _codes(*names: str) -> frozenset[str]:
    return frozenset(name.lower() for name in names)


CONSOLE = "the developer console (AliExpress Open Platform, or Alibaba.com's for ICBU apps)"

# The IOP / TOP gateways and the AliExpress and Alibaba.com business codes (seeds 000-003,
# the captures in real-responses/errors, the TOP router's published code table).
COMMON_RULES: tuple[Rule, ...] = (
    Rule(AuthError,
         "The marketplace refused the call because it came from an IP address that is not "
         "on this app's IP whitelist.",
         f"Add this server's IP address to the app's IP whitelist in {CONSOLE}, or turn "
         "the whitelist off, then try again.",
         codes=_codes("isv.permission-ip-whitelist-limit", "IpWhiteListLimit"),
         words=("whitelist", "white list", "ip-white", "ip white")),
    Rule(AuthError,
         "The marketplace says this app is not registered (or not yet approved) for this "
         "API.",
         "Register or approve the app for this API's programme in the developer console "
         "(AliExpress Open Platform for dropshipping apps, AliExpress Portals for "
         "affiliate apps) and wait for the approval; then create a new access token and "
         "try again.",
         words=("not registered", "publisher is not", "unregistered")),
    Rule(AuthError,
         "The marketplace did not accept the tracking ID.",
         "Check the tracking ID setting: it must be one of the tracking IDs of your "
         "AliExpress Portals account, typed exactly.",
         words=("trackingid", "tracking id", "tracking_id")),
    Rule(RateLimited,
         "The marketplace is limiting how often we may ask. Please wait {wait} and try "
         "again.",
         "Wait {wait} before the next try; if it happens often, fetch fewer products at "
         "a time.",
         codes=_codes("ApiCallLimit", "7", "AppCallLimit", "FrequencyLimit", "429",
                      "accesscontrol.limited-by-api-access-count",
                      "accesscontrol.limited-by-app-access-count"),
         words=("frequency", "too many requests", "ban will last")),
    Rule(AuthError,
         "The marketplace rejected the request signature: the app secret is probably "
         "wrong.",
         "Copy the app secret again from the app's page in the developer console into the "
         "settings (and check the sign method, if one is set).",
         codes=_codes("IncompleteSignature", "InvalidSignature", "24", "25",
                      "isv.invalid-signature", "isv.missing-signature")),
    Rule(AuthError,
         "No access token was sent with the request.",
         "Add the access token to the settings (you get one by authorising the app in the "
         "developer console).",
         codes=_codes("26", "MissingAccessToken", "isv.missing-session"),
         words=("access_token", "access token", "session"),
         with_codes=_codes("MissingParameter", "40", "isv.missing-parameter")),
    Rule(AuthError,
         "The access token is invalid or has expired.",
         "Authorise the app again to create a new access token, and put it in the "
         "settings.",
         codes=_codes("IllegalAccessToken", "InvalidSession", "SessionExpired", "27", "44",
                      "InvalidAccessToken", "AccessTokenExpired", "isv.invalid-session",
                      "invalid-sessionkey", "isv.session-expired")),
    Rule(AuthError,
         "The marketplace does not recognise the app key.",
         "Check the app key in the settings against the app's page in the developer "
         "console.",
         codes=_codes("InvalidAppKey", "AppKeyNotExist", "InvalidApiKey", "28", "29",
                      "isv.appkey-not-exists")),
    Rule(AuthError,
         "This app is not allowed to use this marketplace API: it has not been given the "
         "permission.",
         "Ask for this API's permission (its API package) for the app in the developer "
         "console; once it is granted, try again.",
         codes=_codes("11", "12", "InsufficientPermission", "AppCallLimitedByPermission",
                      "InsufficientIsvPermissions", "InsufficientUserPermissions",
                      "isv.permission-api-package-limit",
                      "isv.permission-api-package-not-allowed")),
    Rule(AuthError,
         "The marketplace refused the credentials: the access token may have expired or "
         "the app key/secret may be wrong.",
         "Check the app key, app secret and access token in the settings; if they are "
         "right, check in the developer console that the app is registered and approved "
         "for this API.",
         codes=_codes("401", "403")),
    Rule(UpstreamError,
         "The marketplace does not offer this API to this app.",
         "Check in the developer console that the app has this API (the API's package may "
         "be missing).",
         codes=_codes("21", "22", "InvalidMethod", "InvalidApiPath"),
         words=("api does not exist", "api not exist", "invalid method")),
    Rule(UpstreamError,
         "The marketplace rejected the request time: this computer's clock may be wrong.",
         "Set this computer's clock to the right time (automatic time), then try again.",
         codes=_codes("InvalidTimestamp", "IllegalTimestamp", "TimestampExpired", "1013",
                      "31")),
    Rule(NotAvailableInCountry,
         NotAvailableInCountry.default_message,
         "Choose another ship-to country in the sidebar; for this one, look for a similar "
         "product.",
         codes=_codes("602"),
         words=("not allowed to this country",)),
    Rule(ProductNotFound,
         ProductNotFound.default_message,
         "Check the product ID or paste the product's link again; if the seller removed "
         "it, look for a similar product.",
         codes=_codes("605", "405", "ITEM_ID_NOT_FOUND", "isp.product.not.exist",
                      "isv.product-not-exist", "isp.item-not-found"),
         words=("not_found", "not found", "not exist", "result is empty", "no product",
                "not belong")),
    Rule(InvalidQuery,
         "The marketplace did not accept the request: a value is missing or not valid "
         "for this API.",
         "Check the product ID and this platform's settings (ship-to country, currency, "
         "language); the marketplace's own words name the value.",
         codes=_codes("MissingParameter", "InvalidParameter", "40", "41", "43", "402",
                      "isv.invalid-parameter", "isv.missing-parameter"),
         words=("invalid-parameter", "missing-parameter", "invalid parameter",
                "parameter error", "param error", "illegal parameter")),
    Rule(UpstreamError,
         "The marketplace had a temporary problem. Please try again in a minute.",
         "Try again in a minute.",
         codes=_codes("10", "ServiceUnavailable", "ServiceCurrentlyUnavailable"),
         words=("timeout", "unavailable", "service-error", "remote-service",
                "remote-connection", "busy"),
         prefix="isp.", retryable=True),
)
# No rule matched: the gateway's own words are all there is.
DEFAULT_RULE = Rule(UpstreamError, UpstreamError.default_message,
                    "If it keeps happening, contact the marketplace's API support and quote "
                    "its message.")


def ban_seconds(message: str) -> float | None:
    """'this ban will last 1 seconds' -> 2.0 (wait N+1 s, as the gateway advises)."""
    match = _BAN_SECONDS.search(message or "")
    return float(match.group(1)) + 1 if match else None


def _duration(seconds: float) -> str:
    """'2 seconds', '5 minutes', '2 hours' for a wait the user is asked to sit out."""
    if seconds < 120:
        return "1 second" if round(seconds) == 1 else f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.0f} hours"


# --- reading an error answer -------------------------------------------------------------
@dataclass(frozen=True)
class _Said:
    """The parts of one error answer, as text."""
    code: str
    message: str
    sub_code: str = ""
    sub_message: str = ""
    tid: str = ""
    topish: bool = False          # error_response style: detail joins the parts with " / "
    note: str = ""                # the detail when the answer said nothing but "failed"

    @property
    def detail(self) -> str:
        if self.topish:
            return " / ".join(t for t in (self.code, self.message, self.sub_code,
                                          self.sub_message) if t)
        parts = [self.code, self.message, self.sub_code, self.sub_message,
                 f"(tid {self.tid})" if self.tid else ""]
        return " ".join(t for t in parts if t) or self.note

    @property
    def gateway_message(self) -> str:
        words = [t for t in (self.message, self.sub_message) if t]
        return ": ".join(dict.fromkeys(words))


def _first_text(node: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, str]:
    for key in keys:
        text = to_text(node.get(key))
        if text:
            return key, text
    return "", ""


def _said_in(node: Mapping[str, Any]) -> _Said | None:
    """The error a node of an answer states, or None when it states success or nothing."""
    flag = next((to_bool(node[k]) for k in _FLAG_KEYS if k in node), None)
    if flag is True:
        return None
    _, code = _first_text(node, _CODE_KEYS)
    _, message = _first_text(node, _MESSAGE_KEYS)
    sub_code, sub_message = to_text(node.get("sub_code")), to_text(node.get("sub_msg"))
    if flag is None:
        if code.lower() in _SUCCESS_CODES and not sub_code:
            return None
        if not (message or sub_message) and not set(node) <= _META_KEYS:
            return None                   # a data object with a field named "code"
    if not (code or message or sub_code or sub_message):
        flag_key = next(k for k in _FLAG_KEYS if k in node)
        return _Said("", "", note=f"{flag_key} false")   # failure, nothing else said
    return _Said(code, message, sub_code, sub_message, to_text(node.get("tid")))


def _nodes(data: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Where a business error may sit: the answer itself, any `*_response` wrapper, and
    their resp_result / result objects."""
    bodies = [data] + [v for k, v in data.items()
                       if k.endswith("_response") and k != "error_response"
                       and isinstance(v, dict)]
    for body in bodies:
        yield body
        for key in ("resp_result", "result"):
            inner = body.get(key)
            if isinstance(inner, dict):
                yield inner


def find_error(data: Any, rules: tuple[Rule, ...] = COMMON_RULES) -> FetchError | None:
    """The FetchError an answer states, wherever it states it; None when it states none."""
    if not isinstance(data, dict):
        return None
    envelope = data.get("error_response")
    if isinstance(envelope, dict):
        said = _said_in(envelope) or _Said(to_text(envelope.get("code")), "")
        return classify(_Said(said.code, said.message, said.sub_code, said.sub_message,
                              topish=True), rules)
    for node in _nodes(data):
        said = _said_in(node)
        if said is not None:
            return classify(said, rules)
    return None


def classify(said: _Said, rules: tuple[Rule, ...] = COMMON_RULES) -> FetchError:
    """The FetchError for what a gateway said: the first rule that matches."""
    codes = {c.lower() for c in (said.code, said.sub_code) if c}
    text = " ".join((said.message, said.sub_message, said.code, said.sub_code)).lower()
    rule = next((r for r in rules if r.matches(codes, text)), DEFAULT_RULE)
    extra: dict[str, Any] = {}
    message, hint = rule.message, rule.hint
    if rule.kind is RateLimited:
        wait = ban_seconds(said.message) or ban_seconds(said.sub_message) or 1.0
        message = message.format(wait=_duration(wait))
        hint = hint.format(wait=_duration(wait))
        extra["retry_after"] = wait
    return rule.kind(message, detail=said.detail, code=said.code or said.sub_code or None,
                     hint=hint, gateway_message=said.gateway_message,
                     retryable=rule.retryable, **extra)


def gateway_error(data: Any) -> FetchError | None:
    """The FetchError for an `error_response` envelope, or None when there is none."""
    if not isinstance(data, dict) or not isinstance(data.get("error_response"), dict):
        return None
    return find_error(data)


def business_error(code: Any, message: Any) -> FetchError | None:
    """rsp_code-style codes inside a normal wrapper: None for success."""
    return find_error({"rsp_code": code, "rsp_msg": message})


def open_body(data: Any, response_keys: tuple[str, ...] | str,
              rules: tuple[Rule, ...] = COMMON_RULES) -> dict:
    """The body inside a gateway answer: raises the error the answer states, refuses a
    non-object, and unwraps `<api>_response` when present (captures may lack it; an
    answer under another API's wrapper is unwrapped too)."""
    keys = (response_keys,) if isinstance(response_keys, str) else response_keys
    if not isinstance(data, dict):
        raise BadResponse(detail=f"expected a JSON object, got {type(data).__name__}")
    error = find_error(data, rules)
    if error:
        raise error
    key = next((k for k in keys if k in data), None)
    if key is None:
        wrappers = [k for k in data if k.endswith("_response")]
        key = wrappers[0] if len(wrappers) == 1 and len(data) == 1 else None
    body = data[key] if key is not None else data
    if not isinstance(body, dict):
        raise BadResponse(detail=f"{' / '.join(keys)} is not an object")
    return body
