"""New versions of an article while older ones are still in the chain, one by one and in bursts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.harness import BROKERS, FaultRun, Outcomes, fault_run, side_by_side
from tests.faults.inject import pause
from tests.faults.workload import ARTICLES

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

BURSTS = 30
"""Articles sent as five versions back to back, the same external_id each time."""
IN_CHAIN = ("received", "validated", "enriched", "sourced", "published")


def _next_versions_over(run: FaultRun, statuses: tuple[str, ...], per_status: int) -> int:
    """Send the next version of articles whose current version is now in `statuses`."""
    by_status = run.keys_by_status()
    chosen: list[tuple[int, int]] = []
    for status in statuses:
        picked = [(k, v) for k, v in by_status.get(status, []) if k < ARTICLES - BURSTS]
        chosen.extend(picked[:per_status])
        if picked:
            moves = ", ".join(f"{k} v{v}→v{v + 1}" for k, v in picked[:per_status])
            run.fault(f"next version while {status}: {moves}", count=len(picked[:per_status]))
    run.workload.submit_all([(key, version + 1) for key, version in chosen])
    return len(chosen)


def send_new_versions_while_old_ones_are_in_the_chain(backend: str, data_dir: Path) -> None:
    with fault_run("versions in flight", backend, data_dir) as run:
        # Given 170 articles sent once, and 30 sent as five versions in a burst
        steady = run.first_versions(ARTICLES - BURSTS)
        bursts = [(k, v) for k in range(ARTICLES - BURSTS, ARTICLES) for v in range(1, 6)]
        run.submit_in_background([*steady, *bursts])
        run.fault(f"{BURSTS} articles sent as 5 versions in a burst", count=BURSTS * 4)
        run.wait_for_live(20)

        # When the next version arrives while the previous one is at every step, or live
        for _ in range(3):
            _next_versions_over(run, IN_CHAIN, per_status=6)
            _next_versions_over(run, ("live",), per_status=4)
            pause(2)
        run.submitting.result()  # type: ignore[union-attr]

        # Then each article ends live at its newest version, once everywhere
        run.conclude()


outcomes = side_by_side(send_new_versions_while_old_ones_are_in_the_chain)


@pytest.mark.parametrize("backend", BROKERS)
def test_new_versions_while_old_ones_are_in_the_chain(backend: str, outcomes: Outcomes) -> None:
    outcomes.check(backend)
