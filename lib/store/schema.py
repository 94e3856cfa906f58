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
