"""Workers take JSON only: a pickled message on a step's queue is refused, never unpickled, and
the refusal is logged; the worker goes on publishing articles afterwards."""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path
from typing import Any

import pytest
from kombu.connection import Connection
from kombu.entity import Exchange, Queue

from config.celery import MAX_PRIORITY
from tests.services import wait_until
from tests.system import SEED_ARTICLE, running_system

pytestmark = pytest.mark.integration

REFUSAL = "Refusing to deserialize untrusted content of type pickle"


class _Trap:
    """Unpickling this creates `path`: if the file ever exists, someone ran our pickle."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def _pickled_task(queue: str, broker_url: str, trap: Path, article_id: int) -> str:
    """Publish a task-protocol-2 message for nashr.validate, pickled, as an attacker on the
    broker network would; returns its task id."""
    task_id = str(uuid.uuid4())
    body = pickle.dumps(([_Trap(trap), article_id], {}, {"callbacks": None, "errbacks": None}))
    headers = {
        "lang": "py",
        "task": "nashr.validate",
        "id": task_id,
        "root_id": task_id,
        "parent_id": None,
        "group": None,
        "retries": 0,
        "argsrepr": "(<trap>,)",
        "kwargsrepr": "{}",
        "origin": "attacker@nowhere",
    }
    exchange = Exchange(queue, type="direct")
    with Connection(broker_url) as connection:
        connection.Producer().publish(
            body,
            exchange=exchange,
            routing_key=queue,
            declare=[Queue(queue, exchange, routing_key=queue, max_priority=MAX_PRIORITY)],
            content_type="application/x-python-serialize",
            content_encoding="binary",
            headers=headers,
        )
    return task_id


def _waiting(broker_url: str, queue: str) -> int:
    with Connection(broker_url) as connection:
        _, waiting, _ = connection.default_channel.queue_declare(queue=queue, passive=True)
    return int(waiting)


def test_a_pickled_message_is_refused_and_the_worker_carries_on(tmp_path: Path) -> None:
    trap = tmp_path / "the-pickle-ran"
    (tmp_path / "system").mkdir()
    with running_system(tmp_path / "system", "postgres-rabbitmq", beat=False) as system:
        # Given a worker on RabbitMQ that publishes articles
        first = system.submit(SEED_ARTICLE)
        system.wait_for(first["id"], "live")
        log = system.workers[0].log_path
        broker = system.settings.broker
        queue = system.settings.queue("validate")

        # When someone who can reach the broker sends it a pickled task
        _pickled_task(queue, broker, trap, first["id"])

        # Then the worker refuses it, says so in its log, and drops it from the queue
        wait_until(lambda: REFUSAL in log.read_text(errors="replace"), 30, "the refusal")
        wait_until(lambda: _waiting(broker, queue) == 0, 30, "the queue to be empty")
        assert not trap.exists(), "the worker unpickled the message"

        # And it goes on publishing articles
        second = system.submit(SEED_ARTICLE | {"title": "خبر بعد الرسالة المرفوضة"})
        system.wait_for(second["id"], "live")
        assert not trap.exists()
        assert system.workers[0].process.poll() is None
