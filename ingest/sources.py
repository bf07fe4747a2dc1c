"""The operators' HTTP side of sources: list, add, pause, resume, remove, fetch now.

Operator token only, as every /ops route. The same checks as `nashr sources add`: every part
of a source is checked before anything is stored.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from ingest.auth import Operator
from ingest.errors import Refused, field_errors, problem_responses
from pipeline.domain.errors import BrokerUnavailable
from pipeline.domain.sources import DEFAULT_EVERY_SECONDS, SourceError, SourceSpec
from pipeline.store.database import utcnow

router = APIRouter(prefix="/ops/sources")

MAX_SOURCE_BODY = 8192


class SourceRequest(BaseModel):
    """POST /ops/sources: what `nashr sources add` takes."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field(max_length=200)
    url: StrictStr = Field(max_length=4096)
    every: StrictInt = DEFAULT_EVERY_SECONDS
    section: (
        Literal["politics", "economy", "sport", "culture", "technology", "society", "general"]
        | None
    ) = None
    tags: list[StrictStr] = Field(default_factory=list, max_length=50)
    excerpt_only: StrictBool = False
    backfill: StrictBool = False


_SOURCE_BODY = {
    "required": True,
    "content": {"application/json": {"schema": SourceRequest.model_json_schema()}},
}


@router.get("", responses=problem_responses(401, 403, 503))
def list_sources(request: Request, _operator: Operator) -> list[dict[str, object]]:
    """What `nashr sources list --json` prints."""
    found: list[dict[str, object]] = request.app.state.services.sources.listing()
    return found


@router.post(
    "",
    status_code=201,
    openapi_extra={"requestBody": _SOURCE_BODY},
    responses=problem_responses(400, 401, 403, 409, 413, 415, 422, 503),
)
async def add_source(request: Request, _operator: Operator) -> JSONResponse:
    raw = await request.body()
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise Refused(415, [{"field": "content-type", "reason": "must be application/json"}])
    if len(raw) > MAX_SOURCE_BODY:
        raise Refused(413, [{"field": "body", "reason": f"at most {MAX_SOURCE_BODY} bytes"}])
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused(400, [{"field": "body", "reason": "not valid JSON"}]) from None
    if not isinstance(data, dict):
        raise Refused(422, [{"field": "body", "reason": "must be a JSON object"}])
    try:
        asked = SourceRequest.model_validate(data)
    except ValidationError as exc:
        raise Refused(422, field_errors(exc)) from None
    sources = request.app.state.services.sources
    try:
        spec = SourceSpec(
            name=asked.name,
            url=asked.url,
            every=asked.every,
            section=asked.section,
            tags=tuple(asked.tags),
            excerpt_only=asked.excerpt_only,
            backfill=asked.backfill,
        )
        await run_in_threadpool(sources.add, spec)
    except SourceError as exc:
        field, _, reason = str(exc).partition(": ")
        status = 409 if "exists already" in reason else 422
        raise Refused(status, [{"field": field or "body", "reason": reason or str(exc)}]) from None
    added = sources.get(asked.name).as_json(utcnow(), sources.rules.idle_after)
    return JSONResponse(added, status_code=201)


@router.post("/{name}/fetch", status_code=202, responses=problem_responses(401, 403, 404, 503))
async def fetch_now(name: str, request: Request, _operator: Operator) -> JSONResponse:
    """A fetch now, outside the schedule, on the fetch queue's workers; its outcome shows in
    GET /ops/sources (and `nashr sources show NAME`)."""
    sources = request.app.state.services.sources
    try:
        claimed = await run_in_threadpool(sources.store.claim_now, name)
    except SourceError:
        raise Refused(404, [{"field": "name", "reason": "no such source"}]) from None
    sent = True
    try:
        await run_in_threadpool(
            request.app.state.dispatcher.send_fetch, claimed.fetch_id, claimed.source
        )
    except BrokerUnavailable:
        sent = False  # claimed, not started: beat sends it again after a while
    return JSONResponse({"name": name, "fetch_id": claimed.fetch_id, "sent": sent}, status_code=202)


@router.post("/{name}/pause", responses=problem_responses(401, 403, 404, 503))
def pause(name: str, request: Request, _operator: Operator) -> dict[str, object]:
    return _set_paused(request, name, True)


@router.post("/{name}/resume", responses=problem_responses(401, 403, 404, 503))
def resume(name: str, request: Request, _operator: Operator) -> dict[str, object]:
    return _set_paused(request, name, False)


def _set_paused(request: Request, name: str, paused: bool) -> dict[str, object]:
    if not request.app.state.services.sources.store.set_paused(name, paused):
        raise Refused(404, [{"field": "name", "reason": "no such source"}])
    return {"name": name, "paused": paused}


@router.delete("/{name}", responses=problem_responses(401, 403, 404, 503))
def remove(name: str, request: Request, _operator: Operator) -> dict[str, object]:
    """The source goes; its articles stay, and its items are never published again."""
    if not request.app.state.services.sources.store.remove(name):
        raise Refused(404, [{"field": "name", "reason": "no such source"}])
    return {"name": name, "removed": True}
