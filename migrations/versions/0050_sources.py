"""sources: other outlets' feeds, each due fetch claimed once, every item seen kept once

`source_items` outlives its source: an outlet removed and added again republishes nothing it
had already. Its keys are digests (the outlet's GUID can be any length): one per (source,
GUID), and one per normalised link, so one story in two feeds of an outlet is one article.

Revision ID: 0050
Revises: 0040
Create Date: 2026-12-07 06:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("every", sa.Integer, nullable=False),
        sa.Column("section", sa.String(20), nullable=True),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("excerpt_only", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("backfill", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("next_fetch_at", sa.DateTime, nullable=False),
        sa.Column("first_fetch_at", sa.DateTime, nullable=True),
        sa.Column("last_fetch_at", sa.DateTime, nullable=True),
        sa.Column("last_ok_at", sa.DateTime, nullable=True),
        sa.Column("last_new_at", sa.DateTime, nullable=True),
        sa.Column("last_outcome", sa.String(16), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("items_seen", sa.Integer, nullable=False, server_default="0"),
        sa.Column("articles_published", sa.Integer, nullable=False, server_default="0"),
        sa.Column("etag", sa.String(1000), nullable=True),
        sa.Column("last_modified", sa.String(100), nullable=True),
    )
    op.create_table(
        "source_fetches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(80), sa.ForeignKey("sources.name"), nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("claimed_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("http_status", sa.Integer, nullable=True),
        sa.Column("items", sa.Integer, nullable=False, server_default="0"),
        sa.Column("published", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text, nullable=True),
        sa.UniqueConstraint("source", "due_at", "trigger", name="uq_source_fetches_due"),
    )
    op.create_index("ix_source_fetches_outcome", "source_fetches", ["outcome", "claimed_at"])
    op.create_table(
        "source_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("guid_key", sa.String(64), nullable=False),
        sa.Column("link_key", sa.String(64), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("raw_hash", sa.String(64), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("published_at", sa.DateTime, nullable=True),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("source", "guid_key", name="uq_source_items_guid"),
        sa.UniqueConstraint("link_key", name="uq_source_items_link"),
    )


def downgrade() -> None:
    op.drop_table("source_items")
    op.drop_index("ix_source_fetches_outcome", "source_fetches")
    op.drop_table("source_fetches")
    op.drop_table("sources")
