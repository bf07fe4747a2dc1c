"""Scheduled jobs and their runs, and the claim that makes each due run happen once.

A due run is claimed by one conditional update: `next_run_at` moves from the due time that was
read to the next slot only `WHERE next_run_at = <the due time read>`. Of two beats (or a beat
restarted mid-run) reading the same due time, one update matches and the other finds the row
moved on (PostgreSQL re-checks the condition after the first commits; SQLite writes one at a
time). The claim and the run's row are one transaction; the worker then starts the run by a
second conditional update (`claimed` -> `running`), so a message delivered twice runs it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from pipeline.domain.jobs import (
    Action,
    Job,
    JobAction,
    JobError,
    JobRun,
    RunOutcome,
    Schedule,
)
from pipeline.store.database import reading, transaction, utcnow
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


SUPERSEDE_AFTER = timedelta(seconds=30)
"""A run claimed this long ago and still not started waits on workers that are away: the next
claimed run of its job replaces it, so a worker back from an outage runs a job once, not once
per slot it missed."""


@dataclass(frozen=True)
class Claimed:
    run_id: int
    job: str
    action: JobAction


def _job(row: Any) -> Job:
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


def _run(row: Any) -> JobRun:
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


class JobStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- the jobs ------------------------------------------------------------------------------

    def add(self, name: str, schedule: Schedule, action: JobAction, built_in: bool = False) -> Job:
        now = utcnow()
        values = {
            "name": name,
            "every_seconds": schedule.every_seconds,
            "cron": schedule.cron,
            "action": action.action.value,
            "argument": action.argument,
            "paused": False,
            "built_in": built_in,
            "next_run_at": schedule.first_due(now),
            "runs": 0,
            "created_at": now,
        }
        try:
            with transaction(self.engine) as db:
                db.execute(insert(jobs).values(values))
        except IntegrityError:
            raise JobError(f"name: a job named {name!r} exists already") from None
        found = self.get(name)
        assert found is not None
        return found

    def ensure_built_in(self, name: str, every_seconds: float, action: Action) -> None:
        """The sweeper and the listing refresh, at the interval the settings give now. Two
        processes starting at once may both insert: the second finds the row there."""
        try:
            self._ensure_built_in(name, every_seconds, action)
        except IntegrityError:
            self._ensure_built_in(name, every_seconds, action)

    def _ensure_built_in(self, name: str, every_seconds: float, action: Action) -> None:
        with transaction(self.engine) as db:
            row = db.execute(select(jobs).where(jobs.c.name == name)).first()
            if row is None:
                db.execute(
                    insert(jobs).values(
                        name=name,
                        every_seconds=every_seconds,
                        action=action.value,
                        paused=False,
                        built_in=True,
                        next_run_at=utcnow(),
                        runs=0,
                        created_at=utcnow(),
                    )
                )
            elif row.every_seconds != every_seconds:
                db.execute(
                    update(jobs)
                    .where(jobs.c.name == name)
                    .values(every_seconds=every_seconds, next_run_at=utcnow())
                )

    def get(self, name: str) -> Job | None:
        with reading(self.engine) as db:
            row = db.execute(select(jobs).where(jobs.c.name == name)).first()
        return None if row is None else _job(row)

    def all(self) -> list[Job]:
        """The built-in jobs first (the sweeper, then the refresh), then the others by name."""
        with reading(self.engine) as db:
            rows = db.execute(select(jobs)).all()
        found = [_job(row) for row in rows]
        return sorted(
            found, key=lambda j: (not j.built_in, j.action.action != Action.SWEEP, j.name)
        )

    def set_paused(self, name: str, paused: bool) -> bool:
        """Resuming starts from the next slot after now: a paused spell is not made up for."""
        with transaction(self.engine) as db:
            row = db.execute(select(jobs).where(jobs.c.name == name)).first()
            if row is None:
                return False
            values: dict[str, Any] = {"paused": paused}
            if not paused and row.paused:
                now = utcnow()
                schedule = Schedule(row.every_seconds, row.cron)
                values["next_run_at"] = schedule.next_due(row.next_run_at, now)
            db.execute(update(jobs).where(jobs.c.name == name).values(values))
        return True

    def remove(self, name: str) -> bool:
        """The job and its history; a run already claimed finds its row gone and does nothing."""
        with transaction(self.engine) as db:
            row = db.execute(select(jobs.c.built_in).where(jobs.c.name == name)).first()
            if row is None:
                return False
            if row.built_in:
                raise JobError(f"{name} is built in: pause it instead")
            db.execute(delete(job_runs).where(job_runs.c.job == name))
            db.execute(delete(jobs).where(jobs.c.name == name))
        return True

    def ticker_max_age(self) -> timedelta | None:
        """The shortest age an active expire-ticker job gives: older headlines leave the ticker."""
        with reading(self.engine) as db:
            rows = db.execute(
                select(jobs.c.argument).where(
                    jobs.c.action == Action.EXPIRE_TICKER.value, jobs.c.paused.is_(False)
                )
            ).all()
        hours = [float(row.argument) for row in rows if row.argument]
        return timedelta(hours=min(hours)) if hours else None

    # -- claiming and running ------------------------------------------------------------------

    def claim_due(self, now: datetime | None = None) -> list[Claimed]:
        """Claim every due run of every active job; what another beat claimed first is not
        returned here. One transaction per job, so one slow job holds up no other."""
        moment = now or utcnow()
        with reading(self.engine) as db:
            due = db.execute(
                select(jobs).where(jobs.c.paused.is_(False), jobs.c.next_run_at <= moment)
            ).all()
        claimed = []
        for row in due:
            found = self._claim(_job(row), row.next_run_at, moment)
            if found is not None:
                claimed.append(found)
        return claimed

    def _claim(self, job: Job, due: datetime, now: datetime) -> Claimed | None:
        following = job.schedule.next_due(due, now)
        with transaction(self.engine) as db:
            won = db.execute(
                update(jobs)
                .where(jobs.c.name == job.name, jobs.c.next_run_at == due, jobs.c.paused.is_(False))
                .values(next_run_at=following)
            ).rowcount
            if won != 1:
                return None
            db.execute(
                update(job_runs)
                .where(
                    job_runs.c.job == job.name,
                    job_runs.c.outcome == RunOutcome.CLAIMED.value,
                    job_runs.c.claimed_at < now - SUPERSEDE_AFTER,
                )
                .values(outcome=RunOutcome.SUPERSEDED.value, finished_at=now)
            )
            run_id = db.execute(
                insert(job_runs)
                .values(
                    job=job.name,
                    due_at=due,
                    trigger="schedule",
                    outcome=RunOutcome.CLAIMED.value,
                    claimed_at=now,
                )
                .returning(job_runs.c.id)
            ).scalar_one()
        return Claimed(int(run_id), job.name, job.action)

    def claim_manual(self, name: str) -> Claimed:
        """`nashr jobs run NAME`: a run now, outside the schedule, recorded like the others."""
        job = self.get(name)
        if job is None:
            raise JobError(f"no job named {name!r}")
        now = utcnow()
        with transaction(self.engine) as db:
            run_id = db.execute(
                insert(job_runs)
                .values(
                    job=name,
                    due_at=now,
                    trigger="manual",
                    outcome=RunOutcome.CLAIMED.value,
                    claimed_at=now,
                )
                .returning(job_runs.c.id)
            ).scalar_one()
        return Claimed(int(run_id), name, job.action)

    def lost_claims(self, older_than: datetime) -> list[Claimed]:
        """Runs claimed and never started (the beat died before its send, or the message was
        lost): sent again. Taking them moves `claimed_at`, so one beat sends each."""
        with reading(self.engine) as db:
            rows = db.execute(
                select(job_runs.c.id, job_runs.c.job, job_runs.c.claimed_at, jobs)
                .join(jobs, jobs.c.name == job_runs.c.job)
                .where(
                    job_runs.c.outcome == RunOutcome.CLAIMED.value,
                    job_runs.c.claimed_at < older_than,
                )
            ).all()
        taken = []
        now = utcnow()
        for row in rows:
            with transaction(self.engine) as db:
                moved = db.execute(
                    update(job_runs)
                    .where(
                        job_runs.c.id == row.id,
                        job_runs.c.claimed_at == row.claimed_at,
                        job_runs.c.outcome == RunOutcome.CLAIMED.value,
                    )
                    .values(claimed_at=now)
                ).rowcount
            if moved == 1:
                taken.append(Claimed(int(row.id), row.job, _job(row).action))
        return taken

    def start(self, run_id: int) -> JobAction | None:
        """`claimed` -> `running`, once: a second delivery of the same run finds it taken."""
        now = utcnow()
        with transaction(self.engine) as db:
            moved = db.execute(
                update(job_runs)
                .where(job_runs.c.id == run_id, job_runs.c.outcome == RunOutcome.CLAIMED.value)
                .values(outcome=RunOutcome.RUNNING.value, started_at=now)
            ).rowcount
            if moved != 1:
                return None
            row = db.execute(
                select(jobs)
                .join(job_runs, job_runs.c.job == jobs.c.name)
                .where(job_runs.c.id == run_id)
            ).one()
            db.execute(
                update(jobs)
                .where(jobs.c.name == row.name)
                .values(last_run_at=now, runs=jobs.c.runs + 1)
            )
        return _job(row).action

    def finish(
        self, run_id: int, error: str | None = None, detail: str | None = None, items: int = 0
    ) -> None:
        outcome = RunOutcome.FAILED if error else RunOutcome.SUCCEEDED
        with transaction(self.engine) as db:
            db.execute(
                update(job_runs)
                .where(job_runs.c.id == run_id)
                .values(
                    outcome=outcome.value,
                    finished_at=utcnow(),
                    error=error[:2000] if error else None,
                    detail=detail,
                    items=items,
                )
            )

    def abandon_running(self, older_than: datetime) -> int:
        """Runs whose worker died mid-run (started before `older_than`, past any time limit):
        failed, with the reason, so they do not read as running for ever."""
        with transaction(self.engine) as db:
            return int(
                db.execute(
                    update(job_runs)
                    .where(
                        job_runs.c.outcome == RunOutcome.RUNNING.value,
                        job_runs.c.started_at < older_than,
                    )
                    .values(
                        outcome=RunOutcome.FAILED.value,
                        finished_at=utcnow(),
                        error="the worker running it stopped",
                    )
                ).rowcount
            )

    def history(self, name: str, limit: int = 50) -> list[JobRun]:
        with reading(self.engine) as db:
            rows = db.execute(
                select(job_runs)
                .where(job_runs.c.job == name)
                .order_by(job_runs.c.id.desc())
                .limit(limit)
            ).all()
        return [_run(row) for row in rows]

    def run_counts(self) -> dict[tuple[str, str], int]:
        """Runs per job and outcome, for /metrics."""
        with reading(self.engine) as db:
            rows = db.execute(
                select(job_runs.c.job, job_runs.c.outcome, func.count()).group_by(
                    job_runs.c.job, job_runs.c.outcome
                )
            ).all()
        return {(row[0], row[1]): int(row[2]) for row in rows}

    def items_total(self, action: Action) -> int:
        """What every run of a kind handled, summed: the sweeper's re-sends, for /metrics."""
        with reading(self.engine) as db:
            return int(
                db.execute(
                    select(func.coalesce(func.sum(job_runs.c["items"]), 0))
                    .select_from(job_runs)
                    .join(jobs, jobs.c.name == job_runs.c.job)
                    .where(jobs.c.action == action.value)
                ).scalar_one()
            )

    def last_finished(self, name: str) -> datetime | None:
        with reading(self.engine) as db:
            found: datetime | None = db.execute(
                select(func.max(job_runs.c.finished_at)).where(
                    job_runs.c.job == name, job_runs.c.outcome == RunOutcome.SUCCEEDED.value
                )
            ).scalar()
        return found
