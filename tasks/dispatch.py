"""Ring the doorbell: send a step's message carrying only (article_id, version)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import Celery
from kombu.exceptions import KombuError, OperationalError

from config.settings import Settings, redact
from pipeline.states import Step
from pipeline.store.articles import Accepted, ArticleStore, Pending

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, app: Celery, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def send(self, step: Step, article_id: int, version: int) -> None:
        queue = self.settings.queue(step.value)
        self.app.send_task(
            f"nashr.{step.value}", args=[article_id, version], queue=queue, routing_key=queue
        )

    def send_accepted(self, articles: ArticleStore, accepted: Accepted) -> bool:
        """After the ingest commit; if the broker is away the outbox row waits for the sweeper."""
        try:
            self.send(Step.VALIDATE, accepted.id, accepted.version)
        except (OperationalError, KombuError, OSError) as exc:
            log.warning(
                "broker unreachable, left for the sweeper",
                extra={
                    "article_id": accepted.id,
                    "version": accepted.version,
                    "broker": redact(self.settings.broker),
                    "error": type(exc).__name__,
                },
            )
            return False
        articles.mark_dispatched([accepted.outbox_id])
        return True

    def queue_depths(self, names: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Messages waiting and consumers per queue; a queue that cannot be asked reads (0, 0)."""
        depths: dict[str, tuple[int, int]] = {}
        try:
            with self.app.connection_for_read() as connection:
                channel = connection.default_channel
                for name in names:
                    queue = self.settings.queue(name)
                    try:
                        _, waiting, consumers = channel.queue_declare(queue=queue, passive=True)
                    except Exception:  # not declared yet, so empty; the channel may be closed
                        waiting, consumers = 0, 0
                        channel = connection.channel()
                    depths[name] = (int(waiting), int(consumers))
        except (OperationalError, KombuError, OSError):
            pass
        return depths

    def send_pending(self, articles: ArticleStore, items: list[Pending]) -> int:
        sent: list[Pending] = []
        for item in items:
            try:
                self.send(item.step, item.article_id, item.version)
            except (OperationalError, KombuError, OSError):
                break
            sent.append(item)
        articles.mark_dispatched([i.outbox_id for i in sent if i.outbox_id is not None])
        articles.touch(sent)
        return len(sent)
