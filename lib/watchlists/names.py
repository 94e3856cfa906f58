"""List names: what the user typed, checked, with the key that makes them unique
regardless of case (pure; no I/O)."""
from __future__ import annotations

import unicodedata

MAX_NAME = 60
KEY_COLUMN = 120          # lists.name_key is a String(120): a casefolded name may grow


class ListError(ValueError):
    """A list operation refused for a reason the user can act on (plain words)."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


def name_key(name: str) -> str:
    """The unique form of a name: "Demo Products" and "demo products" are one list
    (NFC first, so an accent typed two ways is one letter)."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def clean_name(text: object) -> str:
    """The name as typed, stripped; ListError for an empty, too long or unprintable one."""
    name = ("" if text is None else str(text)).strip()
    if not name:
        raise ListError("Give the list a name.")
    if len(name) > MAX_NAME:
        raise ListError(f"A list name is at most {MAX_NAME} characters; this one has "
                        f"{len(name)}.")
    # Cc: line breaks, tabs, NUL...; Cf: zero-width and direction marks, invisible in a
    # name and a way to make two names that look the same.
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise ListError("A list name cannot hold line breaks, tabs or other invisible "
                        "characters.")
    if len(name_key(name)) > KEY_COLUMN:
        raise ListError(f"This name is too long to store; use at most {MAX_NAME} "
                        "ordinary letters.")
    return name


def taken_message(name: str) -> str:
    return f"There is already a list called “{name}”: pick another name, or add to that one."


__all__ = ["KEY_COLUMN", "ListError", "MAX_NAME", "clean_name", "name_key", "taken_message"]
