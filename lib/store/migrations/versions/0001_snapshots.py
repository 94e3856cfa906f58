"""Snapshots: one per fetch with its variants' moving values packed, deduplicated blobs.

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

from lib.store.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "snapshots",
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
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("product_currency", sa.String(16), nullable=False),
        sa.Column("properties", sa.Text, nullable=False),
        sa.Column("sku_count", sa.Integer, nullable=False),
        sa.Column("price_min", sa.Float),
        sa.Column("price_max", sa.Float),
        sa.Column("product_rating", sa.Float),
        sa.Column("review_count", sa.BigInteger),
        sa.Column("sales_count", sa.BigInteger),
        sa.Column("sales_text", sa.Text, nullable=False),
        sa.Column("positive_feedback_pct", sa.Float),
        sa.Column("ratings", sa.Text, nullable=False),
        sa.Column("doc_sha", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False),
        sa.Column("raw_sha", sa.String(64), sa.ForeignKey("blobs.sha256")),
        sa.Column("variants_sha", sa.String(64), sa.ForeignKey("blobs.sha256"),
                  nullable=False),
        sa.Column("sku_values", sa.LargeBinary, nullable=False),
        sa.Column("raw_format", sa.String(8), nullable=False),
        sa.Column("format_version", sa.Integer, nullable=False),
    )
    op.create_index("ix_snapshots_query_time", "snapshots", ["query_key", "fetched_at"])
    op.create_index("ix_snapshots_fetched_at", "snapshots", ["fetched_at"])
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_index("ix_snapshots_fetched_at", "snapshots")
    op.drop_index("ix_snapshots_query_time", "snapshots")
    op.drop_table("snapshots")
    op.drop_table("blobs")
