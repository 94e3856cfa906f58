"""Watchlists: named lists of products, stored, refreshed as jobs, with what changed
since the previous refresh. No Streamlit in here (lib/ui.py draws them).

    ListBook(store)                      create / get / all / add / remove / rename /
                                         delete / set_schedule / set_threshold
    WatchList, AddOutcome, ListError     the values and the plain refusals
    list_changes(board, store, list)     the change view (compare_refreshes: the pure part)
    scheduled_refreshes(store, board, now)   the runner's every-minute tick
    ensure_demo_list(store, board, now)  the demo list with its demo history
"""
from lib.watchlists.book import (DEFAULT_THRESHOLD, MAX_PRODUCTS, AddOutcome, ListBook,
                                 WatchList)
from lib.watchlists.changes import (COMPARED, NO_REFRESH, ONE_REFRESH, ChangeView,
                                    compare_refreshes, list_changes, usable_refreshes)
from lib.watchlists.demo import DEMO_LIST, ensure_demo_list
from lib.watchlists.names import MAX_NAME, ListError, clean_name, name_key
from lib.watchlists.schedule import refresh_title, scheduled_refreshes

__all__ = ["AddOutcome", "COMPARED", "ChangeView", "DEFAULT_THRESHOLD", "DEMO_LIST",
           "ListBook", "ListError", "MAX_NAME", "MAX_PRODUCTS", "NO_REFRESH", "ONE_REFRESH",
           "WatchList", "clean_name", "compare_refreshes", "ensure_demo_list",
           "list_changes", "name_key", "refresh_title", "scheduled_refreshes",
           "usable_refreshes"]
