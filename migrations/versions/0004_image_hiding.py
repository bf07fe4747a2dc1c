"""image hiding: one report per reader per image, images hidden at the threshold, and the URL
of the image the reports are about (a new version may put another image in its place)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 11:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_report_readers",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("image_index", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "image_index", "reader"),
    )
    with op.batch_alter_table("image_reports") as batch:
        batch.add_column(
            sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("republish_due", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("image_url", sa.Text(), nullable=True))
    # the sweeper looks for images due a republish every few seconds
    op.create_index("ix_image_reports_republish_due", "image_reports", ["republish_due"])


def downgrade() -> None:
    op.drop_index("ix_image_reports_republish_due", table_name="image_reports")
    with op.batch_alter_table("image_reports") as batch:
        batch.drop_column("image_url")
        batch.drop_column("republish_due")
        batch.drop_column("hidden")
    op.drop_table("image_report_readers")
