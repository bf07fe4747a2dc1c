"""known tags: every tag that ever had a page, so an orphaned one answers 410, not 404

Revision ID: 0030
Revises: 0020
Create Date: 2026-12-07 03:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_tags",
        sa.Column("slug", sa.String(120), primary_key=True),
        sa.Column("first_seen", sa.DateTime, nullable=False),
    )
    op.execute(
        "INSERT INTO known_tags (slug, first_seen) "
        "SELECT slug, MIN(COALESCE(first_published_at, CURRENT_TIMESTAMP)) "
        "FROM article_tags GROUP BY slug"
    )


def downgrade() -> None:
    op.drop_table("known_tags")
