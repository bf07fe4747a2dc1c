"""The operators' HTTP side, for dashboards: queues, versions by status, retries, jobs.

Operator token only (an editor's gets 403, none 401). The same figures as the CLI's.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from ingest.auth import Operator
from ingest.errors import Refused, field_errors, problem_responses
from pipeline.domain.errors import BrokerUnavailable
from pipeline.domain.jobs import Action, JobAction, JobError, Schedule
from pipeline.domain.models import is_article_id
from pipeline.domain.states import STEP_INPUT, Status
from pipeline.store.operations import OperationsQueries

router = APIRouter(prefix="/ops")

MAX_PAGE = 500
MAX_JOB_BODY = 4096


@router.get("/queues", responses=problem_responses(401, 403, 503))
def queues(request: Request, _operator: Operator) -> dict[str, Any]:
    """What `nashr queues --json` prints: per step queue, workers, versions per status."""
    report: dict[str, Any] = request.app.state.inspector.report().as_json()
    return report


@router.get("/articles", responses=problem_responses(401, 403, 422, 503))
def articles_by_status(
    request: Request,
    _operator: Operator,
    status: Annotated[Status, Query()] = Status.FAILED,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    after: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
) -> dict[str, Any]:
    """Current versions in a status, by article id; `next` is the `after` of the next page."""
    queries = OperationsQueries(request.app.state.articles.engine)
    rows = queries.versions(status, limit + 1, after)
    page = rows[:limit]
    return {
        "items": [
            {
                "id": r.article_id,
                "version": r.version,
                "status": r.status,
                "failed_step": r.failed_step,
                "title": r.title,
                "updated_at": r.updated_at.isoformat() + "Z",
            }
            for r in page
        ],
        "next": page[-1].article_id if len(rows) > limit else None,
    }


@router.post(
    "/articles/{article_id}/retry",
    status_code=202,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def retry_article(article_id: int, request: Request, _operator: Operator) -> JSONResponse:
    """Replay a failed article from the step that failed (as `nashr retry ID`)."""
    state = request.app.state
    found = (
        await run_in_threadpool(state.articles.status, article_id)
        if is_article_id(article_id)
        else None
    )
    if found is None:
        raise Refused(404, [{"field": "id", "reason": "no such article"}])
    if found.status is not Status.FAILED:
        raise Refused(409, [{"field": "id", "reason": f"not failed (it is {found.status.value})"}])
    step = await run_in_threadpool(state.articles.replay, article_id, found.version)
    if step is None:
        raise Refused(409, [{"field": "id", "reason": "no longer failed"}])
    sent = True
    try:
        await run_in_threadpool(state.dispatcher.send, step, article_id, found.version)
    except BrokerUnavailable:
        sent = False  # the version waits before its step: the sweeper sends it
    return JSONResponse(
        {
            "id": article_id,
            "version": found.version,
            "step": step.value,
            "status": STEP_INPUT[step].value,
            "sent": sent,
        },
        status_code=202,
    )


@router.get("/jobs", responses=problem_responses(401, 403, 503))
def list_jobs(request: Request, _operator: Operator) -> list[dict[str, object]]:
    """What `nashr jobs list --json` prints."""
    return [job.as_json() for job in request.app.state.services.jobs.store.all()]


class JobRequest(BaseModel):
    """POST /ops/jobs: a name, one schedule, one action (and its argument)."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field(max_length=200)
    every: StrictFloat | StrictInt | None = None
    cron: StrictStr | None = Field(default=None, max_length=200)
    action: Literal["republish", "rebuild-tag", "rebuild-site", "expire-ticker"]
    argument: StrictStr | StrictInt | StrictFloat | None = None


_JOB_BODY = {
    "required": True,
    "content": {"application/json": {"schema": JobRequest.model_json_schema()}},
}


@router.post(
    "/jobs",
    status_code=201,
    openapi_extra={"requestBody": _JOB_BODY},
    responses=problem_responses(400, 401, 403, 409, 413, 415, 422, 503),
)
async def add_job(request: Request, _operator: Operator) -> JSONResponse:
    """As `nashr jobs add`: every check first, then one insert; nothing is stored on error."""
    raw = await request.body()
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise Refused(415, [{"field": "content-type", "reason": "must be application/json"}])
    if len(raw) > MAX_JOB_BODY:
        raise Refused(413, [{"field": "body", "reason": f"at most {MAX_JOB_BODY} bytes"}])
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused(400, [{"field": "body", "reason": "not valid JSON"}]) from None
    if not isinstance(data, dict):
        raise Refused(422, [{"field": "body", "reason": "must be a JSON object"}])
    try:
        asked = JobRequest.model_validate(data)
    except ValidationError as exc:
        raise Refused(422, field_errors(exc)) from None
    jobs = request.app.state.services.jobs
    try:
        argument = None if asked.argument is None else str(asked.argument)
        schedule = Schedule(None if asked.every is None else float(asked.every), asked.cron)
        job = await run_in_threadpool(
            jobs.add, asked.name, schedule, JobAction(Action(asked.action), argument)
        )
    except JobError as exc:
        message = str(exc)
        field, _, reason = message.partition(": ")
        if "exists already" in message:
            raise Refused(409, [{"field": "name", "reason": reason}]) from None
        if field not in ("name", "schedule", "action"):
            field, reason = "body", message
        raise Refused(422, [{"field": field, "reason": reason}]) from None
    return JSONResponse(job.as_json(), status_code=201)
