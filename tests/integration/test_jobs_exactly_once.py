"""Scheduled jobs run once per due time: two beats and two workers, a beat killed mid-run, a
missed window.

Real worker and beat processes on a short clock (schedules in seconds). Each test prints its
figures (runs counted against runs expected) so the README can quote them.
"""

from __future__ import annotations

import itertools
import os
import signal
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from pipeline.domain.jobs import Action, JobAction, Schedule
from pipeline.store import connect
from pipeline.store.database import utcnow
from pipeline.store.jobs import JobStore, job_runs
from tasks.app import create_celery
from tests.services import Worker, wait_until
from tests.system import RunningSystem, running_system

pytestmark = pytest.mark.integration

EVERY = 2.0
SWEEP_EVERY = 1.0


@pytest.fixture(scope="module", params=["postgres-rabbitmq", "postgres-redis", "embedded"])
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    data_dir = tmp_path_factory.mktemp(f"jobs-{request.param}")
    with running_system(data_dir, request.param, beats=2, workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def jobs(system: RunningSystem) -> Iterator[JobStore]:
    store = JobStore(connect(system.settings.database))
    # beats and the worker are up once the sweeper has run twice
    wait_until(lambda: len(_runs(store, "sweep-stuck-articles")) >= 2, 60, "the sweeper")
    yield store
    store.engine.dispose()


Run = tuple[datetime, str, str, datetime]


def _runs(store: JobStore, name: str) -> list[Run]:
    """(due at, trigger, outcome, claimed at) of every run of a job, oldest first."""
    with store.engine.connect() as db:
        rows = db.execute(
            select(job_runs.c.due_at, job_runs.c.trigger, job_runs.c.outcome, job_runs.c.claimed_at)
            .where(job_runs.c.job == name)
            .order_by(job_runs.c.due_at)
        ).all()
    return [(r.due_at, r.trigger, r.outcome, r.claimed_at) for r in rows]


def _finished(store: JobStore, name: str, at_least: int) -> list[Run]:
    """Every scheduled run once `at_least` have succeeded and none claimed before is left
    unfinished (the worker's two processes may finish them out of order)."""

    def enough() -> list[Run] | None:
        runs = [r for r in _runs(store, name) if r[1] == "schedule"]
        done = [r for r in runs if r[2] == "succeeded"]
        if len(done) < at_least or any(r[2] in ("claimed", "running") for r in runs[:-2]):
            return None
        return runs

    return wait_until(enough, 60, f"{at_least} runs of {name}")


def _beats(system: RunningSystem) -> list[Worker]:
    return [w for w in system.workers if w.args[0] == "beat"]


def _kill(beat: Worker) -> None:
    os.killpg(beat.pid, signal.SIGKILL)
    beat.process.wait(timeout=10)


def _gaps(dues: list[datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in itertools.pairwise(dues)]


def test_two_beats_run_a_job_as_often_as_its_schedule_says(
    system: RunningSystem, jobs: JobStore
) -> None:
    # Given two beats, When a job every 2 s is added
    jobs.add("two-beats", Schedule(EVERY), JobAction(Action.REBUILD_TAG, "no-such-tag"))
    started = utcnow()
    runs = _finished(jobs, "two-beats", at_least=6)
    ended = utcnow()
    # Then each due time ran once: no due time twice, each slot 2 s after the one before
    dues = [r[0] for r in runs]
    assert len(set(dues)) == len(dues)
    assert all(abs(gap - EVERY) < 1e-3 for gap in _gaps(dues)), _gaps(dues)
    expected = (ended - started).total_seconds() / EVERY + 1
    print(f"two beats: {len(runs)} runs counted, {expected:.1f} expected")
    assert expected - 2 <= len(runs) <= expected + 1
    assert all(r[2] == "succeeded" for r in runs[:-2]), runs


def test_the_sweeper_sweeps_once_per_interval_with_two_beats(
    system: RunningSystem, jobs: JobStore
) -> None:
    runs = _finished(jobs, "sweep-stuck-articles", at_least=5)
    dues = [r[0] for r in runs]
    assert len(set(dues)) == len(dues)
    assert all(gap >= SWEEP_EVERY - 1e-3 for gap in _gaps(dues)), _gaps(dues)
    window = (dues[-1] - dues[0]).total_seconds()
    print(f"sweeper, two beats: {len(dues)} sweeps over {window:.1f} s, at most "
          f"{window / SWEEP_EVERY + 1:.0f} expected")  # fmt: skip
    assert len(dues) <= window / SWEEP_EVERY + 1


def test_a_beat_killed_mid_run_and_restarted_runs_nothing_twice(
    system: RunningSystem, jobs: JobStore
) -> None:
    jobs.add("killed", Schedule(EVERY), JobAction(Action.REBUILD_TAG, "no-such-tag"))
    _finished(jobs, "killed", at_least=2)
    # When one beat is killed with SIGKILL while runs are claimed and running, and restarted
    first = _beats(system)[0]
    _kill(first)
    index = system.workers.index(first)
    system.workers[index] = first.restarted()
    before = len(_runs(jobs, "killed"))
    runs = _finished(jobs, "killed", at_least=before + 3)
    # Then every due time still ran once, at its slot
    dues = [r[0] for r in runs]
    assert len(set(dues)) == len(dues)
    assert all(abs(gap - EVERY) < 1e-3 for gap in _gaps(dues)), _gaps(dues)
    print(f"beat killed and restarted: {len(dues)} runs, {len(set(dues))} distinct due times")


def test_a_missed_window_runs_once_when_beat_comes_back(
    system: RunningSystem, jobs: JobStore
) -> None:
    jobs.add("missed", Schedule(EVERY), JobAction(Action.REBUILD_TAG, "no-such-tag"))
    _finished(jobs, "missed", at_least=2)
    # Given every beat down for more than three slots
    beats = _beats(system)
    for beat in beats:
        _kill(beat)
    down_at = utcnow()
    wait_until(lambda: utcnow() > down_at + timedelta(seconds=EVERY * 3.5), 30, "missed slots")
    for beat in beats:
        system.workers[system.workers.index(beat)] = beat.restarted()
    back_at = utcnow()
    # When beat is back
    before = [r for r in _runs(jobs, "missed") if r[3] < back_at]
    after = _finished(jobs, "missed", at_least=len(before) + 3)
    # Then the missed slots ran once together, then the schedule goes on from now
    caught_up = [r for r in after if r[3] >= back_at and r[0] < back_at]
    assert len(caught_up) == 1, caught_up
    later = [r[0] for r in after if r[0] >= back_at]
    assert all(abs(gap - EVERY) < 1e-3 for gap in _gaps(later))
    missed = (back_at - down_at).total_seconds() / EVERY
    print(f"missed window: {missed:.1f} slots missed, {len(caught_up)} catch-up run")


def test_a_run_delivered_twice_runs_once(system: RunningSystem, jobs: JobStore) -> None:
    # Given a claimed run whose message is sent three times (a lost ack, a resend)
    jobs.add("twice", Schedule(cron="0 0 1 1 *"), JobAction(Action.REBUILD_TAG, "no-such-tag"))
    claimed = jobs.claim_manual("twice")
    app = create_celery(system.settings)
    for _ in range(3):
        app.send_task(
            "nashr.job",
            args=[claimed.run_id, "twice"],
            queue=system.settings.queue("schedule"),
            routing_key=system.settings.queue("schedule"),
        )
    # Then it runs once
    wait_until(lambda: _runs(jobs, "twice")[0][2] == "succeeded", 30, "the run to finish")
    job = jobs.get("twice")
    assert job is not None and job.runs == 1
    assert [r[2] for r in _runs(jobs, "twice")] == ["succeeded"]
