"""Moving a version between states: the one compare-and-set every writer goes through."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    String,
    Text,
    bindparam,
    insert,
    select,
    tuple_,
    update,
)

from pipeline.domain.states import Status
from pipeline.store.database import utcnow
from pipeline.store.events import acting_worker, record_event
from pipeline.store.schema import IS_CURRENT_VERSION, article_versions, articles, step_events


def compare_and_set(
    db: Connection, article_id: int, version: int, expected: Status, values: dict[str, Any]
) -> bool:
    """Update a version only if it is still in `expected`: of two racing runs, one wins."""
    moved = db.execute(
        update(article_versions)
        .where(
            article_versions.c.article_id == article_id,
            article_versions.c.version == version,
            article_versions.c.status == expected.value,
        )
        .values(**values)
    ).rowcount
    return bool(moved == 1)


def move_with_event(
    db: Connection,
    key: tuple[int, int],
    expected: Status,
    values: dict[str, Any],
    event: tuple[str, str, datetime, str | None],
) -> bool:
    """`compare_and_set` and the step event it earns, as one statement on PostgreSQL (so it is
    atomic without a transaction of its own: one round trip), as two elsewhere."""
    article_id, version = key
    step, state, at, error = event
    if db.dialect.name != "postgresql":
        if not compare_and_set(db, article_id, version, expected, values):
            return False
        record_event(db, article_id, version, step, state, at, error)
        return True
    parameters = {
        **{f"set_{name}": value for name, value in values.items()},
        "key_article": article_id,
        "key_version": version,
        "expected": expected.value,
        "step": step,
        "state": state,
        "at": at,
        "error": error,
        "worker": acting_worker.get(),
    }
    moved = db.execute(_move_statement(tuple(sorted(values))), parameters).all()
    return len(moved) == 1


@functools.lru_cache(maxsize=64)
def _move_statement(columns: tuple[str, ...]) -> Any:
    """One statement per set of columns a move writes, built once: a statement built on every
    call costs SQLAlchemy more than PostgreSQL takes to run it."""
    moved = (
        update(article_versions)
        .where(
            article_versions.c.article_id == bindparam("key_article"),
            article_versions.c.version == bindparam("key_version"),
            article_versions.c.status == bindparam("expected"),
        )
        .values(
            {
                name: bindparam(f"set_{name}", type_=article_versions.c[name].type)
                for name in columns
            }
        )
        .returning(article_versions.c.article_id, article_versions.c.version)
        .cte("moved")
    )
    return (
        insert(step_events)
        .from_select(
            ["article_id", "version", "step", "state", "at", "error", "worker"],
            select(
                moved.c.article_id,
                moved.c.version,
                bindparam("step", type_=String),
                bindparam("state", type_=String),
                bindparam("at", type_=DateTime),
                bindparam("error", type_=Text),
                bindparam("worker", type_=String),
            ),
        )
        .returning(step_events.c.id)
    )


def waiting_to_go_live(db: Connection, limit: int = 5000) -> list[tuple[int, int]]:
    """Current versions in `published`: read before a listing rebuild reads its entries, so
    every one of them is in what the rebuild then reads."""
    rows = db.execute(
        select(article_versions.c.article_id, article_versions.c.version)
        .join(articles, IS_CURRENT_VERSION)
        .where(article_versions.c.status == Status.PUBLISHED.value)
        .limit(limit)
    ).all()
    return [(int(a), int(v)) for a, v in rows]


def left_waiting(db: Connection, published_before: datetime) -> bool:
    """A current version has waited in `published` since before then: no rebuild covered it."""
    found = db.execute(
        select(article_versions.c.article_id)
        .join(articles, IS_CURRENT_VERSION)
        .where(
            article_versions.c.status == Status.PUBLISHED.value,
            article_versions.c.updated_at < published_before,
        )
        .limit(1)
    ).first()
    return found is not None


def mark_live(db: Connection, versions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`published` → `live` with the ticker step's event, for the versions a rebuild covered;
    a version that moved on meanwhile (taken down, say) is left as it is."""
    if not versions:
        return []
    now = utcnow()
    rows = db.execute(
        update(article_versions)
        .where(
            tuple_(article_versions.c.article_id, article_versions.c.version).in_(versions),
            article_versions.c.status == Status.PUBLISHED.value,
        )
        .values(status=Status.LIVE.value, updated_at=now)
        .returning(article_versions.c.article_id, article_versions.c.version)
    ).all()
    moved = sorted((int(a), int(v)) for a, v in rows)
    if moved:
        db.execute(
            insert(step_events),
            [
                {
                    "article_id": a,
                    "version": v,
                    "step": "ticker",
                    "state": "done",
                    "at": now,
                    "worker": acting_worker.get(),
                }
                for a, v in moved
            ],
        )
    return moved
