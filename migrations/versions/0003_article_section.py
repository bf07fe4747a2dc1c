"""article section: the enrich step's section and its confidence, per version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 07:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article_versions") as batch:
        batch.add_column(sa.Column("section", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article_versions") as batch:
        batch.drop_column("section")
