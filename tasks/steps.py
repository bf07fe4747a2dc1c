"""One thin task per step; names are the message contract and never change."""

from __future__ import annotations

from datetime import UTC, datetime

from celery import Task, shared_task

from pipeline.embargo import embargo_until
from pipeline.enrich import enrich
from pipeline.models import CleanArticle, Submission
from pipeline.source import attach_source
from pipeline.states import Status, Step
from pipeline.store.articles import VersionRecord
from pipeline.validate import validate
from tasks.runner import STEP_OPTIONS, run_step
from tasks.runtime import Runtime


def _validate(rt: Runtime, record: VersionRecord) -> bool:
    clean = validate(Submission.model_validate(record.submission), rt.settings.max_body_bytes)
    content = clean.model_dump(mode="json")
    return rt.articles.advance(
        record.article_id, record.version, Step.VALIDATE, Status.VALIDATED, content=content
    )


def _enrich(rt: Runtime, record: VersionRecord) -> bool:
    found = enrich(CleanArticle.model_validate(record.content), None, rt.settings.section_threshold)
    return rt.articles.advance(
        record.article_id,
        record.version,
        Step.ENRICH,
        Status.ENRICHED,
        tags=[t.model_dump(mode="json") for t in found.all_tags],
        section=found.section.model_dump(mode="json"),
    )


def _attach_source(rt: Runtime, record: VersionRecord) -> bool:
    clean = CleanArticle.model_validate(record.content)
    link = attach_source(clean).model_dump(mode="json")
    embargo = embargo_until(clean, datetime.now(UTC))
    if embargo is not None:
        # held in `scheduled`: the sweeper hands it to publish at its time, so nothing now
        rt.articles.advance(
            record.article_id,
            record.version,
            Step.SOURCE,
            Status.SCHEDULED,
            source=link,
            publish_at=embargo,
        )
        return False
    return rt.articles.advance(
        record.article_id, record.version, Step.SOURCE, Status.SOURCED, source=link
    )


@shared_task(name="nashr.validate", time_limit=60, **STEP_OPTIONS)
def validate_article(self: Task, article_id: int, version: int) -> None:
    run_step(self, Step.VALIDATE, article_id, version, _validate)


@shared_task(name="nashr.enrich", time_limit=60, **STEP_OPTIONS)
def enrich_article(self: Task, article_id: int, version: int) -> None:
    run_step(self, Step.ENRICH, article_id, version, _enrich)


@shared_task(name="nashr.source", time_limit=30, **STEP_OPTIONS)
def attach_article_source(self: Task, article_id: int, version: int) -> None:
    run_step(self, Step.SOURCE, article_id, version, _attach_source)


def _publish(rt: Runtime, record: VersionRecord) -> bool:
    return rt.services.publisher.publish(record)


def _update_ticker(rt: Runtime, record: VersionRecord) -> bool:
    """Ask for the rebuild that puts the headline on the ticker (with the home page and the
    feeds); that rebuild moves every version it covers to `live`, this one included. When
    it may run at once, it runs here: one message fewer, and live sooner."""
    delay = rt.services.listings.request(urgent=record.breaking)
    if delay == 0.0:
        rt.services.listings.rebuild()
    elif delay is not None:
        rt.dispatcher.send_rebuild(delay)
    return False


@shared_task(name="nashr.publish", time_limit=60, **STEP_OPTIONS)
def publish_article(self: Task, article_id: int, version: int) -> None:
    run_step(self, Step.PUBLISH, article_id, version, _publish)


@shared_task(name="nashr.ticker", time_limit=30, **STEP_OPTIONS)
def update_ticker(self: Task, article_id: int, version: int) -> None:
    run_step(self, Step.TICKER, article_id, version, _update_ticker)
