"""Two workers, two beats and so two sweepers, all at once on the same queues and database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.harness import BROKERS, Outcomes, fault_run, side_by_side
from tests.faults.inject import lose_waiting_messages

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def run_two_of_every_process(backend: str, data_dir: Path) -> None:
    # A version counts as stuck after 2 s: both sweepers soon race to re-send the lost ones
    impatient = {"NASHR_STUCK_AFTER_SECONDS": "2"}
    with fault_run(
        "two workers, beats, sweepers",
        backend,
        data_dir,
        workers=2,
        beats=2,
        concurrency=2,
        extra_env=impatient,
    ) as run:
        # Given a second worker, and a second beat sending the sweeper as often as the first
        run.fault("a second worker on every queue")
        run.fault("a second beat, so two sweepers race on every version that waits")

        # When 200 articles go through, and twice the messages waiting in the queues are lost
        run.submit_in_background(run.first_versions())
        api = run.system.client.app.state.dispatcher.app  # type: ignore[attr-defined]
        for live in (30, 110):
            run.wait_for_live(live)
            run.fault(f"{lose_waiting_messages(api)} waiting messages lost, for the sweepers")
        run.submitting.result()  # type: ignore[union-attr]

        # Then the racing processes publish each one exactly once
        run.conclude()


outcomes = side_by_side(run_two_of_every_process)


@pytest.mark.parametrize("backend", BROKERS)
def test_two_workers_two_beats_two_sweepers(backend: str, outcomes: Outcomes) -> None:
    outcomes.check(backend)
