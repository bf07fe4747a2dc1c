"""Every 4xx answers JSON naming the field and the reason."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from pipeline.domain.errors import TransientError

MAX_PROBLEMS = 50
"""A body of a million unknown keys gets fifty reasons and a count, not a reply bigger than it."""
RETRY_AFTER_SECONDS = 5
"""What a client is told to wait when the database is away: the sweeper's pace, roughly."""


class Problem(BaseModel):
    field: str
    reason: str


class Problems(BaseModel):
    """The body of every 4xx (and 503): what was wrong, field by field."""

    detail: list[Problem]


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries saying these statuses answer `Problems`, so clients and fuzzers know."""
    return {code: {"model": Problems} for code in codes}


class Refused(Exception):
    """Any request nashr will not serve (415, 400, 404, 422, 429): carries (field, reason) pairs
    for the client, and the status that says which."""

    def __init__(
        self,
        status_code: int,
        problems: list[dict[str, str]],
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.problems = problems
        self.headers = headers


def field_errors(exc: ValidationError | RequestValidationError) -> list[dict[str, str]]:
    problems = []
    errors = exc.errors()
    for error in errors[:MAX_PROBLEMS]:
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        problems.append({"field": ".".join(location) or "body", "reason": str(error.get("msg"))})
    if len(errors) > MAX_PROBLEMS:
        more = len(errors) - MAX_PROBLEMS
        problems.append({"field": "body", "reason": f"{more} more problems not listed"})
    return problems


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def _bad_request(_: Request, exc: Refused) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.problems}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": field_errors(exc)}, status_code=422)

    @app.exception_handler(TransientError)
    async def _unavailable(_: Request, __: TransientError) -> JSONResponse:
        """The database away: a reason that names no driver, host or URL, and when to retry."""
        return JSONResponse(
            {"detail": [{"field": "service", "reason": "temporarily unavailable; try again"}]},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(_: Request, __: ClientDisconnect) -> JSONResponse:
        """The client left mid-body: nothing was stored, and no traceback for each one that does."""
        return JSONResponse(
            {"detail": [{"field": "body", "reason": "the client disconnected"}]}, status_code=400
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail: Any = exc.detail
        if isinstance(detail, str):
            detail = [{"field": "request", "reason": detail}]
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
