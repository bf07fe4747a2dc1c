"""The table of moves: what a takedown may interrupt, and that nothing comes back from it."""

from __future__ import annotations

import pytest

from pipeline.domain.states import ALLOWED_MOVES, IN_FLIGHT, TAKEN_DOWN_FROM, Status, can_move


@pytest.mark.parametrize("status", sorted(TAKEN_DOWN_FROM))
def test_a_takedown_can_stop_a_version_wherever_it_is(status: Status) -> None:
    assert can_move(status, Status.UNPUBLISHED)


def test_every_version_in_flight_or_public_can_be_taken_down() -> None:
    assert IN_FLIGHT | {Status.PUBLISHED, Status.LIVE, Status.FAILED} <= TAKEN_DOWN_FROM


@pytest.mark.parametrize("final", [Status.UNPUBLISHED, Status.REJECTED])
def test_final_states_lead_nowhere(final: Status) -> None:
    assert ALLOWED_MOVES[final] == frozenset()


def test_the_steps_own_moves_are_unchanged_by_takedowns() -> None:
    assert can_move(Status.RECEIVED, Status.VALIDATED)
    assert can_move(Status.SOURCED, Status.PUBLISHED)
    assert can_move(Status.PUBLISHED, Status.LIVE)
    assert not can_move(Status.UNPUBLISHED, Status.SOURCED)


def test_an_embargo_holds_a_version_between_source_and_publish() -> None:
    assert can_move(Status.ENRICHED, Status.SCHEDULED)
    assert ALLOWED_MOVES[Status.SCHEDULED] == {Status.SOURCED, Status.UNPUBLISHED}
    assert Status.SCHEDULED not in IN_FLIGHT  # the stuck-version sweep leaves it waiting
