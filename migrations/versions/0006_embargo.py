"""embargo: when a scheduled version is due to be published

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 11:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article_versions") as batch:
        batch.add_column(sa.Column("publish_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article_versions") as batch:
        batch.drop_column("publish_at")
