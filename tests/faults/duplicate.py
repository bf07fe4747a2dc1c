"""Every task message put on the broker twice: the same body, headers and id, sent again.

This is what a broker that redelivers, or a producer that retries a publish it thinks failed,
does to a consumer. Workers load it with `--include tests.faults.worker_duplicates`; the test
process wraps the API's sends in `duplicating(app, prefix)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Celery, current_app
from celery.signals import after_task_publish, before_task_publish

log = logging.getLogger(__name__)
MARK = "duplicated by the fault hook"
"""The log line each second copy leaves, so a test can count them in the worker logs."""


class _Hook:
    """Signals are process-wide: in the test process, one hook per deployment, each copying
    only the messages bound for its own queues (`prefix`)."""

    def __init__(self, app: Celery | None, prefix: str | None) -> None:
        self.app = app
        self.prefix = prefix
        self.sent = 0
        self.uid = f"faults-duplicate-{prefix or 'all'}"
        self._in_hand = threading.local()

    def remember(self, properties: dict[str, Any], **_: Any) -> None:
        self._in_hand.properties = dict(properties)

    def publish_again(
        self, sender: str, body: Any, exchange: str, routing_key: str, headers: dict[str, Any],
        **_: Any,
    ) -> None:  # fmt: skip
        properties = getattr(self._in_hand, "properties", None)
        self._in_hand.properties = None
        if properties is None or not self._mine(routing_key):
            return
        app = self.app or current_app
        with app.producer_or_acquire() as producer:
            producer.publish(
                body,
                exchange=exchange,
                routing_key=routing_key,
                headers=headers,
                serializer="json",
                delivery_mode=2,
                retry=True,
                **properties,
            )
        self.sent += 1
        log.warning("%s: %s %s", MARK, sender, headers.get("id"))

    def _mine(self, routing_key: str) -> bool:
        return self.prefix is None or routing_key.startswith(f"{self.prefix}-")


def install(app: Celery | None = None, prefix: str | None = None) -> _Hook:
    hook = _Hook(app, prefix)
    before_task_publish.connect(hook.remember, weak=False, dispatch_uid=f"{hook.uid}-before")
    after_task_publish.connect(hook.publish_again, weak=False, dispatch_uid=f"{hook.uid}-after")
    return hook


def uninstall(hook: _Hook) -> None:
    before_task_publish.disconnect(dispatch_uid=f"{hook.uid}-before")
    after_task_publish.disconnect(dispatch_uid=f"{hook.uid}-after")


@contextmanager
def duplicating(app: Celery, prefix: str) -> Iterator[_Hook]:
    """In this process (the API), for as long as the block runs."""
    hook = install(app, prefix)
    try:
        yield hook
    finally:
        uninstall(hook)
