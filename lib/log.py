"""Masking for anything that might be logged or shown: request params, messages."""
from __future__ import annotations

from typing import Iterable, Mapping

SENSITIVE_PARAMS = {"sign", "session", "access_token", "app_secret", "client_secret",
                    "refresh_token", "code"}


def mask_params(params: Mapping[str, str]) -> dict[str, str]:
    return {k: ("***" if k.lower() in SENSITIVE_PARAMS else v) for k, v in params.items()}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced by ***."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
