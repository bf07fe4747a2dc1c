"""One thin task per step; names are the message contract and never change."""

from __future__ import annotations

from celery import Task, shared_task

from pipeline.domain.states import Step
from tasks.runner import STEP_OPTIONS, run_step


@shared_task(name="nashr.validate", time_limit=60, **STEP_OPTIONS)
def validate_article(self: Task, article_id: int, version: int) -> None:
    run_step(self, Step.VALIDATE, article_id, version, lambda rt, rec: rt.steps.validate(rec))


@shared_task(name="nashr.enrich", time_limit=60, **STEP_OPTIONS)
def enrich_article(self: Task, article_id: int, version: int) -> None:
    run_step(self, Step.ENRICH, article_id, version, lambda rt, rec: rt.steps.enrich(rec))


@shared_task(name="nashr.source", time_limit=30, **STEP_OPTIONS)
def attach_article_source(self: Task, article_id: int, version: int) -> None:
    run_step(self, Step.SOURCE, article_id, version, lambda rt, rec: rt.steps.attach_source(rec))


@shared_task(name="nashr.publish", time_limit=60, **STEP_OPTIONS)
def publish_article(self: Task, article_id: int, version: int) -> None:
    run_step(self, Step.PUBLISH, article_id, version, lambda rt, rec: rt.steps.publish(rec))


@shared_task(name="nashr.ticker", time_limit=30, **STEP_OPTIONS)
def update_ticker(self: Task, article_id: int, version: int) -> None:
    run_step(self, Step.TICKER, article_id, version, lambda rt, rec: rt.steps.update_ticker(rec))
