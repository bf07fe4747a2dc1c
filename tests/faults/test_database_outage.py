"""PostgreSQL out of reach of the workers: every connection cut, then refused for 10 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.harness import BROKERS, Outcomes, fault_run, side_by_side
from tests.faults.proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

OUTAGE_SECONDS = 10.0


def cut_the_database_off_for_ten_seconds(backend: str, data_dir: Path) -> None:
    with (
        TcpProxy(5432) as proxy,
        fault_run("database outage", backend, data_dir, database_via=proxy.route) as run,
    ):
        # Given 200 articles in flight, the workers reaching PostgreSQL through a proxy
        run.submit_in_background(run.first_versions())
        run.wait_for_live(40)

        # When every connection is cut and new ones refused for 10 s
        run.fault(f"PostgreSQL unreachable for {OUTAGE_SECONDS:.0f} s")
        killed = proxy.outage(OUTAGE_SECONDS)
        run.figures.faults[-1] += f", {killed} connections cut"
        run.submitting.result()  # type: ignore[union-attr]

        # Then retries and the sweeper still publish every article exactly once
        run.conclude()


outcomes = side_by_side(cut_the_database_off_for_ten_seconds)


@pytest.mark.parametrize("backend", BROKERS)
def test_database_unreachable_for_ten_seconds(backend: str, outcomes: Outcomes) -> None:
    outcomes.check(backend)
