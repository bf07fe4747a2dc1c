"""Scheduled (beat) jobs: the sweeper that makes the broker a doorbell, and the listing refresh."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from kombu.exceptions import KombuError

from pipeline.states import Step
from pipeline.store.database import utcnow
from tasks.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

TAKEDOWNS_PER_SWEEP = 20
"""Unpublished articles whose files one sweep rewrites; the rest wait for the next sweep."""
RELEASES_PER_SWEEP = 200
"""Embargoed versions one sweep sends to publish; a newsroom rarely times more at one minute."""
HIDES_PER_SWEEP = 20
"""Articles republished for hidden images per sweep, so one sweep stays well inside its limit."""


@shared_task(name="nashr.sweep", acks_late=True, ignore_result=True, time_limit=60)
def sweep() -> int:
    runtime = get_runtime()
    cutoff = utcnow() - timedelta(seconds=runtime.settings.stuck_after_seconds)
    runtime.outputs.rebuild_pending()
    taken_down = runtime.outputs.take_down_due(limit=TAKEDOWNS_PER_SWEEP)
    if taken_down:
        log.info("taken down", extra={"articles": taken_down})
    hide_reported_images(runtime)
    release_embargoes(runtime)
    pending = runtime.articles.pending(cutoff)
    if pending:
        # A version whose step queue still holds messages is most likely waiting in it, not
        # lost: it is sent again once that queue has drained.
        depths = runtime.dispatcher.queue_depths({item.step.value for item in pending})
        pending = [
            item
            for item in pending
            if item.outbox_id is not None or depths.get(item.step.value, (0, 0))[0] == 0
        ]
    sent = runtime.dispatcher.send_pending(runtime.articles, pending) if pending else 0
    if pending:
        log.info("swept", extra={"found": len(pending), "sent": sent})
    return sent


def release_embargoes(runtime: Runtime) -> int:
    """Send to publish every scheduled version whose time has come."""
    released = runtime.articles.release_due(utcnow(), limit=RELEASES_PER_SWEEP)
    for article_id, version in released:
        try:
            runtime.dispatcher.send(Step.PUBLISH, article_id, version)
        except (KombuError, OSError):
            log.warning("broker unreachable; the stuck-version sweep sends it later")
            break
    if released:
        log.info("embargoes released", extra={"versions": released})
    return len(released)


def hide_reported_images(runtime: Runtime) -> int:
    """Republish articles whose readers have had an image hidden since their files were written.

    The report endpoint only marks the image; doing the rebuild here keeps readers away from
    the broker and makes the republish as sure as the sweep itself.
    """
    due = runtime.reports.due_for_republish(limit=HIDES_PER_SWEEP)
    if not due:
        return 0
    articles = sorted({article_id for article_id, _ in due})
    runtime.outputs.rewrite(articles)
    runtime.reports.republished(due)
    log.info("reported images hidden", extra={"articles": articles, "images": len(due)})
    return len(articles)


@shared_task(name="nashr.refresh", acks_late=True, ignore_result=True, time_limit=300)
def refresh_listings() -> None:
    """Rebuild home, feeds and ticker from the database: repairs anything written by hand."""
    get_runtime().outputs.rebuild_all()
