"""Scheduled and coalesced jobs: a claimed job run, the sweeper, the rebuild, the refresh."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from pipeline.domain.errors import TransientError
from tasks.runner import backoff_seconds
from tasks.runtime import get_runtime

log = logging.getLogger(__name__)

JOB_TIME_LIMIT = 900
"""A job run still `running` this long after it started lost its worker (see the scheduler)."""


class TaskSweeping:
    """The built-in jobs' bodies, which ring the broker."""

    def sweep(self) -> tuple[str, int]:
        swept = get_runtime().sweeper.sweep()
        detail = (
            f"resent {swept.resent}, released {swept.released}, republished {swept.republished}"
        )
        return detail, swept.resent

    def refresh(self) -> tuple[str, int]:
        runtime = get_runtime()
        delay = runtime.services.listings.request(urgent=True)
        if delay is None:
            return "a listing rebuild was due already", 0
        runtime.dispatcher.send_rebuild(delay)
        return "listing rebuild sent", 1


@shared_task(
    name="nashr.job",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    time_limit=JOB_TIME_LIMIT,
)
def run_job(run_id: int, job: str = "") -> None:
    """One claimed run of a scheduled job: it starts only if still `claimed`, so a message
    delivered twice (or sent again by another beat) runs it once."""
    get_runtime().services.jobs.run_claimed(run_id, job, TaskSweeping())


@shared_task(name="nashr.sweep", acks_late=True, ignore_result=True, time_limit=60)
def sweep() -> int:
    swept = get_runtime().sweeper.sweep()
    return swept.resent


@shared_task(
    name="nashr.rebuild",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    time_limit=120,
    max_retries=None,
)
def rebuild_listings(self: Task) -> int:
    """The home page, the site feeds and the ticker, rebuilt once for every version published
    since the last rebuild; each of them goes live with it."""
    runtime = get_runtime()
    try:
        rebuilt = runtime.services.listings.rebuild()
    except TransientError as exc:
        if self.request.retries >= runtime.settings.task_max_retries:
            log.error("listing rebuild gave up; the sweeper asks for it again", exc_info=True)
            return 0
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from None
    log.info(
        "listings rebuilt",
        extra={"went_live": len(rebuilt.went_live), "failed_outputs": sorted(rebuilt.failed)},
    )
    return len(rebuilt.went_live)


@shared_task(name="nashr.refresh", acks_late=True, ignore_result=True, time_limit=300)
def refresh_listings() -> None:
    """Rebuild home, feeds and ticker from the database, whatever was asked for."""
    runtime = get_runtime()
    delay = runtime.services.listings.request(urgent=True)
    if delay is not None:
        runtime.dispatcher.send_rebuild(delay)
