"""Moving a version between states: the one compare-and-set every writer goes through."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, tuple_, update

from pipeline.states import Status
from pipeline.store.database import utcnow
from pipeline.store.schema import IS_CURRENT_VERSION, article_versions, articles, step_events


def compare_and_set(
    db: Any, article_id: int, version: int, expected: Status, values: dict[str, Any]
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
                {"article_id": a, "version": v, "step": "ticker", "state": "done", "at": now}
                for a, v in moved
            ],
        )
    return moved
