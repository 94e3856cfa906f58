"""Masking for anything that might be logged or shown: request params, messages."""
from __future__ import annotations

import json
import re
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
