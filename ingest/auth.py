"""Bearer tokens: who may call which endpoint; the store keeps only hashes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest.token_cache import TokenCache
from pipeline.store.tokens import Role, TokenInfo, TokenStore, token_digest

_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is None or credentials.scheme.lower() != "bearer":
        return None
    return credentials.credentials


def unauthorised() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=[{"field": "authorization", "reason": "a valid bearer token is required"}],
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _look_up(request: Request, token: str | None) -> TokenInfo:
    store: TokenStore = request.app.state.tokens
    info = None if token is None else await run_in_threadpool(store.verify, token)
    if info is None:
        raise unauthorised()
    return info


def _allowed(caller: TokenInfo, roles: tuple[Role, ...]) -> TokenInfo:
    if caller.role not in roles:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=[{"field": "authorization", "reason": f"needs the {roles[0]} role"}],
        )
    return caller


async def _caller(request: Request, credentials: Credentials) -> TokenInfo:
    return await _look_up(request, _token(credentials))


def require(*roles: Role):  # type: ignore[no-untyped-def]
    async def check(caller: Annotated[TokenInfo, Depends(_caller)]) -> TokenInfo:
        return _allowed(caller, roles)

    return check


@dataclass(frozen=True)
class Submitter:
    """The editor behind `POST /articles`. The accept statement checks `digest` again, so a
    token remembered from an earlier request (`cached`) can never write once revoked."""

    info: TokenInfo
    token: str
    digest: str
    cached: bool

    async def confirm(self, request: Request) -> None:
        """Before a refusal: a remembered token is looked up afresh, so a revoked one gets 401
        rather than the refusal, as it would have without the cache."""
        if self.cached:
            forget(request, self.digest)
            _allowed(await _look_up(request, self.token), (Role.EDITOR,))


async def _submitter(request: Request, credentials: Credentials) -> Submitter:
    token = _token(credentials)
    cache: TokenCache = request.app.state.token_cache
    digest = token_digest(token) if token else ""
    remembered = cache.get(digest) if digest else None
    if remembered is not None and token is not None:
        return Submitter(remembered, token, digest, cached=True)
    info = _allowed(await _look_up(request, token), (Role.EDITOR,))
    cache.remember(digest, info)
    return Submitter(info, token or "", digest, cached=False)


def forget(request: Request, digest: str) -> None:
    """The store refused this token: it is looked up again next time."""
    cache: TokenCache = request.app.state.token_cache
    cache.forget(digest)


Editor = Annotated[TokenInfo, Depends(require(Role.EDITOR))]
Operator = Annotated[TokenInfo, Depends(require(Role.OPERATOR))]
AnyCaller = Annotated[TokenInfo, Depends(require(Role.EDITOR, Role.OPERATOR))]
EditorSubmitting = Annotated[Submitter, Depends(_submitter)]
