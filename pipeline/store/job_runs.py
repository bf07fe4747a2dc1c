"""Job runs: the claim that makes each due run happen once, starting, finishing, history.

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

from sqlalchemy import (
    Engine,
    func,
    insert,
    select,
    update,
)

from pipeline.domain.jobs import (
    Action,
    Job,
    JobAction,
    JobError,
    JobRun,
    RunOutcome,
)
from pipeline.store.claims import retake_lost
from pipeline.store.database import reading, transaction, utcnow
from pipeline.store.job_tables import job_from_row, job_runs, jobs, run_from_row

SUPERSEDE_AFTER = timedelta(seconds=30)
"""A run claimed this long ago and still not started waits on workers that are away: the next
claimed run of its job replaces it, so a worker back from an outage runs a job once, not once
per slot it missed."""


@dataclass(frozen=True)
class Claimed:
    run_id: int
    job: str
    action: JobAction


class JobRunQueries:
    engine: Engine

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
            found = self._claim(job_from_row(row), row.next_run_at, moment)
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
        with reading(self.engine) as db:
            row = db.execute(select(jobs).where(jobs.c.name == name)).first()
        if row is None:
            raise JobError(f"no job named {name!r}")
        job = job_from_row(row)
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
        return [
            Claimed(int(row.id), row.job, job_from_row(row).action)
            for row in retake_lost(self.engine, job_runs, rows)
        ]

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
        return job_from_row(row).action

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
        return [run_from_row(row) for row in rows]

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
