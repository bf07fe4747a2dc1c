"""The API's fold of Celery task events into /metrics: a step's figures from its task's events,
which after the first carry only the task id."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry

from tasks.events import MAX_TRACKED, TaskEvents


def _sample(events: TaskEvents, name: str, labels: dict[str, str]) -> float:
    value = events.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def _event(kind: str, uuid: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "uuid": uuid, "hostname": "w1@host", **fields}


def test_a_step_is_counted_by_the_id_its_received_event_named() -> None:
    events = TaskEvents(CollectorRegistry())
    events.on_event(_event("task-received", "a", name="nashr.enrich", args="[1, 1]"))
    events.on_event(_event("task-started", "a"))
    events.on_event(_event("task-succeeded", "a", runtime=0.02))
    assert _sample(events, "nashr_tasks_total", {"step": "enrich", "outcome": "succeeded"}) == 1
    assert _sample(events, "nashr_step_duration_seconds_count", {"step": "enrich"}) == 1
    assert _sample(events, "nashr_step_duration_seconds_sum", {"step": "enrich"}) == 0.02


def test_a_retried_task_counts_once_per_outcome_and_is_forgotten_when_it_ends() -> None:
    events = TaskEvents(CollectorRegistry())
    events.on_event(_event("task-received", "b", name="nashr.publish"))
    events.on_event(_event("task-retried", "b"))
    events.on_event(_event("task-received", "b", name="nashr.publish"))
    events.on_event(_event("task-failed", "b"))
    events.on_event(_event("task-succeeded", "b", runtime=1.0))  # after its end: unknown
    assert _sample(events, "nashr_tasks_total", {"step": "publish", "outcome": "retried"}) == 1
    assert _sample(events, "nashr_tasks_total", {"step": "publish", "outcome": "failed"}) == 1
    assert _sample(events, "nashr_tasks_total", {"step": "publish", "outcome": "succeeded"}) == 0


def test_tasks_that_are_not_nashr_steps_and_malformed_events_are_ignored() -> None:
    events = TaskEvents(CollectorRegistry())
    events.on_event(_event("task-received", "c", name="celery.backend_cleanup"))
    events.on_event(_event("task-succeeded", "c", runtime=0.5))
    events.on_event({"type": "task-succeeded"})
    events.on_event({"type": "worker-heartbeat", "hostname": "w1@host"})
    events.on_event(_event("task-succeeded", "never-received", runtime=0.5))
    counted = [
        sample
        for metric in events.registry.collect()
        for sample in metric.samples
        if sample.name in ("nashr_tasks_total", "nashr_step_duration_seconds_count")
    ]
    assert counted == []


def test_ids_whose_end_never_comes_are_bounded() -> None:
    events = TaskEvents(CollectorRegistry())
    for n in range(MAX_TRACKED + 10):
        events.on_event(_event("task-received", f"t{n}", name="nashr.validate"))
    events.on_event(_event("task-succeeded", "t0", runtime=0.1))  # the oldest: forgotten
    events.on_event(_event("task-succeeded", f"t{MAX_TRACKED + 9}", runtime=0.1))
    assert _sample(events, "nashr_tasks_total", {"step": "validate", "outcome": "succeeded"}) == 1
