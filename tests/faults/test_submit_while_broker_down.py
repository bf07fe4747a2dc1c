"""Editors submit while the broker is down: 202 all the same, published once it is back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.faults.harness import BROKERS, Outcomes, fault_run, side_by_side
from tests.faults.inject import rabbitmq_stopped
from tests.faults.proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


@contextmanager
def _broker_down(backend: str, proxy: TcpProxy) -> Iterator[None]:
    if backend == "postgres-rabbitmq":
        with rabbitmq_stopped():
            yield
        return
    proxy.cut()
    try:
        yield
    finally:
        proxy.restore()


def submit_while_the_broker_is_down(backend: str, data_dir: Path) -> None:
    with TcpProxy(6379) as proxy:
        through_proxy = proxy.route if backend == "postgres-redis" else None
        with fault_run(
            "submit while broker down", backend, data_dir, broker_via=through_proxy
        ) as run:
            # Given a broker that is down, for the API and the workers alike
            with _broker_down(backend, proxy):
                # When editors submit 200 articles, each answered 202
                run.workload.submit_all(run.first_versions(), threads=32)
                waiting = run.workload.undispatched()
                run.fault(f"broker down through {run.workload.submissions} submissions")

            # Then every article waited in the outbox, and is published once the broker is back
            assert waiting == run.workload.articles
            run.conclude()


outcomes = side_by_side(submit_while_the_broker_is_down)


@pytest.mark.parametrize("backend", BROKERS)
def test_submissions_while_the_broker_is_down(backend: str, outcomes: Outcomes) -> None:
    outcomes.check(backend)
