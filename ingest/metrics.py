"""GET /metrics: Prometheus text format, for operators (a bearer token in the scrape config).

Task figures (step durations, tasks per outcome, rebuild durations) come from Celery task
events that this process receives (`tasks/events.py`); everything else is read from the
database and the broker at scrape time, so every API process answers the same totals.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from ingest.auth import Operator
from ingest.errors import problem_responses
from pipeline.domain.jobs import Action
from pipeline.domain.sources import SourceState
from pipeline.domain.states import Status
from pipeline.services.runtime import Services
from pipeline.store.database import utcnow
from pipeline.store.operations import OperationsQueries
from tasks.events import TaskEvents
from tasks.inspection import QueueInspector

router = APIRouter()

LATENCY_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600)


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


class OpsMetrics:
    """The API process's registry: task events folded in as they come, the rest read per
    scrape."""

    def __init__(self, services: Services, inspector: QueueInspector, events: TaskEvents) -> None:
        self.services = services
        self.inspector = inspector
        self.events = events
        self.registry = events.registry
        self.latency = Histogram(
            "nashr_submit_to_live_seconds",
            "From a version's submission to its going live (the listing rebuild that covered it).",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.operations = OperationsQueries(services.articles.engine)
        self._seen_event = 0
        self._lock = threading.Lock()
        self.registry.register(_ReadAtScrape(self))

    def scrape(self) -> bytes:
        with self._lock:
            for _ in range(20):  # 100,000 events at most per scrape; the rest next time
                seconds, self._seen_event = self.operations.went_live_since(self._seen_event)
                for value in seconds:
                    self.latency.observe(value)
                if not seconds:
                    break
            return generate_latest(self.registry)


class _ReadAtScrape(Collector):
    def __init__(self, metrics: OpsMetrics) -> None:
        self.metrics = metrics

    def describe(self) -> list[GaugeMetricFamily]:
        """Nothing at registration: the figures are read only when scraped."""
        return []

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        services = self.metrics.services
        report = self.metrics.inspector.report(with_workers=False)
        waiting = GaugeMetricFamily(
            "nashr_queue_messages", "Messages waiting in a step's queue.", labels=["step", "queue"]
        )
        consumers = GaugeMetricFamily(
            "nashr_queue_consumers", "Consumers of a step's queue.", labels=["step", "queue"]
        )
        oldest = GaugeMetricFamily(
            "nashr_oldest_waiting_seconds",
            "How long the current version that has waited longest before a step has waited.",
            labels=["step"],
        )
        for q in report.queues:
            if q.waiting is not None:
                waiting.add_metric([q.step, q.queue], q.waiting)
            if q.consumers is not None:
                consumers.add_metric([q.step, q.queue], q.consumers)
            oldest.add_metric([q.step], q.oldest_seconds or 0.0)
        yield waiting
        yield consumers
        yield oldest
        versions = GaugeMetricFamily(
            "nashr_versions", "Current article versions per status.", labels=["status"]
        )
        for status in Status:
            versions.add_metric([status.value], report.versions.get(status.value, 0))
        yield versions
        stuck = GaugeMetricFamily(
            "nashr_stuck_versions",
            "Current versions before a step that have not moved for NASHR_STUCK_AFTER_SECONDS.",
        )
        bound = timedelta(seconds=services.settings.stuck_after_seconds)
        stuck.add_metric([], self.metrics.operations.stuck(utcnow() - bound))
        yield stuck
        yield from self._jobs(services)
        yield from _sources(services)

    def _jobs(self, services: Services) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        store = services.jobs.store
        resent = CounterMetricFamily(
            "nashr_sweeper_resent", "Messages the sweeper sent again (lost or stuck versions)."
        )
        resent.add_metric([], store.items_total(Action.SWEEP))
        yield resent
        runs = CounterMetricFamily(
            "nashr_job_runs",
            "Runs of scheduled jobs per job and outcome.",
            labels=["job", "outcome"],
        )
        for (name, outcome), count in sorted(store.run_counts().items()):
            runs.add_metric([name, outcome], count)
        yield runs
        next_run = GaugeMetricFamily(
            "nashr_job_next_run_timestamp_seconds", "When a job is next due.", labels=["job"]
        )
        last_ok = GaugeMetricFamily(
            "nashr_job_last_success_timestamp_seconds",
            "When a job's last successful run finished (0: never).",
            labels=["job"],
        )
        paused = GaugeMetricFamily("nashr_job_paused", "1 while a job is paused.", labels=["job"])
        interval = GaugeMetricFamily(
            "nashr_job_interval_seconds",
            "An interval job's period (cron jobs have none).",
            labels=["job"],
        )
        for job in store.all():
            if job.schedule.every_seconds is not None:
                interval.add_metric([job.name], job.schedule.every_seconds)
            if job.next_run_at is not None:
                next_run.add_metric([job.name], _epoch(job.next_run_at))
            finished = store.last_finished(job.name)
            last_ok.add_metric([job.name], _epoch(finished) if finished else 0.0)
            paused.add_metric([job.name], 1.0 if job.paused else 0.0)
        yield next_run
        yield last_ok
        yield paused
        yield interval


def _sources(services: Services) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    """Per source: its state (one series per state, 1 for the current one), its failures in a
    row, its last good fetch, what it brought. Alerts fire on `failing` and on `idle`."""
    sources = services.sources
    now = utcnow()
    state = GaugeMetricFamily(
        "nashr_source_state",
        "1 for a source's current state (ok, not_modified, failing, idle), 0 for the others.",
        labels=["source", "state"],
    )
    failures = GaugeMetricFamily(
        "nashr_source_failures", "Failed fetches in a row.", labels=["source"]
    )
    last_ok = GaugeMetricFamily(
        "nashr_source_last_ok_timestamp_seconds",
        "When a source's last good fetch (200 or 304) ended (0: never).",
        labels=["source"],
    )
    paused = GaugeMetricFamily(
        "nashr_source_paused", "1 while a source is paused.", labels=["source"]
    )
    seen = CounterMetricFamily(
        "nashr_source_items_seen", "Distinct items seen in a source's feed.", labels=["source"]
    )
    published = CounterMetricFamily(
        "nashr_source_articles_published",
        "Articles a source's items became.",
        labels=["source"],
    )
    for source in sources.store.all():
        current = source.state(now, sources.rules.idle_after)
        for each in SourceState:
            state.add_metric([source.name, each.value], 1.0 if each is current else 0.0)
        failures.add_metric([source.name], source.failures)
        last_ok.add_metric([source.name], _epoch(source.last_ok_at) if source.last_ok_at else 0.0)
        paused.add_metric([source.name], 1.0 if source.paused else 0.0)
        seen.add_metric([source.name], source.items_seen)
        published.add_metric([source.name], source.articles_published)
    yield from (state, failures, last_ok, paused, seen, published)


@router.get(
    "/metrics",
    responses=problem_responses(401, 403, 503),
    response_class=Response,
)
async def metrics(request: Request, _operator: Operator) -> Response:
    """Prometheus text format; readable with an operator token only."""
    body = await run_in_threadpool(request.app.state.metrics.scrape)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
