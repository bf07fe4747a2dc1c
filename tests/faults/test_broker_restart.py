"""The broker restarts mid-run: RabbitMQ's application stopped and started again; Redis (shared,
so never restarted here) cut off behind a proxy and, as a restart without persistence does,
losing every message it held for this run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.harness import BROKERS, FaultRun, Outcomes, fault_run, side_by_side
from tests.faults.inject import forget_redis_messages, pause, rabbitmq_stopped
from tests.faults.proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

DOWN_SECONDS = 5.0


def _restart_rabbitmq(run: FaultRun) -> None:
    with rabbitmq_stopped():
        run.fault(f"RabbitMQ stopped for {DOWN_SECONDS:.0f} s (stop_app, then start_app)")
        pause(DOWN_SECONDS)


def _restart_redis(run: FaultRun, proxy: TcpProxy) -> None:
    killed = proxy.cut()
    settings = run.system.settings
    lost = forget_redis_messages(settings.broker, settings.queue_prefix)
    run.fault(
        f"Redis down for {DOWN_SECONDS:.0f} s: {killed} connections cut, "
        f"back empty ({lost} messages lost)"
    )
    pause(DOWN_SECONDS)
    proxy.restore()


def restart_the_broker_mid_run(backend: str, data_dir: Path) -> None:
    with TcpProxy(6379) as proxy:
        through_proxy = proxy.route if backend == "postgres-redis" else None
        with fault_run("broker restart", backend, data_dir, broker_via=through_proxy) as run:
            # Given 200 articles in flight, editors still submitting through the restart
            run.submit_in_background(run.first_versions(), per_second=8)
            run.wait_for_live(30)

            # When the broker stops, and comes back after a while
            if backend == "postgres-rabbitmq":
                _restart_rabbitmq(run)
            else:
                _restart_redis(run, proxy)
            run.submitting.result()  # type: ignore[union-attr]

            # Then every article is published exactly once
            run.conclude()


outcomes = side_by_side(restart_the_broker_mid_run)


@pytest.mark.parametrize("backend", BROKERS)
def test_broker_restarts_mid_run(backend: str, outcomes: Outcomes) -> None:
    outcomes.check(backend)
