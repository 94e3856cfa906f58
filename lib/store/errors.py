"""The store's one exception, with a message fit for a non-developer (never a password)."""
from __future__ import annotations

import re


class StoreError(Exception):
    def __init__(self, user_message: str, detail: str = "") -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.detail = hide_passwords(detail)


# user:password@host in a URL, and password=... in a libpq connection string
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)\S+", re.IGNORECASE)


def hide_passwords(text: str) -> str:
    return _KV_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", str(text)))


_PLAIN = (
    ("readonly database", "the database file is read-only"),
    ("read-only", "the database is read-only"),
    ("disk is full", "the disk is full"),
    ("database or disk is full", "the disk is full"),
    ("no space left", "the disk is full"),
    ("unable to open database", "the database file cannot be opened or created"),
    ("connection refused", "the database server refused the connection (is it running?)"),
    ("could not translate host name", "the database server's name is unknown"),
    ("timeout", "the database server did not answer in time"),
    ("timed out", "the database server did not answer in time"),
    ("password authentication failed", "the database refused the user name or password"),
    ("does not exist", "the database named in the address does not exist"),
    ("database is locked", "the database is busy (locked by another program)"),
)


def plain_reason(error: BaseException) -> str:
    """A database error in a few plain words ('the disk is full'), else its first line."""
    text = str(getattr(error, "orig", None) or error)
    lowered = text.lower()
    for needle, words in _PLAIN:
        if needle in lowered:
            return words
    first = hide_passwords(text.strip().splitlines()[0] if text.strip() else type(error).__name__)
    return first[:200]
