"""Task figures from Celery events: every worker process's tasks, counted in one place.

Workers send task events over the broker (as Flower needs too); a receiver thread in the API
process folds them into Prometheus histograms and counters, and keeps the last minute of task
starts per step for the queue rates. Events rather than prometheus-client's multiprocess mode:
workers and the API may run on different machines, sharing nothing but the database and the
broker, so there is no directory for multiprocess files to meet in.
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
from tasks.dispatch import BROKER_ERRORS

log = logging.getLogger(__name__)

STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
MAX_TRACKED = 20_000
"""Tasks received and not yet finished that are remembered (a worker lost mid-task never sends
its end)."""
FINAL = frozenset({"task-succeeded", "task-failed", "task-rejected", "task-revoked"})
"""After these no event of the task follows (a retried task comes back under the same id)."""
RATE_WINDOW = 60.0
"""Rates are tasks per second over this many seconds."""


def receives_task_events(settings: Settings) -> bool:
    """Not on the embedded broker: kombu's filesystem transport never deletes a receiver's
    queue, so every receiver that ever ran would keep collecting event files on disk."""
    return settings.task_events and not settings.embedded_broker


def new_registry() -> CollectorRegistry:
    """One registry per API app (never the global one): tests build many apps per process."""
    return CollectorRegistry(auto_describe=True)


def step_of(task_name: str | None) -> str | None:
    """`nashr.enrich` -> `enrich`; the rebuild counts with the ticker queue it runs on."""
    if not task_name or not task_name.startswith("nashr."):
        return None
    return task_name.removeprefix("nashr.")


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
        self._names: dict[str, str] = {}
        """Task id -> step, from its task-received event, until it finishes: the later events
        carry only the id. A plain dict, not celery's `State`: that keeps every task's whole
        history and cost the API a few milliseconds of CPU per article under load."""
        self._starts: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._receiver: Any = None
        self.receiving = False

    # -- folding events -----------------------------------------------------------------------

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type", "")
        uuid = event.get("uuid")
        if not kind.startswith("task-") or not isinstance(uuid, str):
            return
        if kind == "task-received":
            step = step_of(event.get("name"))
            if step is not None:
                if len(self._names) >= MAX_TRACKED:  # ids whose end was never seen: oldest go
                    del self._names[next(iter(self._names))]
                self._names[uuid] = step
            return
        step = self._names.pop(uuid, None) if kind in FINAL else self._names.get(uuid)
        if step is None:
            return
        if kind == "task-started":
            with self._lock:
                self._starts[step].append(time.monotonic())
        elif kind == "task-succeeded":
            self.tasks.labels(step, "succeeded").inc()
            runtime = float(event.get("runtime") or 0.0)
            self.durations.labels(step).observe(runtime)
            if step == "rebuild":
                self.rebuilds.observe(runtime)
        elif kind == "task-failed":
            self.tasks.labels(step, "failed").inc()
        elif kind == "task-retried":
            self.tasks.labels(step, "retried").inc()

    def rate_out(self, step: str) -> float | None:
        """Tasks of `step` started per second over the last minute; None before a minute of
        events has been seen (a rate from less would mislead)."""
        if not self.receiving:
            return None
        now = time.monotonic()
        with self._lock:
            starts = self._starts[step]
            while starts and starts[0] < now - RATE_WINDOW:
                starts.popleft()
            return len(starts) / RATE_WINDOW

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
            except BROKER_ERRORS as exc:
                self.receiving = False
                log.warning("task events unavailable", extra={"error": type(exc).__name__})
                self._stopping.wait(5.0)
