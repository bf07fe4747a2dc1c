"""`nashr status`'s timeline rows from step events: pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ops.timeline import timeline
from pipeline.store.records import StepEvent

T0 = datetime(2026, 12, 7, 3, 0, 0, tzinfo=UTC)


def test_each_step_starts_when_the_one_before_ended_and_retries_count_attempts() -> None:
    events = [
        StepEvent("ingest", "done", T0, None),
        StepEvent("validate", "done", T0 + timedelta(seconds=0.5), None),
        StepEvent("enrich", "retrying", T0 + timedelta(seconds=1), "database unavailable"),
        StepEvent("enrich", "done", T0 + timedelta(seconds=3.25), None),
    ]
    rows = timeline(events)
    assert [(r.step, r.state, r.duration, r.attempt) for r in rows] == [
        ("ingest", "done", "0.000s", 1),
        ("validate", "done", "0.500s", 1),
        ("enrich", "retrying", "0.500s", 1),
        ("enrich", "done", "2.250s", 2),
    ]
    assert rows[2].error == "database unavailable"
    assert rows[1].start == "03:00:00.000" and rows[1].end == "03:00:00.500"


def test_no_events_no_rows() -> None:
    assert timeline([]) == []
