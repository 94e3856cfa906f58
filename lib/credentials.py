"""API credentials: read from a secrets mapping or the environment, never shown.

`Credentials` behaves as a read-only mapping but its repr/str mask every value, so a
stray log line or traceback cannot leak a secret.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Iterator

ALL_KEYS = ("app_key", "app_secret", "access_token", "tracking_id", "client_id",
            "client_secret", "endpoint", "sign_method", "method", "mall_code", "currency")
# method: which legacy API the AliExpress seller platform calls; mall_code: the Tuya mall;
# currency: the Tuya mall's currency (its API does not send one).
NOT_SECRET = {"endpoint", "sign_method", "tracking_id", "method", "mall_code", "currency"}


class Credentials(Mapping):
    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values = {k: str(v) for k, v in dict(values or {}).items()
                        if v is not None and str(v) != ""}

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def secret_values(self) -> list[str]:
        return [v for k, v in self._values.items() if k not in NOT_SECRET and len(v) >= 8]

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={'***' if k not in NOT_SECRET else v!r}"
                          for k, v in self._values.items())
        return f"Credentials({shown})"

    __str__ = __repr__

    def __reduce__(self):  # pickling (Streamlit caches) keeps working
        return (Credentials, (self._values,))


def env_prefix(platform: str) -> str:
    """'aliexpress-affiliate' -> 'ALIEXPRESS_AFFILIATE_'."""
    return platform.upper().replace("-", "_") + "_"


def load_credentials(platform: str, required: tuple[str, ...],
                     secrets: Mapping[str, Any] | None = None,
                     environ: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials for `platform` from secrets ([platform] table) then the environment
    (PLATFORM_KEY variables); None when any required key is missing (demo mode)."""
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    section = (secrets or {}).get(platform) if secrets else None
    if isinstance(section, Mapping):
        values.update({k: str(v) for k, v in section.items() if k in ALL_KEYS and v})
    for key in ALL_KEYS:
        env_value = environ.get(env_prefix(platform) + key.upper())
        if env_value and key not in values:
            values[key] = env_value
    if not all(values.get(key) for key in required):
        return None
    return Credentials(values)
