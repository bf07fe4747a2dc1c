"""Scheduled jobs: added, listed, paused, resumed, removed; their runs in `job_runs.py`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import (
    Engine,
    delete,
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
    Schedule,
)
from pipeline.store.database import reading, transaction, utcnow
from pipeline.store.job_runs import SUPERSEDE_AFTER, Claimed, JobRunQueries
from pipeline.store.job_tables import job_from_row, job_runs, jobs

__all__ = ["SUPERSEDE_AFTER", "Claimed", "JobStore", "job_runs", "jobs"]


class JobStore(JobRunQueries):
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
        return None if row is None else job_from_row(row)

    def all(self) -> list[Job]:
        """The built-in jobs first (the sweeper, then the refresh), then the others by name."""
        with reading(self.engine) as db:
            rows = db.execute(select(jobs)).all()
        found = [job_from_row(row) for row in rows]
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
