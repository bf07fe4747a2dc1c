"""image reports: one counter per (article, image index), written by the public endpoint

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 07:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_reports",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("image_index", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "image_index"),
    )


def downgrade() -> None:
    op.drop_table("image_reports")
