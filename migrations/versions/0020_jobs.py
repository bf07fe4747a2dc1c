"""scheduled jobs and their runs: added at run time, claimed in the database once per due time;
the worker that ran each step

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-07 03:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("every_seconds", sa.Float, nullable=True),
        sa.Column("cron", sa.String(120), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("argument", sa.String(200), nullable=True),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("built_in", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("next_run_at", sa.DateTime, nullable=False),
        sa.Column("last_run_at", sa.DateTime, nullable=True),
        sa.Column("runs", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(80), sa.ForeignKey("jobs.name"), nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("claimed_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("items", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("job", "due_at", "trigger", name="uq_job_runs_job_due"),
    )
    op.create_index("ix_job_runs_outcome", "job_runs", ["outcome", "claimed_at"])
    # which worker ran each step, for `nashr status` (nullable: instant on PostgreSQL)
    with op.batch_alter_table("step_events") as batch:
        batch.add_column(sa.Column("worker", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step_events") as batch:
        batch.drop_column("worker")
    op.drop_index("ix_job_runs_outcome", table_name="job_runs")
    op.drop_table("job_runs")
    op.drop_table("jobs")
