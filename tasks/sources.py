"""Pulling sources: one claimed fetch of one source, on the `fetch` queue."""

from __future__ import annotations

import logging

from celery import shared_task

from tasks.runtime import get_runtime

log = logging.getLogger(__name__)

FETCH_TIME_LIMIT = 120
"""A fetch's own deadline is 20 s; reading and submitting 500 items fits in the rest. A fetch
still `running` well past this lost its worker (see the scheduler)."""


@shared_task(
    name="nashr.fetch",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    time_limit=FETCH_TIME_LIMIT,
)
def fetch_source(fetch_id: int, source: str = "") -> None:
    """One claimed fetch: it starts only if still `claimed`, so a message delivered twice (or
    sent again by another beat) fetches once. Its failures are the source's, recorded there."""
    runtime = get_runtime()
    report = runtime.services.sources.run_fetch(fetch_id, runtime.dispatcher)
    if report is None:
        log.info("fetch already taken", extra={"source": source, "fetch_id": fetch_id})
