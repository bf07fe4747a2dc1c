"""The API's fold of Celery task events into /metrics: a step's figures from its task's end
event alone, the step read from the task id nashr gave the task."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry

from tasks.dispatch import task_id_for
from tasks.events import TaskEvents, step_of


def _sample(events: TaskEvents, name: str, labels: dict[str, str]) -> float:
    value = events.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def _event(kind: str, uuid: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "uuid": uuid, "hostname": "w1@host", **fields}


def test_a_task_id_names_its_step_and_is_new_each_time() -> None:
    first, second = task_id_for("nashr.enrich"), task_id_for("nashr.enrich")
    assert first != second
    assert step_of(first) == "enrich"
    assert step_of(task_id_for("nashr.rebuild")) == "rebuild"


def test_ids_nashr_did_not_give_name_no_step() -> None:
    for foreign in (None, "", "5d1c0a2e-1b7f-4c3e-9d7a-2f0e8c1b6a41", "celery.backend_cleanup.x"):
        assert step_of(foreign) is None
    assert step_of("nashr.") is None


def test_a_step_is_counted_from_its_end_event_alone() -> None:
    events = TaskEvents(CollectorRegistry())
    events.on_event(_event("task-succeeded", task_id_for("nashr.enrich"), runtime=0.02))
    assert _sample(events, "nashr_tasks_total", {"step": "enrich", "outcome": "succeeded"}) == 1
    assert _sample(events, "nashr_step_duration_seconds_count", {"step": "enrich"}) == 1
    assert _sample(events, "nashr_step_duration_seconds_sum", {"step": "enrich"}) == 0.02


def test_a_retried_task_counts_once_per_outcome() -> None:
    events = TaskEvents(CollectorRegistry())
    task = task_id_for("nashr.publish")
    events.on_event(_event("task-retried", task))
    events.on_event(_event("task-failed", task))
    assert _sample(events, "nashr_tasks_total", {"step": "publish", "outcome": "retried"}) == 1
    assert _sample(events, "nashr_tasks_total", {"step": "publish", "outcome": "failed"}) == 1
    assert _sample(events, "nashr_tasks_total", {"step": "publish", "outcome": "succeeded"}) == 0


def test_a_rebuild_is_timed_on_its_own_histogram_too() -> None:
    events = TaskEvents(CollectorRegistry())
    events.on_event(_event("task-succeeded", task_id_for("nashr.rebuild"), runtime=0.3))
    assert _sample(events, "nashr_rebuild_duration_seconds_count", {}) == 1


def test_foreign_tasks_other_events_and_malformed_events_are_ignored() -> None:
    events = TaskEvents(CollectorRegistry())
    events.on_event(_event("task-succeeded", "c", runtime=0.5))
    events.on_event(_event("task-received", task_id_for("nashr.enrich"), name="nashr.enrich"))
    events.on_event(_event("task-started", task_id_for("nashr.enrich")))
    events.on_event({"type": "task-succeeded"})
    events.on_event({"type": "task-succeeded", "uuid": 7})
    events.on_event({"type": "worker-heartbeat", "hostname": "w1@host"})
    events.on_event({"type": "task-succeeded", "uuid": task_id_for("nashr.ticker"), "runtime": "x"})
    counted = [
        sample
        for metric in events.registry.collect()
        for sample in metric.samples
        if sample.name in ("nashr_tasks_total", "nashr_step_duration_seconds_count")
        and sample.value
    ]
    assert [(s.labels["step"], s.value) for s in counted] == [("ticker", 1.0)] * len(counted)
