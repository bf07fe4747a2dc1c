"""The states of an article version and the only moves between them, in one place."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"
    VALIDATED = "validated"
    REJECTED = "rejected"
    ENRICHED = "enriched"
    SOURCED = "sourced"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    LIVE = "live"
    FAILED = "failed"
    UNPUBLISHED = "unpublished"


class Step(StrEnum):
    """A pipeline step; its value is also the name of its queue."""

    VALIDATE = "validate"
    ENRICH = "enrich"
    SOURCE = "source"
    PUBLISH = "publish"
    TICKER = "ticker"


_STEP_MOVES: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.VALIDATED, Status.REJECTED, Status.FAILED}),
    Status.VALIDATED: frozenset({Status.ENRICHED, Status.FAILED}),
    Status.ENRICHED: frozenset({Status.SOURCED, Status.SCHEDULED, Status.REJECTED, Status.FAILED}),
    Status.SOURCED: frozenset({Status.PUBLISHED, Status.FAILED}),
    # an embargoed version waits here; at its time the sweeper puts it back before publish
    Status.SCHEDULED: frozenset({Status.SOURCED}),
    Status.PUBLISHED: frozenset({Status.LIVE, Status.FAILED}),
    Status.LIVE: frozenset({Status.PUBLISHED}),
    Status.REJECTED: frozenset(),
    Status.FAILED: frozenset(
        {Status.RECEIVED, Status.VALIDATED, Status.ENRICHED, Status.SOURCED, Status.PUBLISHED}
    ),
    Status.UNPUBLISHED: frozenset(),
}
TAKEN_DOWN_FROM: frozenset[Status] = frozenset(
    {
        Status.RECEIVED,
        Status.VALIDATED,
        Status.ENRICHED,
        Status.SOURCED,
        Status.SCHEDULED,
        Status.PUBLISHED,
        Status.LIVE,
        Status.FAILED,
    }
)
"""An editor can take an article down from any of these: live, on its way, or waiting for a
replay. Every one moves to `unpublished`, which is final: the editor publishes again by
submitting a new version."""

ALLOWED_MOVES: dict[Status, frozenset[Status]] = {
    status: moves | {Status.UNPUBLISHED} if status in TAKEN_DOWN_FROM else moves
    for status, moves in _STEP_MOVES.items()
}

STEP_ORDER: tuple[Step, ...] = (
    Step.VALIDATE,
    Step.ENRICH,
    Step.SOURCE,
    Step.PUBLISH,
    Step.TICKER,
)

STEP_INPUT: dict[Step, Status] = {
    Step.VALIDATE: Status.RECEIVED,
    Step.ENRICH: Status.VALIDATED,
    Step.SOURCE: Status.ENRICHED,
    Step.PUBLISH: Status.SOURCED,
    Step.TICKER: Status.PUBLISHED,
}

IN_FLIGHT: frozenset[Status] = frozenset(STEP_INPUT.values())
"""Statuses from which a step still has to run; the sweeper watches these."""


def can_move(current: Status, target: Status) -> bool:
    return target in ALLOWED_MOVES[current]


def next_step(step: Step) -> Step | None:
    index = STEP_ORDER.index(step)
    return STEP_ORDER[index + 1] if index + 1 < len(STEP_ORDER) else None
