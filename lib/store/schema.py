"""The store's tables (SQLAlchemy Core). Migrations create them (migrations/versions/);
this module names them for queries. Change both together.

snapshots      one row per fetch: the query, when, demo or not, the figures history
               needs (title, status, store numbers, price band) and the variants' moving
               values (prices, stock) packed in one compressed column: a year of daily
               snapshots of a 100-variant product is read in 365 rows, not 36,500
blobs          content-addressed, zlib-compressed bytes: the raw answer, the variant list
               (ids and property values) and the rest of the normalised product ("doc");
               a fetch that changed nothing adds none
meta           small settings the store keeps about itself (the demo history loaded)
jobs           durable work (a batch fetch, a list refresh): who asked, when, its state,
               which runner holds it (owner + heartbeat, so another one takes it over
               when that process is gone) and whether a cancel was asked for
job_items      one row per product of a job, in order: pending, done (with the snapshot
               and its results-table row) or failed (with the plain error); a done item
               is never fetched again
lists          named watchlists (a refresh schedule, the change threshold)
list_items     the products of a list, in order
pacing         the call schedule every process shares, one row per platform and
               account (lib/pacing_store.py; JSON, no secret in it)
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

metadata = sa.MetaData()


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every engine: stored as naive
    UTC (SQLite keeps no time zone; PostgreSQL gets the same value)."""
    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware times")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):       # SQLite text, read without the type applied
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


blobs = sa.Table(
    "blobs", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),        # "raw" | "doc"
    sa.Column("size", sa.BigInteger, nullable=False),         # bytes before compression
    sa.Column("data", sa.LargeBinary, nullable=False),        # zlib
)

snapshots = sa.Table(
    "snapshots", metadata,
    sa.Column("id", sa.String(24), primary_key=True),
    sa.Column("query_key", sa.Text, nullable=False),
    sa.Column("platform", sa.String(40), nullable=False),
    sa.Column("product_id", sa.Text, nullable=False),
    sa.Column("country", sa.String(8), nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("saved_at", UTCDateTime, nullable=False),
    sa.Column("demo", sa.Boolean, nullable=False),
    sa.Column("source", sa.String(24), nullable=False),       # "fetch" | "demo-history"
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("product_currency", sa.String(16), nullable=False),   # "" = not stated
    sa.Column("properties", sa.Text, nullable=False),         # JSON list, in order
    sa.Column("sku_count", sa.Integer, nullable=False),
    sa.Column("price_min", sa.Float),                         # sale price band
    sa.Column("price_max", sa.Float),
    sa.Column("product_rating", sa.Float),
    sa.Column("review_count", sa.BigInteger),
    sa.Column("sales_count", sa.BigInteger),
    sa.Column("sales_text", sa.Text, nullable=False),
    sa.Column("positive_feedback_pct", sa.Float),
    sa.Column("ratings", sa.Text, nullable=False),            # JSON {label: score}
    sa.Column("doc_sha", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False),
    sa.Column("raw_sha", sa.String(64), sa.ForeignKey("blobs.sha256")),
    sa.Column("variants_sha", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False),
    sa.Column("sku_values", sa.LargeBinary, nullable=False),  # zlib JSON, one list per column
    sa.Column("raw_format", sa.String(8), nullable=False),    # "json" | "text" | ""
    sa.Column("format_version", sa.Integer, nullable=False),
    sa.Index("ix_snapshots_query_time", "query_key", "fetched_at"),
    sa.Index("ix_snapshots_fetched_at", "fetched_at"),
)

meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.String(24), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),          # "batch" | "refresh"
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),          # "" = not known
    sa.Column("list_id", sa.Integer),                          # a refresh: its list
    sa.Column("status", sa.String(16), nullable=False),        # queued running done cancelled
    sa.Column("cancel_requested", sa.Boolean, nullable=False),
    sa.Column("settings", sa.Text, nullable=False),            # JSON: what the page needs
    sa.Column("owner", sa.Text, nullable=False),               # "" = no runner holds it
    sa.Column("heartbeat_at", UTCDateTime),
    sa.Column("started_at", UTCDateTime),
    sa.Column("finished_at", UTCDateTime),
    sa.Index("ix_jobs_created_at", "created_at"),
    sa.Index("ix_jobs_status", "status"),
)

job_items = sa.Table(
    "job_items", metadata,
    sa.Column("job_id", sa.String(24), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(40), nullable=False),
    sa.Column("product_id", sa.Text, nullable=False),
    sa.Column("country", sa.String(8), nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("extras", sa.Text, nullable=False),              # JSON of ProductQuery.extras
    sa.Column("state", sa.String(12), nullable=False),         # pending done failed cancelled
    sa.Column("snapshot_id", sa.String(24)),
    sa.Column("summary", sa.Text),                             # JSON: the results-table row
    sa.Column("error", sa.Text),                               # JSON: the plain error
    sa.Column("finished_at", UTCDateTime),
    sa.Index("ix_job_items_state", "job_id", "state"),
)

lists = sa.Table(
    "lists", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),                # as the user typed it
    sa.Column("name_key", sa.String(120), nullable=False, unique=True),   # casefolded
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("schedule_hours", sa.Float),                     # None = by hand only
    sa.Column("threshold_pct", sa.Float, nullable=False),
    sa.Column("next_refresh_at", UTCDateTime),
    sa.Column("demo", sa.Boolean, nullable=False),
)

list_items = sa.Table(
    "list_items", metadata,
    sa.Column("list_id", sa.Integer, sa.ForeignKey("lists.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("query_key", sa.Text, primary_key=True),         # platform|id|country|...
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("platform", sa.String(40), nullable=False),
    sa.Column("product_id", sa.Text, nullable=False),
    sa.Column("country", sa.String(8), nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("added_at", UTCDateTime, nullable=False),
)


pacing = sa.Table(
    "pacing", metadata,
    sa.Column("key", sa.Text, primary_key=True),               # platform|account hash
    sa.Column("state", sa.Text, nullable=False),               # JSON of both schedules
)
