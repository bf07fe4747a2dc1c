"""An article version's step events as rows a person reads: start, end, duration, attempt."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.store.records import StepEvent


@dataclass(frozen=True)
class TimelineRow:
    step: str
    state: str
    start: str
    end: str
    duration: str
    attempt: int
    error: str | None
    worker: str | None


def timeline(events: list[StepEvent]) -> list[TimelineRow]:
    """A step starts when the event before it was written (the version was handed on then);
    its duration includes the time it waited in its queue. Attempts count the retries."""
    rows = []
    retries: dict[str, int] = {}
    previous = None
    for event in events:
        start = previous.at if previous is not None else event.at
        rows.append(
            TimelineRow(
                step=event.step,
                state=event.state,
                start=f"{start:%H:%M:%S.%f}"[:-3],
                end=f"{event.at:%H:%M:%S.%f}"[:-3],
                duration=f"{max(0.0, (event.at - start).total_seconds()):.3f}s",
                attempt=retries.get(event.step, 0) + 1,
                error=event.error,
                worker=event.worker,
            )
        )
        if event.state == "retrying":
            retries[event.step] = retries.get(event.step, 0) + 1
        previous = event
    return rows
