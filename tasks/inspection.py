"""Where work piles up: per step queue figures from the broker, workers from remote control,
versions from the database. What a transport cannot tell is None (shown as "—"), never 0.

`nashr queues --json` and GET /ops/queues print `QueueReport.as_json()`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from celery import Celery

from config.celery import STEP_QUEUES
from config.settings import Settings
from pipeline.services.runtime import Services
from pipeline.store.operations import OperationsQueries
from tasks.dispatch import BROKER_ERRORS, Dispatcher
from tasks.events import TaskEvents

INSPECT_TIMEOUT = 1.0


@dataclass
class QueueFigures:
    step: str
    queue: str
    waiting: int | None
    unacked: int | None
    consumers: int | None
    rate_in: float | None = None
    rate_out: float | None = None
    oldest_article: int | None = None
    oldest_seconds: float | None = None


@dataclass
class QueueReport:
    transport: str
    queues: list[QueueFigures]
    workers: dict[str, dict[str, list[str]]]
    """Worker name -> {"queues": [...], "running": [...]}; empty when none answered."""
    versions: dict[str, int]
    taken_at: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict[str, Any]:
        return {
            "transport": self.transport,
            "queues": [
                {
                    "step": q.step,
                    "queue": q.queue,
                    "waiting": q.waiting,
                    "unacked": q.unacked,
                    "consumers": q.consumers,
                    "rate_in": _rounded(q.rate_in),
                    "rate_out": _rounded(q.rate_out),
                    "oldest_waiting": None
                    if q.oldest_article is None
                    else {"article_id": q.oldest_article, "seconds": _rounded(q.oldest_seconds)},
                }
                for q in self.queues
            ],
            "workers": [
                {"name": name, "queues": found["queues"], "running": found["running"]}
                for name, found in sorted(self.workers.items())
            ],
            "versions": self.versions,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def transport_name(settings: Settings) -> str:
    if settings.embedded_broker:
        return "embedded"
    return "redis" if settings.broker.startswith(("redis", "rediss")) else "rabbitmq"


class QueueInspector:
    """One per process that reports; keeps the previous report to turn counts into rates."""

    def __init__(
        self,
        app: Celery,
        settings: Settings,
        services: Services,
        events: TaskEvents | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.services = services
        self.events = events
        self.dispatcher = Dispatcher(app, settings)
        self.operations = OperationsQueries(services.articles.engine)
        self.previous: QueueReport | None = None

    def report(self, with_workers: bool = True) -> QueueReport:
        """`with_workers=False` skips asking what each worker runs (a second broadcast)."""
        depths = self.dispatcher.depths(STEP_QUEUES)
        unacked = self._unacked()
        oldest = self.operations.oldest_waiting()
        amqp = transport_name(self.settings) == "rabbitmq"
        workers = self._workers(running=with_workers) if with_workers or not amqp else None
        queues = []
        for step in STEP_QUEUES:
            depth = depths.get(step)
            waiting, consumers = depth if depth is not None else (None, None)
            if not amqp:
                # kombu's virtual transports always say 0 consumers: count the workers that
                # said they consume the queue instead, unknown if none answered
                consumers = _consumers(workers, self.settings.queue(step))
            figures = QueueFigures(
                step, self.settings.queue(step), waiting, unacked.get(step), consumers
            )
            if step in oldest:
                figures.oldest_article = oldest[step].article_id
                figures.oldest_seconds = oldest[step].seconds
            queues.append(figures)
        report = QueueReport(
            transport_name(self.settings),
            queues,
            workers if with_workers and workers is not None else {},
            self.services.articles.count_by_status(),
        )
        self._rates(report)
        self.previous = report
        return report

    def _rates(self, report: QueueReport) -> None:
        """Out: tasks started per second (task events). In: out plus the queue's growth since
        the last report. None whenever either is unknown."""
        if self.events is None:
            return
        previous = {q.step: q for q in self.previous.queues} if self.previous else {}
        elapsed = report.taken_at - self.previous.taken_at if self.previous else 0.0
        for figures in report.queues:
            figures.rate_out = self.events.rate_out(figures.step)
            before = previous.get(figures.step)
            if (
                figures.rate_out is not None
                and before is not None
                and before.waiting is not None
                and figures.waiting is not None
                and elapsed > 0
            ):
                growth = (figures.waiting - before.waiting) / elapsed
                figures.rate_in = max(0.0, figures.rate_out + growth)

    def _unacked(self) -> dict[str, int]:
        """Only kombu's Redis transport can say (its unacknowledged hash names each message's
        queue); RabbitMQ's AMQP and the embedded broker cannot, so those stay unknown."""
        if transport_name(self.settings) != "redis":
            return {}
        counts = dict.fromkeys(STEP_QUEUES, 0)
        by_queue = {self.settings.queue(step): step for step in STEP_QUEUES}
        try:
            with self.app.connection_for_read() as connection:
                client = connection.default_channel.client
                prefix = f"{self.settings.queue_prefix}:" if self.settings.queue_prefix else ""
                for raw in client.hvals(f"{prefix}unacked"):
                    _message, _exchange, routing_key = json.loads(raw)
                    step = by_queue.get(routing_key)
                    if step is not None:
                        counts[step] += 1
        except (*BROKER_ERRORS, ValueError):
            return {}
        return counts

    def _workers(self, running: bool = True) -> dict[str, dict[str, list[str]]] | None:
        """None when the broadcast could not be sent; {} when no worker answered in time."""
        try:
            inspect = self.app.control.inspect(timeout=INSPECT_TIMEOUT)
            queues = inspect.active_queues() or {}
            active = (inspect.active() or {}) if running and queues else {}
        except BROKER_ERRORS:
            return None
        return {
            name: {
                "queues": sorted(q["name"] for q in consumed),
                "running": [_task_line(task) for task in active.get(name, [])],
            }
            for name, consumed in queues.items()
        }


def _consumers(workers: dict[str, dict[str, list[str]]] | None, queue: str) -> int | None:
    if not workers:
        return None
    return sum(queue in found["queues"] for found in workers.values())


def _task_line(task: dict[str, Any]) -> str:
    """`nashr.enrich(12, 1)`: the step and its (article_id, version)."""
    args = ", ".join(str(arg) for arg in task.get("args") or ())
    return f"{task.get('name')}({args})"
