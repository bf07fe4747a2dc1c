"""Task figures from Celery events: every worker process's tasks, counted in one place.

Workers send task events over the broker (as Flower needs too); a receiver thread in the API
process folds them into Prometheus histograms and counters, and keeps the last minute of task
ends per step for the queue rates. Every task nashr sends carries its task name in its id
(`tasks.dispatch.task_id_for`), so a task's end event alone says its step: the fold keeps no
table of task ids, and skips the received and started events at the first look.

Events rather than prometheus-client's multiprocess mode: workers and the API may run on
different machines, sharing nothing but the database and the broker, so there is no directory
for multiprocess files to meet in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from typing import Any

from celery import Celery
from prometheus_client import CollectorRegistry, Counter, Histogram

from config.settings import Settings
from tasks.dispatch import task_name_in

log = logging.getLogger(__name__)

STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
OUTCOMES = {"task-succeeded": "succeeded", "task-failed": "failed", "task-retried": "retried"}
"""The events the API folds, each a task's end (a retried task comes back under the same id)."""
RATE_WINDOW = 60.0
"""Rates are tasks per second over this many seconds."""


def receives_task_events(settings: Settings) -> bool:
    """Not on the embedded broker: kombu's filesystem transport never deletes a receiver's
    queue, so every receiver that ever ran would keep collecting event files on disk."""
    return settings.task_events and not settings.embedded_broker


def new_registry() -> CollectorRegistry:
    """One registry per API app (never the global one): tests build many apps per process."""
    return CollectorRegistry(auto_describe=True)


def step_of(task_id: object) -> str | None:
    """`nashr.enrich.5d1c…` -> `enrich` (the rebuild is `rebuild`); None for a task nashr did
    not send."""
    name = task_name_in(task_id)
    return name.removeprefix("nashr.") if name else None


class TaskEvents:
    """Holds the metrics; `watch` runs the receiver until `stop`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.durations = Histogram(
            "nashr_step_duration_seconds",
            "Time a task of a step took in a worker process, from Celery's task-succeeded events.",
            ["step"],
            buckets=STEP_BUCKETS,
            registry=registry,
        )
        self.tasks = Counter(
            "nashr_tasks",
            "Tasks finished per step and outcome (succeeded, failed, retried).",
            ["step", "outcome"],
            registry=registry,
        )
        self.rebuilds = Histogram(
            "nashr_rebuild_duration_seconds",
            "Time one listing rebuild (home, feeds, ticker) took in a worker.",
            buckets=STEP_BUCKETS,
            registry=registry,
        )
        self._ends: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._receiver: Any = None
        self.receiving = False

    # -- folding events -----------------------------------------------------------------------

    def on_event(self, event: dict[str, Any]) -> None:
        outcome = OUTCOMES.get(event.get("type", ""))
        step = step_of(event.get("uuid")) if outcome else None
        if outcome is None or step is None:
            return
        self.tasks.labels(step, outcome).inc()
        if outcome == "retried":
            return
        with self._lock:
            self._ends[step].append(time.monotonic())
        if outcome == "succeeded":
            runtime = _seconds(event.get("runtime"))
            self.durations.labels(step).observe(runtime)
            if step == "rebuild":
                self.rebuilds.observe(runtime)

    def rate_out(self, step: str) -> float | None:
        """Tasks of `step` finished (succeeded or failed) per second over the last minute; None
        before a minute of events has been seen (a rate from less would mislead)."""
        if not self.receiving:
            return None
        now = time.monotonic()
        with self._lock:
            ends = self._ends[step]
            while ends and ends[0] < now - RATE_WINDOW:
                ends.popleft()
            return len(ends) / RATE_WINDOW

    # -- the receiver thread ------------------------------------------------------------------

    def watch(self, app: Celery) -> None:
        self._thread = threading.Thread(
            target=self._receive, args=(app,), name="nashr-task-events", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._receiver is not None:
            self._receiver.should_stop = True

    def _receive(self, app: Celery) -> None:
        while not self._stopping.is_set():
            try:
                with app.connection_for_read() as connection:
                    self._receiver = app.events.Receiver(connection, handlers={"*": self.on_event})
                    self.receiving = True
                    for _ in self._receiver.consume(limit=None, timeout=None):
                        if self._stopping.is_set():
                            return
            except Exception as exc:  # kombu's, or the transport's own, such as
                # redis-py's ConnectionError when Redis restarts: the receiver must outlive it
                self.receiving = False
                log.warning("task events unavailable", extra={"error": type(exc).__name__})
                self._stopping.wait(5.0)


def _seconds(value: object) -> float:
    """A task's runtime as the event gave it; an event from elsewhere may carry anything."""
    try:
        return max(0.0, float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
