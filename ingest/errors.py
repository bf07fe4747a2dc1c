"""Every 4xx answers JSON naming the field and the reason."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException


class BadRequest(Exception):
    """A body that is not what the endpoint takes; carries (field, reason) pairs."""

    def __init__(self, status_code: int, problems: list[dict[str, str]]) -> None:
        self.status_code = status_code
        self.problems = problems


def field_errors(exc: ValidationError | RequestValidationError) -> list[dict[str, str]]:
    problems = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        problems.append({"field": ".".join(location) or "body", "reason": str(error.get("msg"))})
    return problems


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BadRequest)
    async def _bad_request(_: Request, exc: BadRequest) -> JSONResponse:
        return JSONResponse({"detail": exc.problems}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": field_errors(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail: Any = exc.detail
        if isinstance(detail, str):
            detail = [{"field": "request", "reason": detail}]
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
