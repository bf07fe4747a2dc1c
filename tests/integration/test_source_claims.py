"""Sources' fetches claimed in the database, raced: many claimers (as many beats) claim each
slot once; a lost claim is taken again by one; a fetch starts once; failures back off."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pipeline.domain.sources import SourceSpec
from pipeline.store import connect
from pipeline.store.database import utcnow
from pipeline.store.migrate import upgrade
from pipeline.store.source_tables import source_fetches, sources
from pipeline.store.sources import FetchCounts, SourceStore
from tests.services import postgres_database

pytestmark = pytest.mark.integration

CLAIMERS = 6
ROUNDS = 20


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SourceStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'claims.sqlite'}"
        upgrade(url)
        yield SourceStore(connect(url))
        return
    with postgres_database() as database:
        url = database.replace("postgresql://", "postgresql+psycopg://")
        upgrade(url)
        engine = connect(url)
        yield SourceStore(engine)
        engine.dispose()


def _make_due(store: SourceStore, name: str) -> None:
    with store.engine.begin() as db:
        db.execute(update(sources).where(sources.c.name == name).values(next_fetch_at=utcnow()))


def test_many_claimers_claim_each_slot_once(store: SourceStore) -> None:
    store.add(SourceSpec("raced", "https://raced.example/feed", every=60))
    won: list[int] = []
    lock = threading.Lock()
    for _ in range(ROUNDS):
        _make_due(store, "raced")
        barrier = threading.Barrier(CLAIMERS)

        def claim(barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            found = store.claim_due()
            with lock:
                won.extend(c.fetch_id for c in found)

        threads = [threading.Thread(target=claim) for _ in range(CLAIMERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(won) == len(set(won)) == ROUNDS
    with store.engine.connect() as db:
        due = db.execute(select(source_fetches.c.due_at)).all()
    assert len(due) == ROUNDS == len(set(due))
    following = store.get("raced")
    assert following is not None and following.next_fetch_at > utcnow() + timedelta(seconds=50)


def test_a_paused_source_is_not_claimed_and_resuming_makes_it_due(store: SourceStore) -> None:
    store.add(SourceSpec("quiet", "https://quiet.example/feed"))
    store.set_paused("quiet", True)
    assert store.claim_due() == []
    store.set_paused("quiet", False)
    assert [c.source for c in store.claim_due()] == ["quiet"]


def test_a_fetch_starts_once_and_one_left_waiting_is_superseded_by_the_next_slot(
    store: SourceStore,
) -> None:
    store.add(SourceSpec("late", "https://late.example/feed"))
    (waiting,) = store.claim_due()
    with store.engine.begin() as db:  # a slot later, it has still not started
        db.execute(update(source_fetches).values(claimed_at=utcnow() - timedelta(seconds=60)))
    _make_due(store, "late")
    (following,) = store.claim_due()
    assert store.start(waiting.fetch_id) is None  # superseded: the worker skips it
    assert store.start(following.fetch_id) is not None
    assert store.start(following.fetch_id) is None  # a second delivery
    assert store.abandon_running(utcnow() + timedelta(seconds=1)) == 1
    with store.engine.connect() as db:
        rows = db.execute(select(source_fetches).order_by(source_fetches.c.id)).all()
    assert [row.outcome for row in rows] == ["superseded", "failed"]
    assert "lost" in rows[1].error


def test_failures_back_off_and_a_success_resets_them(store: SourceStore) -> None:
    store.add(SourceSpec("flaky", "https://flaky.example/feed", every=60))
    waits = []
    for _ in range(3):
        source = store.get("flaky")
        assert source is not None
        fetch = store.claim_now("flaky")
        store.start(fetch.fetch_id)
        store.finish_failed(fetch.fetch_id, source, "HTTP 503 Service Unavailable", 503)
        after = store.get("flaky")
        assert after is not None
        waits.append(round((after.next_fetch_at - after.last_fetch_at).total_seconds()))  # type: ignore[operator]
    assert waits == [120, 240, 480]
    failed = store.get("flaky")
    assert failed is not None and failed.failures == 3
    assert failed.last_error == "HTTP 503 Service Unavailable"
    fetch = store.claim_now("flaky")
    store.start(fetch.fetch_id)
    store.finish_ok(fetch.fetch_id, failed, FetchCounts(http_status=200, items=3, new_items=3))
    back = store.get("flaky")
    assert back is not None and back.failures == 0 and back.last_error is None
    assert back.items_seen == 3 and back.first_fetch_at is not None
    assert round((back.next_fetch_at - back.last_fetch_at).total_seconds()) == 60  # type: ignore[operator]


def test_removing_a_source_removes_its_fetches(store: SourceStore) -> None:
    store.add(SourceSpec("gone", "https://gone.example/feed"))
    store.claim_due()
    assert store.remove("gone") and not store.remove("gone")
    with store.engine.connect() as db:
        assert db.execute(select(source_fetches)).all() == []
