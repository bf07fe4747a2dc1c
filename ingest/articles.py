"""POST /articles and GET /articles/{id}: the editors' side of the API."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ingest.auth import AnyCaller, Editor, EditorSubmitting, forget, unauthorised
from ingest.errors import Refused, field_errors, problem_responses
from pipeline.domain.errors import BrokerUnavailable
from pipeline.domain.models import Submission, article_json_path, article_path, is_article_id
from pipeline.store.records import ArticleStatus

router = APIRouter()

_SUBMISSION_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Submission"}}},
}


def _parse_submission(raw: bytes, content_type: str) -> Submission:
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise Refused(415, [{"field": "content-type", "reason": "must be application/json"}])
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else "not valid JSON"
        raise Refused(400, [{"field": "body", "reason": reason}]) from None
    if not isinstance(data, dict):
        raise Refused(422, [{"field": "body", "reason": "must be a JSON object"}])
    try:
        return Submission.model_validate(data)
    except ValidationError as exc:
        raise Refused(422, field_errors(exc)) from None


@router.post(
    "/articles",
    status_code=202,
    openapi_extra={"requestBody": _SUBMISSION_BODY},
    responses=problem_responses(400, 401, 403, 413, 415, 422, 503),
)
async def submit_article(request: Request, editor: EditorSubmitting) -> JSONResponse:
    """Store the version and its outbox row in one statement, then hand the doorbell to the
    outbox sender: the version is committed before the 202, the message follows it."""
    try:
        submission = _parse_submission(
            await request.body(), request.headers.get("content-type", "")
        )
    except Refused:
        await editor.confirm(request)
        raise
    state = request.app.state
    accepted = await run_in_threadpool(state.articles.accept_for_editor, submission, editor.digest)
    if accepted is None:  # revoked since it was looked up: nothing was written
        forget(request, editor.digest)
        raise unauthorised()
    state.outbox_sender.submit(accepted, submission.breaking)
    return JSONResponse(
        {"id": accepted.id, "version": accepted.version, "status": accepted.status.value},
        status_code=202,
    )


@router.post(
    "/articles/{article_id}/unpublish",
    status_code=202,
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def unpublish_article(article_id: int, request: Request, _editor: Editor) -> JSONResponse:
    """Take an article down: every version stops and its page answers 410 now; the listings
    follow with the rebuild this sends (the sweeper sends it again if the broker is away).
    Taking down again is harmless; a new submission publishes it again."""
    if not is_article_id(article_id):
        raise Refused(404, [{"field": "id", "reason": "no such article"}])
    state = request.app.state
    taken = await run_in_threadpool(state.services.takedowns.unpublish, article_id)
    found: ArticleStatus | None = await run_in_threadpool(state.articles.status, article_id)
    if taken is None or found is None:
        raise Refused(404, [{"field": "id", "reason": "no such article"}])
    if taken.rebuild_delay is not None:
        with suppress(BrokerUnavailable):
            await run_in_threadpool(state.dispatcher.send_rebuild, taken.rebuild_delay)
    return JSONResponse(
        {"id": article_id, "status": found.status.value, "versions_taken_down": taken.versions},
        status_code=202,
    )


@router.get("/articles/{article_id}", responses=problem_responses(401, 403, 404, 422, 503))
def article_status(article_id: int, request: Request, _caller: AnyCaller) -> dict[str, Any]:
    if not is_article_id(article_id):
        raise Refused(404, [{"field": "id", "reason": "no such article"}])
    state = request.app.state
    found: ArticleStatus | None = state.articles.status(article_id)
    if found is None:
        raise Refused(404, [{"field": "id", "reason": "no such article"}])
    threshold = state.settings.image_report_threshold
    reports = [
        {
            "index": index,
            "count": found.count,
            "over_threshold": found.count >= threshold,
            "hidden": found.hidden,
        }
        for index, found in state.reports.summary(article_id).items()
    ]
    return found.as_json() | {
        "urls": {"page": article_path(found.id), "json": article_json_path(found.id)},
        "image_reports": reports,
    }
