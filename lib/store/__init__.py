"""Snapshots: every fetch kept, for price and stock history, what changed, and links
pinned to what was seen. SQLAlchemy Core over a SQLite file by default, PostgreSQL by
URL; Alembic migrations applied on open. No Streamlit in here (lib/ui.py caches the
Store).

    open_store(url=None) -> Store        store_url() / keep_days(): the settings
    Store.submit(product) -> id          off the caller's thread; status(id), wait(id)
    Store.save / load / previous / history / prune
    facts_from_product(product) -> Facts; diff(before, after) -> list[Change]
"""
from lib.store.changes import Change, diff
from lib.store.config import keep_days, store_url
from lib.store.errors import StoreError
from lib.store.facts import Facts, facts_from_product
from lib.store.history import History
from lib.store.store import Store, open_store

__all__ = ["Change", "Facts", "History", "Store", "StoreError", "diff", "facts_from_product",
           "keep_days", "open_store", "store_url"]
