"""kill -9 of pool processes and of the worker's main process, at random moments."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.faults.harness import BROKERS, Outcomes, fault_run, side_by_side
from tests.faults.inject import kill_main_and_restart, kill_pool_child, pause

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

KILLS = ("child", "child", "main", "child", "child", "main")


def kill_workers_at_random_moments(backend: str, data_dir: Path) -> None:
    rng = random.Random()
    with fault_run("kill -9 workers", backend, data_dir) as run:
        # Given 200 articles flowing through every step
        run.submit_in_background(run.first_versions())
        run.wait_for_live(5)

        # When, at random moments, a pool process or the main process dies by SIGKILL
        for target in KILLS:
            pause(rng.uniform(1.5, 4.5))
            worker = run.system.workers[0]
            if target == "child":
                victim = kill_pool_child(worker, rng.randrange(64))
                run.fault(f"kill -9 pool process {victim}")
            else:
                run.system.workers[0] = kill_main_and_restart(worker)
                run.fault(f"kill -9 main process {worker.pid}, restarted")
        run.submitting.result()  # type: ignore[union-attr]

        # Then every article is published exactly once
        run.conclude()


outcomes = side_by_side(kill_workers_at_random_moments)


@pytest.mark.parametrize("backend", [*BROKERS, "embedded"])
def test_workers_killed_at_random_moments(backend: str, outcomes: Outcomes) -> None:
    outcomes.check(backend)
