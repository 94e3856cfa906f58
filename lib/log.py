"""Masking for anything that might be logged or shown: request params, messages."""
from __future__ import annotations

import json
import logging
import re
import threading
from typing import Iterable, Mapping
from urllib.parse import quote, quote_plus

SENSITIVE_PARAMS = {"sign", "session", "access_token", "app_secret", "client_secret",
                    "refresh_token", "code"}
# Path segments that carry a secret: Tuya refreshes with GET /v1.0/token/{refresh_token}.
_SECRET_PATHS = re.compile(r"(/v\d+\.\d+/token/)[^/?#]+")


def mask_params(params: Mapping[str, str]) -> dict[str, str]:
    return {k: ("***" if k.lower() in SENSITIVE_PARAMS else v) for k, v in params.items()}


def mask_path(path: str) -> str:
    """A URL path with any token in it replaced by ***."""
    return _SECRET_PATHS.sub(r"\1***", path)


def _forms(secret: str) -> set[str]:
    """A secret as it may appear in text: raw, URL-encoded (form or path style) and
    JSON-escaped, so an answer that quotes the request back is scrubbed too."""
    forms = {secret, quote_plus(secret), quote(secret, safe=""), quote(secret)}
    forms.add(json.dumps(secret)[1:-1])
    return {f for f in forms if f}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value (in any of its encodings) replaced by ***."""
    if not text:
        return text
    variants = {form for secret in secrets if secret for form in _forms(secret)}
    for secret in sorted(variants, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


# --- masking what other libraries log ------------------------------------------------------
# httpx logs every request at INFO ("HTTP Request: GET https://…/v1.0/token/<refresh token>")
# and httpcore traces at DEBUG. One filter on their loggers masks secrets in each record
# before ANY handler sees it (a logger's filter runs before its handlers and the ones it
# propagates to). A filter on "httpcore" alone would not do: a logger's filters see only
# the records made on it, not its children's.
MASKED_LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11",
                  "httpcore.http2", "httpcore.proxy", "httpcore.socks", "lib.client")
_SECRET_QUERY = re.compile(r"([?&](?:%s)=)[^&#\s'\"]*" % "|".join(sorted(SENSITIVE_PARAMS)),
                           re.IGNORECASE)
# The token path inside a log line (the secret ends at a quote or a space too).
_SECRET_PATH_IN_TEXT = re.compile(r"(/v\d+\.\d+/token/)[^/?#\s'\"]+")
_KEEP_SECRETS = 256              # the newest secret values known (tokens renew: bounded)


class SecretMask(logging.Filter):
    """Rewrites a record's message with secrets masked: token paths, sensitive query
    parameters, and every secret value the client registered (raw or URL-encoded)."""

    def __init__(self) -> None:
        super().__init__("secret-mask")
        self._secrets: dict[str, None] = {}       # insertion-ordered, newest last
        self._lock = threading.Lock()

    def remember(self, secrets: Iterable[str]) -> None:
        with self._lock:
            for secret in secrets:
                if secret and len(secret) >= 6:   # a short value would mask ordinary words
                    self._secrets.pop(secret, None)
                    self._secrets[secret] = None
            while len(self._secrets) > _KEEP_SECRETS:
                self._secrets.pop(next(iter(self._secrets)))

    def mask(self, text: str) -> str:
        text = _SECRET_QUERY.sub(r"\1***", _SECRET_PATH_IN_TEXT.sub(r"\1***", text))
        with self._lock:
            secrets = list(self._secrets)
        return scrub(text, secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:                         # a broken record: leave it to logging
            return True
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text: a traceback quoting a URL is masked as well.
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        return True


SECRET_MASK = SecretMask()


def install_secret_mask() -> SecretMask:
    """Put SECRET_MASK on every logger in MASKED_LOGGERS (once; safe to call again)."""
    for name in MASKED_LOGGERS:
        logger = logging.getLogger(name)
        if SECRET_MASK not in logger.filters:
            logger.addFilter(SECRET_MASK)
    return SECRET_MASK
