"""Jobs (batch fetches, list refreshes) with their items, and watchlists.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

from lib.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("list_id", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("heartbeat_at", UTCDateTime),
        sa.Column("started_at", UTCDateTime),
        sa.Column("finished_at", UTCDateTime),
    )
    op.create_index("ix_jobs_created_at", "jobs", ["created_at"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_table(
        "job_items",
        sa.Column("job_id", sa.String(24), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(40), nullable=False),
        sa.Column("product_id", sa.Text, nullable=False),
        sa.Column("country", sa.String(8), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("extras", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("snapshot_id", sa.String(24)),
        sa.Column("summary", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("finished_at", UTCDateTime),
    )
    op.create_index("ix_job_items_state", "job_items", ["job_id", "state"])
    op.create_table(
        "lists",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.String(120), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("schedule_hours", sa.Float),
        sa.Column("threshold_pct", sa.Float, nullable=False),
        sa.Column("next_refresh_at", UTCDateTime),
        sa.Column("demo", sa.Boolean, nullable=False),
    )
    op.create_table(
        "list_items",
        sa.Column("list_id", sa.Integer, sa.ForeignKey("lists.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("query_key", sa.Text, primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("platform", sa.String(40), nullable=False),
        sa.Column("product_id", sa.Text, nullable=False),
        sa.Column("country", sa.String(8), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("added_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("list_items")
    op.drop_table("lists")
    op.drop_index("ix_job_items_state", "job_items")
    op.drop_table("job_items")
    op.drop_index("ix_jobs_status", "jobs")
    op.drop_index("ix_jobs_created_at", "jobs")
    op.drop_table("jobs")
