"""Bearer tokens: who may call which endpoint; the store keeps only hashes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pipeline.store.tokens import Role, TokenInfo, TokenStore

_bearer = HTTPBearer(auto_error=False)


async def _caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenInfo:
    store: TokenStore = request.app.state.tokens
    info = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        info = await run_in_threadpool(store.verify, credentials.credentials)
    if info is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=[{"field": "authorization", "reason": "a valid bearer token is required"}],
            headers={"WWW-Authenticate": "Bearer"},
        )
    return info


def require(*roles: Role):  # type: ignore[no-untyped-def]
    async def check(caller: Annotated[TokenInfo, Depends(_caller)]) -> TokenInfo:
        if caller.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=[{"field": "authorization", "reason": f"needs the {roles[0]} role"}],
            )
        return caller

    return check


Editor = Annotated[TokenInfo, Depends(require(Role.EDITOR))]
Operator = Annotated[TokenInfo, Depends(require(Role.OPERATOR))]
AnyCaller = Annotated[TokenInfo, Depends(require(Role.EDITOR, Role.OPERATOR))]
