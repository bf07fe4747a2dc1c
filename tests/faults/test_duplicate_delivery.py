"""Every task message on the broker twice: the API's, each step's hand-on, retries, sweeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.duplicate import MARK, duplicating
from tests.faults.harness import BROKERS, FaultRun, Outcomes, fault_run, side_by_side

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def _copies_sent(run: FaultRun, in_api: int) -> int:
    """Second copies: the API's, and those the workers logged."""
    in_workers = sum(w.log_path.read_text(errors="replace").count(MARK) for w in run.system.workers)
    return in_api + in_workers


def deliver_every_message_twice(backend: str, data_dir: Path) -> None:
    workers_send_twice = ("--include", "tests.faults.worker_duplicates")
    with fault_run("every message twice", backend, data_dir, worker_args=workers_send_twice) as run:
        api = run.system.client.app.state.dispatcher.app  # type: ignore[attr-defined]
        # Given a broker that holds two copies of every message the API and the workers send
        with duplicating(api, run.system.settings.queue_prefix) as hook:
            # When 200 articles go through the chain
            run.workload.submit_all(run.first_versions())

            # Then each is still published exactly once
            run.conclude(count_faults=lambda: _copies_sent(run, hook.sent))


outcomes = side_by_side(deliver_every_message_twice)


@pytest.mark.parametrize("backend", BROKERS)
def test_every_message_delivered_twice(backend: str, outcomes: Outcomes) -> None:
    outcomes.check(backend)
