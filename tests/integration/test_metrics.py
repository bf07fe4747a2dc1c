"""GET /metrics on a running deployment, parsed with prometheus-client's own parser, and its
counters checked against the work done (PostgreSQL, RabbitMQ, a real worker and beat)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from pipeline.store.jobs import job_runs
from pipeline.store.schema import step_events
from tests.services import wait_until
from tests.system import SEED_ARTICLE, RunningSystem, running_system

pytestmark = pytest.mark.integration

ARTICLES = 3
STEPS = ("validate", "enrich", "source", "publish", "ticker")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    with running_system(tmp_path_factory.mktemp("metrics"), "postgres-rabbitmq") as running:
        yield running


def _samples(system: RunningSystem) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = system.client.get(
        "/metrics", headers={"Authorization": f"Bearer {system.operator_token}"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _done_events(system: RunningSystem, step: str) -> int:
    store = system.store
    try:
        with store.engine.connect() as db:
            return int(
                db.execute(
                    select(func.count())
                    .select_from(step_events)
                    .where(step_events.c.step == step, step_events.c.state == "done")
                ).scalar_one()
            )
    finally:
        store.engine.dispose()


def test_metrics_count_the_work_done(system: RunningSystem) -> None:
    # Given the API receiving task events
    events = system.client.app.state.metrics.events  # type: ignore[attr-defined]
    wait_until(lambda: events.receiving, 30, "the task event receiver")
    before = _samples(system)
    # When three articles go live
    ids = [
        system.submit(
            SEED_ARTICLE | {"external_id": f"metrics-{n}", "title": f"خبر رقم {n + 1} للعد"}
        )["id"]
        for n in range(ARTICLES)
    ]
    for article_id in ids:
        system.wait_for(article_id, "live")

    def counted() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        samples = _samples(system)
        done = _value(samples, "nashr_tasks_total", step="source", outcome="succeeded")
        return samples if done >= ARTICLES else None

    samples = wait_until(counted, 30, "the task events to be counted")
    # Then each step's tasks succeeded once per article (a sweeper re-send may add one)
    for step in ("validate", "enrich", "source", "publish"):
        succeeded = _value(samples, "nashr_tasks_total", step=step, outcome="succeeded")
        assert ARTICLES <= succeeded <= ARTICLES + _value(samples, "nashr_sweeper_resent_total"), (
            step
        )
        # and every success has its duration in the histogram
        assert _value(samples, "nashr_step_duration_seconds_count", step=step) == succeeded
        assert _value(samples, "nashr_tasks_total", step=step, outcome="failed") == 0
    assert _done_events(system, "publish") == ARTICLES
    # versions per status, from the database
    assert _value(samples, "nashr_versions", status="live") == ARTICLES
    assert _value(samples, "nashr_versions", status="failed") == 0
    # submit-to-live: one observation per version that went live
    went_live = _value(samples, "nashr_submit_to_live_seconds_count")
    assert went_live - _value(before, "nashr_submit_to_live_seconds_count") == ARTICLES
    assert 0 < _value(samples, "nashr_submit_to_live_seconds_sum") < ARTICLES * 120
    # queue depth and consumers per queue, from the broker
    for step in (*STEPS, "schedule"):
        queue = system.settings.queue(step)
        assert _value(samples, "nashr_queue_consumers", step=step, queue=queue) == 1
        assert (("nashr_queue_messages", (("queue", queue), ("step", step)))) in samples
    # job runs per job and outcome match the database
    store = system.store
    try:
        with store.engine.connect() as db:
            sweeps = db.execute(
                select(func.count())
                .select_from(job_runs)
                .where(job_runs.c.job == "sweep-stuck-articles", job_runs.c.outcome == "succeeded")
            ).scalar_one()
    finally:
        store.engine.dispose()
    counted_sweeps = _value(
        samples, "nashr_job_runs_total", job="sweep-stuck-articles", outcome="succeeded"
    )
    assert 1 <= counted_sweeps <= sweeps
    assert _value(samples, "nashr_rebuild_duration_seconds_count") >= 1
    print(
        f"metrics: {ARTICLES} articles; validate tasks counted "
        f"{_value(samples, 'nashr_tasks_total', step='validate', outcome='succeeded'):.0f}, "
        f"live {went_live:.0f}, sweeps counted {counted_sweeps:.0f} of {sweeps} in the database"
    )
