"""The API's first messages go out from the outbox sender's thread, and their outbox rows are
marked sent in batches; with the broker away the rows wait for the sweeper. Real PostgreSQL and
RabbitMQ."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import Settings
from pipeline.domain.models import Submission
from pipeline.store import ArticleStore, connect
from pipeline.store.database import utcnow
from pipeline.store.migrate import upgrade
from pipeline.store.records import Accepted
from pipeline.store.schema import outbox
from tasks.app import create_celery
from tasks.dispatch import Dispatcher
from tasks.outbox_sender import OutboxSender
from tests.services import port_open, postgres_database, rabbitmq_vhost, unique_name, wait_until

pytestmark = pytest.mark.integration

SEED = json.loads((Path(__file__).parents[2] / "examples" / "seed-article.json").read_text())
CLOSED_PORT = 1


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with rabbitmq_vhost() as url:
        yield url


@pytest.fixture
def store(database: str) -> Iterator[ArticleStore]:
    engine = connect(database)
    yield ArticleStore(engine)
    engine.dispose()


def sender_for(broker: str, store: ArticleStore, mark_every: float) -> OutboxSender:
    settings = Settings(broker_url=broker, queue_prefix=unique_name("t"))
    return OutboxSender(Dispatcher(create_celery(settings), settings), store, settings, mark_every)


def accepted(store: ArticleStore, count: int) -> list[Accepted]:
    return [
        store.accept(Submission.model_validate(SEED | {"title": f"{SEED['title']} {n}"}))
        for n in range(count)
    ]


def marks(store: ArticleStore, rows: list[Accepted]) -> list[object]:
    """The `dispatched_at` of each row (None: not marked sent)."""
    with store.engine.connect() as db:
        found = dict(
            db.execute(
                select(outbox.c.id, outbox.c.dispatched_at).where(
                    outbox.c.id.in_([a.outbox_id for a in rows])
                )
            ).all()
        )
    return [found[a.outbox_id] for a in rows]


def test_sent_rows_are_marked_together_and_the_messages_are_queued(
    store: ArticleStore, broker: str
) -> None:
    # Given a sender that marks at most every minute, and twenty committed versions
    sender = sender_for(broker, store, mark_every=60.0)
    rows = accepted(store, 20)

    # When each is handed to it, and it is closed
    for row in rows:
        sender.submit(row, urgent=False)
    sender.close(timeout=60)

    # Then all twenty rows were marked by one update, and twenty messages wait in validate
    stamps = marks(store, rows)
    assert None not in stamps and len(set(stamps)) == 1
    assert sender.dispatcher.depths(["validate"])["validate"] == (20, 0)  # type: ignore[attr-defined]


def test_rows_are_marked_soon_after_their_send(store: ArticleStore, broker: str) -> None:
    # Given a sender that marks within a twentieth of a second
    sender = sender_for(broker, store, mark_every=0.05)
    rows = accepted(store, 5)

    # When the versions are handed to it
    for row in rows:
        sender.submit(row, urgent=True)

    # Then their rows are marked sent without waiting for it to close
    try:
        wait_until(lambda: None not in marks(store, rows), 30, "the rows marked sent")
    finally:
        sender.close()


def test_with_the_broker_away_the_rows_wait_for_the_sweeper(store: ArticleStore) -> None:
    assert not port_open(CLOSED_PORT)
    # Given a sender whose broker does not answer
    sender = sender_for(f"amqp://guest:guest@127.0.0.1:{CLOSED_PORT}//", store, 0.05)
    rows = accepted(store, 3)

    # When versions are handed to it
    for row in rows:
        sender.submit(row, urgent=False)
    sender.close(timeout=60)

    # Then none is marked sent, and the sweeper finds every one once it is old enough
    assert marks(store, rows) == [None, None, None]
    pending = store.pending(utcnow() + timedelta(seconds=1))
    assert {a.outbox_id for a in rows} <= {p.outbox_id for p in pending}


def test_a_version_handed_over_after_close_waits_in_the_outbox(
    store: ArticleStore, broker: str
) -> None:
    sender = sender_for(broker, store, 0.05)
    sender.close()
    (row,) = accepted(store, 1)
    sender.submit(row, urgent=False)
    assert marks(store, [row]) == [None]
