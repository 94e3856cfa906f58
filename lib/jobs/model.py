"""What a job is, as the pages and the runners see it (plain values; no I/O)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lib.query import ProductQuery

BATCH, REFRESH = "batch", "refresh"
# Job states. "cancelling" is never stored: it is a running job asked to stop.
QUEUED, RUNNING, DONE, CANCELLED = "queued", "running", "done", "cancelled"
FINISHED = (DONE, CANCELLED)
# Item states.
PENDING, ITEM_DONE, FAILED, SKIPPED = "pending", "done", "failed", "cancelled"


@dataclass(frozen=True)
class ItemError:
    """A failed item's error, as kept in the store (the FetchError's plain parts only:
    its detail and raw body may hold what the gateway sent, never shown here)."""
    kind: str
    message: str
    hint: str = ""
    gateway_message: str = ""
    retryable: bool = False
    code: str = ""

    @classmethod
    def of(cls, error: Exception) -> "ItemError":
        return cls(kind=getattr(error, "kind", type(error).__name__),
                   message=getattr(error, "user_message", "") or "The fetch failed.",
                   hint=getattr(error, "hint", "") or "",
                   gateway_message=getattr(error, "gateway_message", "") or "",
                   retryable=bool(getattr(error, "retryable", False)),
                   code=str(getattr(error, "code", "") or ""))


@dataclass(frozen=True)
class JobItem:
    job_id: str
    seq: int                       # 0-based position in the job
    query: ProductQuery
    state: str                     # pending | done | failed | cancelled
    snapshot_id: str | None = None
    summary: dict[str, Any] | None = None     # the results-table row of a done item
    error: ItemError | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class Job:
    id: str
    kind: str                      # batch | refresh
    title: str
    created_at: datetime
    created_by: str                # "" = not known
    list_id: int | None
    status: str                    # queued | running | done | cancelled
    cancel_requested: bool
    settings: dict[str, Any] = field(default_factory=dict)
    total: int = 0
    done: int = 0                  # fetched
    failed: int = 0
    skipped: int = 0               # not fetched because the job was cancelled
    started_at: datetime | None = None
    finished_at: datetime | None = None
    owner: str = ""

    @property
    def pending(self) -> int:
        return self.total - self.done - self.failed - self.skipped

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def state_text(self) -> str:
        """'queued', 'running', 'cancelling', 'finished' or 'cancelled'."""
        if self.status == RUNNING and self.cancel_requested:
            return "cancelling"
        if self.status == QUEUED and self.cancel_requested:
            return "cancelling"
        return {DONE: "finished"}.get(self.status, self.status)
