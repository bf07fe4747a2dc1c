"""POST /articles/{id}/images/{n}/reports: readers flag an image; public, rate-limited per client.

It writes the reports' own tables and nothing else: one report per reader (a hash of the client
address) per image, and at `NASHR_IMAGE_REPORT_THRESHOLD` readers the image is marked hidden;
the sweeper then republishes the article without it. The limiter keeps one client from even
probing quickly.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ingest.errors import Refused, problem_responses
from pipeline.domain.models import MAX_IMAGES, is_article_id
from pipeline.domain.readers import reader_address, reader_key

router = APIRouter()


@router.post(
    "/articles/{article_id}/images/{image_index}/reports",
    status_code=202,
    responses=problem_responses(404, 422, 429, 503),
)
async def report_image(article_id: int, image_index: int, request: Request) -> JSONResponse:
    """Count one report of an image a reader sees on the article's page (the page's button)."""
    state = request.app.state
    client = reader_address(request.client.host if request.client else "unknown")
    wait = state.report_limiter.allow(client)
    if wait:
        raise Refused(
            429,
            [{"field": "client", "reason": "too many reports; try again later"}],
            headers={"Retry-After": str(math.ceil(wait))},
        )
    if not (is_article_id(article_id) and 0 <= image_index < MAX_IMAGES):
        raise Refused(404, [{"field": "image", "reason": "no such image"}])
    threshold = state.settings.image_report_threshold
    secret = await run_in_threadpool(state.reports.reader_secret)
    report = await run_in_threadpool(
        state.reports.report, article_id, image_index, reader_key(client, secret), threshold
    )
    if report is None:
        raise Refused(404, [{"field": "image", "reason": "no such image"}])
    status = "received" if report.counted else "already_received"
    return JSONResponse(
        {"article_id": article_id, "image_index": image_index, "status": status},
        status_code=202,
    )
