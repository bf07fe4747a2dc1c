"""outputs in the database: rendered outputs, listing entries, rebuild coordination

Every API process serves the published site from `outputs`; listings are joined from the
fragments in `listing_entries`; `rebuilds` coordinates coalesced listing rebuilds through the
database instead of file locks, so machines share nothing but the database and the broker.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outputs",
        sa.Column("path", sa.String(400), primary_key=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False, server_default="200"),
        sa.Column("etag", sa.String(40), nullable=False),
        sa.Column("ticker_slot", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_outputs_article_id", "outputs", ["article_id"])
    op.create_table(
        "listing_entries",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("first_published_at", sa.DateTime(), nullable=False),
        sa.Column("section", sa.String(20), nullable=True),
        sa.Column("breaking", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.Column("card_html", sa.Text(), nullable=False),
        sa.Column("entry_html", sa.Text(), nullable=False),
        sa.Column("rendered_at", sa.DateTime(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # lz4 compresses the big values (feeds, pages, fragments) several times faster than
        # PostgreSQL's default pglz, and a rebuild rewrites feeds of hundreds of kilobytes
        for table, column in (
            ("outputs", "body"),
            ("listing_entries", "entry_html"),
            ("listing_entries", "card_html"),
        ):
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")
    op.create_index(
        "ix_listing_entries_newest", "listing_entries", ["first_published_at", "article_id"]
    )
    op.create_index(
        "ix_listing_entries_section_newest",
        "listing_entries",
        ["section", "first_published_at", "article_id"],
    )
    with op.batch_alter_table("article_tags") as batch:
        batch.add_column(sa.Column("first_published_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_article_tags_slug_newest", "article_tags", ["slug", "first_published_at", "article_id"]
    )
    op.create_table(
        "rebuilds",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("built_at", sa.DateTime(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("seconds", sa.Float(), nullable=False, server_default="0"),
    )
    # takedowns now rewrite the outputs in their own transaction: nothing is left for a sweep
    op.drop_index("ix_articles_takedown_due_since", table_name="articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("takedown_due_since")
    op.bulk_insert(
        sa.table("rebuilds", sa.column("name", sa.String), sa.column("runs", sa.Integer)),
        [{"name": "site", "runs": 0}],
    )


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("takedown_due_since", sa.DateTime(), nullable=True))
    op.create_index("ix_articles_takedown_due_since", "articles", ["takedown_due_since"])
    op.drop_table("rebuilds")
    op.drop_index("ix_article_tags_slug_newest", table_name="article_tags")
    with op.batch_alter_table("article_tags") as batch:
        batch.drop_column("first_published_at")
    op.drop_index("ix_listing_entries_section_newest", table_name="listing_entries")
    op.drop_index("ix_listing_entries_newest", table_name="listing_entries")
    op.drop_table("listing_entries")
    op.drop_index("ix_outputs_article_id", table_name="outputs")
    op.drop_table("outputs")
