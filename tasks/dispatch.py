"""Ring the doorbell: send a step's message carrying only (article_id, version)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import Celery, uuid
from kombu.exceptions import KombuError, OperationalError

from config.celery import FETCH_QUEUE, message_priority
from config.settings import Settings, redact
from pipeline.domain.errors import BrokerUnavailable
from pipeline.domain.states import Step
from tasks.redis_broker import ChannelGone

log = logging.getLogger(__name__)

REBUILD_TASK = "nashr.rebuild"
FETCH_TASK = "nashr.fetch"
JOB_TASK = "nashr.job"
BROKER_ERRORS = (OperationalError, KombuError, OSError)
LOST_CLIENT = (AttributeError, ChannelGone)
"""kombu's Redis transport, cut off mid-send, can keep a pooled channel whose connection is
gone; every later send through it fails (celery/kombu #659, #83) until the pool is refilled."""


def task_id_for(task_name: str) -> str:
    """A new task's id: its name, then a fresh UUID (`nashr.enrich.5d1c…`). The end event of
    a task carries only its id; with the name in it, the API counts the step from that event
    alone (`tasks/events.py`)."""
    return f"{task_name}.{uuid()}"


def task_name_in(task_id: object) -> str | None:
    """The name `task_id_for` put in an id (`nashr.enrich`); None for an id nashr did not make."""
    if not isinstance(task_id, str):
        return None
    name = task_id.rpartition(".")[0]
    return name if name.startswith("nashr.") and len(name) > len("nashr.") else None


class Dispatcher:
    """The task layer's `pipeline.services.doorbell.Doorbell`."""

    def __init__(self, app: Celery, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def send(self, step: Step, article_id: int, version: int, urgent: bool = False) -> None:
        self._send(
            f"nashr.{step.value}",
            step.value,
            [article_id, version],
            priority=message_priority(self.settings, urgent),
        )

    def send_rebuild(self, delay: float) -> None:
        """Every live version waits on this rebuild: it always goes ahead of the queue."""
        self._send(
            REBUILD_TASK,
            Step.TICKER.value,
            countdown=delay if delay > 0 else None,
            priority=message_priority(self.settings, urgent=True),
        )

    def send_fetch(self, fetch_id: int, source: str) -> None:
        """A claimed fetch, to the fetch queue's workers."""
        self._send(FETCH_TASK, FETCH_QUEUE, [fetch_id, source])

    def send_job(self, run_id: int, job: str) -> None:
        """A claimed run of a scheduled job, to the schedule queue."""
        self._send(JOB_TASK, "schedule", [run_id, job])

    def _send(
        self, task: str, queue_name: str, args: list[object] | None = None, **options: Any
    ) -> None:
        """Every send: to the prefixed queue, any broker failure as `BrokerUnavailable`."""
        queue = self.settings.queue(queue_name)
        try:
            self.app.send_task(
                task,
                args=args,
                queue=queue,
                routing_key=queue,
                task_id=task_id_for(task),
                **options,
            )
        except (*BROKER_ERRORS, *LOST_CLIENT) as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: BaseException) -> BrokerUnavailable:
        """The error to raise; a pooled connection left without its client is dropped, with
        the rest of the pool, so the next send connects afresh instead of failing forever."""
        if isinstance(exc, LOST_CLIENT):
            log.warning(
                "broker connection lost its client: connections dropped",
                extra={"broker": redact(self.settings.broker), "error": str(exc)},
            )
            self._drop_connections()
        return BrokerUnavailable(f"broker unreachable: {type(exc).__name__}")

    def _drop_connections(self) -> None:
        """Close every pooled producer and connection and refill the pools with fresh ones
        (kombu's own reset, as when a pool is resized)."""
        for pool in (self.app.amqp.producer_pool, self.app.pool):
            if pool.limit:
                pool.resize(pool.limit, reset=True)

    def waiting(self, steps: Iterable[str]) -> dict[str, int | None]:
        """Messages waiting per queue; None where the broker cannot tell (it is away)."""
        return {name: depth[0] if depth else None for name, depth in self.depths(steps).items()}

    def depths(self, names: Iterable[str]) -> dict[str, tuple[int, int] | None]:
        """Messages waiting and consumers per queue; a queue not declared yet is empty."""
        wanted = list(names)
        depths: dict[str, tuple[int, int] | None] = dict.fromkeys(wanted)
        try:
            with self.app.connection_for_read() as connection:
                channel = connection.default_channel
                for name in wanted:
                    queue = self.settings.queue(name)
                    try:
                        _, waiting, consumers = channel.queue_declare(queue=queue, passive=True)
                    except Exception:  # not declared yet, so empty; the channel may be closed
                        waiting, consumers = 0, 0
                        channel = connection.channel()
                    depths[name] = (int(waiting), int(consumers))
        except BROKER_ERRORS as exc:
            log.warning(
                "broker unreachable: queue depths unknown",
                extra={"broker": redact(self.settings.broker), "error": type(exc).__name__},
            )
        return depths
