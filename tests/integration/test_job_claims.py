"""The claim itself, raced: many claimers at once (as many beats) claim each due time once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.domain.jobs import Action, JobAction, Schedule
from pipeline.store import connect
from pipeline.store.jobs import JobStore, job_runs
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
