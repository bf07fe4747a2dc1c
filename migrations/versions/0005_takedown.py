"""takedown: an unpublished article's pages and listings wait for the sweeper to rewrite them

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 11:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("takedown_due_since", sa.DateTime(), nullable=True))
    # the sweeper looks for due takedowns every few seconds: an index, not a table scan
    op.create_index("ix_articles_takedown_due_since", "articles", ["takedown_due_since"])


def downgrade() -> None:
    op.drop_index("ix_articles_takedown_due_since", table_name="articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("takedown_due_since")
