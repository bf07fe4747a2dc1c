"""Step events: the history of each version, written in the same transaction as the change."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import Connection, insert

from pipeline.store.schema import step_events

acting_worker: ContextVar[str | None] = ContextVar("acting_worker", default=None)
"""The worker running the task that writes events now (set by the task layer before each
task): `nashr status` shows which worker ran each step."""


def record_event(
    db: Connection,
    article_id: int,
    version: int,
    step: str,
    state: str,
    at: datetime,
    error: str | None = None,
) -> None:
    db.execute(
        _NEW_EVENT,
        {
            "article_id": article_id,
            "version": version,
            "step": step,
            "state": state,
            "at": at,
            "error": error,
            "worker": acting_worker.get(),
        },
    )


_NEW_EVENT = insert(step_events)
