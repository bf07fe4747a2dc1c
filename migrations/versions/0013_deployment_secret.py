"""deployment secret: a random key of this deployment's own, made once

The reader hash (image reports) is keyed with it, so a leaked table of hashes cannot be undone
by trying every IPv4 address.

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-02 02:00:00.000000
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "deployment_secrets",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )
    op.bulk_insert(table, [{"name": "reader-hash", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("deployment_secrets")
