"""Step events: the history of each version, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert

from pipeline.store.schema import step_events


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
        },
    )


_NEW_EVENT = insert(step_events)
