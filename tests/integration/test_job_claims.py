"""The claim itself, raced: many claimers at once (as many beats) claim each due time once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.domain.jobs import Action, JobAction, Schedule
from pipeline.store import connect
from pipeline.store.database import utcnow
from pipeline.store.jobs import JobStore, job_runs, jobs
from pipeline.store.migrate import upgrade
from tests.services import postgres_database

pytestmark = pytest.mark.integration

CLAIMERS = 6
SECONDS = 5.0
EVERY = 1.0


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'claims.sqlite'}"
        upgrade(url)
        yield JobStore(connect(url))
        return
    with postgres_database() as database:
        url = database.replace("postgresql://", "postgresql+psycopg://")
        upgrade(url)
        engine = connect(url)
        yield JobStore(engine)
        engine.dispose()


def test_many_claimers_claim_each_due_time_once(store: JobStore) -> None:
    # Given a job due every second, When six claimers race for it for five seconds
    store.add("raced", Schedule(EVERY), JobAction(Action.REBUILD_SITE))
    won: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def claim() -> None:
        while time.monotonic() < deadline:
            for claimed in store.claim_due():
                with lock:
                    won.append(claimed.run_id)

    started = time.monotonic()
    threads = [threading.Thread(target=claim) for _ in range(CLAIMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    # Then each due time was claimed by one of them, and none was skipped
    with store.engine.connect() as db:
        dues = (
            db.execute(select(job_runs.c.due_at).where(job_runs.c.job == "raced")).scalars().all()
        )
    assert len(won) == len(set(won)) == len(dues) == len(set(dues))
    expected = elapsed / EVERY
    print(f"{CLAIMERS} claimers: {len(won)} claims, {expected:.1f} slots")
    assert expected - 2 <= len(won) <= expected + 1


def _age_runs(store: JobStore, name: str, column: str, seconds: float) -> None:
    with store.engine.begin() as db:
        db.execute(
            job_runs.update()
            .where(job_runs.c.job == name)
            .values({column: utcnow() - timedelta(seconds=seconds)})
        )


def test_a_paused_job_is_not_claimed_and_resumes_from_the_next_slot(store: JobStore) -> None:
    store.add("paused", Schedule(EVERY), JobAction(Action.REBUILD_SITE))
    assert store.set_paused("paused", True)
    assert store.claim_due() == []
    with store.engine.begin() as db:  # a long pause: ten slots went by
        db.execute(
            jobs.update()
            .where(jobs.c.name == "paused")
            .values(next_run_at=utcnow() - timedelta(seconds=10 * EVERY))
        )
    assert store.set_paused("paused", False)
    job = store.get("paused")
    assert job is not None and job.next_run_at is not None and job.next_run_at > utcnow()
    assert [c.job for c in store.claim_due()] == []


def test_a_claim_never_started_is_sent_again_once_then_superseded(store: JobStore) -> None:
    store.add("lost", Schedule(3600.0), JobAction(Action.REBUILD_SITE))
    first = store.claim_due()
    assert [c.job for c in first] == ["lost"]
    assert store.lost_claims(utcnow() - timedelta(seconds=30)) == []
    # Given its message lost for a minute: one claimer sends it again, the next finds it taken
    _age_runs(store, "lost", "claimed_at", 60)
    again = store.lost_claims(utcnow() - timedelta(seconds=30))
    assert [c.run_id for c in again] == [first[0].run_id]
    assert store.lost_claims(utcnow() - timedelta(seconds=30)) == []
    # When the job's next slot is claimed while it still waits, it is superseded
    _age_runs(store, "lost", "claimed_at", 60)
    with store.engine.begin() as db:
        db.execute(jobs.update().where(jobs.c.name == "lost").values(next_run_at=utcnow()))
    second = store.claim_due()
    outcomes = [run.outcome.value for run in store.history("lost")]
    assert outcomes == ["claimed", "superseded"]
    assert store.start(first[0].run_id) is None  # the superseded run never starts
    assert store.start(second[0].run_id) is not None
    assert store.start(second[0].run_id) is None  # and a run starts once


def test_a_run_whose_worker_died_is_marked_failed(store: JobStore) -> None:
    store.add("orphan", Schedule(3600.0), JobAction(Action.REBUILD_SITE))
    claimed = store.claim_due()
    assert store.start(claimed[0].run_id) is not None
    assert store.abandon_running(utcnow() - timedelta(seconds=60)) == 0
    _age_runs(store, "orphan", "started_at", 3600)
    assert store.abandon_running(utcnow() - timedelta(seconds=60)) == 1
    run = store.history("orphan")[0]
    assert run.outcome.value == "failed" and run.error == "the worker running it stopped"


def test_beats_starting_at_once_each_put_the_built_in_jobs_in_once(store: JobStore) -> None:
    errors: list[BaseException] = []

    def ensure() -> None:
        try:
            store.ensure_built_in("sweep-stuck-articles", 10.0, Action.SWEEP)
        except BaseException as exc:  # collected: the test fails on any
            errors.append(exc)

    threads = [threading.Thread(target=ensure) for _ in range(CLAIMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [job.name for job in store.all()] == ["sweep-stuck-articles"]
