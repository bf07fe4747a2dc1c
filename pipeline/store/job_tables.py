"""The jobs' tables and how their rows read as domain values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pipeline.domain.jobs import (
    Action,
    Job,
    JobAction,
    JobRun,
    RunOutcome,
    Schedule,
)
from pipeline.store.schema import metadata

jobs = Table(
    "jobs",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("every_seconds", Float, nullable=True),
    Column("cron", String(120), nullable=True),
    Column("action", String(20), nullable=False),
    Column("argument", String(200), nullable=True),
    Column("paused", Boolean, nullable=False, server_default="0"),
    Column("built_in", Boolean, nullable=False, server_default="0"),
    Column("next_run_at", DateTime, nullable=False),
    Column("last_run_at", DateTime, nullable=True),
    Column("runs", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(80), ForeignKey("jobs.name"), nullable=False),
    Column("due_at", DateTime, nullable=False),
    Column("trigger", String(10), nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("claimed_at", DateTime, nullable=False),
    Column("started_at", DateTime, nullable=True),
    Column("finished_at", DateTime, nullable=True),
    Column("error", Text, nullable=True),
    Column("detail", Text, nullable=True),
    Column("items", Integer, nullable=False, server_default="0"),
    UniqueConstraint("job", "due_at", "trigger", name="uq_job_runs_job_due"),
)
"""One row per due time a beat claimed (`trigger` "schedule") or an operator ran ("manual");
`items`: what the run handled (versions a sweep sent again, articles a rebuild rendered);
the unique key backs the claim: one due time of one job is never claimed twice."""
Index("ix_job_runs_outcome", job_runs.c.outcome, job_runs.c.claimed_at)


def job_from_row(row: Any) -> Job:
    return Job(
        name=row.name,
        schedule=Schedule(row.every_seconds, row.cron),
        action=JobAction(Action(row.action), row.argument),
        paused=bool(row.paused),
        built_in=bool(row.built_in),
        next_run_at=row.next_run_at,
        last_run_at=row.last_run_at,
        runs=int(row.runs),
    )


def run_from_row(row: Any) -> JobRun:
    return JobRun(
        id=int(row.id),
        job=row.job,
        due_at=row.due_at,
        trigger=row.trigger,
        outcome=RunOutcome(row.outcome),
        claimed_at=row.claimed_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        detail=row.detail,
    )
